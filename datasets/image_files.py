"""The one pipeline of image-file datasets: paths and labels in, images out.

Flowers17 (`flowers17.py`) and any folder of class folders
(`image_folder.py`) only decide which files belong to which split and class;
everything after that is here:

1. The scan. Every file is decoded once, before the pipeline is built, by
   `decode`: the very call the pipeline makes, so a file that passes the
   scan decodes in training, and a file TensorFlow cannot read (a TIFF or
   ICO named .jpg, a truncated JPEG that Pillow would tolerate) is found
   here, named with its reason, and never reaches tf.data as a bare
   TensorFlow error. Pillow only helps to say what a rejected file is.
   Verdicts are cached per file (size, mtime) in
   `$SNT_ZOO_CACHE/<dataset>/scan-<hash of the root>.json`, so later runs
   only stat the files. A bad file is named in a `DatasetError`
   (`on_corrupt="error"`) or dropped, counted and reported
   (`on_corrupt="skip"`).
2. The split pipeline: file names -> parallel read + decode (any format and
   mode TensorFlow reads, to RGB) + resize to the dataset's size -> cache
   (uint8, before augmentation). `_pipeline.finish` then shuffles, batches,
   converts channels, augments and normalises.
"""

import concurrent.futures
import hashlib
import io
import json
import os
import re
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
import tensorflow as tf
from PIL import Image

from . import dataset_info
from . import download
from .errors import DatasetError
from .errors import SplitError

#: File name endings read as images (compared in lower case).
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif")
# Formats tf.io.decode_image reads, as Pillow names them.
_TF_FORMATS = ("JPEG", "MPO", "PNG", "GIF", "BMP", "WEBP")
_SCAN_VERSION = 2
_TF_MESSAGE_NOISE = re.compile(
    r"\{\{function_node [^}]*\}\}\s*|\s*\[Op:\w+\]|\s*\bname:\s*$")

#: (paths, int32 labels) of one split.
SplitFiles = Tuple[Sequence[Path], np.ndarray]


def decode(contents: tf.Tensor) -> tf.Tensor:
  """Decodes an encoded image to uint8 RGB `[H, W, 3]`.

  The one decode call of file datasets, made by the scan (eagerly) and by
  the pipeline (inside tf.data): JPEG (grey, RGB, CMYK), PNG (8 or 16 bit,
  grey, palette, alpha), GIF (the first frame), BMP and WebP, whatever the
  file name says.

  Args:
    contents: scalar string tensor, the file's bytes.

  Returns:
    The uint8 image, 3 channels.
  """
  return tf.io.decode_image(contents, channels=3, expand_animations=False,
                            dtype=tf.uint8)


def _describe_failure(contents: bytes, error: Exception) -> str:
  """Says why TensorFlow rejected a file, naming its real format if known."""
  message = str(error).strip().splitlines()[0] if str(error) else ""
  message = _TF_MESSAGE_NOISE.sub("", message).strip()
  try:
    with Image.open(io.BytesIO(contents)) as image:
      actual = image.format
  except Exception:  # pylint: disable=broad-except
    actual = None  # Pillow cannot read it either.
  if actual is None:
    return f"not a readable image (TensorFlow: {message})"
  if actual not in _TF_FORMATS:
    return (f"{actual} image, which TensorFlow does not decode (it reads "
            "JPEG, PNG, GIF, BMP and WebP); convert it to JPEG or PNG")
  return f"corrupt or truncated {actual} data (TensorFlow: {message})"


def check_image(path: Path) -> Optional[str]:
  """Decodes one file exactly as the pipeline will; returns a problem or None.

  Args:
    path: the image file.

  Returns:
    None when the file decodes, else a short reason.
  """
  path = Path(path)
  if path.is_symlink() and not path.exists():
    return f"broken symbolic link (to {os.readlink(path)})"
  try:
    contents = path.read_bytes()
  except OSError as e:
    return f"cannot read ({e.strerror or e})"
  if not contents:
    return "empty file"
  try:
    image = decode(tf.constant(contents))
  except (tf.errors.OpError, ValueError) as e:
    return _describe_failure(contents, e)
  if min(image.shape[:2]) < 1:
    return "image has no pixels"
  return None


def _scan_cache_path(root: Path, cache_name: str) -> Path:
  key = hashlib.sha1(str(root.resolve()).encode()).hexdigest()[:16]
  return download.cache_dir(cache_name) / f"scan-{key}.json"


def _load_scan_cache(path: Path) -> Dict[str, Any]:
  try:
    cached = json.loads(path.read_text())
    return cached["files"] if cached.get("version") == _SCAN_VERSION else {}
  except (OSError, ValueError, KeyError, TypeError, AttributeError):
    return {}


def _save_scan_cache(path: Path, files: Dict[str, Any]) -> None:
  """Writes the verdicts atomically; a read-only cache is not an error."""
  try:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(f".tmp{os.getpid()}")
    temporary.write_text(json.dumps({"version": _SCAN_VERSION,
                                     "files": files}))
    os.replace(temporary, path)
  except OSError:
    pass


def find_corrupt(paths: Sequence[Path], root: Path,
                 cache_name: str) -> Dict[Path, str]:
  """Returns {path: problem} for the files the pipeline could not decode.

  Verdicts are cached per file (size, mtime) under the dataset's cache
  directory, so only new or changed files are decoded again.

  Args:
    paths: image files, all under `root`.
    root: the dataset's directory (keys the cache; entries are relative).
    cache_name: the cache directory's name, e.g. "flowers17".

  Returns:
    The files that do not decode and what is wrong with each.
  """
  if not paths:
    return {}
  root = Path(root)
  cache_path = _scan_cache_path(root, cache_name)
  cached = _load_scan_cache(cache_path)
  verdicts, keys, to_check = {}, {}, []
  for path in paths:
    key = os.path.relpath(path, root)
    keys[path] = key
    try:
      stat = path.stat()
    except OSError as e:
      verdicts[key] = [None, None, check_image(path) or
                       f"cannot read ({e.strerror or e})"]
      continue
    stamp = [stat.st_size, stat.st_mtime_ns]
    entry = cached.get(key)
    if entry and entry[:2] == stamp:
      verdicts[key] = entry
    else:
      to_check.append((path, key, stamp))
  if to_check:
    with concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 2) as pool:
      problems = pool.map(lambda item: check_image(item[0]), to_check)
      for (_, key, stamp), problem in zip(to_check, problems):
        verdicts[key] = stamp + [problem]
    _save_scan_cache(cache_path, {k: v for k, v in verdicts.items()
                                  if v[0] is not None})
  return {path: verdicts[keys[path]][2] for path in paths
          if verdicts[keys[path]][2]}


def screen(name: str, paths: Sequence[Path], root: Path, on_corrupt: str,
           cache_name: str, fix: str = "Replace or delete them"
           ) -> Tuple[List[Path], List[str]]:
  """Scans files and applies `on_corrupt`.

  Args:
    name: the dataset's name, for messages.
    paths: the image files.
    root: the dataset's directory.
    on_corrupt: "error" (raise, naming the files) or "skip" (drop them).
    cache_name: the scan cache's directory name.
    fix: the first remedy the error message offers.

  Returns:
    (the files that decode, notes on skipped files).

  Raises:
    DatasetError: corrupt files with `on_corrupt="error"`.
  """
  corrupt = find_corrupt(paths, root, cache_name)
  if not corrupt:
    return list(paths), []
  listing = "; ".join(f"{path}: {problem}"
                      for path, problem in list(corrupt.items())[:5])
  more = f" and {len(corrupt) - 5} more" if len(corrupt) > 5 else ""
  if on_corrupt == "error":
    raise DatasetError(
        f"{name}: {len(corrupt)} corrupt image(s): {listing}{more}. {fix}, or "
        "pass on_corrupt='skip' (data.on_corrupt=skip) to train without them.")
  kept = [path for path in paths if path not in corrupt]
  return kept, [f"skipped {len(corrupt)} corrupt image(s): {listing}{more}"]


def resize(image: tf.Tensor, size: Tuple[int, int]) -> tf.Tensor:
  """Resizes one uint8 image [H, W, C] to uint8 [h, w, C] (bilinear).

  The resize of every dataset whose images differ in size, done once
  before caching.
  """
  image = tf.image.resize(image, size, method="bilinear", antialias=False)
  image = tf.cast(tf.clip_by_value(tf.round(image), 0.0, 255.0), tf.uint8)
  return tf.ensure_shape(image, (size[0], size[1], image.shape[-1]))


def _read_and_resize(path: tf.Tensor, label: tf.Tensor,
                     size: Tuple[int, int]):
  """Reads, decodes (any mode to RGB) and resizes one image to uint8."""
  return resize(decode(tf.io.read_file(path)), size), label


def file_dataset(paths: Sequence[Path], labels: np.ndarray,
                 size: Tuple[int, int]) -> tf.data.Dataset:
  """The cached dataset of (uint8 RGB image [h, w, 3], int32 label).

  Args:
    paths: image files that passed the scan.
    labels: their labels, shape [N].
    size: (height, width) to resize to before caching.

  Returns:
    A dataset in file order, decoded in parallel and cached in memory.
  """
  dataset = tf.data.Dataset.from_tensor_slices(
      (tf.constant([str(p) for p in paths], tf.string),
       np.asarray(labels, np.int32)))
  dataset = dataset.map(lambda p, l: _read_and_resize(p, l, size),
                        num_parallel_calls=tf.data.AUTOTUNE)
  return dataset.cache()


def prepared(name: str, files: Dict[str, SplitFiles],
             class_names: Sequence[str], size: Tuple[int, int], source: str,
             notes: Sequence[str] = (),
             empty_fix: str = "Add images to the data directory."
             ) -> dataset_info.Prepared:
  """The `Prepared` of a file dataset whose splits are already chosen.

  Args:
    name: the dataset's name.
    files: split name -> (paths, int labels), files already scanned.
    class_names: one name per label.
    size: (height, width) of the images yielded.
    source: where the files are and how they were split.
    notes: what was reported while listing, scanning and splitting.
    empty_fix: the remedy named when a split asked for has no images.

  Returns:
    A `Prepared` whose splits read and decode the files inside tf.data.
  """
  info = dataset_info.DatasetInfo(
      name=name, class_names=tuple(class_names),
      image_shape=(size[0], size[1], 3),
      num_examples={split: int(len(paths))
                    for split, (paths, _) in files.items()},
      source=source, notes=tuple(notes))

  def make_split(split: str) -> Tuple[tf.data.Dataset, int]:
    dataset_info.check_split(name, split, list(files))
    paths, labels = files[split]
    if not len(paths):
      raise SplitError(f"{name}: the {split!r} split has no images "
                       f"({source}). {empty_fix}")
    return file_dataset(paths, labels, size), len(paths)

  return dataset_info.Prepared(info=info, make_split=make_split)
