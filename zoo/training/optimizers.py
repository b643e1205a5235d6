"""Optimizers by name, Sonnet's by default and tf_keras' under a strategy.

Sonnet 2 optimizers refuse `MirroredStrategy` and
`MultiWorkerMirroredStrategy`; `tf_keras` optimizers train Sonnet modules
under both. `make_optimizer` hides the difference behind `apply`.
"""

import dataclasses
from typing import Any, Optional, Sequence, Union

import sonnet as snt
import tensorflow as tf

from zoo.training import schedules

from zoo.training.choices import OPTIMIZERS  # pylint: disable=unused-import


class Optimizer:
  """`apply(gradients, variables)` over a Sonnet or tf_keras optimizer."""

  def __init__(self, name: str, learning_rate: Union[float, tf.Variable],
               use_keras: bool = False, momentum: float = 0.9,
               nesterov: bool = False, beta1: float = 0.9,
               beta2: float = 0.999, epsilon: float = 1e-8,
               rmsprop_decay: float = 0.9):
    """Builds the optimizer.

    Args:
      name: One of `OPTIMIZERS`.
      learning_rate: The initial rate, or a float variable to use; the
        trainer assigns the scheduled rate to `self.learning_rate` before
        every update.
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
    if not isinstance(learning_rate, tf.Variable):
      # Assigned from the schedule inside each replica's step.
      learning_rate = tf.Variable(
          float(learning_rate), dtype=tf.float32, trainable=False,
          aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA,
          name="learning_rate")
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


def optimizer_from_config(config: dict,
                          learning_rate: Union[None, float, tf.Variable] = None,
                          use_keras: bool = False) -> Optimizer:
  """`Optimizer` from a config's `train.optimizer` section."""
  kwargs = {k: v for k, v in config.items()
            if k not in ("name", "learning_rate")}
  if learning_rate is None:
    learning_rate = config["learning_rate"]
  return Optimizer(config["name"], learning_rate, use_keras=use_keras,
                   **kwargs)


@dataclasses.dataclass
class Optimization:
  """The optimizer(s) and schedule of a run, wired together.

  Attributes:
    optimizer: Updates the model (the backbone when `head_optimizer` is set;
      only the head when the backbone is frozen).
    schedule: `step -> learning rate` of `optimizer`.
    head_optimizer: A separate optimizer for the head, or None.
    head_learning_rate_scale: The head's rate is `schedule(step)` times this.
  """
  optimizer: Optimizer
  schedule: schedules.Schedule
  head_optimizer: Optional[Optimizer] = None
  head_learning_rate_scale: float = 1.0


def optimization_from_config(train: dict, finetune: dict, total_steps: int,
                             use_keras: bool = False,
                             strategy: Optional[tf.distribute.Strategy] = None
                             ) -> Optimization:
  """Builds a run's optimizer(s) and schedule from its config sections.

  This is the one place that decides the learning rates: the config's
  `train.optimizer.learning_rate` and `train.schedule`, and for fine-tuning
  `finetune.head_learning_rate` (the head's own rate, or the only rate when
  the backbone is frozen).

  Args:
    train: The config's `train` section.
    finetune: The config's `finetune` section.
    total_steps: Steps of the run (schedules decay over them).
    use_keras: tf_keras optimizers (needed under multi-device strategies).
    strategy: Variables are created in its scope.
  """
  strategy = strategy or tf.distribute.get_strategy()
  opt = train["optimizer"]
  base_rate = opt["learning_rate"]
  head_rate = finetune.get("head_learning_rate")
  freeze = finetune.get("freeze_backbone")
  with strategy.scope():
    if freeze and head_rate is not None:
      # Only the head trains: its rate is the run's rate.
      base_rate = head_rate
    optimizer = optimizer_from_config(opt, base_rate, use_keras)
    head_optimizer, scale = None, 1.0
    if head_rate is not None and not freeze:
      head_optimizer = optimizer_from_config(opt, head_rate, use_keras)
      scale = head_rate / base_rate
  schedule = schedules.schedule_from_config(base_rate, total_steps,
                                            train["schedule"])
  return Optimization(optimizer, schedule, head_optimizer, scale)
