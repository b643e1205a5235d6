"""The public entry points: `prepare`, `load`, `info` and `list_datasets`."""

import dataclasses
import importlib
from typing import Any, Callable, Dict, Iterator, List, Tuple

import numpy as np

from . import arrays as arrays_lib
from . import dataset_info
from . import options as options_lib
from .errors import DatasetError
from .errors import SplitError

# Options every dataset accepts, with their defaults.
COMMON_OPTIONS: Dict[str, Any] = dict(options_lib.PREPARE_OPTIONS,
                                      **options_lib.PIPELINE_OPTIONS)

_Prepare = Callable[[str, Dict[str, Any]], dataset_info.Prepared]
# Name -> the module whose `prepare` reads it, imported on first use (so
# preparing MNIST or a folder imports no TensorFlow).
_DATASETS: Dict[str, str] = {
    "mnist": "mnist",
    "fashion_mnist": "mnist",
    "flowers17": "flowers17",
    "image_folder": "image_folder",
    "synthetic": "synthetic",
}
_EXTRA_OPTIONS: Dict[str, Dict[str, Any]] = {
    "synthetic": options_lib.SYNTHETIC_OPTIONS,
}


def list_datasets() -> List[str]:
  """Names accepted by `load` and `info`, besides `tfds:<name>`."""
  return sorted(_DATASETS)


def is_dataset_name(name: str) -> bool:
  """Whether `name` is a registered name or `tfds:<catalog name>`."""
  return name in _DATASETS or options_lib.is_tfds_name(name)


def _prepare_function(name: str) -> _Prepare:
  module = ("tfds_catalog" if name.startswith(options_lib.TFDS_PREFIX)
            else _DATASETS[name])
  return importlib.import_module(f".{module}", __package__).prepare


class Dataset:
  """A dataset prepared once from its options: its info and split pipelines.

      flowers = datasets.prepare("flowers17", data_dir="~/flowers17")
      flowers.info.class_names
      train = flowers.load("train", batch_size=32, shuffle=True)

  Files are listed, checked and read once, here; every `load` reuses them.
  With the `channels` option, images come with that many channels whatever
  the data has (grey repeated to RGB, RGB to luma), and `info.image_shape`
  says so.
  """

  def __init__(self, name: str, options: Dict[str, Any]):
    self.name = name
    self.options = options
    self._prepared = _prepare_function(name)(name, options)
    info = self._prepared.info
    channels = options.get("channels")
    if channels and channels != info.image_shape[2]:
      info = dataclasses.replace(
          info, image_shape=(*info.image_shape[:2], int(channels)))
    self._info = info

  @property
  def info(self) -> dataset_info.DatasetInfo:
    return self._info

  def num_examples(self, split: str) -> int:
    """Examples in a split (TFDS: any split spec, e.g. "train[:80%]")."""
    if split in self._info.num_examples:
      return self._info.num_examples[split]
    return self._prepared.make_split(split)[1]

  def load(self, split: str, **options: Any):
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
    from . import _pipeline  # pylint: disable=g-import-not-at-top
    from . import augment as augment_lib  # pylint: disable=g-import-not-at-top
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
        resize_to=self._prepared.resize_to,
        channels=self.options.get("channels"))

  @property
  def has_arrays(self) -> bool:
    """Whether `arrays` can read this dataset (not TensorFlow Datasets)."""
    return self._prepared.split_arrays is not None

  def arrays(self, split: str, batch_size: int = 500
             ) -> Iterator[Tuple[np.ndarray, np.ndarray]]:
    """A split as uint8 batches, read with NumPy and Pillow (`arrays`).

    The examples of `load(split)` (no shuffle, no augmentation) in the same
    order, at the same size and channels, as the uint8 pixels an export
    takes. With `decoder="pillow"` nothing imports TensorFlow.

    Args:
      split: "train", "validation" or "test".
      batch_size: Examples per batch (the last may be smaller).

    Returns:
      An iterator of (uint8 images [B, H, W, C], int32 labels [B]).

    Raises:
      DatasetError: If the data can only be read through TensorFlow
        (TensorFlow Datasets).
    """
    if not self.has_arrays:
      raise DatasetError(f"{self.name} is read through TensorFlow only; use "
                         "load() (tf.data) for it.")
    if isinstance(batch_size, bool) or not isinstance(
        batch_size, (int, np.integer)) or batch_size < 1:
      raise ValueError(f"batch_size must be a whole number of at least 1, "
                       f"got {batch_size!r}.")
    return arrays_lib.batches(self._prepared.split_arrays(split),
                              int(batch_size), self._prepared.resize_to,
                              self.options.get("channels"))


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
  channels = merged.get("channels")
  if channels is not None and channels not in options_lib.CHANNELS:
    raise ValueError(f"channels must be None, 1 or 3, got {channels!r}.")
  if "decoder" in merged and merged["decoder"] not in options_lib.DECODERS:
    raise ValueError(f"decoder must be one of {list(options_lib.DECODERS)}, "
                     f"got {merged['decoder']!r}.")
  if "on_corrupt" in merged and (
      merged["on_corrupt"] not in options_lib.ON_CORRUPT):
    raise ValueError(f"on_corrupt must be one of "
                     f"{list(options_lib.ON_CORRUPT)}, got "
                     f"{merged['on_corrupt']!r}.")
  ratio = merged.get("split_ratio")
  if ratio is not None and not 0.0 < ratio <= 1.0:
    raise SplitError(f"{name}: split_ratio must be in (0, 1], got {ratio}. "
                     "Set data.split_ratio, e.g. 0.8.")
  return merged


def prepare(name: str, **options: Any) -> Dataset:
  """Resolves a dataset once: where it comes from, its files and splits.

  Args:
    name: one of `list_datasets()`, or `tfds:<name>` for a dataset of the
      TensorFlow Datasets catalog.
    **options: `PREPARE_OPTIONS` of `zoo.datasets.options` (data_dir,
      image_size, seed, validation_fraction, split_ratio, split_index,
      on_corrupt, channels), plus a dataset's own (synthetic: num_classes,
      num_examples).

  Returns:
    A `Dataset`: `.info` and `.load(split, **pipeline_options)`.
  """
  if not is_dataset_name(name):
    raise ValueError(f"Unknown dataset {name!r}; choose one of "
                     f"{list_datasets()} or tfds:<name>.")
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


def load(name: str, split: str, **options: Any):
  """`prepare(name, **prepare options).load(split, **pipeline options)`.

  Args:
    name: one of `list_datasets()` or `tfds:<name>`.
    split: "train", "validation" or "test".
    **options: the options of `prepare` and of `Dataset.load` together.
  """
  prepare_options, pipeline = _split_options(options)
  return prepare(name, **prepare_options).load(split, **pipeline)
