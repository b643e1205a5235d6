"""Tests for zoo.models._registry."""

import numpy as np
import pytest
import tensorflow as tf

import zoo


def test_list_models_has_every_zoo_model():
  assert zoo.list_models() == [
      "deep_mnist_cnn", "mini_xception", "mobilenet_v1", "softmax_regression",
      "tfjs_mnist_convnet", "xception", "xception41", "xception65",
      "xception71"
  ]


def test_unknown_model_lists_known_ones():
  with pytest.raises(ValueError, match=r"Unknown model 'xceptoin'.*"
                     r"Did you mean 'xception'.*deep_mnist_cnn"):
    zoo.create_model("xceptoin")


def test_unknown_argument_names_the_closest():
  with pytest.raises(ValueError, match=r"no argument 'num_class'.*"
                     r"'num_classes'"):
    zoo.create_model("deep_mnist_cnn", num_class=3)


def test_none_arguments_keep_defaults():
  model = zoo.create_model("softmax_regression", num_classes=None)
  assert model.num_classes == 10


def test_model_arguments_reports_defaults():
  args = zoo.model_arguments("xception")
  assert args["num_classes"] == 1000
  assert args["include_top"] is True


def test_a_built_in_model_cannot_be_replaced():
  def softmax_regression():  # Same name as the zoo's model.
    raise AssertionError("never built")
  original = zoo.create_model.__globals__["_MODEL_FNS"]["softmax_regression"]
  with pytest.raises(ValueError, match="one of the zoo's own.*another name"):
    zoo.register_model(softmax_regression)
  assert zoo.create_model.__globals__["_MODEL_FNS"]["softmax_regression"] is (
      original)


def test_an_outside_model_registered_twice_warns():
  fns = zoo.create_model.__globals__["_MODEL_FNS"]
  def outside_twice():
    raise AssertionError("never built")
  try:
    zoo.register_model(outside_twice)
    with pytest.warns(UserWarning, match="registered twice"):
      zoo.register_model(outside_twice)
  finally:
    fns.pop("outside_twice", None)


def _smallest_input(model):
  """The smallest batch of two the model takes, asked of the model."""
  facts = model.data_config()
  size = facts["fixed_image_size"] or (max(facts["min_image_size"], 8),) * 2
  return (2, *size, facts["channels"])


@pytest.mark.parametrize("name", zoo.list_models())
def test_every_model_describes_its_input(name):
  model = zoo.create_model(name, num_classes=7)
  facts = model.data_config()
  assert facts["num_classes"] == 7
  assert facts["normalization"] in zoo.models.NORMALIZATIONS
  assert len(facts["image_size"]) == 2 and facts["channels"] >= 1
  assert min(facts["image_size"]) >= facts["min_image_size"]
  resized = zoo.create_model(name, image_size=(facts["image_size"][0] + 3,
                                               facts["image_size"][1] + 5))
  assert resized.data_config()["image_size"] == (facts["image_size"][0] + 3,
                                                 facts["image_size"][1] + 5)


@pytest.mark.parametrize("name", zoo.list_models())
def test_every_model_refuses_a_bad_image_size(name):
  for bad in (0, (28,), "large", (28, -1)):
    with pytest.raises(ValueError, match="image_size"):
      zoo.create_model(name, image_size=bad)


@pytest.mark.parametrize("name", zoo.list_models())
def test_every_registered_model_runs_forward(name):
  model = zoo.create_model(name, num_classes=7)
  images = tf.random.uniform(_smallest_input(model))
  logits = model(images, is_training=True)
  assert logits.shape == (2, 7)
  assert np.all(np.isfinite(logits.numpy()))
  logits, endpoints = model.with_endpoints(images, is_training=False)
  assert "pre_logits" in endpoints and "logits" in endpoints
  assert model.num_parameters() > 0
