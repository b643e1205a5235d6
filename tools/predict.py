#!/usr/bin/env python
"""Classifies image files with an exported model or a run directory.

  python tools/predict.py IMAGE... --model EXPORT_OR_RUN_DIR [--top-k 3]

Prints the top-k classes and their probabilities for each image. Images of
any size and mode are accepted (read with Pillow as RGB or grayscale, as the
model needs; resizing happens in the model's preprocessing). A file that is
missing or not an image is reported on stderr and the others are still
classified; the exit status is then 1.
"""

import argparse
import os
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # pylint: disable=g-import-not-at-top,wrong-import-position
from PIL import Image  # pylint: disable=g-import-not-at-top,wrong-import-position
from PIL import UnidentifiedImageError  # pylint: disable=g-import-not-at-top,wrong-import-position
import tensorflow as tf  # pylint: disable=g-import-not-at-top,wrong-import-position

from zoo import serving  # pylint: disable=g-import-not-at-top,wrong-import-position
from zoo.training import run_dir as run_dir_lib  # pylint: disable=g-import-not-at-top,wrong-import-position


class ImageReadError(Exception):
  """An input file could not be read as an image."""


def _parse_args(argv):
  parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
  parser.add_argument("images", nargs="+", help="Image files.")
  parser.add_argument("--model", required=True,
                      help="An export of tools/export.py or a run directory.")
  parser.add_argument("--checkpoint", help="With a run directory: the "
                      "checkpoint to use.")
  parser.add_argument("--top-k", type=int, default=3,
                      help="Classes to show per image (default 3).")
  args = parser.parse_args(argv)
  if args.top_k < 1:
    parser.error("--top-k must be at least 1")
  return args


def read_image(path, channels: int) -> np.ndarray:
  """Reads an image file as uint8 `[H, W, channels]` (L or RGB).

  Raises:
    ImageReadError: Saying why, if the file is missing or not an image.
  """
  path = pathlib.Path(path)
  if not path.exists():
    raise ImageReadError("no such file")
  if path.is_dir():
    raise ImageReadError("is a directory")
  try:
    with Image.open(path) as image:
      image = image.convert("L" if channels == 1 else "RGB")
      array = np.asarray(image, dtype=np.uint8)
  except UnidentifiedImageError:
    raise ImageReadError("not an image file Pillow can read") from None
  except (OSError, ValueError, SyntaxError) as e:
    raise ImageReadError(f"cannot read the image ({e})") from None
  if array.ndim == 2:
    array = array[..., np.newaxis]
  return array


class _Predictor:
  """Wraps an export or a restored run: uint8 batch -> probabilities."""

  def __init__(self, model_path, checkpoint=None):
    path = pathlib.Path(model_path)
    if serving.is_export(path):
      self._export = serving.LoadedExport(path)
      self.channels = self._export.channels
      self.class_names = self._export.class_names()
      self.description = f"export {path}"
      return
    self._export = None
    model, config, ckpt = run_dir_lib.restore_model(path, checkpoint)
    self._model = model
    self.channels = model.channels
    self._image_size = serving.model_image_size(model, config)
    self.class_names = _run_class_names(config, model)
    self.description = f"run {path} ({ckpt})"

  def __call__(self, images: np.ndarray) -> np.ndarray:
    images = tf.constant(images, tf.uint8)
    if self._export is not None:
      return self._export(images)["probabilities"].numpy()
    return serving.predict_probabilities(self._model, images,
                                         self._image_size).numpy()


def _run_class_names(config, model):
  """Class names from the run's dataset; numbers if it cannot be read."""
  try:
    import datasets  # pylint: disable=g-import-not-at-top
    info = datasets.info(config["data"]["name"],
                         **run_dir_lib.dataset_options(config))
    return list(info.class_names)
  except Exception as e:  # pylint: disable=broad-except
    print(f"Warning: class names unavailable ({e}); showing class numbers.",
          file=sys.stderr)
    return [str(i) for i in range(int(model.num_classes))]


def main(argv=None) -> int:
  args = _parse_args(argv)
  try:
    predictor = _Predictor(args.model, args.checkpoint)
  except (FileNotFoundError, ValueError) as e:
    print(f"Error: {e}", file=sys.stderr)
    return 2
  top_k = min(args.top_k, len(predictor.class_names))
  failed = 0
  for name in args.images:
    try:
      image = read_image(name, predictor.channels)
    except ImageReadError as e:
      print(f"Error: {name}: {e}", file=sys.stderr)
      failed += 1
      continue
    probabilities = predictor(image[np.newaxis])[0]
    order = np.argsort(-probabilities, kind="stable")[:top_k]
    print(f"{name}:")
    for rank, index in enumerate(order, 1):
      print(f"  {rank}. {predictor.class_names[index]:<20} "
            f"{probabilities[index]:.4f}")
  if failed:
    print(f"{failed} of {len(args.images)} file(s) could not be read.",
          file=sys.stderr)
    return 1
  return 0


if __name__ == "__main__":
  sys.exit(main())
