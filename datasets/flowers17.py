"""Oxford Flowers17: 1,360 JPEGs in 17 classes of 80.

Official layout: `<dir>/jpg/image_0001.jpg` ... `image_1360.jpg` (the images
may also sit directly in `<dir>`); label = (index - 1) // 80. When
`<dir>/datasplits.mat` exists, its split `split_index` (1-3) gives
train/validation/test; otherwise a deterministic stratified split from
`seed` and `split_ratio` gives train/test.

Reading, the corrupt-file scan (`on_corrupt`), decoding, resizing and
caching are the shared image-file pipeline's (`image_files.py`): this module
only lists the files, labels them and chooses the splits.
"""

import logging
import os
import re
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from . import availability
from . import dataset_info
from . import image_files
from . import splits as splits_lib
from .errors import DatasetError

_LOG = logging.getLogger(__name__)

CLASS_NAMES = ("Daffodil", "Snowdrop", "Lily Valley", "Bluebell", "Crocus",
               "Iris", "Tigerlily", "Tulip", "Fritillary", "Sunflower",
               "Daisy", "Colts' Foot", "Dandelion", "Cowslip", "Buttercup",
               "Windflower", "Pansy")
IMAGES_PER_CLASS = 80
NUM_IMAGES = IMAGES_PER_CLASS * len(CLASS_NAMES)
DEFAULT_IMAGE_SIZE = 149

_NAME_PATTERN = re.compile(r"^image_(\d{4})\.jpg$", re.IGNORECASE)
_MAT_KEYS = {"train": "trn", "validation": "val", "test": "tst"}


def label_of(index: int) -> int:
  """Label of the 1-based image index: (index - 1) // 80."""
  return (index - 1) // IMAGES_PER_CLASS


def _image_directory(directory: Path) -> Path:
  """`<dir>/jpg` when present, else `<dir>` itself."""
  return directory / "jpg" if (directory / "jpg").is_dir() else directory


def list_images(directory: Path) -> Tuple[Dict[int, Path], List[str]]:
  """Finds `image_NNNN.jpg` files; stray files are ignored.

  Args:
    directory: the dataset directory.

  Returns:
    (images, notes): 1-based index -> path for indices 1..1360, and notes
    on missing and extra (out-of-range) images.

  Raises:
    DatasetError: the directory holds no official-layout image at all.
  """
  image_dir = _image_directory(directory)
  images, extra = {}, []
  for entry in sorted(os.listdir(image_dir)):
    match = _NAME_PATTERN.match(entry)
    if not match or not (image_dir / entry).is_file():
      continue
    index = int(match.group(1))
    if 1 <= index <= NUM_IMAGES:
      images[index] = image_dir / entry
    else:
      extra.append(entry)
  if not images:
    raise DatasetError(
        f"{image_dir}: no Flowers17 images (expected jpg/image_0001.jpg ... "
        "image_1360.jpg). Fetch them with `snt-zoo fetch "
        "flowers17 --dir DIR`.")
  notes = []
  missing = [i for i in range(1, NUM_IMAGES + 1) if i not in images]
  if missing:
    shown = ", ".join(f"image_{i:04d}.jpg" for i in missing[:3])
    notes.append(f"{len(missing)} of {NUM_IMAGES} images missing from "
                 f"{image_dir} (e.g. {shown})")
  if extra:
    notes.append(f"{len(extra)} extra image(s) outside 1..{NUM_IMAGES} "
                 f"ignored: {', '.join(extra[:3])}")
  return images, notes


def _read_datasplits(path: Path, split_index: int) -> Dict[str, np.ndarray]:
  """Reads split `split_index` of datasplits.mat as 1-based index arrays."""
  import scipy.io  # pylint: disable=g-import-not-at-top
  try:
    mat = scipy.io.loadmat(str(path))
  except Exception as e:  # scipy raises several types for bad files.
    raise DatasetError(f"{path}: cannot read ({e}). Download it again or "
                       "delete it to use a seeded random split.") from e
  result = {}
  for split, prefix in _MAT_KEYS.items():
    key = f"{prefix}{split_index}"
    if key not in mat:
      raise DatasetError(f"{path}: no '{key}' array; datasplits.mat holds "
                         "trn1..3, val1..3 and tst1..3.")
    result[split] = np.asarray(mat[key]).astype(np.int64).ravel()
  return result


def _split_indices(directory: Path, available: np.ndarray,
                   options: Dict[str, Any]) -> Tuple[Dict[str, np.ndarray],
                                                     str, List[str]]:
  """Chooses the 1-based image indices of each split."""
  split_index = options["split_index"]
  mat_path = directory / "datasplits.mat"
  notes = []
  if split_index and mat_path.is_file():
    if split_index not in (1, 2, 3):
      raise ValueError(f"split_index must be 1, 2 or 3 (or 0 to ignore "
                       f"datasplits.mat), got {split_index}.")
    if options["validation_fraction"]:
      raise ValueError("flowers17: datasplits.mat already defines a "
                       "validation split; leave validation_fraction at 0 or "
                       "pass split_index=0 to use a seeded random split.")
    chosen = _read_datasplits(mat_path, split_index)
    present = set(available.tolist())
    for split, indices in chosen.items():
      absent = [i for i in indices if i not in present]
      if absent:
        notes.append(f"datasplits {split}: {len(absent)} listed image(s) "
                     "missing or skipped")
      chosen[split] = np.asarray([i for i in indices if i in present],
                                 np.int64)
    return chosen, f"datasplits.mat split {split_index}", notes
  ratio = options["split_ratio"]
  labels = np.asarray([label_of(i) for i in available])
  train, test = splits_lib.stratified_split(labels, 1.0 - ratio,
                                            options["seed"])
  chosen = {"train": available[train], "test": available[test]}
  labels_by_index = np.zeros(NUM_IMAGES + 1, np.int64)
  labels_by_index[available] = labels
  chosen = dataset_info.carve_validation(chosen, labels_by_index,
                                         options["validation_fraction"],
                                         options["seed"] + 1)
  how = f"seeded stratified split (ratio {ratio}, seed {options['seed']})"
  return chosen, how, notes


def _resolve_directory(data_dir: Optional[str]) -> Tuple[Path, str]:
  """The directory to read and how to describe it."""
  path = availability.flowers17_directory(data_dir)
  if data_dir is not None:
    return path, f"directory {path.absolute()}"
  return path, f"cache {path}"


def prepare(name: str, options: Dict[str, Any]) -> dataset_info.Prepared:
  """Lists, checks and splits Flowers17 for `datasets.load`.

  Args:
    name: "flowers17".
    options: the validated load/info options.

  Returns:
    A `Prepared` of the shared image-file pipeline.
  """
  size = dataset_info.parse_image_size(
      options["image_size"], (DEFAULT_IMAGE_SIZE, DEFAULT_IMAGE_SIZE))
  directory, source = _resolve_directory(options["data_dir"])
  images, notes = list_images(directory)
  kept, scan_notes = image_files.screen(
      name, [images[i] for i in sorted(images)], _image_directory(directory),
      options["on_corrupt"], cache_name="flowers17",
      fix="Replace or delete them (snt-zoo fetch flowers17 --force re-downloads the archive)",
      decoder=options["decoder"])
  notes.extend(scan_notes)
  kept = set(kept)
  images = {i: p for i, p in images.items() if p in kept}
  for note in notes:
    _LOG.warning("flowers17: %s", note)
  available = np.asarray(sorted(images), np.int64)
  indices, how, split_notes = _split_indices(directory, available, options)
  notes.extend(split_notes)
  files = {split: ([images[i] for i in chosen],
                   np.asarray([label_of(i) for i in chosen], np.int32))
           for split, chosen in indices.items()}
  return image_files.prepared(name, files, CLASS_NAMES, size,
                              f"{source} ({how})", notes,
                              on_corrupt=options["on_corrupt"],
                              decoder=options["decoder"])
