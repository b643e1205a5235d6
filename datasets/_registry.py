"""The public entry points: `load`, `info` and `list_datasets`."""

from typing import Any, Callable, Dict, List

import tensorflow as tf

from datasets import _pipeline
from datasets import augment as augment_lib
from datasets import dataset_info
from datasets import flowers17
from datasets import mnist
from datasets import synthetic

# Options every dataset accepts, with their defaults.
COMMON_OPTIONS: Dict[str, Any] = {
    "data_dir": None,
    "image_size": None,
    "normalize": "unit",
    "augment": None,
    "shuffle": False,
    "batch_size": None,
    "drop_remainder": False,
    "repeat": False,
    "seed": 0,
    "validation_fraction": 0.0,
    "split_ratio": 0.8,
    "split_index": 1,
    "on_corrupt": "error",
    "prefetch": True,
}

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


def _options(name: str, options: Dict[str, Any]) -> Dict[str, Any]:
  """Checks the name and options; returns the options with defaults."""
  if name not in _DATASETS:
    raise ValueError(f"Unknown dataset {name!r}; choose one of "
                     f"{list_datasets()}.")
  valid = dict(COMMON_OPTIONS, **_EXTRA_OPTIONS.get(name, {}))
  unknown = sorted(set(options) - set(valid))
  if unknown:
    raise ValueError(f"Unknown option(s) {unknown} for {name!r}; valid "
                     f"options are {sorted(valid)}.")
  merged = dict(valid, **options)
  if merged["normalize"] not in _pipeline.NORMALIZATIONS:
    raise ValueError(f"Unknown normalize={merged['normalize']!r}; choose one "
                     f"of {list(_pipeline.NORMALIZATIONS)}.")
  batch_size = merged["batch_size"]
  if batch_size is not None and int(batch_size) < 1:
    raise ValueError(f"batch_size must be None or >= 1, got {batch_size}.")
  merged["seed"] = int(merged["seed"])
  return merged


def info(name: str, **options: Any) -> dataset_info.DatasetInfo:
  """Describes a dataset as `load` would read it with the same options.

  Args:
    name: one of `list_datasets()`.
    **options: the options of `load` (pipeline-only ones are ignored).

  Returns:
    A DatasetInfo: class names, image shape, examples per split and the
    source actually used.
  """
  merged = _options(name, options)
  return _DATASETS[name](name, merged).info


def load(name: str, split: str, **options: Any) -> tf.data.Dataset:
  """Builds the input pipeline of one split.

  Args:
    name: "mnist", "fashion_mnist", "flowers17" or "synthetic".
    split: "train", "validation" or "test".
    **options: data_dir, image_size, normalize ("unit" | "symmetric"),
      augment (dict), shuffle, batch_size, drop_remainder, repeat, seed,
      validation_fraction, split_ratio, split_index, on_corrupt, prefetch;
      see the package README.

  Returns:
    A tf.data.Dataset of (float32 image [H, W, C], int32 label []), batched
    to [B, H, W, C] and [B] when batch_size is set.
  """
  merged = _options(name, options)
  augment = augment_lib.parse_config(merged["augment"])
  prepared = _DATASETS[name](name, merged)
  dataset, count = prepared.make_split(split)
  return _pipeline.finish(
      dataset,
      num_examples=count,
      normalize_mode=merged["normalize"],
      augment=augment,
      shuffle=bool(merged["shuffle"]),
      batch_size=int(merged["batch_size"]) if merged["batch_size"] else None,
      drop_remainder=bool(merged["drop_remainder"]),
      repeat=bool(merged["repeat"]),
      seed=merged["seed"],
      prefetch=bool(merged["prefetch"]),
      resize_to=prepared.resize_to)
