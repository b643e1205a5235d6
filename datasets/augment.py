"""Seeded image augmentation: flip, brightness and contrast.

Every function takes float images on the 0-255 scale (`max_value` changes the
scale), either one image [H, W, C] or a batch [B, H, W, C] (each image then
gets its own random draw), and a stateless seed: a shape [2] integer tensor.
The same seed gives the same output, eagerly or inside `tf.data`. Results are
clipped to [0, max_value].

An augmentation config is a dict (or YAML mapping) such as

    {"flip_left_right": True, "brightness": 63, "contrast": [0.2, 1.8]}

where `brightness` is the maximum delta on the 0-255 scale and `contrast` the
range of the contrast factor.
"""

import dataclasses
from typing import Any, Mapping, Optional, Tuple, Union

import tensorflow as tf
import yaml

from .options import AUGMENT_OPTIONS

_VALID_KEYS = tuple(AUGMENT_OPTIONS)


def _batch_shape(image: tf.Tensor) -> tf.Tensor:
  """Shape of the leading (batch) dimensions: [] for one image, [B] for a batch."""
  return tf.shape(image)[:-3]


def _per_image(values: tf.Tensor, image: tf.Tensor) -> tf.Tensor:
  """Reshapes per-image values [B] (or []) to broadcast against `image`."""
  shape = tf.concat([_batch_shape(image), [1, 1, 1]], axis=0)
  return tf.reshape(values, shape)


def random_flip_left_right(image: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
  """Mirrors each image left-right with probability 1/2.

  Args:
    image: float images [H, W, C] or [B, H, W, C].
    seed: stateless seed, int tensor of shape [2].

  Returns:
    The images, each flipped or not.
  """
  image = tf.convert_to_tensor(image)
  draw = tf.random.stateless_uniform(_batch_shape(image), seed)
  flip = _per_image(draw < 0.5, image)
  return tf.where(flip, tf.reverse(image, axis=[-2]), image)


def random_brightness(image: tf.Tensor, max_delta: float, seed: tf.Tensor,
                      max_value: float = 255.0) -> tf.Tensor:
  """Adds one uniform offset in [-max_delta, max_delta) to each image.

  Args:
    image: float images [H, W, C] or [B, H, W, C] in [0, max_value].
    max_delta: largest offset, on the same scale as the images.
    seed: stateless seed, int tensor of shape [2].
    max_value: top of the valid range; the result is clipped to it.

  Returns:
    The brightened or darkened images.
  """
  image = tf.convert_to_tensor(image)
  delta = tf.random.stateless_uniform(_batch_shape(image), seed,
                                      minval=-max_delta, maxval=max_delta)
  return tf.clip_by_value(image + _per_image(delta, image), 0.0, max_value)


def random_contrast(image: tf.Tensor, lower: float, upper: float,
                    seed: tf.Tensor, max_value: float = 255.0) -> tf.Tensor:
  """Scales each image's distance from its per-channel mean by a random factor.

  Matches `tf.image.adjust_contrast` with a factor drawn uniformly from
  [lower, upper).

  Args:
    image: float images [H, W, C] or [B, H, W, C] in [0, max_value].
    lower: smallest contrast factor.
    upper: largest contrast factor.
    seed: stateless seed, int tensor of shape [2].
    max_value: top of the valid range; the result is clipped to it.

  Returns:
    The images with changed contrast.
  """
  image = tf.convert_to_tensor(image)
  factor = tf.random.stateless_uniform(_batch_shape(image), seed,
                                       minval=lower, maxval=upper)
  mean = tf.reduce_mean(image, axis=[-3, -2], keepdims=True)
  adjusted = (image - mean) * _per_image(factor, image) + mean
  return tf.clip_by_value(adjusted, 0.0, max_value)


@dataclasses.dataclass(frozen=True)
class AugmentConfig:
  """Which augmentations to apply.

  Attributes:
    flip_left_right: random horizontal mirroring.
    brightness: max brightness delta on the 0-255 scale; 0 disables it.
    contrast: (lower, upper) contrast factor range, or None.
  """
  flip_left_right: bool = False
  brightness: float = 0.0
  contrast: Optional[Tuple[float, float]] = None

  @property
  def enabled(self) -> bool:
    return bool(self.flip_left_right or self.brightness or self.contrast)


def parse_config(config: Union[None, Mapping[str, Any], AugmentConfig]
                 ) -> AugmentConfig:
  """Validates an augmentation dict (e.g. from YAML) into an AugmentConfig.

  Args:
    config: None, a dict with keys among flip_left_right, brightness and
      contrast, or an AugmentConfig.

  Returns:
    The AugmentConfig.

  Raises:
    ValueError: unknown keys or out-of-range values.
  """
  if config is None:
    return AugmentConfig()
  if isinstance(config, AugmentConfig):
    return config
  if not isinstance(config, Mapping):
    raise ValueError(f"augment must be None or a mapping with keys "
                     f"{list(_VALID_KEYS)}, got {config!r}.")
  unknown = sorted(set(config) - set(_VALID_KEYS))
  if unknown:
    raise ValueError(f"Unknown augmentation option(s) {unknown}; valid ones "
                     f"are {list(_VALID_KEYS)}.")
  brightness = float(config.get("brightness") or 0.0)
  if not 0.0 <= brightness <= 255.0:
    raise ValueError(f"augment.brightness must be in [0, 255] (0-255 units), "
                     f"got {brightness}.")
  contrast = config.get("contrast")
  if contrast is not None and contrast is not False:
    if (not isinstance(contrast, (list, tuple)) or len(contrast) != 2
        or not 0.0 <= float(contrast[0]) <= float(contrast[1])):
      raise ValueError("augment.contrast must be [lower, upper] with "
                       f"0 <= lower <= upper, got {contrast!r}.")
    contrast = (float(contrast[0]), float(contrast[1]))
  else:
    contrast = None
  return AugmentConfig(flip_left_right=bool(config.get("flip_left_right")),
                       brightness=brightness, contrast=contrast)


def config_from_yaml(text: str) -> AugmentConfig:
  """Parses an augmentation config from YAML text (a mapping, or empty)."""
  return parse_config(yaml.safe_load(text))


def augment_images(image: tf.Tensor, config: AugmentConfig, seed: tf.Tensor,
                   max_value: float = 255.0) -> tf.Tensor:
  """Applies the configured augmentations in order: flip, brightness, contrast.

  Args:
    image: float images [H, W, C] or [B, H, W, C] in [0, max_value].
    config: an AugmentConfig (see `parse_config`).
    seed: stateless seed, int tensor of shape [2]; each augmentation gets its
      own seed split from it.
    max_value: top of the valid range.

  Returns:
    The augmented images, clipped to [0, max_value].
  """
  flip_seed, brightness_seed, contrast_seed = tf.unstack(
      tf.random.experimental.stateless_split(seed, num=3))
  if config.flip_left_right:
    image = random_flip_left_right(image, flip_seed)
  if config.brightness:
    scaled_delta = config.brightness * max_value / 255.0
    image = random_brightness(image, scaled_delta, brightness_seed, max_value)
  if config.contrast:
    image = random_contrast(image, config.contrast[0], config.contrast[1],
                            contrast_seed, max_value)
  return image
