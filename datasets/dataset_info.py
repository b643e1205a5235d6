"""`DatasetInfo`, what `datasets.info` returns, and the split-carving helper."""

import dataclasses
from typing import Any, Callable, Dict, Optional, Sequence, Tuple, Union

import numpy as np

from . import splits as splits_lib
from .errors import SplitError

SPLITS = ("train", "validation", "test")


@dataclasses.dataclass(frozen=True)
class DatasetInfo:
  """Static facts about a dataset as loaded with given options.

  Attributes:
    name: registered dataset name.
    class_names: one name per label.
    image_shape: (height, width, channels) of the images `load` yields.
    num_examples: examples per available split.
    source: where the data came from, e.g. "directory /x", "cache /y" or
      "bundled sample: ...". Record it with every result.
    notes: anything reported while reading (missing, extra or skipped files).
  """
  name: str
  class_names: Tuple[str, ...]
  image_shape: Tuple[int, int, int]
  num_examples: Dict[str, int]
  source: str
  notes: Tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class SplitArrays:
  """One split read without TensorFlow, in the order of its pipeline.

  Attributes:
    count: examples in the split.
    read: `(start, stop)` -> (uint8 images `[n, H, W, C]`, int32 labels
      `[n]`) of examples `start:stop`, at the size and channels the split's
      tf.data elements have (before `Prepared.resize_to`). A file dataset
      may return fewer than asked when files no longer decode and
      `on_corrupt` is "skip".
  """
  count: int
  read: Callable[[int, int], Tuple[np.ndarray, np.ndarray]]


@dataclasses.dataclass(frozen=True)
class Prepared:
  """A dataset resolved from its options, ready to build split pipelines.

  Attributes:
    info: the DatasetInfo.
    make_split: returns (tf.data.Dataset of (uint8 image, int32 label),
      count) for a split name; the dataset is cached and not yet shuffled
      or batched.
    resize_to: (h, w) to resize to in the batched map, or None.
    split_arrays: returns a split's `SplitArrays` (the same examples read
      with NumPy and Pillow), or None where the data needs TensorFlow to be
      read (TensorFlow Datasets).
  """
  info: DatasetInfo
  make_split: Callable[[str], Tuple[Any, int]]
  resize_to: Optional[Tuple[int, int]] = None
  split_arrays: Optional[Callable[[str], SplitArrays]] = None


def parse_image_size(image_size: Union[None, int, Sequence[int]],
                     default: Optional[Tuple[int, int]]
                     ) -> Optional[Tuple[int, int]]:
  """Turns an int or (h, w) into (h, w); None gives `default`."""
  if image_size is None:
    return default
  if isinstance(image_size, (int, np.integer)):
    size = (int(image_size), int(image_size))
  else:
    size = tuple(int(s) for s in image_size)
  if len(size) != 2 or min(size) < 1:
    raise ValueError(f"image_size must be a positive int or (height, width), "
                     f"got {image_size!r}.")
  return size


def carve_validation(indices: Dict[str, np.ndarray], labels: np.ndarray,
                     validation_fraction: float, seed: int
                     ) -> Dict[str, np.ndarray]:
  """Moves a stratified, seeded share of 'train' into a 'validation' split.

  Args:
    indices: split name -> example indices; must hold 'train'.
    labels: labels of all examples (indexed by the values in `indices`).
    validation_fraction: share of train to move, in [0, 1).
    seed: seed of the carve.

  Returns:
    A new dict with 'train' reduced and 'validation' added (when > 0).
  """
  if not validation_fraction:
    return dict(indices)
  if not 0.0 < validation_fraction < 1.0:
    raise ValueError("validation_fraction must be in [0, 1), got "
                     f"{validation_fraction}.")
  train = indices["train"]
  keep, held_out = splits_lib.stratified_split(labels[train],
                                               validation_fraction, seed)
  result = dict(indices)
  result["train"] = train[keep]
  result["validation"] = train[held_out]
  return result


def check_split(name: str, split: str, available: Sequence[str]) -> None:
  """Raises a SplitError naming the valid splits when `split` is unknown."""
  if split in available:
    return
  if split not in SPLITS:
    raise SplitError(f"Unknown split {split!r}; choose one of {list(SPLITS)}.")
  hint = (" Pass validation_fraction > 0 to carve one out of 'train'."
          if split == "validation" else "")
  raise SplitError(f"{name} has no {split!r} split with these options "
                   f"(available: {list(available)}).{hint}")
