"""Tests for zoo.models.softmax_regression."""

import numpy as np
import pytest
import tensorflow as tf

import zoo


def test_shapes_parameters_and_names():
  model = zoo.create_model("softmax_regression")
  logits, endpoints = model.with_endpoints(tf.zeros([3, 28, 28, 1]), False)
  assert logits.shape == (3, 10)
  assert endpoints["pre_logits"].shape == (3, 784)
  assert model.num_parameters() == 7_850
  assert sorted(v.name for v in model.variables) == [
      "softmax_regression/head/logits/b:0",
      "softmax_regression/head/logits/w:0"]


def test_zero_init_gives_uniform_predictions():
  model = zoo.create_model("softmax_regression", zero_init=True)
  logits = model(tf.random.uniform([2, 28, 28, 1]), False)
  np.testing.assert_array_equal(logits.numpy(), 0.0)


def test_is_a_linear_map():
  model = zoo.create_model("softmax_regression")
  x = tf.random.uniform([2, 28, 28, 1], seed=3)
  logits = model(x, False)
  w, b = model.head.logits.w, model.head.logits.b
  np.testing.assert_allclose(
      logits.numpy(), (tf.reshape(x, [2, -1]) @ w + b).numpy(), atol=1e-5)


def test_eager_equals_tf_function():
  model = zoo.create_model("softmax_regression")
  x = tf.random.uniform([2, 28, 28, 1], seed=4)
  np.testing.assert_allclose(model(x, False).numpy(),
                             tf.function(model)(x, False).numpy(), atol=1e-6)


def test_other_image_shape():
  model = zoo.create_model("softmax_regression", image_size=8, channels=3,
                           num_classes=4)
  assert model(tf.zeros([1, 8, 8, 3]), False).shape == (1, 4)
  with pytest.raises(ValueError, match=r"\[B, 8, 8, 3\]"):
    model(tf.zeros([1, 8, 8, 1]), False)
