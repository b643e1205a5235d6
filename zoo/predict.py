"""Classifying image files with an export or a run directory.

    runtime = run_serving.load("runs/x/export")   # or a run dir, a .onnx file
    for result in predict.classify_files(["a.png", "b.jpg"], runtime):
      result.path, result.error or result.top_k   # [(class name, prob), ...]

Images of any size and mode are read with Pillow as RGB or grayscale, as
the model needs; resizing and normalisation happen in the serving graph
(`zoo.serving.graph`), which every runtime runs (a SavedModel in
TensorFlow, ONNX in ONNX Runtime, float or int8 TFLite in the TFLite
interpreter, a run's restored model; `zoo.serving.runtimes`). A file that is
missing or not an image gives a result with `error` set; the others are
still classified.
"""

import dataclasses
import os
import pathlib
from typing import (BinaryIO, Iterable, Iterator, List, Optional, Sequence,
                    Tuple, Union)

import numpy as np

from zoo.datasets import image_decode
from zoo.serving import runtimes


#: An input file could not be read as an image (`datasets.image_decode`).
ImageReadError = image_decode.ImageReadError


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
  if not path.is_file():
    raise ImageReadError("not a regular file (a FIFO, device or socket); "
                         "not read")
  return decode_image(path, channels)


def decode_image(source: Union[os.PathLike, BinaryIO], channels: int,
                 max_pixels: Optional[int] = None) -> np.ndarray:
  """Decodes an image (a path or a binary file object) as uint8
  `[H, W, channels]`: `zoo.datasets.image_decode.decode`.

  Raises:
    ImageReadError: Saying why, if the data is not an image, is truncated
      or is too large.
  """
  return image_decode.decode(source, channels, max_pixels)


@dataclasses.dataclass(frozen=True)
class Prediction:
  """The top classes of one file, or why it could not be read."""
  path: str
  top_k: Tuple[Tuple[str, float], ...] = ()
  error: Optional[str] = None


def top_classes(probabilities: np.ndarray, class_names: Sequence[str],
                top_k: int) -> Tuple[Tuple[str, float], ...]:
  """The `top_k` `(class name, probability)` pairs of one row, best first."""
  probabilities = np.asarray(probabilities)
  order = np.argsort(-probabilities, kind="stable")[:min(top_k,
                                                         len(class_names))]
  return tuple((str(class_names[i]), float(probabilities[i])) for i in order)


def classify_files(paths: Iterable[os.PathLike], runtime: runtimes.Runtime,
                   top_k: int = 3) -> Iterator[Prediction]:
  """Classifies each file in turn; unreadable files yield an error result.

  Args:
    paths: Image files.
    runtime: Any runtime (`zoo.run_serving.load`).
    top_k: Classes per file.
  """
  class_names = runtime.class_names
  for path in paths:
    try:
      image = read_image(path, runtime.channels)
    except ImageReadError as e:
      yield Prediction(str(path), error=str(e))
      continue
    probabilities = runtime.probabilities(image[np.newaxis])[0]
    yield Prediction(str(path), top_classes(probabilities, class_names, top_k))


def format_prediction(prediction: Prediction) -> List[str]:
  """Lines for one prediction, as `snt-zoo predict` prints them."""
  lines = [f"{prediction.path}:"]
  for rank, (name, probability) in enumerate(prediction.top_k, 1):
    lines.append(f"  {rank}. {name:<20} {probability:.4f}")
  return lines
