"""Tests for zoo.keras_port: the zoo's Xception equals Keras' on its weights."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo.keras_port import load_keras_xception_weights

_SIZE = 71


def _randomise_batch_norm_statistics(keras_model, seed=0):
  """Keras starts BN at mean 0 / variance 1; make them informative."""
  rng = np.random.default_rng(seed)
  for layer in keras_model.layers:
    if isinstance(layer, keras.layers.BatchNormalization):
      gamma, beta, mean, variance = layer.get_weights()
      layer.set_weights([
          rng.uniform(0.5, 1.5, gamma.shape), rng.normal(0, 0.2, beta.shape),
          rng.normal(0, 0.2, mean.shape), rng.uniform(0.5, 1.5, variance.shape)
      ])


@pytest.fixture(scope="module")
def keras_xception():
  model = keras.applications.Xception(
      weights=None, input_shape=(_SIZE, _SIZE, 3), classes=10)
  _randomise_batch_norm_statistics(model)
  return model


def _keras_logits_and_features(keras_model, images):
  features = keras.Model(keras_model.input,
                         keras_model.get_layer("avg_pool").output)(images)
  kernel, bias = keras_model.get_layer("predictions").get_weights()
  return np.asarray(features) @ kernel + bias, np.asarray(features)


def test_same_logits_and_features_as_keras(keras_xception):
  model = zoo.create_model("xception", num_classes=10, image_size=_SIZE)
  copied = load_keras_xception_weights(model, keras_xception)
  assert copied == len(keras_xception.weights)
  images = np.random.default_rng(1).uniform(
      -1, 1, (2, _SIZE, _SIZE, 3)).astype(np.float32)
  logits, endpoints = model.with_endpoints(images, is_training=False)
  keras_logits, keras_features = _keras_logits_and_features(
      keras_xception, images)
  assert np.max(np.abs(endpoints["pre_logits"].numpy() - keras_features)) < 1e-4
  assert np.max(np.abs(logits.numpy() - keras_logits)) < 1e-4
  probs = keras_xception(images, training=False)
  np.testing.assert_allclose(tf.nn.softmax(logits).numpy(), probs, atol=1e-5)


def test_trainable_parameter_counts_equal_keras(keras_xception):
  model = zoo.create_model("xception", num_classes=10, image_size=_SIZE)
  load_keras_xception_weights(model, keras_xception)
  keras_trainable = sum(int(np.prod(w.shape))
                        for w in keras_xception.trainable_weights)
  assert model.num_parameters() == keras_trainable


def test_moving_averages_are_consistent_for_further_training(keras_xception):
  """After import, one training update moves the EMA only by (1 - decay)."""
  model = zoo.create_model("xception", num_classes=10, image_size=_SIZE)
  load_keras_xception_weights(model, keras_xception)
  bn = model.entry_flow.blocks[0].conv1_bn
  keras_mean = keras_xception.get_layer("block1_conv1_bn").get_weights()[2]
  np.testing.assert_allclose(bn.moving_mean.value.numpy().ravel(), keras_mean,
                             atol=1e-6)
  images = tf.random.uniform([2, _SIZE, _SIZE, 3], -1, 1, seed=2)
  conv = model.entry_flow.blocks[0].conv1(images)
  batch_mean = tf.reduce_mean(conv, axis=[0, 1, 2]).numpy()
  model(images, is_training=True)
  expected = 0.99 * keras_mean + 0.01 * batch_mean
  np.testing.assert_allclose(bn.moving_mean.value.numpy().ravel(), expected,
                             atol=1e-5)


def test_top_mismatch_is_a_clear_error_and_can_be_skipped(keras_xception):
  model = zoo.create_model("xception", num_classes=17, image_size=_SIZE)
  with pytest.raises(ValueError, match=r"10-class.*17 classes.*load_top=False"):
    load_keras_xception_weights(model, keras_xception)
  load_keras_xception_weights(model, keras_xception, load_top=False)
  np.testing.assert_array_equal(
      model.entry_flow.blocks[0].conv1.w.numpy(),
      keras_xception.get_layer("block1_conv1").get_weights()[0])


def test_no_top_model_gets_the_backbone(keras_xception):
  model = zoo.create_model("xception", include_top=False, image_size=_SIZE)
  load_keras_xception_weights(model, keras_xception, load_top=False)
  images = tf.random.uniform([1, _SIZE, _SIZE, 3], -1, 1, seed=3)
  _, keras_features = _keras_logits_and_features(keras_xception, images)
  assert np.max(np.abs(model(images, False).numpy() - keras_features)) < 1e-4


def test_legacy_h5_weights_file(tmp_path):
  """Keras' published ImageNet files are legacy HDF5 weights, as tf_keras saves."""
  import tf_keras  # pylint: disable=g-import-not-at-top
  source = tf_keras.applications.Xception(weights=None, include_top=False,
                                          input_shape=(_SIZE, _SIZE, 3))
  path = str(tmp_path / "xception_notop.h5")
  source.save_weights(path)
  model = zoo.create_model("xception", num_classes=17, image_size=_SIZE)
  load_keras_xception_weights(model, path)
  np.testing.assert_array_equal(
      model.exit_flow.blocks[1].convs[1].pointwise.w.numpy(),
      source.get_layer("block14_sepconv2").get_weights()[1])
  np.testing.assert_array_equal(
      model.exit_flow.blocks[0].shortcut.w.numpy(),
      [l for l in source.layers if l.name.startswith("conv2d")][-1]
      .get_weights()[0])


def test_missing_and_bad_files(tmp_path):
  model = zoo.create_model("xception", image_size=_SIZE)
  with pytest.raises(FileNotFoundError, match="does not exist"):
    load_keras_xception_weights(model, str(tmp_path / "missing.h5"))
  bad = tmp_path / "bad.h5"
  bad.write_bytes(b"not hdf5")
  with pytest.raises(ValueError, match="not a readable HDF5"):
    load_keras_xception_weights(model, str(bad))


def test_rejects_other_models(keras_xception):
  with pytest.raises(ValueError, match="Expected a zoo Xception"):
    load_keras_xception_weights(zoo.create_model("deep_mnist_cnn"),
                                keras_xception)


def test_cross_replica_batch_norm_model_gets_the_weights(keras_xception):
  model = zoo.create_model("xception", num_classes=10, image_size=_SIZE,
                           cross_replica_batch_norm=True)
  assert load_keras_xception_weights(model, keras_xception) == len(
      keras_xception.weights)
  images = np.random.default_rng(4).uniform(
      -1, 1, (1, _SIZE, _SIZE, 3)).astype(np.float32)
  keras_logits, _ = _keras_logits_and_features(keras_xception, images)
  assert np.max(np.abs(model(images, False).numpy() - keras_logits)) < 1e-4
