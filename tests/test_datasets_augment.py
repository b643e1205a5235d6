"""Tests for datasets/augment.py, eagerly and inside Dataset.map."""

import numpy as np
import pytest
import tensorflow as tf

from zoo.datasets import augment

_SEED = tf.constant([1, 2], tf.int64)


def _images(batch=4):
  rng = np.random.default_rng(0)
  return tf.constant(rng.uniform(0, 255, (batch, 6, 5, 3)), tf.float32)


def test_flip_is_seeded_and_mirrors():
  images = _images(8)
  a = augment.random_flip_left_right(images, _SEED)
  b = augment.random_flip_left_right(images, _SEED)
  np.testing.assert_array_equal(a, b)
  for original, out in zip(images.numpy(), a.numpy()):
    assert (np.array_equal(out, original) or
            np.array_equal(out, original[:, ::-1]))
  single = augment.random_flip_left_right(images[0], _SEED)
  assert single.shape == (6, 5, 3)


def test_brightness_range_and_clip():
  images = _images()
  out = augment.random_brightness(images, 63.0, _SEED).numpy()
  assert out.min() >= 0 and out.max() <= 255
  delta = out - images.numpy()
  unclipped = (out > 0) & (out < 255)
  assert np.all(np.abs(delta[unclipped]) <= 63.0 + 1e-3)
  # One offset per image.
  for d, mask in zip(delta, unclipped):
    assert np.ptp(d[mask]) < 1e-3


def test_contrast_matches_adjust_contrast_before_clip():
  image = tf.fill([4, 4, 3], 100.0) + tf.reshape(tf.range(48.0), [4, 4, 3])
  out = augment.random_contrast(image, 1.0, 1.0, _SEED)
  np.testing.assert_allclose(out, tf.image.adjust_contrast(image, 1.0),
                             atol=1e-3)
  out = augment.random_contrast(_images(), 0.2, 1.8, _SEED).numpy()
  assert out.min() >= 0 and out.max() <= 255


def test_augment_in_dataset_map_is_deterministic():
  config = augment.parse_config({"flip_left_right": True, "brightness": 63,
                                 "contrast": [0.2, 1.8]})

  def run():
    dataset = tf.data.Dataset.from_tensor_slices(_images(6)).enumerate()
    dataset = dataset.map(lambda i, x: augment.augment_images(
        x, config, tf.stack([tf.constant(7, tf.int64), i])))
    return np.stack(list(dataset.as_numpy_iterator()))

  first, second = run(), run()
  np.testing.assert_array_equal(first, second)
  eager = augment.augment_images(_images(6)[2], config,
                                 tf.constant([7, 2], tf.int64))
  np.testing.assert_allclose(first[2], eager, atol=1e-4)
  assert first.min() >= 0 and first.max() <= 255


def test_config_parsing_and_yaml():
  config = augment.config_from_yaml(
      "flip_left_right: true\nbrightness: 63\ncontrast: [0.2, 1.8]\n")
  assert config == augment.AugmentConfig(True, 63.0, (0.2, 1.8))
  assert not augment.parse_config(None).enabled
  with pytest.raises(ValueError, match="valid ones are.*flip_left_right"):
    augment.parse_config({"rotate": 10})
  with pytest.raises(ValueError, match="contrast"):
    augment.parse_config({"contrast": [1.8, 0.2]})
  with pytest.raises(ValueError, match="brightness"):
    augment.parse_config({"brightness": 300})
