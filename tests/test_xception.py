"""Tests for zoo.models.xception."""

import numpy as np
import pytest
import tensorflow as tf

import zoo


def test_parameter_goldens_at_299():
  with_top = zoo.create_model("xception")
  with_top(tf.zeros([1, 299, 299, 3]), False)
  assert with_top.num_parameters() == 22_855_952
  # Keras counts 22,910,480 with the BN moving means and variances; Sonnet
  # keeps each as `average` (plus its `hidden` and `counter`).
  averages = sum(v.shape.num_elements() for v in with_top.variables
                 if v.name.endswith("/average:0"))
  assert with_top.num_parameters() + averages == 22_910_480
  no_top = zoo.create_model("xception", include_top=False)
  features = no_top(tf.zeros([1, 299, 299, 3]), False)
  assert features.shape == (1, 2048)
  assert no_top.num_parameters() == 20_806_952


def test_flowers17_configuration():
  model = zoo.create_model("xception", num_classes=17, image_size=149,
                           hidden_sizes=(256,), dropout_rate=0.5)
  logits, endpoints = model.with_endpoints(tf.zeros([2, 149, 149, 3]), True)
  assert logits.shape == (2, 17)
  assert endpoints["hidden_0"].shape == (2, 256)
  assert model.num_parameters() == 20_806_952 + 2048 * 256 + 256 + 256 * 17 + 17
  assert model.default_image_size == (149, 149)
  assert model.input_normalization == "symmetric"


def test_endpoints_cover_every_block_and_flow():
  model = zoo.create_model("xception", num_classes=3)
  _, endpoints = model.with_endpoints(tf.zeros([1, 71, 71, 3]), False)
  expected = ([f"block{i}" for i in range(1, 5)] + ["entry_flow"] +
              [f"block{i}" for i in range(5, 13)] + ["middle_flow"] +
              ["block13", "block14", "exit_flow", "pre_logits", "logits"])
  assert list(endpoints) == expected
  assert endpoints["exit_flow"].shape == (1, 3, 3, 2048)


def test_eager_equals_tf_function():
  model = zoo.create_model("xception", num_classes=3)
  x = tf.random.uniform([1, 71, 71, 3], -1, 1, seed=5)
  np.testing.assert_allclose(model(x, True).numpy(),
                             tf.function(model)(x, True).numpy(),
                             rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("shape, problem", [
    ([1, 70, 71, 3], "spatial size 70x71"),
    ([1, 71, 71, 1], "1 channels"),
    ([71, 71, 3], "rank 3"),
])
def test_wrong_input_is_value_error(shape, problem):
  model = zoo.create_model("xception")
  with pytest.raises(ValueError, match=rf"H, W >= 71.*{problem}"):
    model(tf.zeros(shape), False)


def test_image_size_under_71_is_rejected():
  with pytest.raises(ValueError, match="at least 71x71"):
    zoo.create_model("xception", image_size=64)
