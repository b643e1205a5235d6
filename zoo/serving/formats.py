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

A TFLite file is what mobile tools expect unless `dynamic_shape` is set: a
fixed uint8 input `images` `[1, H, W, C]` at the run's image size, one
float32 output `probabilities` `[1, K]` (tensors named so outside the
signature API too), and the standard TFLite metadata with the labels as an
associated file (`zoo.serving.tflite_metadata`). With `dynamic_shape` it
takes any batch and size and also returns `classes`, as the other formats.

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
from zoo.serving import tflite_metadata
from zoo.serving.artifact import (FORMATS, METADATA_KEY, MODEL_FILES, ONNX,
                                  SAVEDMODEL, TFLITE, TFLITE_INT8, ExportError,
                                  check_dependencies, check_format, require)

ONNX_OPSET = 17
#: Images fed to the int8 converter per calibration batch.
_CALIBRATION_BATCH = 10


def write(module: graph.ServingModule, directory: os.PathLike,
          export_format: str, extra_info: Optional[Dict[str, Any]] = None,
          representative_images: Optional[np.ndarray] = None,
          dynamic_shape: bool = False) -> pathlib.Path:
  """Writes `module` in one format into `directory` (which must exist).

  Args:
    module: The serving module (model, preprocessing, metadata).
    directory: Existing, empty directory.
    export_format: One of `FORMATS`.
    extra_info: Added to `export_info.json` (and the embedded description).
    representative_images: uint8 `[N, H, W, C]` images for `tflite-int8`.
    dynamic_shape: TFLite: any batch and image size instead of the fixed
      `[1, H, W, C]` input.

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
  if export_format in (TFLITE, TFLITE_INT8):
    info["dynamic_shape"] = bool(dynamic_shape)
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
        representative_images if export_format == TFLITE_INT8 else None,
        dynamic_shape))
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
               representative_images: Optional[np.ndarray],
               dynamic_shape: bool = False) -> bytes:
  if dynamic_shape:
    function = module.serve.get_concrete_function()
    batch = _CALIBRATION_BATCH
  else:
    spec = tf.TensorSpec([1, *info["image_size"], info["channels"]],
                         tf.uint8, name=artifact.INPUT_NAME)
    function = tf.function(
        lambda images: {"probabilities": module.serve(images)[
            "probabilities"]}, input_signature=[spec]).get_concrete_function()
    batch = 1
  converter = tf.lite.TFLiteConverter.from_concrete_functions(
      [function], module)
  if representative_images is not None:
    # At the run's image size and channels (a fixed input takes no other).
    images = np.asarray(representative_images, np.uint8)

    def representative_dataset():
      for start in range(0, len(images), batch):
        yield {artifact.INPUT_NAME: images[start:start + batch]}

    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative_dataset
  with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # tf.lite.Interpreter's deprecation.
    model = converter.convert()
  return _embed_tflite_metadata(model, info, dynamic_shape)


def _embed_tflite_metadata(model: bytes, info: Dict[str, Any],
                           dynamic_shape: bool = False) -> bytes:
  """Names the signature's tensors after their signature keys and adds the
  zoo's description, and (fixed shape) the standard metadata and labels."""
  from tensorflow.lite.tools import flatbuffer_utils  # pylint: disable=g-import-not-at-top
  schema = flatbuffer_utils.schema_fb
  model_object = flatbuffer_utils.convert_bytearray_to_object(
      bytearray(model))
  subgraph = model_object.subgraphs[0]
  for signature in model_object.signatureDefs or []:
    for entry in list(signature.inputs or []) + list(signature.outputs or []):
      subgraph.tensors[entry.tensorIndex].name = entry.name
  entries = {METADATA_KEY: json.dumps(info, sort_keys=True).encode()}
  if not dynamic_shape:
    entries[tflite_metadata.STANDARD_KEY] = tflite_metadata.model_metadata(
        info, artifact.INPUT_NAME, "probabilities")
  for name, data in entries.items():
    buffer = schema.BufferT()
    buffer.data = np.frombuffer(data, np.uint8)
    model_object.buffers.append(buffer)
    entry = schema.MetadataT()
    entry.name = name
    entry.buffer = len(model_object.buffers) - 1
    model_object.metadata = list(model_object.metadata or []) + [entry]
  model = bytes(flatbuffer_utils.convert_object_to_bytearray(model_object))
  if dynamic_shape:
    return model
  return tflite_metadata.append_associated_files(model, {
      tflite_metadata.LABELS_FILE: tflite_metadata.labels_file(
          info["class_names"])})


def read_tflite_info(path: os.PathLike) -> Dict[str, Any]:
  """The description embedded in a `.tflite` file ({} if none)."""
  return tflite_metadata.read_info(path)
