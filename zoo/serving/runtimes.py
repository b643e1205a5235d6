"""One interface for every model you can run: `Runtime`.

    runtime = runtimes.load_export("runs/x/export-onnx")   # or .../model.onnx
    runtime.probabilities(uint8_images)                    # [B, K] float32
    runtime.class_names, runtime.image_size, runtime.channels, runtime.format

A runtime takes uint8 `[B, H, W, C]` images of any size (the serving graph
resizes, converts channels and normalises them) and gives class
probabilities. `logits` takes the float batches a data pipeline yields
(`data_normalization`) and gives float64 logits (log-probabilities for an
export), which is what evaluation and calibration consume. The export
runtimes here run a SavedModel in TensorFlow, ONNX in ONNX Runtime and
float or int8 TFLite in LiteRT (`ai_edge_litert`, else TensorFlow's
`tf.lite`); only the SavedModel starts TensorFlow. `zoo.run_serving.RunRuntime`
runs a training run's restored model behind the same interface, and
`zoo.run_serving.load` loads any of them from a path.
"""

import json
import os
import pathlib
import warnings
from typing import Any, Dict, List, Tuple

import numpy as np

from zoo import startup
from zoo.serving import artifact
from zoo.serving.artifact import ExportError


class UnverifiedModelWarning(UserWarning):
  """A model file was loaded without a recorded checksum to check it by."""


def to_uint8(images) -> np.ndarray:
  """Float images in [0, 1] -> the uint8 pixels a runtime takes (rounded)."""
  images = np.asarray(images, np.float32)
  return np.round(np.clip(images * 255.0, 0.0, 255.0)).astype(np.uint8)


class Runtime:
  """A model loaded for inference: uint8 images -> class probabilities.

  Attributes:
    path: What was loaded.
    info: The export's (or run's) description: `class_names`, `image_size`,
      `channels`, `normalization`, and the run `config` when known.
    format: "savedmodel", "onnx", "tflite", "tflite-int8" or "run".
    kind: "export", "run_dir" or "checkpoint".
    data_normalization: The range of the float batches `logits` takes.
  """

  format = ""
  kind = "export"
  data_normalization = "unit"
  #: Set by `load_export` when the model files could not be verified.
  note = None

  def __init__(self, path: os.PathLike, info: Dict[str, Any]):
    self.path = pathlib.Path(path)
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

  @property
  def normalization(self) -> str:
    """The model's own input range ("unit" or "symmetric")."""
    return str(self.info.get("normalization", "unit"))

  @property
  def config(self) -> Dict[str, Any]:
    """The training run's config, or {} when the export records none."""
    return dict(self.info.get("config") or {})

  @property
  def checkpoint(self):
    return self.info.get("checkpoint")

  @property
  def description(self) -> str:
    return f"{self.format} export {self.path}"

  def probabilities(self, images: np.ndarray) -> np.ndarray:
    """uint8 `[B, H, W, C]` -> float32 `[B, K]`."""
    raise NotImplementedError

  def logits(self, images) -> np.ndarray:
    """Float images in `data_normalization` -> float64 `[B, K]` logits.

    Exports return log-probabilities of the images turned back into uint8,
    which differ from the logits by a per-row constant (the same argmax,
    softmax, NLL and calibration error).
    """
    return self.log_probabilities(to_uint8(images))

  def log_probabilities(self, images: np.ndarray) -> np.ndarray:
    """uint8 `[B, H, W, C]` -> float64 `[B, K]` log-probabilities."""
    probabilities = self.probabilities(images)
    return np.log(np.maximum(probabilities.astype(np.float64), 1e-30))

  def __call__(self, images: np.ndarray) -> np.ndarray:
    return self.probabilities(images)

  def __repr__(self) -> str:
    return f"{type(self).__name__}({str(self.path)!r})"


class SavedModelRuntime(Runtime):
  """A SavedModel export, run by TensorFlow."""

  format = artifact.SAVEDMODEL

  def __init__(self, path: os.PathLike):
    import tensorflow as tf  # pylint: disable=g-import-not-at-top
    from zoo.serving import graph  # pylint: disable=g-import-not-at-top
    self._tf = tf
    try:
      loaded = tf.saved_model.load(str(path))
      self._signature = loaded.signatures[artifact.SIGNATURE_KEY]
      info = dict(artifact.read_export_info(path),
                  **graph.read_saved_metadata(loaded))
      if "class_names" not in info:
        # Early exports returned the names from the signature.
        probe = self._signature(**{artifact.INPUT_NAME: tf.zeros(
            [1, 1, 1, int(info.get("channels", 3))], tf.uint8)})
        info["class_names"] = [n.decode()
                               for n in probe["class_names"].numpy()]
    except ExportError:
      raise
    except Exception as e:  # pylint: disable=broad-except
      raise unreadable(path, "SavedModel", e) from None
    self._loaded = loaded
    super().__init__(path, info)

  def outputs(self, images) -> Dict[str, Any]:
    """Every output of the serving signature (tensors)."""
    return self._signature(**{artifact.INPUT_NAME: self._tf.convert_to_tensor(
        images, self._tf.uint8)})

  def probabilities(self, images: np.ndarray) -> np.ndarray:
    return self.outputs(images)["probabilities"].numpy()


class OnnxRuntime(Runtime):
  """An ONNX export, run by ONNX Runtime on the CPU."""

  format = artifact.ONNX

  def __init__(self, path: os.PathLike, info: Dict[str, Any]):
    onnxruntime = artifact.require("onnxruntime", "Running an ONNX model")
    try:
      self._session = onnxruntime.InferenceSession(
          str(path), providers=["CPUExecutionProvider"])
      embedded = self._session.get_modelmeta().custom_metadata_map.get(
          artifact.METADATA_KEY)
      info = json.loads(embedded) if embedded else info
    except Exception as e:  # pylint: disable=broad-except
      raise unreadable(path, "ONNX model", e) from None
    super().__init__(path, info)

  def probabilities(self, images: np.ndarray) -> np.ndarray:
    (probabilities,) = self._session.run(
        ["probabilities"],
        {artifact.INPUT_NAME: np.ascontiguousarray(images, np.uint8)})
    return probabilities


def tflite_interpreter(path: os.PathLike):
  """A TFLite interpreter of `path`: LiteRT's (`ai_edge_litert`) where it is
  installed, which needs no TensorFlow, else `tf.lite.Interpreter`."""
  try:
    from ai_edge_litert import interpreter as litert  # pylint: disable=g-import-not-at-top
    return litert.Interpreter(model_path=str(path))
  except ImportError:
    import tensorflow as tf  # pylint: disable=g-import-not-at-top
    with warnings.catch_warnings():
      warnings.simplefilter("ignore")  # tf.lite.Interpreter's deprecation.
      return tf.lite.Interpreter(model_path=str(path))


class TFLiteRuntime(Runtime):
  """A TensorFlow Lite export (float or int8), run by LiteRT.

  A file with a fixed input (`[1, H, W, C]`, the default export) runs one
  image at a time; an image of another size resizes the input first, which
  the serving graph allows.
  """

  def __init__(self, path: os.PathLike, info: Dict[str, Any]):
    from zoo.serving import tflite_metadata  # pylint: disable=g-import-not-at-top
    try:
      # Parsed in Python first: a file cut short fails here with an error,
      # where the interpreter could crash the process.
      info = tflite_metadata.read_info(path) or info
      tflite_metadata.check_associated_files(path)
      interpreter = tflite_interpreter(path)
      self._runner = interpreter.get_signature_runner()
      shape = self._runner.get_input_details()[artifact.INPUT_NAME][
          "shape_signature"]
    except Exception as e:  # pylint: disable=broad-except
      raise unreadable(path, "TensorFlow Lite model", e) from None
    super().__init__(path, info)
    self.fixed_batch = int(shape[0]) > 0
    self.format = self.info.get("format", artifact.TFLITE)
    self._invoked = False

  def probabilities(self, images: np.ndarray) -> np.ndarray:
    if not self._invoked:
      # The first call applies LiteRT's CPU delegate, which says so on stderr.
      self._invoked = True
      with startup.native_notes_filtered():
        return self.probabilities(images)
    images = np.ascontiguousarray(images, np.uint8)
    if not self.fixed_batch:
      return self._runner(**{artifact.INPUT_NAME: images})["probabilities"]
    rows = [self._runner(**{artifact.INPUT_NAME: images[i:i + 1]})[
        "probabilities"] for i in range(len(images))]
    return np.concatenate(rows) if rows else np.zeros(
        [0, len(self.class_names)], np.float32)


def unreadable(path: os.PathLike, what: str, error: Exception) -> ExportError:
  """The one-line error for an export file that cannot be loaded."""
  reason = str(error).strip().splitlines()[0] if str(error).strip() else ""
  reason = reason or type(error).__name__
  return ExportError(
      f"{path} is not a readable {what} ({reason}); the file may be "
      "truncated or corrupt. Export it again with snt-zoo export RUN_DIR "
      "[--format FORMAT] --overwrite.")


def load_export(path: os.PathLike) -> Runtime:
  """Loads an export of any format for inference.

  The model files are first checked against the SHA-256 checksums its
  `export_info.json` records (`artifact.verify`); a file without one is
  loaded with an `UnverifiedModelWarning` (and the note in `runtime.note`).

  Raises:
    FileNotFoundError: If `path` is no export, saying how to make one.
    ExportError: If the file is unreadable or its runtime is not installed.
  """
  found = artifact.find_export(path)
  if found is None:
    raise FileNotFoundError(
        f"{path} is not an export (a SavedModel directory, or a .onnx or "
        ".tflite model or a directory holding one). Create one with "
        "snt-zoo export RUN_DIR [--format FORMAT].")
  family, model_path = found
  note = artifact.verify(path)  # Before any runtime reads a byte of it.
  if note:
    warnings.warn(note, UnverifiedModelWarning, stacklevel=2)
  if family == artifact.SAVEDMODEL:
    runtime = SavedModelRuntime(model_path)
  else:
    info = artifact.read_export_info(model_path.parent)
    if family == artifact.ONNX:
      runtime = OnnxRuntime(model_path, info)
    else:
      runtime = TFLiteRuntime(model_path, info)
  runtime.note = note
  return runtime
