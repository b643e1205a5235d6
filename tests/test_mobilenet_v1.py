"""Tests for zoo.models.mobilenet_v1: Keras-exact against Keras' MobileNet."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo.keras_port import load_keras_weights
from zoo.models.mobilenet_v1 import keras_strided_padding

from test_keras_port import _randomise_batch_norm_statistics

_SIZE = 64


def _randomised_keras_mobilenet(seed=0, size=_SIZE, **kwargs):
  """Keras' MobileNet with informative BatchNorm statistics."""
  model = keras.applications.MobileNet(
      weights=None, input_shape=(size, size, 3), **kwargs)
  _randomise_batch_norm_statistics(model, seed)
  return model


def _trainable(keras_model):
  return sum(int(np.prod(w.shape)) for w in keras_model.trainable_weights)


@pytest.fixture(scope="module")
def keras_mobilenet():
  return _randomised_keras_mobilenet(alpha=0.5, classes=10)


def _images(seed, batch=2, size=_SIZE):
  return np.random.default_rng(seed).uniform(
      -1, 1, (batch, size, size, 3)).astype(np.float32)


def test_same_logits_as_keras_after_porting(keras_mobilenet):
  model = zoo.create_model("mobilenet_v1", alpha=0.5, num_classes=10,
                           image_size=_SIZE)
  copied = load_keras_weights(model, keras_mobilenet)
  assert copied == len(keras_mobilenet.weights)
  images = _images(1)
  logits = model(images, is_training=False).numpy()
  keras_logits = keras.Model(
      keras_mobilenet.input,
      keras_mobilenet.get_layer("reshape_2").output)(images)
  assert np.max(np.abs(logits - np.asarray(keras_logits))) < 1e-4
  np.testing.assert_allclose(tf.nn.softmax(logits).numpy(),
                             keras_mobilenet(images, training=False),
                             atol=1e-5)


@pytest.mark.parametrize("alpha, depth_multiplier, include_top", [
    (0.25, 1, True), (0.75, 2, False)])
def test_parameter_counts_equal_keras(alpha, depth_multiplier, include_top):
  keras_model = keras.applications.MobileNet(
      weights=None, input_shape=(_SIZE, _SIZE, 3), alpha=alpha,
      depth_multiplier=depth_multiplier, include_top=include_top)
  model = zoo.create_model("mobilenet_v1", alpha=alpha, image_size=_SIZE,
                           depth_multiplier=depth_multiplier,
                           include_top=include_top)
  model(tf.zeros([1, _SIZE, _SIZE, 3]), is_training=False)
  assert model.num_parameters() == _trainable(keras_model)


def test_no_top_model_gets_keras_features(keras_mobilenet):
  model = zoo.create_model("mobilenet_v1", alpha=0.5, include_top=False,
                           image_size=_SIZE)
  load_keras_weights(model, keras_mobilenet, load_top=False)
  images = _images(2, batch=1)
  features = keras.Model(keras_mobilenet.input,
                         keras_mobilenet.get_layer("conv_pw_13_relu").output)
  want = np.asarray(features(images)).mean(axis=(1, 2))
  assert np.max(np.abs(model(images, False).numpy() - want)) < 1e-4


def test_odd_input_size_pads_like_keras():
  """Keras pads a strided depthwise conv at the end only, even for odd sizes."""
  keras_model = _randomised_keras_mobilenet(
      seed=3, size=67, alpha=0.25, include_top=False, pooling="avg")
  model = zoo.create_model("mobilenet_v1", alpha=0.25, include_top=False,
                           image_size=67)
  load_keras_weights(model, keras_model)
  images = _images(4, batch=1, size=67)
  assert np.max(np.abs(model(images, False).numpy() -
                       np.asarray(keras_model(images)))) < 1e-4
  assert keras_strided_padding(3) == [0, 1]


def test_h5_weights_file(tmp_path):
  import tf_keras  # pylint: disable=g-import-not-at-top
  source = tf_keras.applications.MobileNet(
      weights=None, include_top=False, alpha=0.25,
      input_shape=(128, 128, 3))
  path = str(tmp_path / "mobilenet_2_5_128_tf_no_top.h5")
  source.save_weights(path)
  model = zoo.create_model("mobilenet_v1", alpha=0.25, num_classes=5,
                           image_size=_SIZE)
  load_keras_weights(model, path)
  np.testing.assert_array_equal(
      model.blocks.blocks[12].convs[0].pointwise.w.numpy(),
      source.get_layer("conv_pw_13").get_weights()[0])
  np.testing.assert_array_equal(
      model.blocks.blocks[1].convs[0].depthwise.w.numpy(),
      source.get_layer("conv_dw_2").get_weights()[0])


def test_xception_file_is_refused_for_a_mobilenet(tmp_path):
  import tf_keras  # pylint: disable=g-import-not-at-top
  path = str(tmp_path / "small.h5")
  tf_keras.Sequential([tf_keras.Input((4,)), tf_keras.layers.Dense(
      2, name="block14_sepconv2")]).save_weights(path)
  model = zoo.create_model("mobilenet_v1", alpha=0.25, image_size=_SIZE)
  with pytest.raises(ValueError, match="no MobileNet weights.*conv_pw_13"):
    load_keras_weights(model, path)


def test_width_alpha_and_shapes():
  model = zoo.create_model("mobilenet_v1", alpha=0.25, num_classes=3,
                           image_size=_SIZE)
  logits, endpoints = model.with_endpoints(tf.zeros([2, _SIZE, _SIZE, 3]),
                                           is_training=True)
  assert logits.shape == (2, 3)
  assert endpoints["conv1"].shape == (2, 32, 32, 8)
  assert endpoints["block13"].shape == (2, 2, 2, 256)
  assert endpoints["pre_logits"].shape == (2, 256)
  assert model.data_config()["normalization"] == "symmetric"


@pytest.mark.parametrize("kwargs, message", [
    ({"alpha": 0.0}, "alpha and depth_multiplier must be positive"),
    ({"depth_multiplier": 0}, "alpha and depth_multiplier must be positive"),
    ({"image_size": 16}, "at least 32x32"),
])
def test_invalid_arguments(kwargs, message):
  with pytest.raises(ValueError, match=message):
    zoo.create_model("mobilenet_v1", **kwargs)
