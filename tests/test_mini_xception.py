"""Tests for zoo.models.mini_xception."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo


def _keras_mini_xception(num_classes, size=48):
  """The paper's network in Keras layers, to count its parameters."""
  layers = keras.layers
  inputs = keras.Input((size, size, 1))
  x = inputs
  for _ in range(2):
    x = layers.Conv2D(8, 3, use_bias=False)(x)
    x = layers.Activation("relu")(layers.BatchNormalization()(x))
  for width in (16, 32, 64, 128):
    residual = layers.BatchNormalization()(
        layers.Conv2D(width, 1, strides=2, padding="same", use_bias=False)(x))
    x = layers.SeparableConv2D(width, 3, padding="same", use_bias=False)(x)
    x = layers.Activation("relu")(layers.BatchNormalization()(x))
    x = layers.SeparableConv2D(width, 3, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
    x = layers.add([x, residual])
  x = layers.Conv2D(num_classes, 3, padding="same")(x)
  return keras.Model(inputs, layers.GlobalAveragePooling2D()(x))


@pytest.fixture(scope="module")
def model():
  model = zoo.create_model("mini_xception")
  model(tf.zeros([1, 48, 48, 1]), is_training=False)
  return model


@pytest.mark.parametrize("num_classes", [7, 2])
def test_parameter_count_equals_the_papers_keras_model(num_classes):
  ours = zoo.create_model("mini_xception", num_classes=num_classes)
  ours(tf.zeros([1, 48, 48, 1]), is_training=False)
  reference = _keras_mini_xception(num_classes)
  assert ours.num_parameters() == sum(
      int(np.prod(w.shape)) for w in reference.trainable_weights)
  assert ours.num_parameters(trainable_only=False) > ours.num_parameters()


def test_about_sixty_thousand_parameters_for_emotions(model):
  assert model.num_parameters() == 56_951
  assert model.data_config()["image_size"] == (48, 48)
  assert model.data_config()["channels"] == 1


def test_shapes_and_endpoints(model):
  logits, endpoints = model.with_endpoints(tf.zeros([3, 48, 48, 1]), True)
  assert logits.shape == (3, 7)
  assert endpoints["conv2"].shape == (3, 44, 44, 8)
  assert endpoints["module4"].shape == (3, 3, 3, 128)
  assert list(endpoints)[-2:] == ["pre_logits", "logits"]


def test_eager_equals_tf_function(model):
  images = tf.random.uniform([2, 48, 48, 1], seed=1)
  eager = model(images, False).numpy()
  # Untrained moving variances are 0 (Sonnet's averages start there), so
  # each BatchNorm scales by 1/sqrt(eps) and the logits are huge: compare
  # relative to their size.
  np.testing.assert_allclose(eager, tf.function(model)(images, False).numpy(),
                             rtol=1e-4, atol=1e-5 * np.abs(eager).max())


def test_other_sizes_and_errors():
  small = zoo.create_model("mini_xception", num_classes=10, image_size=28)
  assert small(tf.zeros([1, 28, 28, 1]), False).shape == (1, 10)
  with pytest.raises(ValueError, match="at least 5x5"):
    zoo.create_model("mini_xception", image_size=4)
