"""How far predicted probabilities are from observed frequencies, and the fix.

    calibration.expected_calibration_error(logits, labels)   # 15 bins
    calibration.negative_log_likelihood(logits, labels)
    temperature = calibration.fit_temperature(val_logits, val_labels)
    probabilities = softmax(logits / temperature)

Temperature scaling (Guo et al., 2017) divides every logit by one scalar
fitted to minimise the negative log-likelihood of held-out data: the
predicted classes (and so the accuracy) do not change, only how confident
the probabilities are. Pure metrics: fitting a training run's temperature
on its held-out split is `zoo.run_serving.calibrate_run`. The metrics are
NumPy; TensorFlow (Probability) is imported by `fit_temperature` only.
"""

import numpy as np


def _log_softmax(logits: np.ndarray) -> np.ndarray:
  logits = np.asarray(logits, np.float64)
  return logits - np.logaddexp.reduce(logits, axis=-1, keepdims=True)


def negative_log_likelihood(logits: np.ndarray, labels: np.ndarray) -> float:
  """Mean -log p(label) under softmax(logits).

  Args:
    logits: `[N, K]` (log-probabilities work too).
    labels: `[N]` int class indices.

  Returns:
    The mean negative log-likelihood in nats.
  """
  labels = np.asarray(labels, np.int64)
  log_probs = _log_softmax(logits)
  return float(-log_probs[np.arange(len(labels)), labels].mean())


def expected_calibration_error(logits: np.ndarray, labels: np.ndarray,
                               num_bins: int = 15) -> float:
  """Expected calibration error of the top class, in `num_bins` equal bins.

  The mean over bins of confidence in [0, 1] of |accuracy - mean confidence|,
  weighted by the share of examples in the bin: the definition of
  `tfp.stats.expected_calibration_error` (tested against it), computed in
  NumPy so that evaluating an export needs no TensorFlow.

  Args:
    logits: `[N, K]` (log-probabilities work too).
    labels: `[N]` int class indices.
    num_bins: Equal-width bins of the top-class probability.

  Returns:
    The ECE in [0, 1]; NaN when a row's probabilities are not finite (as
    TensorFlow Probability gives).
  """
  labels = np.asarray(labels, np.int64)
  if not len(labels):
    raise ValueError("No examples to measure the calibration error on.")
  probabilities = np.exp(_log_softmax(logits))
  if not np.isfinite(probabilities).all():
    return float("nan")
  predicted = probabilities.argmax(axis=-1)
  confidence = probabilities[np.arange(len(labels)), predicted]
  # tf.histogram_fixed_width_bins over [0, 1]: the last bin holds 1.0.
  bins = np.clip(np.floor(confidence * num_bins), 0, num_bins - 1)
  bins = bins.astype(np.int64)
  counts = np.bincount(bins, minlength=num_bins)
  correct = np.bincount(bins, weights=(predicted == labels).astype(np.float64),
                        minlength=num_bins)
  confidences = np.bincount(bins, weights=confidence, minlength=num_bins)
  filled = counts > 0
  gaps = np.abs(correct[filled] - confidences[filled]) / counts[filled]
  return float(np.sum(counts[filled] / len(labels) * gaps))


def fit_temperature(logits: np.ndarray, labels: np.ndarray,
                    max_iterations: int = 100) -> float:
  """The temperature T minimising the NLL of softmax(logits / T).

  Minimised over log T with L-BFGS (`tfp.optimizer.lbfgs_minimize`), so T
  stays positive.

  Args:
    logits: `[N, K]` held-out logits.
    labels: `[N]` int class indices.
    max_iterations: L-BFGS iterations.

  Returns:
    The fitted temperature (> 1 when the model is over-confident).

  Raises:
    ValueError: With no examples or a fit that does not converge.
  """
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  import tensorflow_probability as tfp  # pylint: disable=g-import-not-at-top
  if len(labels) == 0:
    raise ValueError("Cannot fit a temperature on no examples.")
  logits = tf.constant(np.asarray(logits, np.float64))
  labels = tf.constant(np.asarray(labels, np.int64))

  def loss_and_gradient(log_temperature):
    return tfp.math.value_and_gradient(
        lambda t: tf.reduce_mean(
            tf.nn.sparse_softmax_cross_entropy_with_logits(
                labels=labels, logits=logits * tf.exp(-t[0]))),
        log_temperature)

  result = tfp.optimizer.lbfgs_minimize(
      loss_and_gradient, initial_position=tf.zeros([1], tf.float64),
      max_iterations=max_iterations, tolerance=1e-10)
  temperature = float(np.exp(result.position.numpy()[0]))
  if not np.isfinite(temperature) or bool(result.failed):
    raise ValueError("Temperature fitting did not converge.")
  return temperature
