"""Tests for zoo.training.schedules."""

import numpy as np
import pytest
import tensorflow as tf

from zoo.training.schedules import make_schedule


def _rates(schedule, steps):
  return np.array([float(schedule(tf.constant(s, tf.int64))) for s in steps])


def test_constant():
  np.testing.assert_allclose(_rates(make_schedule(0.5, 100), [0, 50, 99]), 0.5)


def test_exponential_staircase_halves_every_500_steps():
  schedule = make_schedule(1e-3, 2000, "exponential", decay_steps=500,
                           decay_rate=0.5, staircase=True)
  np.testing.assert_allclose(
      _rates(schedule, [0, 499, 500, 999, 1000, 1999]),
      [1e-3, 1e-3, 5e-4, 5e-4, 2.5e-4, 1.25e-4], rtol=1e-6)


def test_exponential_smooth():
  schedule = make_schedule(1.0, 100, "exponential", decay_steps=10,
                           decay_rate=0.5, staircase=False)
  np.testing.assert_allclose(_rates(schedule, [5]), [0.5 ** 0.5], rtol=1e-6)


def test_cosine_reaches_the_floor_and_warms_up():
  schedule = make_schedule(1.0, 100, "cosine", final_fraction=0.1,
                           warmup_steps=10)
  rates = _rates(schedule, [0, 9, 10, 55, 100])
  np.testing.assert_allclose(rates[[0, 1]], [0.1, 1.0], rtol=1e-6)
  np.testing.assert_allclose(rates[2], 1.0, rtol=1e-6)
  np.testing.assert_allclose(rates[3], 0.1 + 0.9 * 0.5, rtol=1e-5)
  np.testing.assert_allclose(rates[4], 0.1, rtol=1e-6)


def test_works_inside_tf_function():
  schedule = make_schedule(1e-3, 2000, "exponential", decay_steps=500)
  assert float(tf.function(schedule)(tf.constant(600, tf.int64))) == (
      pytest.approx(5e-4))


def test_errors():
  with pytest.raises(ValueError, match="Unknown schedule 'linear'"):
    make_schedule(1.0, 10, "linear")
  with pytest.raises(ValueError, match="decay_steps must be positive"):
    make_schedule(1.0, 10, "exponential", decay_steps=0)
