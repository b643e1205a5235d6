"""The serving graph: uint8 images of any size and channel count in,
probabilities out.

One preprocessing function, `preprocess`, is shared by the exported models
(`ServingModule`) and by in-process prediction (`predict_probabilities`), so
both give the same numbers. The graph uses only ops that tf2onnx,
TensorFlow Lite and the TensorFlow.js converter support (no `tf.cond`,
asserts, `EnsureShape` or antialiased resize).

    module = graph.ServingModule(model, class_names, image_size=(28, 28))
    graph.save(module, "/tmp/export")
    # Later, with nothing but TensorFlow:
    loaded = tf.saved_model.load("/tmp/export")
    out = loaded.signatures["serving_default"](
        images=tf.zeros([1, 64, 64, 3], tf.uint8))
    out["probabilities"], out["classes"]
    loaded.metadata()["class_names"]     # also image_size, channels, ...

The other formats are written from the same module by `zoo.serving.formats`.
"""

import os
from typing import Any, Dict, Optional, Sequence

import tensorflow as tf

from zoo import datasets
from zoo.models.base import ImageClassifier
from zoo.serving import artifact
from zoo.serving.artifact import INPUT_NAME, SIGNATURE_KEY


def preprocess(images: tf.Tensor, image_size: Sequence[int], channels: int,
               normalization: str) -> tf.Tensor:
  """Turns uint8 images into what a model expects.

  Converts the channel count (RGB -> grayscale for 1-channel models,
  grayscale -> RGB for 3-channel ones; alpha is dropped), resizes with
  bilinear interpolation (half-pixel centres) to `image_size`, and
  normalises. At the model's own size the resize returns the pixels
  unchanged. Downscaling is plain bilinear, without antialiasing, so that
  ONNX and TensorFlow.js run the same graph: a large photo shrunk several
  times over is sharper (more aliased) than with an antialiased resize.

  Args:
    images: uint8 `[B, H, W, C]`, any H, W and C in 1..4.
    image_size: the model's `(height, width)`.
    channels: the model's channel count (1 or 3).
    normalization: "unit" or "symmetric".

  Returns:
    float32 `[B, height, width, channels]`.
  """
  images = tf.convert_to_tensor(images)
  if images.dtype != tf.uint8:
    raise TypeError(f"preprocess expects uint8 images, got {images.dtype}.")
  height, width = (int(s) for s in image_size)
  images = datasets.convert_channels(tf.cast(images, tf.float32), channels)
  images = tf.image.resize(images, (height, width), method="bilinear")
  return datasets.normalize(images, normalization)


def predict_probabilities(model: ImageClassifier, images: tf.Tensor,
                          image_size: Sequence[int],
                          temperature: float = 1.0) -> tf.Tensor:
  """In-process equivalent of the export: uint8 images -> probabilities.

  Args:
    model: The classifier.
    images: uint8 `[B, H, W, C]`.
    image_size: The model's `(height, width)`.
    temperature: Logits are divided by it before the softmax (1: as
      trained; see `zoo.calibration.fit_temperature`).

  Returns:
    float32 `[B, num_classes]`.
  """
  inputs = preprocess(images, image_size, model.channels,
                      model.input_normalization)
  logits = tf.cast(model(inputs, is_training=False), tf.float32)
  if float(temperature) != 1.0:
    logits = logits * (1.0 / float(temperature))
  return tf.nn.softmax(logits, axis=-1)


class ServingModule(tf.Module):
  """A model plus its preprocessing and metadata, ready to save.

  The `serving_default` signature maps uint8 `images` to `probabilities`
  `[B, K]` and `classes` `[B]` (int64 argmax). The metadata is saved in the
  SavedModel itself: variables `image_size`, `channels`, `normalization`,
  `class_names` and `temperature`, and a `metadata()` function returning
  them as one dict.
  """

  def __init__(self, model: ImageClassifier, class_names: Sequence[str],
               image_size: Sequence[int], temperature: float = 1.0,
               name: str = "serving"):
    super().__init__(name=name)
    if not float(temperature) > 0.0:
      raise ValueError(f"temperature must be > 0, got {temperature}.")
    self.model = model
    self._image_size = tuple(int(s) for s in image_size)
    self._channels = int(model.channels)
    self._normalization = model.input_normalization
    self._class_names = [str(c) for c in class_names]
    self._temperature = float(temperature)
    with tf.name_scope("metadata"):
      self.image_size = tf.Variable(self._image_size, trainable=False,
                                    dtype=tf.int32, name="image_size")
      self.channels = tf.Variable(self._channels, trainable=False,
                                  dtype=tf.int32, name="channels")
      self.normalization = tf.Variable(self._normalization, trainable=False,
                                       name="normalization")
      self.class_names = tf.Variable(self._class_names, trainable=False,
                                     dtype=tf.string, name="class_names")
      self.temperature = tf.Variable(self._temperature, trainable=False,
                                     dtype=tf.float32, name="temperature")
    self.serve = tf.function(
        self._serve,
        input_signature=[tf.TensorSpec([None, None, None, None], tf.uint8,
                                       name=INPUT_NAME)])
    self.metadata = tf.function(self._metadata, input_signature=[])

  def _serve(self, images):
    probabilities = predict_probabilities(self.model, images, self._image_size,
                                          self._temperature)
    return {
        "probabilities": probabilities,
        "classes": tf.argmax(probabilities, axis=-1, output_type=tf.int64),
    }

  def _metadata(self):
    return {"image_size": self.image_size.read_value(),
            "channels": self.channels.read_value(),
            "normalization": self.normalization.read_value(),
            "class_names": self.class_names.read_value(),
            "temperature": self.temperature.read_value()}

  def info(self) -> Dict[str, Any]:
    return {"image_size": list(self._image_size), "channels": self._channels,
            "normalization": self._normalization,
            "class_names": list(self._class_names),
            "temperature": self._temperature,
            "signature": SIGNATURE_KEY, "input": INPUT_NAME}


def check_outputs(module: ServingModule) -> None:
  """Traces the module once, so shape problems surface before writing.

  Raises:
    ValueError: If the model's output count differs from the class count.
  """
  info = module.info()
  probe = module.serve(tf.zeros([1, *info["image_size"], info["channels"]],
                                tf.uint8))
  outputs = int(probe["probabilities"].shape[-1])
  if outputs != len(info["class_names"]):
    raise ValueError(
        f"The model has {outputs} outputs but {len(info['class_names'])} "
        "class names were given.")


def save(module: ServingModule, directory: os.PathLike,
         extra_info: Optional[Dict[str, Any]] = None) -> None:
  """Writes the SavedModel and `export_info.json` into `directory`."""
  check_outputs(module)
  tf.saved_model.save(
      module, str(directory),
      signatures={SIGNATURE_KEY: module.serve.get_concrete_function()})
  artifact.write_info(directory, dict(module.info(), **(extra_info or {})))


def read_saved_metadata(loaded) -> Dict[str, Any]:
  """The metadata a loaded `ServingModule` SavedModel carries ({} if none).

  Exports written before the metadata was saved have none; their
  `export_info.json` holds the same facts.
  """
  if not hasattr(loaded, "metadata"):
    return {}
  values = {key: value.numpy() for key, value in loaded.metadata().items()}
  return {"image_size": [int(s) for s in values["image_size"]],
          "channels": int(values["channels"]),
          "normalization": values["normalization"].decode(),
          "class_names": [n.decode() for n in values["class_names"]],
          "temperature": float(values["temperature"])}
