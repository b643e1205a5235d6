"""Readers for MNIST-format data: IDX files (plain or gzip) and Keras' npz.

The IDX layout (http://yann.lecun.com/exdb/mnist/) is a big-endian header:
two zero bytes, a type code (0x08 = unsigned byte), the number of dimensions,
then one 4-byte size per dimension, then the data. Images are `idx3`
([N, rows, cols]) and labels `idx1` ([N]).
"""

import gzip
import os
import zlib
from typing import Dict, Tuple

import numpy as np

from .errors import DatasetError

# The four files of an MNIST-format dataset, by split.
SPLIT_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}

_UBYTE_TYPE_CODE = 0x08
_HEADER_PREFIX_BYTES = 4


def _read_bytes(path: str) -> bytes:
  """Reads a file, decompressing it when its name ends in `.gz`."""
  try:
    if path.endswith(".gz"):
      with gzip.open(path, "rb") as f:
        return f.read()
    with open(path, "rb") as f:
      return f.read()
  except (EOFError, OSError, zlib.error) as e:
    raise DatasetError(
        f"{path}: cannot read the file ({e}). It is probably truncated or "
        "not gzip data; delete it and download it again (snt-zoo fetch "
        "mnist, or fashion_mnist, with --force).") from e


def parse_idx(data: bytes, path: str = "<bytes>") -> np.ndarray:
  """Parses the bytes of an unsigned-byte IDX file.

  Args:
    data: the (decompressed) file contents.
    path: the file name, used in error messages.

  Returns:
    A uint8 array whose shape is the one declared in the header.

  Raises:
    DatasetError: bad magic number, unsupported type, or a data size that
      does not match the header (a truncated or padded file).
  """
  if len(data) < _HEADER_PREFIX_BYTES:
    raise DatasetError(f"{path}: only {len(data)} bytes, too short for an "
                       "IDX header. The file is truncated; download it again.")
  zero0, zero1, type_code, ndim = data[:4]
  if zero0 != 0 or zero1 != 0 or ndim == 0:
    raise DatasetError(
        f"{path}: bad magic number 0x{data[:4].hex()} (expected "
        "0x0000080N). This is not an IDX file, or it is still compressed "
        "without a .gz name.")
  if type_code != _UBYTE_TYPE_CODE:
    raise DatasetError(
        f"{path}: IDX type code 0x{type_code:02x} is not supported; only "
        "unsigned bytes (0x08) are used by MNIST-format datasets.")
  header_bytes = _HEADER_PREFIX_BYTES + 4 * ndim
  if len(data) < header_bytes:
    raise DatasetError(f"{path}: header declares {ndim} dimensions but the "
                       "file ends inside the header. Download it again.")
  shape = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big")
                for i in range(ndim))
  expected = int(np.prod(shape, dtype=np.int64))
  actual = len(data) - header_bytes
  if actual != expected:
    problem = "truncated" if actual < expected else "longer than declared"
    raise DatasetError(
        f"{path}: file is {problem}: header declares shape {shape} "
        f"({expected} bytes of data) but {actual} bytes follow the header. "
        "Download it again.")
  return np.frombuffer(data, np.uint8, offset=header_bytes).reshape(shape)


def read_idx(path: str) -> np.ndarray:
  """Reads and validates one IDX file (plain or `.gz`).

  Args:
    path: path to the file.

  Returns:
    A uint8 array with the shape from the file's header.
  """
  return parse_idx(_read_bytes(path), path)


def _find_file(directory: str, stem: str) -> str:
  """Returns the path of `stem` or `stem.gz` in `directory`."""
  for candidate in (stem, stem + ".gz"):
    path = os.path.join(directory, candidate)
    if os.path.isfile(path):
      return path
  raise DatasetError(
      f"{directory}: missing {stem} (or {stem}.gz). An MNIST-format "
      f"directory needs the four files {', '.join(_all_stems())}; fetch them "
      "with `snt-zoo fetch mnist --dir DIR`.")


def _all_stems():
  return [stem for pair in SPLIT_FILES.values() for stem in pair]


def _check_pair(images: np.ndarray, labels: np.ndarray, images_path: str,
                labels_path: str, num_classes: int) -> None:
  """Checks that images and labels agree in count and range."""
  if images.ndim != 3:
    raise DatasetError(f"{images_path}: expected a 3-D image file (idx3), "
                       f"got shape {images.shape}.")
  if labels.ndim != 1:
    raise DatasetError(f"{labels_path}: expected a 1-D label file (idx1), "
                       f"got shape {labels.shape}.")
  if images.shape[0] != labels.shape[0]:
    raise DatasetError(
        f"{images_path} holds {images.shape[0]} images but {labels_path} "
        f"holds {labels.shape[0]} labels; the files do not belong together.")
  if not images.shape[0]:
    raise DatasetError(
        f"{images_path} holds no images (its header says 0); fetch the data "
        "again (`snt-zoo fetch mnist --force`) or point data.data_dir at "
        "complete files.")
  if int(labels.max()) >= num_classes:
    raise DatasetError(f"{labels_path}: label {int(labels.max())} is out of "
                       f"range for {num_classes} classes.")


def read_idx_directory(
    directory: str,
    num_classes: int = 10,
) -> Dict[str, Tuple[np.ndarray, np.ndarray]]:
  """Reads the four standard MNIST-format files from a directory.

  Args:
    directory: directory holding `train-images-idx3-ubyte` etc., each plain
      or gzipped.
    num_classes: labels must lie in `[0, num_classes)`.

  Returns:
    `{"train": (images, labels), "test": (images, labels)}`, uint8 arrays of
    shape [N, H, W] and [N].
  """
  splits = {}
  for split, (images_stem, labels_stem) in SPLIT_FILES.items():
    images_path = _find_file(directory, images_stem)
    labels_path = _find_file(directory, labels_stem)
    images = read_idx(images_path)
    labels = read_idx(labels_path)
    _check_pair(images, labels, images_path, labels_path, num_classes)
    splits[split] = (images, labels)
  return splits


def read_npz(path: str, num_classes: int = 10
             ) -> Dict[str, Tuple[np.ndarray, np.ndarray]]:
  """Reads Keras' `mnist.npz` (keys x_train, y_train, x_test, y_test).

  Args:
    path: path to the npz file.
    num_classes: labels must lie in `[0, num_classes)`.

  Returns:
    `{"train": (images, labels), "test": (images, labels)}` as uint8 arrays.
  """
  try:
    with np.load(path, allow_pickle=False) as archive:
      arrays = {key: archive[key] for key in archive.files}
  except Exception as e:  # zipfile/numpy raise many kinds of errors.
    raise DatasetError(f"{path}: cannot read the npz archive ({e}). "
                       "Download it again.") from e
  splits = {}
  for split in ("train", "test"):
    image_key, label_key = f"x_{split}", f"y_{split}"
    missing = [k for k in (image_key, label_key) if k not in arrays]
    if missing:
      raise DatasetError(f"{path}: missing arrays {missing}; a Keras MNIST "
                         "npz holds x_train, y_train, x_test and y_test.")
    images = arrays[image_key]
    labels = arrays[label_key]
    _check_pair(images, labels, f"{path}[{image_key}]",
                f"{path}[{label_key}]", num_classes)
    splits[split] = (images.astype(np.uint8), labels.astype(np.uint8))
  return splits


def write_idx(path: str, array: np.ndarray) -> None:
  """Writes a uint8 array as an IDX file (gzipped when `path` ends in .gz).

  Args:
    path: destination file.
    array: uint8 array of 1 to 255 dimensions.
  """
  array = np.ascontiguousarray(array, dtype=np.uint8)
  header = bytes([0, 0, _UBYTE_TYPE_CODE, array.ndim])
  header += b"".join(int(d).to_bytes(4, "big") for d in array.shape)
  data = header + array.tobytes()
  opener = gzip.open if path.endswith(".gz") else open
  with opener(path, "wb") as f:
    f.write(data)
