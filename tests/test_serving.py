"""zoo.serving.preprocess: channels, resizing and normalisation."""

import numpy as np
import pytest
import tensorflow as tf

from zoo import serving


def test_native_size_is_only_normalised():
  images = np.arange(2 * 4 * 4, dtype=np.uint8).reshape([2, 4, 4, 1])
  unit = serving.preprocess(images, (4, 4), 1, "unit").numpy()
  np.testing.assert_allclose(unit, images / 255.0, atol=1e-7)
  symmetric = serving.preprocess(images, (4, 4), 1, "symmetric").numpy()
  np.testing.assert_allclose(symmetric, images / 127.5 - 1.0, atol=1e-6)


@pytest.mark.parametrize("have,want", [(1, 3), (3, 1), (4, 1), (4, 3), (2, 1)])
def test_channels_and_size(have, want):
  images = np.full([1, 9, 7, have], 200, np.uint8)
  out = serving.preprocess(images, (5, 6), want, "unit")
  assert out.shape == (1, 5, 6, want)
  np.testing.assert_allclose(out.numpy(), 200 / 255.0, atol=1e-3)


def test_rgb_to_gray_weights():
  images = np.zeros([1, 2, 2, 3], np.uint8)
  images[..., 1] = 255
  gray = serving.preprocess(images, (2, 2), 1, "unit").numpy()
  np.testing.assert_allclose(gray, 0.587, atol=1e-3)


def test_rejects_float_images():
  with pytest.raises(TypeError):
    serving.preprocess(tf.zeros([1, 2, 2, 1]), (2, 2), 1, "unit")
