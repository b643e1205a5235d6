"""Dropout whose randomness lives in a checkpointed generator."""

from typing import Optional

import sonnet as snt
import tensorflow as tf


class Dropout(snt.Module):
  """Inverted dropout driven by a `tf.random.Generator` the module owns.

  Unlike `snt.Dropout`, the random state is a variable of the module, so a
  checkpoint restores it and a resumed run draws the same masks as an
  uninterrupted one.
  """

  def __init__(self,
               rate: float,
               seed: Optional[int] = None,
               name: Optional[str] = None):
    """Constructs a Dropout module.

    Args:
      rate: Probability that each element is dropped, in `[0, 1)`.
      seed: Seed of the module's generator. `None` splits one off the global
        generator (`tf.random.set_global_generator` makes that repeatable).
      name: Name of the module.

    Raises:
      ValueError: If `rate` is not in `[0, 1)`.
    """
    super().__init__(name=name)
    if not 0.0 <= rate < 1.0:
      raise ValueError(f"Dropout rate must be in [0, 1), got {rate}.")
    self.rate = float(rate)
    if seed is None:
      self._rng = tf.random.get_global_generator().split(1)[0]
    else:
      self._rng = tf.random.Generator.from_seed(seed)

  def __call__(self, inputs: tf.Tensor, is_training: bool) -> tf.Tensor:
    """Drops elements of `inputs` when training.

    Args:
      inputs: A tensor of any shape.
      is_training: Dropout is applied only when true.

    Returns:
      A tensor of the shape of `inputs`.
    """
    if not is_training or self.rate == 0.0:
      return inputs
    seed = self._rng.make_seeds(1)[:, 0]
    return tf.nn.experimental.stateless_dropout(
        inputs, rate=self.rate, seed=seed)
