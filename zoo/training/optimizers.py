"""Optimizers by name, Sonnet's by default and tf_keras' under a strategy.

Sonnet 2 optimizers refuse `MirroredStrategy` and
`MultiWorkerMirroredStrategy`; `tf_keras` optimizers train Sonnet modules
under both. `make_optimizer` hides the difference behind `apply`.
"""

from typing import Any, Sequence

import sonnet as snt
import tensorflow as tf

OPTIMIZERS = ("sgd", "momentum", "adam", "rmsprop")


class Optimizer:
  """`apply(gradients, variables)` over a Sonnet or tf_keras optimizer."""

  def __init__(self, name: str, learning_rate: tf.Variable,
               use_keras: bool = False, momentum: float = 0.9,
               nesterov: bool = False, beta1: float = 0.9,
               beta2: float = 0.999, epsilon: float = 1e-8,
               rmsprop_decay: float = 0.9):
    """Builds the optimizer.

    Args:
      name: One of `OPTIMIZERS`.
      learning_rate: A float variable the training loop assigns each step.
      use_keras: Use `tf_keras` optimizers (needed under tf.distribute).
      momentum: For `momentum` and `rmsprop`.
      nesterov: Nesterov momentum for `momentum`.
      beta1: Adam's first-moment decay.
      beta2: Adam's second-moment decay.
      epsilon: Adam's and RMSProp's epsilon.
      rmsprop_decay: RMSProp's decay of the squared-gradient average.

    Raises:
      ValueError: On an unknown name.
    """
    if name not in OPTIMIZERS:
      raise ValueError(f"Unknown optimizer {name!r}; use one of {OPTIMIZERS}.")
    self.name = name
    self.learning_rate = learning_rate
    self.use_keras = use_keras
    if use_keras:
      import tf_keras  # pylint: disable=g-import-not-at-top

      class _ReadVariable(tf_keras.optimizers.schedules.LearningRateSchedule):
        """tf_keras copies a plain rate; a schedule is re-read every update."""

        def __call__(self, step):
          del step
          return tf.identity(learning_rate)

        def get_config(self):
          return {}

      lr = _ReadVariable()
      self.optimizer = {
          "sgd": lambda: tf_keras.optimizers.SGD(lr),
          "momentum": lambda: tf_keras.optimizers.SGD(
              lr, momentum=momentum, nesterov=nesterov),
          "adam": lambda: tf_keras.optimizers.Adam(
              lr, beta_1=beta1, beta_2=beta2, epsilon=epsilon),
          "rmsprop": lambda: tf_keras.optimizers.RMSprop(
              lr, rho=rmsprop_decay, momentum=0.0, epsilon=epsilon),
      }[name]()
    else:
      self.optimizer = {
          "sgd": lambda: snt.optimizers.SGD(learning_rate),
          "momentum": lambda: snt.optimizers.Momentum(
              learning_rate, momentum, use_nesterov=nesterov),
          "adam": lambda: snt.optimizers.Adam(
              learning_rate, beta1=beta1, beta2=beta2, epsilon=epsilon),
          "rmsprop": lambda: snt.optimizers.RMSProp(
              learning_rate, decay=rmsprop_decay, epsilon=epsilon),
      }[name]()

  def apply(self, gradients: Sequence[tf.Tensor],
            variables: Sequence[tf.Variable]) -> None:
    """Applies one update."""
    if self.use_keras:
      self.optimizer.apply_gradients(zip(gradients, variables))
    else:
      self.optimizer.apply(gradients, variables)

  def build(self, variables: Sequence[tf.Variable]) -> None:
    """Creates the slot variables, so a checkpoint can restore them."""
    if self.use_keras:
      self.optimizer.build(variables)
    else:
      # Sonnet creates slots lazily in `_initialize` (SGD has none).
      initialize = getattr(self.optimizer, "_initialize", None)
      if initialize is not None:
        initialize(variables)


def optimizer_from_config(config: dict, learning_rate: tf.Variable,
                          use_keras: bool = False) -> Any:
  """`Optimizer` from a config's `train.optimizer` section."""
  kwargs = {k: v for k, v in config.items()
            if k not in ("name", "learning_rate")}
  return Optimizer(config["name"], learning_rate, use_keras=use_keras,
                   **kwargs)
