"""Tests for zoo.blocks.conv_pool."""

import numpy as np
import pytest
import tensorflow as tf

from zoo import ConvPool


def test_deep_mnist_layer_halves_the_size():
  layer = ConvPool(32, 5)
  assert layer(tf.zeros([2, 28, 28, 1])).shape == (2, 14, 14, 32)


def test_tfjs_layer_is_valid_3x3():
  layer = ConvPool(16, 3, padding="VALID")
  assert layer(tf.zeros([2, 28, 28, 1])).shape == (2, 13, 13, 16)


def test_no_pool():
  layer = ConvPool(8, 3, padding="VALID", pool_size=None)
  assert layer(tf.zeros([1, 5, 5, 1])).shape == (1, 3, 3, 8)


def test_computes_conv_bias_relu_maxpool():
  layer = ConvPool(4, 3, b_init=tf.constant_initializer(-0.1), name="cp")
  x = tf.random.normal([2, 8, 8, 3], seed=3)
  y = layer(x)
  conv = tf.nn.conv2d(x, layer.conv.w, 1, "SAME") + layer.conv.b
  expected = tf.nn.max_pool2d(tf.nn.relu(conv), 2, 2, "VALID")
  np.testing.assert_allclose(y.numpy(), expected.numpy(), atol=1e-6)
  assert sorted(v.name for v in layer.variables) == ["cp/conv/b:0",
                                                      "cp/conv/w:0"]


def test_eager_equals_tf_function():
  layer = ConvPool(4, 3)
  x = tf.random.normal([2, 8, 8, 3], seed=4)
  np.testing.assert_allclose(layer(x).numpy(), tf.function(layer)(x).numpy(),
                             atol=1e-6)


@pytest.mark.parametrize("kwargs, message", [
    ({"output_channels": 0}, "output_channels must be positive"),
    ({"output_channels": 4, "padding": "same"}, "padding must be 'SAME'"),
    ({"output_channels": 4, "pool_size": 0}, "pool_size must be positive"),
])
def test_invalid_arguments(kwargs, message):
  with pytest.raises(ValueError, match=message):
    ConvPool(**kwargs)


def test_batch_norm_replaces_the_bias_and_needs_is_training():
  import sonnet as snt  # pylint: disable=g-import-not-at-top
  layer = ConvPool(4, 3, stride=2, padding=snt.pad.same, pool_size=None,
                   normalization=lambda name: snt.BatchNorm(True, True,
                                                            name=name),
                   name="cbr")
  x = tf.random.normal([2, 8, 8, 3], seed=5)
  y = layer(x, is_training=False)
  assert y.shape == (2, 4, 4, 4)
  assert sorted(v.name for v in layer.trainable_variables) == [
      "cbr/bn/offset:0", "cbr/bn/scale:0", "cbr/conv/w:0"]
  conv = tf.nn.conv2d(tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]),
                      layer.conv.w, 2, "VALID")
  np.testing.assert_allclose(
      y.numpy(), tf.nn.relu(layer.bn(conv, False)).numpy(), atol=1e-5)
  with pytest.raises(ValueError, match="pass is_training"):
    layer(x)
