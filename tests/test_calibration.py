"""zoo.calibration: ECE, NLL and temperature scaling."""

import math
import subprocess
import sys

import numpy as np
import pytest

from zoo import calibration


def _small_case():
  probabilities = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
  return np.log(probabilities), np.array([0, 1, 1])


def test_negative_log_likelihood_by_hand():
  logits, labels = _small_case()
  expected = -(math.log(0.9) + math.log(0.8) + math.log(0.4)) / 3
  assert calibration.negative_log_likelihood(logits, labels) == pytest.approx(
      expected, abs=1e-9)
  # Softmax is shift-invariant: unnormalised logits give the same value.
  assert calibration.negative_log_likelihood(logits + 7.0, labels) == (
      pytest.approx(expected, abs=1e-9))


def test_expected_calibration_error_by_hand():
  logits, labels = _small_case()
  # Ten bins: confidences 0.9 (right), 0.8 (right) and 0.6 (wrong) sit alone
  # in their bins: (|1 - 0.9| + |1 - 0.8| + |0 - 0.6|) / 3.
  assert calibration.expected_calibration_error(
      logits, labels, num_bins=10) == pytest.approx(0.3, abs=1e-6)
  # One bin: |accuracy - mean confidence| = |2/3 - 2.3/3| = 0.1.
  assert calibration.expected_calibration_error(
      logits, labels, num_bins=1) == pytest.approx(0.1, abs=1e-6)


@pytest.mark.parametrize("num_bins", [1, 10, 15])
def test_expected_calibration_error_equals_tensorflow_probability(num_bins):
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  import tensorflow_probability as tfp  # pylint: disable=g-import-not-at-top
  rng = np.random.default_rng(num_bins)
  logits = rng.normal(0.0, 3.0, [2000, 7])
  labels = rng.integers(0, 7, 2000)
  labels[:1200] = logits[:1200].argmax(-1)  # Some right, some wrong.
  expected = float(tfp.stats.expected_calibration_error(
      num_bins, logits=tf.constant(logits, tf.float32),
      labels_true=tf.constant(labels, tf.int32)))
  assert calibration.expected_calibration_error(
      logits, labels, num_bins) == pytest.approx(expected, abs=1e-5)


def test_calibration_metrics_import_no_tensorflow():
  code = ("import sys, numpy as np\n"
          "from zoo import calibration\n"
          "calibration.expected_calibration_error(np.eye(3), [0, 1, 1])\n"
          "calibration.negative_log_likelihood(np.eye(3), [0, 1, 1])\n"
          "print('tensorflow' in sys.modules)\n")
  done = subprocess.run([sys.executable, "-c", code], capture_output=True,
                        text=True, check=True)
  assert done.stdout.strip() == "False"


def _synthetic(temperature, count=20000, classes=5, seed=0):
  """Labels drawn from softmax(true logits); logits scaled by `temperature`."""
  rng = np.random.default_rng(seed)
  true_logits = rng.normal(0.0, 2.0, [count, classes])
  probabilities = np.exp(true_logits - np.logaddexp.reduce(
      true_logits, axis=-1, keepdims=True))
  labels = np.array([rng.choice(classes, p=p) for p in probabilities])
  return true_logits * temperature, labels


@pytest.mark.parametrize("true_temperature", [0.5, 2.5])
def test_fit_temperature_recovers_a_known_temperature(true_temperature):
  logits, labels = _synthetic(true_temperature)
  fitted = calibration.fit_temperature(logits, labels)
  assert fitted == pytest.approx(true_temperature, rel=0.05)
  before = calibration.negative_log_likelihood(logits, labels)
  after = calibration.negative_log_likelihood(logits / fitted, labels)
  assert after < before
  assert calibration.expected_calibration_error(logits / fitted, labels) < (
      calibration.expected_calibration_error(logits, labels))


def test_calibrated_data_keeps_temperature_one():
  logits, labels = _synthetic(1.0, seed=1)
  assert calibration.fit_temperature(logits, labels) == pytest.approx(
      1.0, rel=0.05)


def test_fit_temperature_needs_examples():
  with pytest.raises(ValueError, match="no examples"):
    calibration.fit_temperature(np.zeros([0, 3]), np.zeros([0], np.int64))


def test_not_finite_probabilities_give_nan():
  for row in ([np.nan, 0.0], [np.inf, 0.0], [-np.inf, -np.inf]):
    assert math.isnan(calibration.expected_calibration_error(
        np.array([row]), np.array([0])))
