"""The shared tail of every pipeline: shuffle, repeat, batch, resize, convert
channels, augment, normalise and prefetch."""

from typing import Optional, Tuple

import tensorflow as tf

from . import arrays
from . import augment as augment_lib
from .options import NORMALIZATIONS


def normalize(images: tf.Tensor, mode: str) -> tf.Tensor:
  """Maps float images on the 0-255 scale to the model's range.

  Args:
    images: float32 images in [0, 255].
    mode: "unit" for [0, 1], "symmetric" for [-1, 1] (Xception).

  Returns:
    The normalised float32 images.
  """
  if mode == "unit":
    return images * (1.0 / 255.0)
  if mode == "symmetric":
    return images * (2.0 / 255.0) - 1.0
  raise ValueError(f"Unknown normalize={mode!r}; choose one of "
                   f"{list(NORMALIZATIONS)}.")


def denormalize(images: tf.Tensor, mode: str) -> tf.Tensor:
  """Maps normalised images back to [0, 1], e.g. for image summaries.

  Args:
    images: images produced with `normalize=mode`.
    mode: "unit" or "symmetric".

  Returns:
    float32 images in [0, 1].
  """
  images = tf.cast(images, tf.float32)
  if mode == "unit":
    return tf.clip_by_value(images, 0.0, 1.0)
  if mode == "symmetric":
    return tf.clip_by_value((images + 1.0) * 0.5, 0.0, 1.0)
  raise ValueError(f"Unknown normalize={mode!r}; choose one of "
                   f"{list(NORMALIZATIONS)}.")


def convert_channels(images: tf.Tensor, channels: int) -> tf.Tensor:
  """Converts float images to the channel count a model takes (1 or 3).

  Grey (with or without alpha: C < 3) to RGB repeats the grey channel; RGB
  (with or without alpha) to grey weighs R, G and B with ITU-R 601 luma
  weights; alpha is dropped. Works when C is known only at run time (the
  exported serving graph), without `tf.cond` or asserts, so the graph
  converts to ONNX and TensorFlow.js; when C is known and already right the
  images are returned as they are.

  Args:
    images: float images [..., H, W, C], C in 1..4.
    channels: 1 or 3.

  Returns:
    The images with `channels` channels.

  Raises:
    ValueError: `channels` other than 1 or 3.
  """
  if channels not in (1, 3):
    raise ValueError(f"Models with {channels} channels are not supported; "
                     "expected 1 (grey) or 3 (RGB).")
  if images.shape[-1] == channels:
    return images
  is_color = tf.shape(images)[-1] >= 3
  rgb = tf.gather(images, tf.where(is_color, tf.constant([0, 1, 2]),
                                   tf.constant([0, 0, 0])), axis=-1)
  if channels == 3:
    return rgb
  grey = tf.reduce_sum(rgb * tf.constant(arrays.GREY_WEIGHTS), axis=-1,
                       keepdims=True)
  return tf.where(is_color, grey, rgb[..., :1])


def finish(
    dataset: tf.data.Dataset,
    *,
    num_examples: int,
    normalize_mode: str,
    augment: augment_lib.AugmentConfig,
    shuffle: bool,
    batch_size: Optional[int],
    drop_remainder: bool,
    repeat: bool,
    seed: int,
    prefetch: bool,
    resize_to: Optional[Tuple[int, int]] = None,
    channels: Optional[int] = None,
) -> tf.data.Dataset:
  """Turns a dataset of (uint8 image, int32 label) into model input.

  Order: shuffle (whole split, reshuffled each epoch from `seed`), repeat,
  batch, then one map that casts, resizes (if asked), converts channels (if
  asked), augments and normalises, then prefetch. This map is the one place
  where images are adapted to the model: grey data for an RGB model, RGB
  data for a grey one, any size for a fixed-size model. Mapping after
  batching keeps the per-element overhead low. Augmentation seeds come from
  a seeded `Dataset.random` stream zipped in, so two pipelines built with
  the same seed give the same batches, and every epoch gets fresh draws.

  Args:
    dataset: elements (uint8 image [H, W, C], int32 label []), cached.
    num_examples: size of the split (the shuffle buffer).
    normalize_mode: "unit" or "symmetric".
    augment: the AugmentConfig.
    shuffle: whether to shuffle.
    batch_size: None for single elements.
    drop_remainder: drop the last partial batch (fixed shapes).
    repeat: repeat forever.
    seed: seed of shuffle and augmentation.
    prefetch: add `prefetch(AUTOTUNE)`.
    resize_to: optional (height, width) to resize to in the final map.
    channels: optional channel count (1 or 3) to convert to in that map.

  Returns:
    The dataset of (float32 image, int32 label).
  """
  if shuffle and num_examples > 1:
    dataset = dataset.shuffle(num_examples, seed=seed,
                              reshuffle_each_iteration=True)
  if repeat:
    dataset = dataset.repeat()
  if batch_size:
    dataset = dataset.batch(batch_size, drop_remainder=drop_remainder)

  def _prepare(image, label, augment_seed=None):
    image = tf.cast(image, tf.float32)
    if resize_to is not None:
      image = tf.clip_by_value(tf.image.resize(image, resize_to), 0.0, 255.0)
    if channels is not None:
      image = convert_channels(image, channels)
    if augment_seed is not None:
      image = augment_lib.augment_images(image, augment, augment_seed)
    return normalize(image, normalize_mode), label

  if augment.enabled:
    draws = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)
    dataset = tf.data.Dataset.zip((dataset, draws))
    dataset = dataset.map(
        lambda element, draw: _prepare(
            element[0], element[1],
            tf.stack([draw, tf.constant(seed, tf.int64)])),
        num_parallel_calls=tf.data.AUTOTUNE)
  else:
    dataset = dataset.map(_prepare, num_parallel_calls=tf.data.AUTOTUNE)
  if prefetch:
    dataset = dataset.prefetch(tf.data.AUTOTUNE)
  return dataset
