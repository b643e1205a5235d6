"""Tests for zoo.training.optimizers."""

import numpy as np
import pytest
import tensorflow as tf

from zoo.training.optimizers import OPTIMIZERS, Optimizer


@pytest.mark.parametrize("use_keras", [False, True])
@pytest.mark.parametrize("name", OPTIMIZERS)
def test_every_optimizer_descends_a_quadratic(name, use_keras):
  variable = tf.Variable([3.0, -2.0])
  rate = tf.Variable(0.1)
  optimizer = Optimizer(name, rate, use_keras=use_keras)
  optimizer.build([variable])
  start = float(tf.reduce_sum(variable ** 2))
  for _ in range(20):
    with tf.GradientTape() as tape:
      loss = tf.reduce_sum(variable ** 2)
    optimizer.apply(tape.gradient(loss, [variable]), [variable])
  assert float(tf.reduce_sum(variable ** 2)) < 0.5 * start


@pytest.mark.parametrize("use_keras", [False, True])
def test_learning_rate_variable_is_read_at_every_update(use_keras):
  variable = tf.Variable([1.0])
  rate = tf.Variable(0.5)
  optimizer = Optimizer("sgd", rate, use_keras=use_keras)
  optimizer.apply([tf.constant([1.0])], [variable])
  np.testing.assert_allclose(variable.numpy(), [0.5])
  rate.assign(0.25)
  optimizer.apply([tf.constant([1.0])], [variable])
  np.testing.assert_allclose(variable.numpy(), [0.25])


def test_unknown_optimizer():
  with pytest.raises(ValueError, match="Unknown optimizer 'adagrad'"):
    Optimizer("adagrad", tf.Variable(0.1))
