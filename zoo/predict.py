"""Classifying image files with an export or a run directory.

    predictor = predict.load_predictor("runs/x/export")   # or a run dir
    predictor = predict.load_predictor("runs/x/export-onnx/model.onnx")
    for result in predict.classify_files(["a.png", "b.jpg"], predictor):
      result.path, result.error or result.top_k   # [(class name, prob), ...]

Images of any size and mode are read with Pillow as RGB or grayscale, as
the model needs; resizing and normalisation happen in `zoo.serving`'s
preprocessing graph, which every export format runs (a SavedModel in
TensorFlow, ONNX in ONNX Runtime, float or int8 TFLite in the TFLite
interpreter; `zoo.runtimes`). A file that is missing or not an image gives
a result with `error` set; the others are still classified.
"""

import dataclasses
import os
import pathlib
import warnings
from typing import Iterable, Iterator, List, Optional, Sequence, Tuple

import numpy as np
from PIL import Image
from PIL import UnidentifiedImageError

from zoo import runtimes
from zoo import serving
from zoo.training.run_dir import RunDir


class ImageReadError(Exception):
  """An input file could not be read as an image."""


def read_image(path: os.PathLike, channels: int) -> np.ndarray:
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
    with warnings.catch_warnings():
      # Between Pillow's two limits an image decodes; only the error counts.
      warnings.simplefilter("ignore", Image.DecompressionBombWarning)
      with Image.open(path) as image:
        image = image.convert("L" if channels == 1 else "RGB")
        array = np.asarray(image, dtype=np.uint8)
  except UnidentifiedImageError:
    raise ImageReadError("not an image file Pillow can read") from None
  except Image.DecompressionBombError as e:
    raise ImageReadError(f"too large to decode safely ({e})") from None
  except (OSError, ValueError, SyntaxError) as e:
    raise ImageReadError(f"cannot read the image ({e})") from None
  if array.ndim == 2:
    array = array[..., np.newaxis]
  return array


class Predictor:
  """uint8 images of any size -> class probabilities, from an export or run."""

  def __init__(self, channels: int, class_names: Sequence[str],
               description: str, probabilities_fn):
    self.channels = int(channels)
    self.class_names = [str(c) for c in class_names]
    self.description = description
    self._probabilities = probabilities_fn

  def __call__(self, images: np.ndarray) -> np.ndarray:
    """`[B, H, W, C]` uint8 -> `[B, K]` probabilities."""
    return np.asarray(self._probabilities(images))


def load_predictor(model_path: os.PathLike,
                   checkpoint: Optional[os.PathLike] = None) -> Predictor:
  """A predictor for an export of any format or a run directory.

  Args:
    model_path: A SavedModel export, an ONNX or TFLite export (its
      directory or its `.onnx` / `.tflite` file) or a run directory.
    checkpoint: With a run directory: the checkpoint to use.
  """
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  path = pathlib.Path(model_path)
  if runtimes.is_export(path):
    export = runtimes.load_export(path)
    return Predictor(export.channels, export.class_names,
                     f"{export.format} export {path}", export.probabilities)
  run = RunDir(path)
  model, ckpt = run.restore_model(checkpoint)
  image_size = run.image_size
  return Predictor(
      model.channels, run.class_names, f"run {path} ({ckpt})",
      lambda images: serving.predict_probabilities(
          model, tf.constant(images, tf.uint8), image_size).numpy())


@dataclasses.dataclass(frozen=True)
class Prediction:
  """The top classes of one file, or why it could not be read."""
  path: str
  top_k: Tuple[Tuple[str, float], ...] = ()
  error: Optional[str] = None


def classify_files(paths: Iterable[os.PathLike], predictor: Predictor,
                   top_k: int = 3) -> Iterator[Prediction]:
  """Classifies each file in turn; unreadable files yield an error result."""
  top_k = min(top_k, len(predictor.class_names))
  for path in paths:
    try:
      image = read_image(path, predictor.channels)
    except ImageReadError as e:
      yield Prediction(str(path), error=str(e))
      continue
    probabilities = predictor(image[np.newaxis])[0]
    order = np.argsort(-probabilities, kind="stable")[:top_k]
    yield Prediction(str(path), tuple(
        (predictor.class_names[i], float(probabilities[i])) for i in order))


def format_prediction(prediction: Prediction) -> List[str]:
  """Lines for one prediction, as `snt-zoo predict` prints them."""
  lines = [f"{prediction.path}:"]
  for rank, (name, probability) in enumerate(prediction.top_k, 1):
    lines.append(f"  {rank}. {name:<20} {probability:.4f}")
  return lines
