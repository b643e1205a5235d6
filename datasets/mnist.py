"""MNIST and Fashion-MNIST (and any data in the MNIST IDX layout).

Where the data comes from, in order:
  1. `data_dir`, when given: the four IDX files (plain or .gz), or a Keras
     `mnist.npz` (the file itself or a directory holding it).
  2. The cache, `$SNT_ZOO_CACHE/<name>` (default `~/.cache/snt-zoo/<name>`).
  3. A verified download into the cache (skipped when `$SNT_ZOO_OFFLINE` is
     set).
  4. For `mnist` only: the bundled sample (the first 10,000 MNIST training
     digits, `datasets/data/mnist_sample.npz`), with a one-line notice. Its
     `info.source` says so, so no result on it passes for full MNIST.
"""

import logging
import os
from pathlib import Path
from typing import Any, Dict, Optional, Tuple

import numpy as np

from . import availability
from . import dataset_info
from . import download
from . import idx
from .errors import DatasetError, DownloadError

_LOG = logging.getLogger(__name__)

OFFLINE_ENV = download.OFFLINE_ENV
SAMPLE_PATH = Path(__file__).resolve().parent / "data" / "mnist_sample.npz"
SAMPLE_SOURCE = ("bundled sample: first 10,000 MNIST training digits "
                 "(not full MNIST)")

CLASS_NAMES = {
    "mnist": tuple(str(digit) for digit in range(10)),
    "fashion_mnist": ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                      "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
}

_Splits = Dict[str, Tuple[np.ndarray, np.ndarray]]
# (name, path, mtime) -> arrays, so info() and load() read the files once.
_ARRAY_CACHE: Dict[Tuple[str, str, float], _Splits] = {}
# Datasets whose download already failed in this process (offline).
_FAILED_DOWNLOADS: Dict[str, str] = {}
# Datasets whose fall-back notice was already shown in this process.
_NOTIFIED = set()


def _read_source(name: str, path: Path) -> _Splits:
  """Reads IDX files or an npz from `path` (a file or directory), memoised."""
  key = (name, str(path), path.stat().st_mtime)
  if key not in _ARRAY_CACHE:
    num_classes = len(CLASS_NAMES[name])
    npz = path if path.is_file() else path / "mnist.npz"
    has_idx = path.is_dir() and any(
        (path / (stem + ext)).exists() for stem in idx.SPLIT_FILES["train"]
        for ext in ("", ".gz"))
    if path.is_file() or (npz.is_file() and not has_idx):
      _ARRAY_CACHE[key] = idx.read_npz(str(npz), num_classes)
    else:
      _ARRAY_CACHE[key] = idx.read_idx_directory(str(path), num_classes)
  return _ARRAY_CACHE[key]


def _has_data(directory: Path) -> bool:
  """Whether a cache directory looks populated."""
  return availability.mnist_cache_populated(directory)


def _try_download(name: str) -> Optional[Path]:
  """Downloads into the cache; returns None (once-logged) when offline."""
  if os.environ.get(OFFLINE_ENV):
    _FAILED_DOWNLOADS.setdefault(name, f"${OFFLINE_ENV} is set")
    return None
  if name in _FAILED_DOWNLOADS:
    return None
  try:
    return download.fetch(name)
  except DownloadError as e:
    _FAILED_DOWNLOADS[name] = str(e).splitlines()[0]
    return None


def resolve(name: str, data_dir: Optional[str]) -> Tuple[_Splits, str]:
  """Finds and reads an MNIST-format dataset.

  Args:
    name: "mnist" or "fashion_mnist".
    data_dir: explicit directory or npz file, or None.

  Returns:
    (splits, source): `{"train": (images, labels), "test": ...}` uint8
    arrays and a description of where they came from.

  Raises:
    DatasetError: the data is missing or broken, with the fix in the message.
  """
  path = availability.mnist_source(name, data_dir)
  if path is not None:
    return _read_source(name, path), f"directory {path.absolute()}"
  cached = download.cache_dir(name)
  if _has_data(cached):
    return _read_source(name, cached), f"cache {cached}"
  fetched = _try_download(name)
  if fetched is not None:
    return _read_source(name, fetched), f"cache {fetched} (downloaded)"
  reason = _FAILED_DOWNLOADS.get(name, "download failed")
  if name == "mnist":
    if name not in _NOTIFIED:
      _NOTIFIED.add(name)
      _LOG.warning("mnist: full MNIST not found (%s); using the %s.",
                   reason[:200], SAMPLE_SOURCE)
    return _read_source(name, SAMPLE_PATH), SAMPLE_SOURCE
  raise DatasetError(
      f"{name}: no data_dir given, nothing in the cache {cached}, and the "
      f"download failed ({reason}). Run `snt-zoo fetch {name}` "
      "where there is a connection, or pass data.data_dir=DIR (the data_dir option of zoo.datasets).")


def prepare(name: str, options: Dict[str, Any]) -> dataset_info.Prepared:
  """Resolves an MNIST-format dataset and its splits for `datasets.load`.

  Args:
    name: "mnist" or "fashion_mnist".
    options: the validated load/info options.

  Returns:
    A `Prepared` whose splits are in-memory uint8 arrays.
  """
  arrays, source = resolve(name, options["data_dir"])
  train_images, train_labels = arrays["train"]
  test_images, test_labels = arrays["test"]
  native = tuple(train_images.shape[1:3])
  size = dataset_info.parse_image_size(options["image_size"], native)
  indices = dataset_info.carve_validation(
      {"train": np.arange(len(train_labels))}, train_labels,
      options["validation_fraction"], options["seed"])
  split_arrays = {"train": (train_images[indices["train"]],
                            train_labels[indices["train"]]),
                  "test": (test_images, test_labels)}
  if "validation" in indices:
    split_arrays["validation"] = (train_images[indices["validation"]],
                                  train_labels[indices["validation"]])
  info = dataset_info.DatasetInfo(
      name=name,
      class_names=CLASS_NAMES[name],
      image_shape=(size[0], size[1], 1),
      num_examples={split: int(len(labels))
                    for split, (_, labels) in split_arrays.items()},
      source=source)

  def make_split(split: str):
    import tensorflow as tf  # pylint: disable=g-import-not-at-top
    dataset_info.check_split(name, split, list(split_arrays))
    images, labels = split_arrays[split]
    dataset = tf.data.Dataset.from_tensor_slices(
        (images[..., np.newaxis], labels.astype(np.int32)))
    return dataset, int(len(labels))

  def read_arrays(split: str) -> dataset_info.SplitArrays:
    dataset_info.check_split(name, split, list(split_arrays))
    images, labels = split_arrays[split]
    return dataset_info.SplitArrays(
        int(len(labels)),
        # Copies: the arrays are shared by every `prepare` of this source.
        lambda start, stop: (images[start:stop, ..., np.newaxis].copy(),
                             labels[start:stop].astype(np.int32)))

  resize_to = size if size != native else None
  return dataset_info.Prepared(info=info, make_split=make_split,
                               resize_to=resize_to, split_arrays=read_arrays)
