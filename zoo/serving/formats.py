"""Writing a `ServingModule` as a SavedModel, ONNX or TensorFlow Lite model.

    formats.write(module, "/tmp/onnx", "onnx", info)
    formats.write(module, "/tmp/int8", "tflite-int8", info,
                  representative_images=uint8_train_images)

The formats, their file names and the description are `zoo.serving.artifact`'s.

All formats run the same graph: uint8 `images` `[B, H, W, C]` of any size in,
`probabilities` `[B, K]` and `classes` `[B]` out. The ONNX and TFLite files
also carry the export's description inside them (ONNX `metadata_props`, a
TFLite metadata entry, both under `METADATA_KEY`), so a file copied on its
own still knows its classes and input size.

The int8 model quantises weights and activations with ranges measured on
`representative_images` (a few hundred training images); input stays uint8
and the probabilities float32.
"""

import json
import os
import pathlib
import warnings
from typing import Any, Dict, Optional

import numpy as np
import tensorflow as tf

from zoo.datasets import safe_files
from zoo.serving import artifact
from zoo.serving import graph
from zoo.serving.artifact import (FORMATS, METADATA_KEY, MODEL_FILES, ONNX,
                                  SAVEDMODEL, TFLITE, TFLITE_INT8, ExportError,
                                  check_dependencies, check_format, require)

ONNX_OPSET = 17
#: Images fed to the int8 converter per calibration batch.
_CALIBRATION_BATCH = 10


def write(module: graph.ServingModule, directory: os.PathLike,
          export_format: str, extra_info: Optional[Dict[str, Any]] = None,
          representative_images: Optional[np.ndarray] = None) -> pathlib.Path:
  """Writes `module` in one format into `directory` (which must exist).

  Args:
    module: The serving module (model, preprocessing, metadata).
    directory: Existing, empty directory.
    export_format: One of `FORMATS`.
    extra_info: Added to `export_info.json` (and the embedded description).
    representative_images: uint8 `[N, H, W, C]` images for `tflite-int8`.

  Returns:
    The path of the model file.

  Raises:
    ExportError: An unknown format, a missing optional dependency or int8
      without representative images.
  """
  check_format(export_format)
  directory = pathlib.Path(directory)
  graph.check_outputs(module)
  info = dict(module.info(), format=export_format, **(extra_info or {}))
  if export_format == SAVEDMODEL:
    graph.save(module, directory, extra_info=dict(extra_info or {},
                                                    format=SAVEDMODEL))
    return directory / MODEL_FILES[SAVEDMODEL]
  path = directory / MODEL_FILES[export_format]
  if export_format == ONNX:
    safe_files.write_bytes(path, _to_onnx(module, info))
  else:
    if export_format == TFLITE_INT8 and representative_images is None:
      raise ExportError(
          "tflite-int8 needs representative images to calibrate the "
          "quantisation ranges.")
    safe_files.write_bytes(path, _to_tflite(
        module, info,
        representative_images if export_format == TFLITE_INT8 else None))
  artifact.write_info(directory, info)
  return path


def _to_onnx(module: graph.ServingModule, info: Dict[str, Any]) -> bytes:
  tf2onnx = require("tf2onnx", "Exporting to ONNX")
  spec = (tf.TensorSpec([None, None, None, None], tf.uint8,
                        name=artifact.INPUT_NAME),)
  model_proto, _ = tf2onnx.convert.from_function(
      module.serve, input_signature=spec, opset=ONNX_OPSET)
  entry = model_proto.metadata_props.add()
  entry.key = METADATA_KEY
  entry.value = json.dumps(info, sort_keys=True)
  return model_proto.SerializeToString()


def _to_tflite(module: graph.ServingModule, info: Dict[str, Any],
               representative_images: Optional[np.ndarray]) -> bytes:
  converter = tf.lite.TFLiteConverter.from_concrete_functions(
      [module.serve.get_concrete_function()], module)
  if representative_images is not None:
    images = np.asarray(representative_images, np.uint8)

    def representative_dataset():
      for start in range(0, len(images), _CALIBRATION_BATCH):
        yield {artifact.INPUT_NAME: images[start:start + _CALIBRATION_BATCH]}

    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative_dataset
  with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # tf.lite.Interpreter's deprecation.
    model = converter.convert()
  return _embed_tflite_metadata(model, info)


def _embed_tflite_metadata(model: bytes, info: Dict[str, Any]) -> bytes:
  from tensorflow.lite.tools import flatbuffer_utils  # pylint: disable=g-import-not-at-top
  schema = flatbuffer_utils.schema_fb
  model_object = flatbuffer_utils.convert_bytearray_to_object(
      bytearray(model))
  buffer = schema.BufferT()
  buffer.data = np.frombuffer(json.dumps(info, sort_keys=True).encode(),
                              np.uint8)
  model_object.buffers.append(buffer)
  entry = schema.MetadataT()
  entry.name = METADATA_KEY
  entry.buffer = len(model_object.buffers) - 1
  model_object.metadata = list(model_object.metadata or []) + [entry]
  return bytes(flatbuffer_utils.convert_object_to_bytearray(model_object))


def read_tflite_info(path: os.PathLike) -> Dict[str, Any]:
  """The description embedded in a `.tflite` file ({} if none)."""
  from tensorflow.lite.tools import flatbuffer_utils  # pylint: disable=g-import-not-at-top
  model_object = flatbuffer_utils.convert_bytearray_to_object(
      bytearray(pathlib.Path(path).read_bytes()))
  for entry in model_object.metadata or []:
    name = entry.name.decode() if isinstance(entry.name, bytes) else entry.name
    if name == METADATA_KEY:
      return json.loads(bytes(model_object.buffers[entry.buffer].data))
  return {}
