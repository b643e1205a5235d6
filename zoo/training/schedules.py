"""Learning-rate schedules as functions of the global step."""

import math
from typing import Any, Callable, Dict

import tensorflow as tf

Schedule = Callable[[tf.Tensor], tf.Tensor]
from zoo.training.choices import SCHEDULES  # pylint: disable=unused-import


def make_schedule(base_learning_rate: float, total_steps: int,
                  name: str = "constant", decay_steps: int = 1000,
                  decay_rate: float = 0.5, staircase: bool = True,
                  warmup_steps: int = 0,
                  final_fraction: float = 0.0) -> Schedule:
  """Builds `step -> learning rate`, traceable inside a `tf.function`.

  Args:
    base_learning_rate: The peak rate.
    total_steps: Length of the run (the cosine schedule ends there).
    name: `constant`, `exponential` (times `decay_rate` every `decay_steps`,
      in steps if `staircase`) or `cosine` (to `final_fraction` of the peak).
    decay_steps: Exponential decay period.
    decay_rate: Exponential decay factor per period.
    staircase: Decay in discrete steps.
    warmup_steps: Linear warm-up from 0 before the schedule starts.
    final_fraction: Cosine floor as a fraction of the peak.

  Returns:
    A function of an integer step tensor returning a float32 rate.

  Raises:
    ValueError: On an unknown name or invalid lengths.
  """
  if name not in SCHEDULES:
    raise ValueError(f"Unknown schedule {name!r}; use one of {SCHEDULES}.")
  if decay_steps < 1:
    raise ValueError(f"decay_steps must be positive, got {decay_steps}.")
  base = tf.constant(base_learning_rate, tf.float32)

  def schedule(step: tf.Tensor) -> tf.Tensor:
    step = tf.cast(step, tf.float32)
    if name == "exponential":
      exponent = step / decay_steps
      if staircase:
        exponent = tf.floor(exponent)
      rate = base * tf.pow(tf.constant(decay_rate, tf.float32), exponent)
    elif name == "cosine":
      span = max(total_steps - warmup_steps, 1)
      progress = tf.clip_by_value((step - warmup_steps) / span, 0.0, 1.0)
      cosine = 0.5 * (1.0 + tf.cos(math.pi * progress))
      rate = base * (final_fraction + (1.0 - final_fraction) * cosine)
    else:
      rate = base
    if warmup_steps > 0:
      rate *= tf.minimum(1.0, (step + 1.0) / warmup_steps)
    return rate

  return schedule


def schedule_from_config(learning_rate: float, total_steps: int,
                         config: Dict[str, Any]) -> Schedule:
  """`make_schedule` from a config's `train.schedule` section."""
  return make_schedule(learning_rate, total_steps, **config)
