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

`export_info.json` records the SHA-256 of every file of the export (under
`FILES_KEY`); `verify` checks them before a runtime loads the model, so a
changed or truncated file is refused in one line instead of crashing the
interpreter or predicting wrongly. The same record marks a directory as
the zoo's own export (`is_own_export`): only such a directory is ever
replaced by `export --overwrite`.
"""

import hashlib
import importlib
import json
import os
import pathlib
from typing import Any, Dict, Optional, Tuple

from zoo.datasets import safe_files

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
#: Key of `export_info.json` mapping each file of the export to its SHA-256.
FILES_KEY = "files"
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


def sha256_of(path: os.PathLike) -> str:
  """The SHA-256 of a file, read in blocks."""
  digest = hashlib.sha256()
  with open(path, "rb") as f:
    for block in iter(lambda: f.read(1 << 20), b""):
      digest.update(block)
  return digest.hexdigest()


def _export_files(directory: pathlib.Path) -> Dict[str, pathlib.Path]:
  """`{relative posix path: path}` of every entry under an export directory.

  Links and other non-files are listed too (by name), so they count as
  something the export did not write.
  """
  found = {}
  for root, directories, files in os.walk(directory):
    for name in files + [d for d in directories
                         if os.path.islink(os.path.join(root, d))]:
      path = pathlib.Path(root, name)
      found[path.relative_to(directory).as_posix()] = path
  found.pop(INFO_FILE, None)
  return found


def file_checksums(directory: os.PathLike) -> Dict[str, str]:
  """`{relative path: SHA-256}` of every file of an export directory."""
  return {name: sha256_of(path) for name, path in
          sorted(_export_files(pathlib.Path(directory)).items())
          if path.is_file() and not path.is_symlink()}


def write_info(directory: os.PathLike, info: Dict[str, Any]) -> None:
  """Writes `export_info.json`, with the checksums of the files written."""
  info = dict(info, **{FILES_KEY: file_checksums(directory)})
  safe_files.write_text(pathlib.Path(directory) / INFO_FILE,
                        json.dumps(info, indent=2, sort_keys=True) + "\n")


def is_own_export(directory: os.PathLike) -> bool:
  """Whether `directory` holds exactly an export the zoo wrote.

  True only when its `export_info.json` lists the files it holds (names and
  nothing more): a folder that merely has a `model.onnx` or an
  `export_info.json`, or an export someone added files to, is not.
  """
  directory = pathlib.Path(directory)
  if not (directory / INFO_FILE).is_file() or (
      directory / INFO_FILE).is_symlink():
    return False
  try:
    recorded = read_export_info(directory).get(FILES_KEY)
  except ExportError:
    return False
  return (isinstance(recorded, dict) and bool(recorded) and
          set(recorded) == set(_export_files(directory)))


def verify(path: os.PathLike) -> Optional[str]:
  """Checks an export's model files against the checksums it records.

  Args:
    path: An export directory or model file (as `find_export` takes).

  Returns:
    None when every file matched; a note when nothing was recorded (an
    export from elsewhere, or a bare model file), which is accepted.

  Raises:
    ExportError: One line naming a file that changed, is missing or is not
      the size recorded.
  """
  found = find_export(path)
  if found is None:
    return None
  family, model_path = found
  directory = model_path if family == SAVEDMODEL else model_path.parent
  recorded = read_export_info(directory).get(FILES_KEY)
  if not isinstance(recorded, dict) or not recorded:
    return (f"Note: {model_path} has no recorded checksum (not written by "
            "snt-zoo export, or an older export); it is used unverified.")
  if family == SAVEDMODEL:
    names = sorted(recorded)
  else:
    names = [model_path.name] if model_path.name in recorded else []
    if not names:
      return (f"Note: {directory / INFO_FILE} records no checksum of "
              f"{model_path.name}; it is used unverified.")
  for name in names:
    file_path = directory / name
    if not file_path.is_file():
      raise ExportError(
          f"{file_path} is missing from the export; export it again with "
          "snt-zoo export RUN_DIR [--format FORMAT] --overwrite.")
    if sha256_of(file_path) != recorded[name]:
      raise ExportError(
          f"{file_path} does not match the SHA-256 recorded in "
          f"{directory / INFO_FILE} (changed, truncated or corrupt); not "
          "loading it. Export it again with snt-zoo export RUN_DIR "
          "[--format FORMAT] --overwrite.")
  return None


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
                      "damaged. Remove its directory and export it again "
                      "(--overwrite replaces only an intact export).") from None
  if not isinstance(info, dict):
    raise ExportError(f"{info_path} does not hold an export description; "
                      "the export is damaged. Remove its directory and "
                      "export it again.")
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
