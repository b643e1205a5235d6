"""Tests for zoo.blocks.head."""

import numpy as np
import pytest
import tensorflow as tf

from zoo import ClassifierHead


def test_logits_only():
  head = ClassifierHead(5, name="head")
  logits, endpoints = head(tf.zeros([3, 8]), is_training=False)
  assert logits.shape == (3, 5)
  assert endpoints == {}
  assert sorted(v.name for v in head.trainable_variables) == [
      "head/logits/b:0", "head/logits/w:0"]


def test_hidden_layers_are_relu_and_reported():
  head = ClassifierHead(5, hidden_sizes=(16, 4))
  logits, endpoints = head(tf.random.normal([3, 8]), is_training=False)
  assert logits.shape == (3, 5)
  assert list(endpoints) == ["hidden_0", "hidden_1"]
  assert endpoints["hidden_1"].shape == (3, 4)
  assert np.all(endpoints["hidden_0"].numpy() >= 0)


def test_dropout_only_while_training():
  head = ClassifierHead(2, hidden_sizes=(256,), dropout_rate=0.5)
  x = tf.random.normal([4, 8], seed=5)
  np.testing.assert_array_equal(head(x, False)[0].numpy(),
                                head(x, False)[0].numpy())
  assert not np.allclose(head(x, True)[0].numpy(), head(x, False)[0].numpy())


def test_eager_equals_tf_function():
  head = ClassifierHead(3, hidden_sizes=(4,))
  x = tf.random.normal([2, 6], seed=6)
  np.testing.assert_allclose(head(x, False)[0].numpy(),
                             tf.function(head)(x, False)[0].numpy(), atol=1e-6)


@pytest.mark.parametrize("kwargs, message", [
    ({"num_classes": 0}, "num_classes must be positive"),
    ({"num_classes": 2, "hidden_sizes": (0,)}, "hidden_sizes must be positive"),
    ({"num_classes": 2, "dropout_rate": 1.0}, r"Dropout rate must be in \[0, 1\)"),
])
def test_invalid_arguments(kwargs, message):
  with pytest.raises(ValueError, match=message):
    ClassifierHead(**kwargs)
