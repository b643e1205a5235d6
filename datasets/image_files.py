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
   Verdicts are cached per file (size, mtime, ctime) in
   `$SNT_ZOO_CACHE/<dataset>/scan-<hash of the root>.json`, so later runs
   only stat the files. A bad file is named in a `DatasetError`
   (`on_corrupt="error"`) or dropped, counted and reported
   (`on_corrupt="skip"`).
2. The split pipeline: file names -> parallel read + decode (any format and
   mode TensorFlow reads, to RGB) + resize to the dataset's size -> cache
   (uint8, before augmentation). `_pipeline.finish` then shuffles, batches,
   converts channels, augments and normalises.

With `decoder="pillow"` the scan decodes with Pillow (`image_decode`, like
TensorFlow: the same files pass; its verdicts cached apart from
TensorFlow's) and the split's arrays (`Dataset.arrays`, `read_files`) are
read the same way, resized in NumPy exactly as `resize` does: nothing
imports TensorFlow. TensorFlow is imported by the
functions that use it, not by importing this module.
"""

import concurrent.futures
import contextlib
import hashlib
import io
import json
import os
import re
import stat as stat_lib
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
from PIL import Image

from . import arrays
from . import dataset_info
from . import download
from . import image_decode
from . import safe_files
from .errors import DatasetError
from .errors import SplitError

#: File name endings read as images (compared in lower case).
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif")
_SCAN_VERSION = 3
#: The largest image file read (a bound on memory, not a format limit).
MAX_IMAGE_BYTES = 64 << 20
_TF_MESSAGE_NOISE = re.compile(
    r"\{\{function_node [^}]*\}\}\s*|\s*\[Op:\w+\]|\s*\bname:\s*$")

#: (paths, int32 labels) of one split.
SplitFiles = Tuple[Sequence[Path], np.ndarray]


def decode(contents):
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
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
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
  if actual not in image_decode.TENSORFLOW_FORMATS:
    return image_decode.unsupported_format(actual)
  return f"corrupt or truncated {actual} data (TensorFlow: {message})"


class _NotAnImage(Exception):
  """A path that is not a regular file of an image's size."""


def read_bounded(path: Path, limit: Optional[int] = None) -> bytes:
  """Reads a regular file of at most `limit` bytes (`MAX_IMAGE_BYTES`).

  Opened without blocking and checked before reading, so a FIFO or device
  given an image's name is never waited on.

  Raises:
    _NotAnImage: Not a regular file, or larger than `limit`.
    OSError: It cannot be opened or read.
  """
  limit = MAX_IMAGE_BYTES if limit is None else limit
  descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
  with os.fdopen(descriptor, "rb") as f:
    status = os.fstat(f.fileno())
    if not stat_lib.S_ISREG(status.st_mode):
      raise _NotAnImage("not a regular file (a FIFO, device or socket); "
                        "not read")
    if status.st_size > limit:
      raise _NotAnImage(f"{status.st_size} bytes, larger than any image "
                        f"read ({limit} bytes)")
    contents = f.read(limit + 1)
  if len(contents) > limit:
    raise _NotAnImage(f"larger than any image read ({limit} bytes)")
  return contents


def check_image(path: Path, decoder: str = "tensorflow") -> Optional[str]:
  """Decodes one file exactly as the pipeline will; returns a problem or None.

  Args:
    path: the image file.
    decoder: "tensorflow" (`decode`, what tf.data runs) or "pillow"
      (`image_decode`, what `Dataset.arrays` runs).

  Returns:
    None when the file decodes, else a short reason.
  """
  path = Path(path)
  if path.is_symlink() and not path.exists():
    return f"broken symbolic link (to {os.readlink(path)})"
  try:
    contents = read_bounded(path)
  except _NotAnImage as e:
    return str(e)
  except OSError as e:
    return f"cannot read ({e.strerror or e})"
  if not contents:
    return "empty file"
  if decoder == "pillow":
    try:
      image_decode.decode(io.BytesIO(contents), like_tensorflow=True)
    except image_decode.ImageReadError as e:
      return str(e)
    return None
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  try:
    image = decode(tf.constant(contents))
  except (tf.errors.OpError, ValueError) as e:
    return _describe_failure(contents, e)
  if min(image.shape[:2]) < 1:
    return "image has no pixels"
  return None


def _scan_cache_path(root: Path, cache_name: str,
                     decoder: str = "tensorflow") -> Path:
  key = hashlib.sha1(str(root.resolve()).encode()).hexdigest()[:16]
  suffix = "" if decoder == "tensorflow" else f"-{decoder}"
  return download.cache_dir(cache_name) / f"scan-{key}{suffix}.json"


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
    safe_files.write_text(path, json.dumps({"version": _SCAN_VERSION,
                                            "files": files}))
  except OSError:
    pass


def find_corrupt(paths: Sequence[Path], root: Path,
                 cache_name: str, decoder: str = "tensorflow"
                 ) -> Dict[Path, str]:
  """Returns {path: problem} for the files the pipeline could not decode.

  Verdicts are cached per file (size, mtime) under the dataset's cache
  directory, so only new or changed files are decoded again.

  Args:
    paths: image files, all under `root`.
    root: the dataset's directory (keys the cache; entries are relative).
    cache_name: the cache directory's name, e.g. "flowers17".
    decoder: "tensorflow" or "pillow" (`check_image`); each keeps its own
      verdicts.

  Returns:
    The files that do not decode and what is wrong with each.
  """
  if not paths:
    return {}
  root = Path(root)
  cache_path = _scan_cache_path(root, cache_name, decoder)
  cached = _load_scan_cache(cache_path)
  verdicts, keys, to_check = {}, {}, []
  for path in paths:
    key = os.path.relpath(path, root)
    keys[path] = key
    try:
      stat = path.stat()
    except OSError as e:
      verdicts[key] = [None, None, None, check_image(path, decoder) or
                       f"cannot read ({e.strerror or e})"]
      continue
    # The change time too: a file rewritten and given back its size and
    # modification time still gets a new one.
    stamp = [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns]
    entry = cached.get(key)
    if entry and entry[:3] == stamp:
      verdicts[key] = entry
    else:
      to_check.append((path, key, stamp))
  if to_check:
    with concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 2) as pool:
      problems = pool.map(lambda item: check_image(item[0], decoder),
                          to_check)
      for (_, key, stamp), problem in zip(to_check, problems):
        verdicts[key] = stamp + [problem]
    _save_scan_cache(cache_path, {k: v for k, v in verdicts.items()
                                  if v[0] is not None})
  return {path: verdicts[keys[path]][3] for path in paths
          if verdicts[keys[path]][3]}


def screen(name: str, paths: Sequence[Path], root: Path, on_corrupt: str,
           cache_name: str, fix: str = "Replace or delete them",
           decoder: str = "tensorflow") -> Tuple[List[Path], List[str]]:
  """Scans files and applies `on_corrupt`.

  Args:
    name: the dataset's name, for messages.
    paths: the image files.
    root: the dataset's directory.
    on_corrupt: "error" (raise, naming the files) or "skip" (drop them).
    cache_name: the scan cache's directory name.
    fix: the first remedy the error message offers.
    decoder: "tensorflow" or "pillow" (`check_image`).

  Returns:
    (the files that decode, notes on skipped files).

  Raises:
    DatasetError: corrupt files with `on_corrupt="error"`.
  """
  corrupt = find_corrupt(paths, root, cache_name, decoder)
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


def resize(image, size: Tuple[int, int]):
  """Resizes one uint8 image [H, W, C] to uint8 [h, w, C] (bilinear).

  The resize of every dataset whose images differ in size, done once
  before caching (`arrays.resize_bilinear` + `arrays.to_uint8` in NumPy).
  """
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  image = tf.image.resize(image, size, method="bilinear", antialias=False)
  image = tf.cast(tf.clip_by_value(tf.round(image), 0.0, 255.0), tf.uint8)
  return tf.ensure_shape(image, (size[0], size[1], image.shape[-1]))


def _read_and_resize(path, label, size: Tuple[int, int]):
  """Reads, decodes (any mode to RGB) and resizes one image to uint8."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  return resize(decode(tf.io.read_file(path)), size), label


#: Begins the message of a file that failed to decode inside tf.data.
DECODE_FAILURE = "snt-zoo image decode failure: "


def file_dataset(paths: Sequence[Path], labels: np.ndarray,
                 size: Tuple[int, int], on_corrupt: str = "error"):
  """The cached dataset of (uint8 RGB image [h, w, 3], int32 label).

  A file that passed the scan but fails to decode here (it changed since)
  is caught per element: the element is dropped, and the gap it leaves in
  the file order names the file. With `on_corrupt="skip"` it is left out
  and named on stderr; with "error" iteration fails with an error
  beginning `DECODE_FAILURE` and naming it (`undecodable_file` turns
  that into one line).

  Args:
    paths: image files that passed the scan.
    labels: their labels, shape [N].
    size: (height, width) to resize to before caching.
    on_corrupt: "error" or "skip", as for the scan.

  Returns:
    A dataset in file order, decoded in parallel and cached in memory.
  """
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  count = len(paths)
  # One extra element after the files, never decoded: a gap left by the
  # last file shows against it.
  names = tf.constant([str(p) for p in paths] + [""], tf.string)
  dataset = tf.data.Dataset.from_tensor_slices(
      (tf.range(count + 1, dtype=tf.int64), names,
       np.append(np.asarray(labels, np.int32), np.int32(-1))))
  blank = tf.zeros([size[0], size[1], 3], tf.uint8)

  def load(index, path, label):
    image = tf.cond(index < count,
                    lambda: _read_and_resize(path, label, size)[0],
                    lambda: blank)
    return index, image, label

  def check(expected, element):
    index = element[0]
    missing = tf.strings.reduce_join(
        tf.gather(names, tf.range(expected, index)), separator=", ")
    if on_corrupt == "skip":
      report = tf.cond(
          index > expected,
          lambda: tf.print("Skipped image(s) that no longer decode:", missing,
                           output_stream=sys.stderr),
          tf.no_op)
    else:
      report = tf.debugging.Assert(
          tf.equal(index, expected),
          [DECODE_FAILURE, missing], summarize=1)
    with tf.control_dependencies([report]):
      return index + 1, tf.nest.map_structure(tf.identity, element)

  dataset = dataset.map(load, num_parallel_calls=tf.data.AUTOTUNE)
  dataset = dataset.ignore_errors()
  dataset = dataset.scan(tf.constant(0, tf.int64), check)
  dataset = dataset.filter(lambda index, image, label: index < count)
  dataset = dataset.map(lambda index, image, label: (image, label))
  return dataset.cache()


@contextlib.contextmanager
def decode_failures_named():
  """Turns a `file_dataset` decode failure met while iterating into one line.

  Raises:
    DatasetError: Naming the file (any other error passes unchanged).
  """
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  try:
    yield
  except tf.errors.InvalidArgumentError as e:
    line = undecodable_file(e)
    if line is None:
      raise
    raise DatasetError(line) from None


def undecodable_file(error: Exception) -> Optional[str]:
  """The one line for a `file_dataset` decode failure (None: another error).

  Args:
    error: What iterating a dataset raised.
  """
  message = str(getattr(error, "message", None) or error)
  if DECODE_FAILURE not in message:
    return None
  rest = message.split(DECODE_FAILURE, 1)[1]
  files = rest.splitlines()[0].strip(" []'\"") if rest.strip() else "?"
  return _no_longer_decodes(files)


def _no_longer_decodes(files: str) -> str:
  """The one line for files that passed the scan but fail when read."""
  return (f"{files} passed the scan but did not decode when read (it "
          "changed since it was scanned, or cannot be read now); replace or "
          "delete it, or set data.on_corrupt=skip to go on without it.")


def read_files(paths: Sequence[Path], labels: np.ndarray,
               size: Tuple[int, int], on_corrupt: str = "error",
               decoder: str = "pillow") -> Tuple[np.ndarray, np.ndarray]:
  """`file_dataset`'s elements as NumPy arrays, in file order.

  Decodes (to RGB) in threads with `decoder` ("pillow": `image_decode`
  like TensorFlow, no TensorFlow imported; "tensorflow": `decode`) and
  resizes each image as `resize` does. A file that no longer decodes is
  named in a `DatasetError` (`on_corrupt="error"`) or left out and named
  on stderr ("skip").

  Returns:
    (uint8 images [n, h, w, 3], int32 labels [n]).
  """
  # What a file that no longer decodes raises (anything else propagates).
  unreadable = (image_decode.ImageReadError, _NotAnImage, OSError, ValueError)
  if decoder == "tensorflow":
    import tensorflow as tf  # pylint: disable=g-import-not-at-top
    unreadable += (tf.errors.OpError,)

  def load(path):
    try:
      contents = read_bounded(Path(path))
      if decoder == "tensorflow":
        image = decode(tf.constant(contents)).numpy()
      else:
        image = image_decode.decode(io.BytesIO(contents),
                                    like_tensorflow=True)
    except unreadable:
      return None  # Named below, as the pipeline names it.
    return arrays.resize_bilinear(image, size, rounded=True)

  with concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 2) as pool:
    images = list(pool.map(load, paths))
  failed = [str(path) for path, image in zip(paths, images) if image is None]
  listed = ", ".join(failed[:5]) + (
      f" and {len(failed) - 5} more" if len(failed) > 5 else "")
  if failed and on_corrupt != "skip":
    raise DatasetError(_no_longer_decodes(listed))
  if failed:
    print(f"Skipped {len(failed)} image(s) that no longer decode: {listed}",
          file=sys.stderr)
  kept = [i for i, image in enumerate(images) if image is not None]
  stacked = (np.stack([images[i] for i in kept]) if kept else
             np.zeros([0, size[0], size[1], 3], np.uint8))
  return stacked, np.asarray(labels, np.int32)[kept]


def prepared(name: str, files: Dict[str, SplitFiles],
             class_names: Sequence[str], size: Tuple[int, int], source: str,
             notes: Sequence[str] = (),
             empty_fix: str = "Add images to the data directory.",
             on_corrupt: str = "error",
             decoder: str = "tensorflow") -> dataset_info.Prepared:
  """The `Prepared` of a file dataset whose splits are already chosen.

  Args:
    name: the dataset's name.
    files: split name -> (paths, int labels), files already scanned.
    class_names: one name per label.
    size: (height, width) of the images yielded.
    source: where the files are and how they were split.
    notes: what was reported while listing, scanning and splitting.
    empty_fix: the remedy named when a split asked for has no images.
    on_corrupt: what a file that no longer decodes does in the pipeline.
    decoder: what `split_arrays` decodes with (`read_files`).

  Returns:
    A `Prepared` whose splits read and decode the files inside tf.data
    (`make_split`) or into arrays (`split_arrays`).
  """
  info = dataset_info.DatasetInfo(
      name=name, class_names=tuple(class_names),
      image_shape=(size[0], size[1], 3),
      num_examples={split: int(len(paths))
                    for split, (paths, _) in files.items()},
      source=source, notes=tuple(notes))

  def split_files(split: str) -> SplitFiles:
    dataset_info.check_split(name, split, list(files))
    paths, labels = files[split]
    if not len(paths):
      raise SplitError(f"{name}: the {split!r} split has no images "
                       f"({source}). {empty_fix}")
    return paths, labels

  def make_split(split: str):
    paths, labels = split_files(split)
    return file_dataset(paths, labels, size, on_corrupt), len(paths)

  def split_arrays(split: str) -> dataset_info.SplitArrays:
    paths, labels = split_files(split)
    return dataset_info.SplitArrays(
        len(paths), lambda start, stop: read_files(
            paths[start:stop], labels[start:stop], size, on_corrupt,
            decoder))

  return dataset_info.Prepared(info=info, make_split=make_split,
                               split_arrays=split_arrays)
