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


def test_padding_function_pads_symmetrically_before_a_strided_conv():
  import sonnet as snt  # pylint: disable=g-import-not-at-top
  conv = SeparableConv2D(3, 3, stride=2, padding=snt.pad.same)
  x = tf.random.normal([1, 8, 8, 2], seed=3)
  y = conv(x)
  padded = tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]])
  expected = tf.nn.separable_conv2d(
      padded, conv.depthwise.w, conv.pointwise.w, strides=[1, 2, 2, 1],
      padding="VALID")
  assert y.shape == (1, 4, 4, 3)
  np.testing.assert_allclose(y.numpy(), expected.numpy(), atol=1e-5)


def test_dilation_and_channel_multiplier():
  conv = SeparableConv2D(5, 3, rate=2, channel_multiplier=2, name="sep")
  assert conv(tf.zeros([1, 9, 9, 4])).shape == (1, 9, 9, 5)
  assert tuple(conv.depthwise.w.shape) == (3, 3, 4, 2)
  assert tuple(conv.pointwise.w.shape) == (1, 1, 8, 5)


def test_depthwise_normalization_and_activation():
  import sonnet as snt  # pylint: disable=g-import-not-at-top
  conv = SeparableConv2D(
      4, depthwise_normalization=lambda name: snt.BatchNorm(
          True, True, name=name),
      depthwise_activation=tf.nn.relu6, name="sep")
  x = tf.random.normal([2, 5, 5, 3], seed=4)
  y = conv(x, is_training=False)
  inner = tf.nn.relu6(conv.depthwise_bn(conv.depthwise(x), False))
  np.testing.assert_allclose(y.numpy(), conv.pointwise(inner).numpy(),
                             atol=1e-5)
  assert "sep/depthwise_bn/scale:0" in {v.name for v in conv.variables}
  with pytest.raises(ValueError, match="pass is_training"):
    conv(x)


@pytest.mark.parametrize("kwargs, message", [
    ({"output_channels": 4, "stride": 2, "rate": 2}, "cannot be dilated"),
    ({"output_channels": 4, "padding": "same"}, "padding must be"),
    ({"output_channels": 4, "channel_multiplier": 0},
     "channel_multiplier must be positive"),
])
def test_invalid_extended_arguments(kwargs, message):
  with pytest.raises(ValueError, match=message):
    SeparableConv2D(**kwargs)
