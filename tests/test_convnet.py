"""Tests for zoo.models.convnet: the Deep-MNIST CNN and the TF.js ConvNet."""

import numpy as np
import pytest
import tensorflow as tf

import zoo


def test_deep_mnist_parameter_count_and_names():
  model = zoo.create_model("deep_mnist_cnn")
  model(tf.zeros([1, 28, 28, 1]), False)
  assert model.num_parameters() == 3_274_634
  assert sorted(v.name for v in model.trainable_variables) == [
      "deep_mnist_cnn/conv_pool_0/conv/b:0",
      "deep_mnist_cnn/conv_pool_0/conv/w:0",
      "deep_mnist_cnn/conv_pool_1/conv/b:0",
      "deep_mnist_cnn/conv_pool_1/conv/w:0",
      "deep_mnist_cnn/head/hidden_0/b:0",
      "deep_mnist_cnn/head/hidden_0/w:0",
      "deep_mnist_cnn/head/logits/b:0",
      "deep_mnist_cnn/head/logits/w:0",
  ]


def test_deep_mnist_initialisation_is_the_tutorials():
  model = zoo.create_model("deep_mnist_cnn")
  model(tf.zeros([1, 28, 28, 1]), False)
  w = model.head.hidden[0].w.numpy()
  assert np.all(np.abs(w) <= 0.2 + 1e-6)  # Truncated at two stddevs.
  assert 0.08 < w.std() < 0.1  # A normal cut at 2 sigma has std ~0.088.
  np.testing.assert_array_equal(model.head.hidden[0].b.numpy(), np.float32(0.1))


def test_deep_mnist_endpoints():
  model = zoo.create_model("deep_mnist_cnn")
  _, endpoints = model.with_endpoints(tf.zeros([2, 28, 28, 1]), False)
  assert {k: v.shape.as_list() for k, v in endpoints.items()} == {
      "conv_pool_0": [2, 14, 14, 32], "conv_pool_1": [2, 7, 7, 64],
      "pre_logits": [2, 3136], "hidden_0": [2, 1024], "logits": [2, 10]}


def test_deep_mnist_dropout_only_in_training():
  model = zoo.create_model("deep_mnist_cnn")
  x = tf.random.uniform([4, 28, 28, 1], seed=1)
  np.testing.assert_array_equal(model(x, False).numpy(), model(x, False).numpy())
  assert not np.allclose(model(x, True).numpy(), model(x, False).numpy())


def test_tfjs_parameter_count_and_shapes():
  model = zoo.create_model("tfjs_mnist_convnet")
  _, endpoints = model.with_endpoints(tf.zeros([2, 28, 28, 1]), False)
  assert model.num_parameters() == 33_194
  assert endpoints["conv_pool_2"].shape == (2, 3, 3, 32)
  assert endpoints["pre_logits"].shape == (2, 288)


@pytest.mark.parametrize("name", ["deep_mnist_cnn", "tfjs_mnist_convnet"])
def test_eager_equals_tf_function(name):
  model = zoo.create_model(name)
  x = tf.random.uniform([2, 28, 28, 1], seed=2)
  np.testing.assert_allclose(model(x, False).numpy(),
                             tf.function(model)(x, False).numpy(), atol=1e-5)


@pytest.mark.parametrize("shape, problem", [
    ([28, 28, 1], "rank 3"),
    ([2, 28, 28, 3], "3 channels"),
    ([2, 32, 32, 1], "spatial size 32x32"),
])
def test_wrong_input_names_expected_shape(shape, problem):
  model = zoo.create_model("deep_mnist_cnn")
  with pytest.raises(ValueError, match=rf"\[B, 28, 28, 1\].*{problem}"):
    model(tf.zeros(shape), False)
