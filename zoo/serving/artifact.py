"""What an export is on disk: formats, file names, its description.

TensorFlow-free: reading an export's description, finding the model file of
an export of any format and checking that a format's optional dependencies
are installed never start TensorFlow.

Every format is a directory holding the model and `export_info.json`:

    savedmodel    saved_model.pb, variables/     (TensorFlow, Keras TFSMLayer)
    onnx          model.onnx                     (tf2onnx; ONNX Runtime)
    tflite        model.tflite                   (tf.lite.TFLiteConverter)
    tflite-int8   model.tflite                   (post-training int8)

A bare `.onnx` or `.tflite` file is an export too: its description is
embedded in the file itself (under `METADATA_KEY`).
"""

import importlib
import json
import os
import pathlib
from typing import Any, Dict, Optional, Tuple

SAVEDMODEL = "savedmodel"
ONNX = "onnx"
TFLITE = "tflite"
TFLITE_INT8 = "tflite-int8"
FORMATS = (SAVEDMODEL, ONNX, TFLITE, TFLITE_INT8)
#: The model file inside an export directory, per format.
MODEL_FILES = {SAVEDMODEL: "saved_model.pb", ONNX: "model.onnx",
               TFLITE: "model.tflite", TFLITE_INT8: "model.tflite"}
#: The description written next to the model file.
INFO_FILE = "export_info.json"
#: Key of the description embedded in ONNX and TFLite files.
METADATA_KEY = "snt_zoo"
SIGNATURE_KEY = "serving_default"
INPUT_NAME = "images"


class ExportError(ValueError):
  """An export cannot be written or read as asked."""


def check_format(export_format: str) -> None:
  """Raises ExportError naming the valid formats if `export_format` is not."""
  if export_format not in FORMATS:
    raise ExportError(
        f"Unknown export format {export_format!r}; choose one of "
        f"{', '.join(FORMATS)}.")


def require(module_name: str, purpose: str):
  """Imports an optional dependency of the `export` extra.

  Raises:
    ExportError: One line naming the package and the install command.
  """
  try:
    return importlib.import_module(module_name)
  except ImportError:
    from zoo import install  # pylint: disable=g-import-not-at-top
    raise ExportError(
        f"{purpose} needs {module_name}, which is not installed; run "
        f"{install.pip_install('export')}.") from None


def check_dependencies(export_format: str) -> None:
  """Fails early (before any model is built) if the format cannot be written."""
  check_format(export_format)
  if export_format == ONNX:
    require("tf2onnx", "Exporting to ONNX")


def is_saved_model(path: os.PathLike) -> bool:
  """Whether `path` is a SavedModel directory."""
  return (pathlib.Path(path) / MODEL_FILES[SAVEDMODEL]).is_file()


def find_export(path: os.PathLike) -> Optional[Tuple[str, pathlib.Path]]:
  """`(format family, model path)` of an export directory or file, or None.

  A `saved_model.pb` stands for its folder. The family is "savedmodel" (the
  path is the directory), "onnx" or
  "tflite" (the path is the model file; float and int8 TFLite models are
  told apart by their description).
  """
  path = pathlib.Path(path)
  if path.name == MODEL_FILES[SAVEDMODEL] and path.is_file():
    path = path.parent  # A SavedModel is its folder.
  if path.is_dir():
    if is_saved_model(path):
      return SAVEDMODEL, path
    for family in (ONNX, TFLITE):
      model_file = path / MODEL_FILES[family]
      if model_file.is_file():
        return family, model_file
    return None
  if path.is_file() and path.suffix in (".onnx", ".tflite"):
    return path.suffix[1:], path
  return None


def is_export(path: os.PathLike) -> bool:
  """Whether `path` is an export of any format (directory or model file)."""
  return find_export(path) is not None


def write_info(directory: os.PathLike, info: Dict[str, Any]) -> None:
  """Writes `export_info.json` into an export directory."""
  (pathlib.Path(directory) / INFO_FILE).write_text(
      json.dumps(info, indent=2, sort_keys=True) + "\n")


def read_export_info(path: os.PathLike) -> Dict[str, Any]:
  """The `export_info.json` of an export directory ({} if absent).

  Raises:
    ExportError: If the file exists but is not a readable description.
  """
  info_path = pathlib.Path(path) / INFO_FILE
  if not info_path.is_file():
    return {}
  try:
    info = json.loads(info_path.read_text())
  except (OSError, ValueError) as e:
    raise ExportError(f"{info_path} cannot be read ({e}); the export is "
                      "damaged. Export it again with --overwrite.") from None
  if not isinstance(info, dict):
    raise ExportError(f"{info_path} does not hold an export description; "
                      "the export is damaged. Export it again with "
                      "--overwrite.")
  return info


def describe(info: Dict[str, Any], output: os.PathLike) -> str:
  """Lines saying what an export holds and what its signature takes."""
  height, width = info["image_size"]
  export_format = info.get("format", SAVEDMODEL)
  classes = len(info["class_names"])
  if info.get("dynamic_shape") is False:  # A TFLite file for mobile tools.
    signature = (f"  input images uint8 [1, {height}, {width}, "
                 f"{info['channels']}] -> probabilities [1, {classes}]; "
                 f"{info['normalization']} normalization inside; standard "
                 "TFLite metadata with labels.txt")
  else:
    signature = (f"  input images uint8 [B, H, W, C] -> probabilities "
                 f"[B, {classes}], classes [B]; resized to "
                 f"{height}x{width}, {info['channels']} channel(s), "
                 f"{info['normalization']} normalization")
  lines = [
      f"Exported {info.get('model', 'a model')} "
      f"({info.get('checkpoint', 'no checkpoint recorded')}) as "
      f"{export_format} to {output}", signature]
  fit = info.get("calibration")
  if fit:
    optimistic = (" (optimistic: fitted and measured on the same split)"
                  if fit.get("optimistic") else "")
    lines.append(
        f"  temperature {fit['temperature']:.4f} fitted on "
        f"{fit['split']} ({fit['examples']} examples): expected calibration "
        f"error {fit['ece_before']:.4f} -> {fit['ece_after']:.4f}, "
        f"negative log-likelihood {fit['nll_before']:.4f} -> "
        f"{fit['nll_after']:.4f}{optimistic}")
  return "\n".join(lines)
