"""Serving: uint8 images of any size and channel count in, probabilities out.

One preprocessing function, `preprocess`, is shared by the exported
SavedModel (`ServingModule`) and by in-process prediction
(`predict_probabilities`), so both give the same numbers.

    module = serving.ServingModule(model, class_names, image_size=(28, 28))
    serving.save(module, "/tmp/export")
    # Later, with nothing but TensorFlow:
    out = tf.saved_model.load("/tmp/export").signatures["serving_default"](
        images=tf.zeros([1, 64, 64, 3], tf.uint8))
    out["probabilities"], out["class_names"], out["classes"]

`export_run(run_dir)` writes a training run's export (default
RUN_DIR/export) without ever replacing an existing one unasked.
"""

import json
import os
import pathlib
import shutil
import tempfile
from typing import Any, Dict, Optional, Sequence, Tuple

import tensorflow as tf

from zoo.models.base import ImageClassifier

#: Extra file written next to saved_model.pb describing the export.
INFO_FILE = "export_info.json"
SIGNATURE_KEY = "serving_default"
INPUT_NAME = "images"


def normalize(images: tf.Tensor, mode: str) -> tf.Tensor:
  """Maps float images on the 0-255 scale to "unit" [0, 1] or "symmetric"."""
  if mode == "unit":
    return images * (1.0 / 255.0)
  if mode == "symmetric":
    return images * (2.0 / 255.0) - 1.0
  raise ValueError(f"Unknown normalization {mode!r}; expected 'unit' or "
                   "'symmetric'.")


def _to_channels(images: tf.Tensor, channels: int) -> tf.Tensor:
  """Converts float [B, H, W, C] (C in 1..4, known only at run time)."""
  have = tf.shape(images)[-1]
  tf.debugging.assert_less_equal(
      have, 4, message="images must have 1 (L), 2 (LA), 3 (RGB) or 4 (RGBA) "
      "channels")
  tf.debugging.assert_greater_equal(have, 1, message="images have 0 channels")
  first = images[..., :1]
  if channels == 1:
    converted = tf.cond(
        have >= 3,
        lambda: tf.image.rgb_to_grayscale(images[..., :3]),
        lambda: first)
  elif channels == 3:
    converted = tf.cond(
        have >= 3,
        lambda: images[..., :3],
        lambda: tf.tile(first, [1, 1, 1, 3]))
  else:
    raise ValueError(f"Models with {channels} channels are not supported; "
                     "expected 1 or 3.")
  return tf.ensure_shape(converted, [None, None, None, channels])


def preprocess(images: tf.Tensor, image_size: Sequence[int], channels: int,
               normalization: str) -> tf.Tensor:
  """Turns uint8 images into what a model expects.

  Converts the channel count (RGB -> grayscale for 1-channel models,
  grayscale -> RGB for 3-channel ones; alpha is dropped), resizes with
  antialiased bilinear interpolation to `image_size` (skipped when the size
  already matches), and normalises.

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
  images = tf.ensure_shape(images, [None, None, None, None])
  height, width = (int(s) for s in image_size)
  images = _to_channels(tf.cast(images, tf.float32), channels)
  shape = tf.shape(images)
  same_size = tf.logical_and(tf.equal(shape[1], height),
                             tf.equal(shape[2], width))
  images = tf.cond(
      same_size,
      lambda: images,
      lambda: tf.clip_by_value(
          tf.image.resize(images, (height, width), method="bilinear",
                          antialias=True), 0.0, 255.0))
  images = tf.ensure_shape(images, [None, height, width, channels])
  return normalize(images, normalization)


def model_image_size(model: ImageClassifier,
                     config: Optional[Dict[str, Any]] = None
                     ) -> Tuple[int, int]:
  """The size a run's model was trained at: data.image_size or its default."""
  from zoo.training.run_dir import image_size_of  # pylint: disable=g-import-not-at-top
  return image_size_of(config or {}, model)


def predict_probabilities(model: ImageClassifier, images: tf.Tensor,
                          image_size: Sequence[int]) -> tf.Tensor:
  """In-process equivalent of the export: uint8 images -> probabilities."""
  inputs = preprocess(images, image_size, model.channels,
                      model.input_normalization)
  logits = model(inputs, is_training=False)
  return tf.nn.softmax(tf.cast(logits, tf.float32), axis=-1)


class ServingModule(tf.Module):
  """A model plus its preprocessing and class names, ready to save."""

  def __init__(self, model: ImageClassifier, class_names: Sequence[str],
               image_size: Sequence[int], name: str = "serving"):
    super().__init__(name=name)
    self.model = model
    self._image_size = tuple(int(s) for s in image_size)
    self._channels = int(model.channels)
    self._normalization = model.input_normalization
    self._class_names = [str(c) for c in class_names]
    # Plain attributes for inspection after loading without project code.
    self.image_size = tf.constant(self._image_size, tf.int32)
    self.channels = tf.constant(self._channels, tf.int32)
    self.normalization = tf.constant(self._normalization)
    self.serve = tf.function(
        self._serve,
        input_signature=[tf.TensorSpec([None, None, None, None], tf.uint8,
                                       name=INPUT_NAME)])

  def _serve(self, images):
    probabilities = predict_probabilities(self.model, images, self._image_size)
    return {
        "probabilities": probabilities,
        "class_names": tf.constant(self._class_names, tf.string),
        "classes": tf.argmax(probabilities, axis=-1, output_type=tf.int64),
    }

  def info(self) -> Dict[str, Any]:
    return {"image_size": list(self._image_size), "channels": self._channels,
            "normalization": self._normalization,
            "class_names": list(self._class_names),
            "signature": SIGNATURE_KEY, "input": INPUT_NAME}


def save(module: ServingModule, directory: os.PathLike,
         extra_info: Optional[Dict[str, Any]] = None) -> None:
  """Writes the SavedModel and `export_info.json` into `directory`."""
  num_classes = len(module.info()["class_names"])
  # Trace once so shape problems surface before writing anything.
  probe = module.serve(tf.zeros([1, *module.info()["image_size"],
                                 module.info()["channels"]], tf.uint8))
  if int(probe["probabilities"].shape[-1]) != num_classes:
    raise ValueError(
        f"The model has {int(probe['probabilities'].shape[-1])} outputs but "
        f"{num_classes} class names were given.")
  tf.saved_model.save(
      module, str(directory),
      signatures={SIGNATURE_KEY: module.serve.get_concrete_function()})
  info = dict(module.info(), **(extra_info or {}))
  (pathlib.Path(directory) / INFO_FILE).write_text(
      json.dumps(info, indent=2, sort_keys=True) + "\n")


def is_export(path: os.PathLike) -> bool:
  """Whether `path` is a SavedModel directory."""
  return (pathlib.Path(path) / "saved_model.pb").is_file()


def read_export_info(path: os.PathLike) -> Dict[str, Any]:
  """The `export_info.json` of an export ({} if absent)."""
  info_path = pathlib.Path(path) / INFO_FILE
  if not info_path.is_file():
    return {}
  return json.loads(info_path.read_text())


class LoadedExport:
  """A loaded export: `__call__(uint8 images)` -> the signature's outputs."""

  def __init__(self, path: os.PathLike):
    self.path = pathlib.Path(path)
    if not is_export(self.path):
      raise FileNotFoundError(f"{path} is not an exported SavedModel (no "
                              "saved_model.pb). Create one with "
                              "tools/export.py RUN_DIR.")
    self._loaded = tf.saved_model.load(str(self.path))
    self._signature = self._loaded.signatures[SIGNATURE_KEY]
    self.info = read_export_info(self.path)
    if "channels" not in self.info and hasattr(self._loaded, "channels"):
      self.info["channels"] = int(self._loaded.channels.numpy())
    if "image_size" not in self.info and hasattr(self._loaded, "image_size"):
      self.info["image_size"] = [int(s) for s in
                                 self._loaded.image_size.numpy()]

  @property
  def channels(self) -> int:
    return int(self.info.get("channels", 3))

  @property
  def image_size(self) -> Tuple[int, int]:
    return tuple(self.info["image_size"])

  def __call__(self, images) -> Dict[str, tf.Tensor]:
    return self._signature(**{INPUT_NAME: tf.convert_to_tensor(images,
                                                               tf.uint8)})

  def class_names(self):
    probe = self(tf.zeros([1, 1, 1, self.channels], tf.uint8))
    return [n.decode() for n in probe["class_names"].numpy()]




class ExportError(ValueError):
  """The export cannot be written as asked."""


def _check_output(output: pathlib.Path, overwrite: bool) -> None:
  if output.exists() and not output.is_dir():
    raise ExportError(f"{output} exists and is not a directory; choose "
                      "another --output.")
  if output.is_dir() and any(output.iterdir()) and not overwrite:
    raise ExportError(
        f"{output} already exists and is not empty; not overwriting it. Pass "
        "--overwrite to replace it, or choose another --output.")


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
               overwrite: bool = False) -> pathlib.Path:
  """Exports a training run as a self-contained SavedModel.

  The export is written to a temporary directory beside `output` and
  renamed into place, so a failure never leaves a half-written export.

  Args:
    run_dir: The run directory.
    output: Export directory (default RUN_DIR/export).
    checkpoint: Checkpoint to export (default: the best, else the latest).
    overwrite: Replace an existing non-empty `output`.

  Returns:
    The export directory.
  """
  from zoo.training.run_dir import RunDir  # pylint: disable=g-import-not-at-top
  run = RunDir(run_dir)
  output = pathlib.Path(output) if output else run.export_dir
  _check_output(output, overwrite)
  model, ckpt_path = run.restore_model(checkpoint)
  module = ServingModule(model, run.class_names, run.image_size)
  output.parent.mkdir(parents=True, exist_ok=True)
  staging = pathlib.Path(tempfile.mkdtemp(prefix=f".{output.name}.tmp-",
                                          dir=output.parent))
  umask = os.umask(0)
  os.umask(umask)
  os.chmod(staging, 0o777 & ~umask)  # mkdtemp makes it private.
  try:
    save(module, staging, extra_info={
        "model": run.model_name,
        "checkpoint": str(ckpt_path),
        "run_dir": str(run.path.resolve()),
        "data_source": run.config.get("data_source"),
        "config": run.config,
    })
    _check_output(output, overwrite)  # Again: it may have appeared since.
    _move_into_place(staging, output)
  finally:
    if staging.exists():
      shutil.rmtree(staging, ignore_errors=True)
  return output


def describe_export(output: os.PathLike) -> str:
  """Two lines saying what an export holds and what its signature takes."""
  info = read_export_info(output)
  height, width = info["image_size"]
  return (f"Exported {info['model']} ({info['checkpoint']}) to {output}\n"
          f"  signature {SIGNATURE_KEY}: images uint8 [B, H, W, C] -> "
          f"probabilities [B, {len(info['class_names'])}], class_names, "
          f"classes; resized to {height}x{width}, {info['channels']} "
          f"channel(s), {info['normalization']} normalization")
