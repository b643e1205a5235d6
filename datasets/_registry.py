"""The public entry points: `prepare`, `load`, `info` and `list_datasets`."""

from typing import Any, Callable, Dict, List

import tensorflow as tf

from . import _pipeline
from . import augment as augment_lib
from . import dataset_info
from . import flowers17
from . import mnist
from . import options as options_lib
from . import synthetic

# Options every dataset accepts, with their defaults.
COMMON_OPTIONS: Dict[str, Any] = dict(options_lib.PREPARE_OPTIONS,
                                      **options_lib.PIPELINE_OPTIONS)

_Prepare = Callable[[str, Dict[str, Any]], dataset_info.Prepared]
_DATASETS: Dict[str, _Prepare] = {
    "mnist": mnist.prepare,
    "fashion_mnist": mnist.prepare,
    "flowers17": flowers17.prepare,
    "synthetic": synthetic.prepare,
}
_EXTRA_OPTIONS: Dict[str, Dict[str, Any]] = {
    "synthetic": synthetic.EXTRA_OPTIONS,
}


def list_datasets() -> List[str]:
  """Names accepted by `load` and `info`."""
  return sorted(_DATASETS)


class Dataset:
  """A dataset prepared once from its options: its info and split pipelines.

      flowers = datasets.prepare("flowers17", data_dir="~/flowers17")
      flowers.info.class_names
      train = flowers.load("train", batch_size=32, shuffle=True)

  Files are listed, checked and read once, here; every `load` reuses them.
  """

  def __init__(self, name: str, options: Dict[str, Any]):
    self.name = name
    self.options = options
    self._prepared = _DATASETS[name](name, options)

  @property
  def info(self) -> dataset_info.DatasetInfo:
    return self._prepared.info

  def load(self, split: str, **options: Any) -> tf.data.Dataset:
    """Builds the input pipeline of one split.

    Args:
      split: "train", "validation" or "test".
      **options: `PIPELINE_OPTIONS` of `zoo.datasets.options`: normalize
        ("unit" | "symmetric"), augment (dict), shuffle, batch_size,
        drop_remainder, repeat, prefetch.

    Returns:
      A tf.data.Dataset of (float32 image [H, W, C], int32 label []), batched
      to [B, H, W, C] and [B] when batch_size is set.
    """
    merged = _check(self.name, options, options_lib.PIPELINE_OPTIONS,
                    "pipeline ")
    augment = augment_lib.parse_config(merged["augment"])
    dataset, count = self._prepared.make_split(split)
    return _pipeline.finish(
        dataset,
        num_examples=count,
        normalize_mode=merged["normalize"],
        augment=augment,
        shuffle=bool(merged["shuffle"]),
        batch_size=int(merged["batch_size"]) if merged["batch_size"] else None,
        drop_remainder=bool(merged["drop_remainder"]),
        repeat=bool(merged["repeat"]),
        seed=self.options["seed"],
        prefetch=bool(merged["prefetch"]),
        resize_to=self._prepared.resize_to)


def _check(name: str, options: Dict[str, Any], valid: Dict[str, Any],
           kind: str = "") -> Dict[str, Any]:
  unknown = sorted(set(options) - set(valid))
  if unknown:
    raise ValueError(f"Unknown {kind}option(s) {unknown} for {name!r}; valid "
                     f"{kind}options are {sorted(valid)}.")
  merged = dict(valid, **options)
  if "normalize" in merged and merged["normalize"] not in (
      options_lib.NORMALIZATIONS):
    raise ValueError(f"Unknown normalize={merged['normalize']!r}; choose one "
                     f"of {list(options_lib.NORMALIZATIONS)}.")
  batch_size = merged.get("batch_size")
  if batch_size is not None and int(batch_size) < 1:
    raise ValueError(f"batch_size must be None or >= 1, got {batch_size}.")
  if "seed" in merged:
    merged["seed"] = int(merged["seed"])
  return merged


def prepare(name: str, **options: Any) -> Dataset:
  """Resolves a dataset once: where it comes from, its files and splits.

  Args:
    name: one of `list_datasets()`.
    **options: `PREPARE_OPTIONS` of `zoo.datasets.options` (data_dir,
      image_size, seed, validation_fraction, split_ratio, split_index,
      on_corrupt), plus a dataset's own (synthetic: channels, num_classes,
      num_examples).

  Returns:
    A `Dataset`: `.info` and `.load(split, **pipeline_options)`.
  """
  if name not in _DATASETS:
    raise ValueError(f"Unknown dataset {name!r}; choose one of "
                     f"{list_datasets()}.")
  valid = dict(options_lib.PREPARE_OPTIONS, **_EXTRA_OPTIONS.get(name, {}))
  return Dataset(name, _check(name, options, valid))


def _split_options(options: Dict[str, Any]):
  prepare_options = {k: v for k, v in options.items()
                     if k not in options_lib.PIPELINE_OPTIONS}
  pipeline = {k: v for k, v in options.items()
              if k in options_lib.PIPELINE_OPTIONS}
  return prepare_options, pipeline


def info(name: str, **options: Any) -> dataset_info.DatasetInfo:
  """Describes a dataset as `load` would read it with the same options.

  Pipeline options (normalize, batch_size, ...) are accepted and ignored.
  Use `prepare(...).info` to read the files once for both info and splits.

  Returns:
    A DatasetInfo: class names, image shape, examples per split and the
    source actually used.
  """
  prepare_options, _ = _split_options(options)
  return prepare(name, **prepare_options).info


def load(name: str, split: str, **options: Any) -> tf.data.Dataset:
  """`prepare(name, **prepare options).load(split, **pipeline options)`.

  Args:
    name: "mnist", "fashion_mnist", "flowers17" or "synthetic".
    split: "train", "validation" or "test".
    **options: the options of `prepare` and of `Dataset.load` together.
  """
  prepare_options, pipeline = _split_options(options)
  return prepare(name, **prepare_options).load(split, **pipeline)
