"""Tests for zoo.blocks.separable_conv."""

import numpy as np
import pytest
import tensorflow as tf

from zoo import SeparableConv2D


def test_output_shape_and_stride():
  conv = SeparableConv2D(8, 3)
  assert conv(tf.zeros([2, 9, 9, 4])).shape == (2, 9, 9, 8)
  strided = SeparableConv2D(8, 3, stride=2)
  assert strided(tf.zeros([2, 9, 9, 4])).shape == (2, 5, 5, 8)


def test_variables_are_depthwise_then_pointwise_without_bias():
  conv = SeparableConv2D(8, 3, name="sep")
  conv(tf.zeros([1, 5, 5, 4]))
  shapes = {v.name: tuple(v.shape) for v in conv.variables}
  assert shapes == {"sep/depthwise/w:0": (3, 3, 4, 1),
                    "sep/pointwise/w:0": (1, 1, 4, 8)}


def test_with_bias_adds_pointwise_bias():
  conv = SeparableConv2D(8, with_bias=True)
  conv(tf.zeros([1, 5, 5, 4]))
  assert len(conv.variables) == 3


def test_matches_tf_nn_separable_conv2d():
  conv = SeparableConv2D(6, 3)
  x = tf.random.normal([2, 7, 7, 4], seed=1)
  y = conv(x)
  expected = tf.nn.separable_conv2d(
      x, conv.depthwise.w, conv.pointwise.w, strides=[1, 1, 1, 1],
      padding="SAME")
  np.testing.assert_allclose(y.numpy(), expected.numpy(), atol=1e-5)


def test_eager_equals_tf_function():
  conv = SeparableConv2D(6)
  x = tf.random.normal([2, 7, 7, 4], seed=2)
  np.testing.assert_allclose(conv(x).numpy(), tf.function(conv)(x).numpy(),
                             atol=1e-6)


@pytest.mark.parametrize("kwargs, message", [
    ({"output_channels": 0}, "output_channels must be positive"),
    ({"output_channels": 4, "kernel_shape": 0}, "kernel_shape must be positive"),
])
def test_invalid_arguments(kwargs, message):
  with pytest.raises(ValueError, match=message):
    SeparableConv2D(**kwargs)
