"""Serving: uint8 images of any size and channel count in, probabilities out.

One preprocessing function, `preprocess`, is shared by the exported models
(`ServingModule`) and by in-process prediction (`predict_probabilities`), so
both give the same numbers. The serving graph uses only ops that tf2onnx,
TensorFlow Lite and the TensorFlow.js converter support (no `tf.cond`,
asserts, `EnsureShape` or antialiased resize).

    module = serving.ServingModule(model, class_names, image_size=(28, 28))
    serving.save(module, "/tmp/export")
    # Later, with nothing but TensorFlow:
    loaded = tf.saved_model.load("/tmp/export")
    out = loaded.signatures["serving_default"](
        images=tf.zeros([1, 64, 64, 3], tf.uint8))
    out["probabilities"], out["classes"]
    loaded.metadata()["class_names"]     # also image_size, channels, ...

`export_run(run_dir, export_format=...)` writes a training run's export in
any of `zoo.export_formats.FORMATS` (default RUN_DIR/export for the
SavedModel, RUN_DIR/export-<format> for the others), optionally with a
fitted temperature, without ever replacing an existing export unasked.
"""

import json
import os
import pathlib
import shutil
import tempfile
from typing import Any, Dict, List, Optional, Sequence, Tuple

import tensorflow as tf

from zoo import datasets
from zoo.models.base import ImageClassifier

#: Extra file written next to saved_model.pb describing the export.
INFO_FILE = "export_info.json"
SIGNATURE_KEY = "serving_default"
INPUT_NAME = "images"
#: Training images that calibrate the int8 quantisation ranges.
REPRESENTATIVE_EXAMPLES = 300


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


def model_image_size(model: ImageClassifier,
                     config: Optional[Dict[str, Any]] = None
                     ) -> Tuple[int, int]:
  """The size a run's model was trained at: data.image_size or its default."""
  from zoo.training.run_dir import image_size_of  # pylint: disable=g-import-not-at-top
  return image_size_of(config or {}, model)


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


def write_info(directory: os.PathLike, info: Dict[str, Any]) -> None:
  """Writes `export_info.json` into an export directory."""
  (pathlib.Path(directory) / INFO_FILE).write_text(
      json.dumps(info, indent=2, sort_keys=True) + "\n")


def save(module: ServingModule, directory: os.PathLike,
         extra_info: Optional[Dict[str, Any]] = None) -> None:
  """Writes the SavedModel and `export_info.json` into `directory`."""
  check_outputs(module)
  tf.saved_model.save(
      module, str(directory),
      signatures={SIGNATURE_KEY: module.serve.get_concrete_function()})
  write_info(directory, dict(module.info(), **(extra_info or {})))


def is_export(path: os.PathLike) -> bool:
  """Whether `path` is a SavedModel directory."""
  return (pathlib.Path(path) / "saved_model.pb").is_file()


def read_export_info(path: os.PathLike) -> Dict[str, Any]:
  """The `export_info.json` of an export ({} if absent)."""
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


class LoadedExport:
  """A loaded SavedModel export: `__call__(uint8 images)` -> its outputs.

  `info` merges `export_info.json` (run config, checkpoint) with the
  metadata saved in the SavedModel, which wins where both have a key.
  """

  def __init__(self, path: os.PathLike):
    self.path = pathlib.Path(path)
    if not is_export(self.path):
      raise FileNotFoundError(f"{path} is not an exported SavedModel (no "
                              "saved_model.pb). Create one with "
                              "tools/export.py RUN_DIR.")
    self._loaded = tf.saved_model.load(str(self.path))
    self._signature = self._loaded.signatures[SIGNATURE_KEY]
    self.info = dict(read_export_info(self.path),
                     **read_saved_metadata(self._loaded))

  @property
  def channels(self) -> int:
    return int(self.info.get("channels", 3))

  @property
  def image_size(self) -> Tuple[int, int]:
    return tuple(self.info["image_size"])

  def __call__(self, images) -> Dict[str, tf.Tensor]:
    return self._signature(**{INPUT_NAME: tf.convert_to_tensor(images,
                                                               tf.uint8)})

  def class_names(self) -> List[str]:
    if "class_names" in self.info:
      return [str(c) for c in self.info["class_names"]]
    # Early exports returned the names from the signature.
    probe = self(tf.zeros([1, 1, 1, self.channels], tf.uint8))
    return [n.decode() for n in probe["class_names"].numpy()]


class ExportError(ValueError):
  """The export cannot be written as asked."""


#: Files that mark a directory as an export `--overwrite` may replace.
_EXPORT_MARKERS = (INFO_FILE, "saved_model.pb", "model.onnx", "model.tflite")


def _check_output(output: pathlib.Path, overwrite: bool,
                  run_path: Optional[pathlib.Path] = None) -> None:
  if output.exists() and not output.is_dir():
    raise ExportError(f"{output} exists and is not a directory; choose "
                      "another --output.")
  if run_path is not None:
    resolved, run_resolved = output.resolve(), run_path.resolve()
    if resolved == run_resolved or resolved in run_resolved.parents:
      raise ExportError(
          f"--output {output} is (or holds) the run directory {run_path}; "
          "choose a directory of its own, e.g. the default RUN_DIR/export.")
  if output.is_dir() and any(output.iterdir()):
    if not overwrite:
      raise ExportError(
          f"{output} already exists and is not empty; not overwriting it. "
          "Pass --overwrite to replace it, or choose another --output.")
    if not any((output / marker).exists() for marker in _EXPORT_MARKERS):
      raise ExportError(
          f"{output} is not an export (no {INFO_FILE} or model file), so "
          "--overwrite will not replace it; choose another --output.")


def _move_into_place(staging: pathlib.Path, output: pathlib.Path) -> None:
  """Renames `staging` to `output`, replacing what is there only at the end."""
  backup = None
  if output.is_dir():
    if any(output.iterdir()):
      backup = pathlib.Path(tempfile.mkdtemp(prefix=f".{output.name}.old-",
                                             dir=output.parent))
      backup.rmdir()
      os.rename(output, backup)
    else:
      output.rmdir()
  try:
    os.rename(staging, output)
  except OSError:
    if backup is not None:
      os.rename(backup, output)
    raise
  if backup is not None:
    shutil.rmtree(backup, ignore_errors=True)


def export_run(run_dir: os.PathLike, output: Optional[os.PathLike] = None,
               checkpoint: Optional[os.PathLike] = None,
               overwrite: bool = False, export_format: str = "savedmodel",
               calibrate: bool = False) -> pathlib.Path:
  """Exports a training run in one format (see `zoo.export_formats`).

  The export is written to a temporary directory beside `output` and
  renamed into place, so a failure never leaves a half-written export.

  Args:
    run_dir: The run directory.
    output: Export directory (default RUN_DIR/export for a SavedModel,
      RUN_DIR/export-<format> otherwise).
    checkpoint: Checkpoint to export (default: the best, else the latest).
    overwrite: Replace an earlier export at `output` (a directory holding
      `export_info.json` or a model file); any other non-empty directory,
      and the run directory, are refused.
    export_format: "savedmodel", "onnx", "tflite" or "tflite-int8".
    calibrate: Fit a temperature on the validation split (the evaluation
      split if the run has none) and divide the logits by it; the fit and
      the expected calibration error before and after are recorded under
      "calibration" in `export_info.json`.

  Returns:
    The export directory.

  Raises:
    ExportError: An unknown format, a missing optional dependency, an
      existing output without `overwrite`, or an output that is not an
      export or holds the run directory.
  """
  from zoo import calibration  # pylint: disable=g-import-not-at-top
  from zoo import export_formats  # pylint: disable=g-import-not-at-top
  from zoo.training.run_dir import RunDir  # pylint: disable=g-import-not-at-top
  export_formats.check_dependencies(export_format)
  run = RunDir(run_dir)
  output = (pathlib.Path(output) if output
            else run.export_dir_for(export_format))
  _check_output(output, overwrite, run.path)
  model, ckpt_path = run.restore_model(checkpoint)
  extra_info = {
      "model": run.model_name,
      "checkpoint": str(ckpt_path),
      "run_dir": str(run.path.resolve()),
      "data_source": run.config.get("data_source"),
      "config": run.config,
  }
  temperature = 1.0
  if calibrate:
    fit = calibration.calibrate_run(run, model)
    temperature = fit["temperature"]
    extra_info["calibration"] = fit
  module = ServingModule(model, run.class_names, run.image_size, temperature)
  representative = None
  if export_format == export_formats.TFLITE_INT8:
    # Shuffled: a split sorted by class (Flowers17, image folders) would
    # otherwise calibrate on its first classes only.
    representative, _ = split_as_uint8(
        run, "train", max_examples=REPRESENTATIVE_EXAMPLES, shuffle=True)
  output.parent.mkdir(parents=True, exist_ok=True)
  staging = pathlib.Path(tempfile.mkdtemp(prefix=f".{output.name}.tmp-",
                                          dir=output.parent))
  umask = os.umask(0)
  os.umask(umask)
  os.chmod(staging, 0o777 & ~umask)  # mkdtemp makes it private.
  try:
    export_formats.write(module, staging, export_format, extra_info,
                         representative_images=representative)
    # Again: it may have appeared since.
    _check_output(output, overwrite, run.path)
    _move_into_place(staging, output)
  finally:
    if staging.exists():
      shutil.rmtree(staging, ignore_errors=True)
  return output


def split_as_uint8(run, split: str, max_examples: Optional[int] = None,
                   data_dir: Optional[os.PathLike] = None,
                   shuffle: bool = False):
  """A split of a run's dataset as the uint8 images an export takes.

  Args:
    run: A `RunDir`.
    split: "train", "validation" or "test".
    max_examples: Only the first N examples (in the split's order).
    data_dir: Read the data from here instead of the run's data.data_dir.
    shuffle: Take the examples in a random order seeded by the run's seed,
      not in the split's order.

  Returns:
    `(images uint8 [N, H, W, C], labels int64 [N])`.
  """
  import numpy as np  # pylint: disable=g-import-not-at-top
  batches = run.dataset(data_dir).load(split, normalize="unit",
                                       batch_size=500, shuffle=shuffle)
  if max_examples:
    batches = batches.unbatch().take(max_examples).batch(500)
  images, labels = [], []
  for batch_images, batch_labels in batches:
    images.append(np.round(np.clip(batch_images.numpy() * 255.0, 0, 255))
                  .astype(np.uint8))
    labels.append(batch_labels.numpy().astype(np.int64))
  return np.concatenate(images), np.concatenate(labels)


def describe_export(output: os.PathLike) -> str:
  """Lines saying what an export holds and what its signature takes."""
  info = read_export_info(output)
  height, width = info["image_size"]
  export_format = info.get("format", "savedmodel")
  lines = [
      f"Exported {info['model']} ({info['checkpoint']}) as {export_format} "
      f"to {output}",
      f"  input images uint8 [B, H, W, C] -> probabilities "
      f"[B, {len(info['class_names'])}], classes [B]; resized to "
      f"{height}x{width}, {info['channels']} channel(s), "
      f"{info['normalization']} normalization"]
  fit = info.get("calibration")
  if fit:
    lines.append(
        f"  temperature {fit['temperature']:.4f} fitted on "
        f"{fit['split']} ({fit['examples']} examples): expected calibration "
        f"error {fit['ece_before']:.4f} -> {fit['ece_after']:.4f}, "
        f"negative log-likelihood {fit['nll_before']:.4f} -> "
        f"{fit['nll_after']:.4f}")
  return "\n".join(lines)
