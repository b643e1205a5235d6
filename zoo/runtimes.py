"""Running an export of any format: TensorFlow, ONNX Runtime or TFLite.

    runtime = runtimes.load_export("runs/x/export-onnx")   # or .../model.onnx
    runtime.probabilities(uint8_images)                    # [B, K] float32
    runtime.class_names, runtime.image_size, runtime.channels, runtime.format

`load_export` takes an export directory of `zoo.export_formats` (SavedModel,
or a directory holding `model.onnx` / `model.tflite`) or a bare `.onnx` /
`.tflite` file, whose description is embedded in the file itself. Every
runtime takes the same uint8 `[B, H, W, C]` images and runs the same
preprocessing graph, so their probabilities agree (see
`zoo.format_comparison`).
"""

import json
import os
import pathlib
import warnings
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from zoo import export_formats
from zoo import serving


class ExportRuntime:
  """An export loaded for inference; subclasses run one format."""

  format = ""

  def __init__(self, path: pathlib.Path, info: Dict[str, Any]):
    self.path = path
    self.info = dict(info)

  @property
  def class_names(self) -> List[str]:
    return [str(c) for c in self.info["class_names"]]

  @property
  def channels(self) -> int:
    return int(self.info.get("channels", 3))

  @property
  def image_size(self) -> Tuple[int, int]:
    return tuple(int(s) for s in self.info["image_size"])

  def probabilities(self, images: np.ndarray) -> np.ndarray:
    """uint8 `[B, H, W, C]` -> float32 `[B, K]`."""
    raise NotImplementedError

  def __repr__(self) -> str:
    return f"{type(self).__name__}({str(self.path)!r})"


class SavedModelRuntime(ExportRuntime):
  """A SavedModel export, run by TensorFlow."""

  format = export_formats.SAVEDMODEL

  def __init__(self, path: pathlib.Path):
    try:
      self._export = serving.LoadedExport(path)
    except Exception as e:  # pylint: disable=broad-except
      raise unreadable(path, "SavedModel", e) from None
    super().__init__(path, dict(self._export.info,
                                class_names=self._export.class_names()))

  def probabilities(self, images: np.ndarray) -> np.ndarray:
    return self._export(images)["probabilities"].numpy()


class OnnxRuntime(ExportRuntime):
  """An ONNX export, run by ONNX Runtime on the CPU."""

  format = export_formats.ONNX

  def __init__(self, path: pathlib.Path, info: Dict[str, Any]):
    onnxruntime = export_formats.require("onnxruntime",
                                         "Running an ONNX model")
    try:
      self._session = onnxruntime.InferenceSession(
          str(path), providers=["CPUExecutionProvider"])
      embedded = self._session.get_modelmeta().custom_metadata_map.get(
          export_formats.METADATA_KEY)
      info = json.loads(embedded) if embedded else info
    except Exception as e:  # pylint: disable=broad-except
      raise unreadable(path, "ONNX model", e) from None
    super().__init__(path, info)

  def probabilities(self, images: np.ndarray) -> np.ndarray:
    (probabilities,) = self._session.run(
        ["probabilities"],
        {serving.INPUT_NAME: np.ascontiguousarray(images, np.uint8)})
    return probabilities


class TFLiteRuntime(ExportRuntime):
  """A TensorFlow Lite export (float or int8), run by the TFLite interpreter."""

  def __init__(self, path: pathlib.Path, info: Dict[str, Any]):
    import tensorflow as tf  # pylint: disable=g-import-not-at-top
    try:
      with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tf.lite.Interpreter's deprecation.
        interpreter = tf.lite.Interpreter(model_path=str(path))
      self._runner = interpreter.get_signature_runner()
      info = export_formats.read_tflite_info(path) or info
    except Exception as e:  # pylint: disable=broad-except
      raise unreadable(path, "TensorFlow Lite model", e) from None
    super().__init__(path, info)
    self.format = self.info.get("format", export_formats.TFLITE)

  def probabilities(self, images: np.ndarray) -> np.ndarray:
    outputs = self._runner(
        **{serving.INPUT_NAME: np.ascontiguousarray(images, np.uint8)})
    return outputs["probabilities"]


def unreadable(path: os.PathLike, what: str,
               error: Exception) -> serving.ExportError:
  """The one-line error for an export file that cannot be loaded."""
  reason = str(error).strip().splitlines()[0] if str(error).strip() else ""
  reason = reason or type(error).__name__
  return serving.ExportError(
      f"{path} is not a readable {what} ({reason}); the file may be "
      "truncated or corrupt. Export it again with snt-zoo export RUN_DIR "
      "[--format FORMAT] --overwrite.")


def find_export(path: os.PathLike) -> Optional[Tuple[str, pathlib.Path]]:
  """`(format family, model file)` of an export directory or file, or None.

  The family is "savedmodel", "onnx" or "tflite" (float and int8 TFLite
  models are told apart by their description once loaded).
  """
  path = pathlib.Path(path)
  if path.is_dir():
    if serving.is_export(path):
      return export_formats.SAVEDMODEL, path
    for family in (export_formats.ONNX, export_formats.TFLITE):
      model_file = path / export_formats.MODEL_FILES[family]
      if model_file.is_file():
        return family, model_file
    return None
  if path.is_file() and path.suffix in (".onnx", ".tflite"):
    return path.suffix[1:], path
  return None


def is_export(path: os.PathLike) -> bool:
  """Whether `path` is an export of any format."""
  return find_export(path) is not None


def load_export(path: os.PathLike) -> ExportRuntime:
  """Loads an export of any format for inference.

  Raises:
    FileNotFoundError: If `path` is no export, saying how to make one.
    ExportError: If the format's runtime is not installed.
  """
  found = find_export(path)
  if found is None:
    raise FileNotFoundError(
        f"{path} is not an export (a SavedModel directory, or a .onnx or "
        ".tflite model or a directory holding one). Create one with "
        "snt-zoo export RUN_DIR [--format FORMAT].")
  family, model_file = found
  if family == export_formats.SAVEDMODEL:
    return SavedModelRuntime(model_file)
  info = serving.read_export_info(model_file.parent)
  if family == export_formats.ONNX:
    return OnnxRuntime(model_file, info)
  return TFLiteRuntime(model_file, info)
