"""Whether a dataset's files are where a run will look, without TensorFlow.

`check(name, data_dir)` raises the same one-line `DatasetError` that
`prepare` would raise for a missing data_dir, an empty cache with downloads
off, or an image folder that is not a folder, so a run can say so before
it imports TensorFlow or creates its run directory. What it cannot know
(a download that will fail, a corrupt file) is still found by `prepare`.
"""

import os
from pathlib import Path
from typing import Optional

from . import download
from . import idx
from . import options
from .errors import DatasetError

OFFLINE_ENV = "SNT_ZOO_OFFLINE"
MNIST_FORMAT = ("mnist", "fashion_mnist")
IMAGE_FOLDER_LAYOUT = ("ROOT/<class>/*.jpg, or ROOT/train/<class>/*.jpg with "
                       "optional validation/ and test/")


def check(name: str, data_dir: Optional[str] = None) -> None:
  """Raises `DatasetError` if `name`'s data is certainly not available.

  Args:
    name: A dataset name (`tfds:` names are left to TensorFlow Datasets).
    data_dir: The data_dir option, or None for the cache / download.
  """
  if options.is_tfds_name(name):
    return
  if name in MNIST_FORMAT:
    mnist_source(name, data_dir)
  elif name == "flowers17":
    flowers17_directory(data_dir)
  elif name == "image_folder":
    image_folder_root(data_dir)


def mnist_source(name: str, data_dir: Optional[str]) -> Optional[Path]:
  """The explicit path, else None (cache, download or the bundled sample).

  Raises:
    DatasetError: If data_dir does not exist, or (fashion_mnist: it has no
      bundled sample) the cache is empty and downloads are off.
  """
  if data_dir is not None:
    path = Path(data_dir).expanduser()
    if not path.exists():
      raise DatasetError(f"data_dir {path} does not exist. Fetch the data with "
                         f"`snt-zoo fetch {name} --dir {path}`.")
    return path
  if (name != "mnist" and os.environ.get(OFFLINE_ENV) and
      not mnist_cache_populated(download.cache_dir(name))):
    raise DatasetError(
        f"{name}: no data_dir given, nothing in the cache "
        f"{download.cache_dir(name)}, and ${OFFLINE_ENV} is set. Run "
        f"`snt-zoo fetch {name}` where there is a connection, or pass "
        "data.data_dir=DIR (the data_dir option of zoo.datasets).")
  return None


def mnist_cache_populated(directory: Path) -> bool:
  """Whether an MNIST-format cache directory looks populated."""
  if download.is_complete(directory) or (directory / "mnist.npz").is_file():
    return True
  return any((directory / (idx.SPLIT_FILES["train"][0] + ext)).exists()
             for ext in ("", ".gz"))


def flowers17_directory(data_dir: Optional[str]) -> Path:
  """The Flowers17 folder: data_dir, else the populated cache.

  Raises:
    DatasetError: If data_dir is not a directory, or none was given and the
      cache holds no images.
  """
  if data_dir is not None:
    path = Path(data_dir).expanduser()
    if not path.is_dir():
      raise DatasetError(f"data_dir {path} is not a directory. Fetch Flowers17"
                         f" with `snt-zoo fetch flowers17 --dir "
                         f"{path}`.")
    return path
  cached = download.cache_dir("flowers17")
  if (cached / "jpg").is_dir():
    return cached
  raise DatasetError(
      f"flowers17: no data_dir given and nothing in the cache {cached}. Run "
      "`snt-zoo fetch flowers17` (downloads 17flowers.tgz and "
      "datasplits.mat, about 60 MB) or pass data.data_dir=DIR (the data_dir option of zoo.datasets).")


def image_folder_root(data_dir: Optional[str]) -> Path:
  """The folder of class folders.

  Raises:
    DatasetError: If data_dir is not given or is not a directory.
  """
  if data_dir is None:
    raise DatasetError(
        "image_folder needs data_dir: the folder of class folders "
        f"({IMAGE_FOLDER_LAYOUT}). Set data.data_dir=ROOT (data_dir=ROOT in "
        "zoo.datasets).")
  root = Path(data_dir).expanduser()
  if not root.is_dir():
    raise DatasetError(f"data_dir {root} is not a directory. Point "
                       f"data.data_dir at the folder of class folders "
                       f"({IMAGE_FOLDER_LAYOUT}).")
  return root
