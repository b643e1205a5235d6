"""The Sonnet 2 training step and evaluation, strategy-aware.

`Trainer` owns what a training run updates (the step counter, the learning
rate, the optimizer slots and an optional EMA of the weights) and compiles
one `tf.function` step for fixed batch shapes. Under a `tf.distribute`
strategy the same code runs per replica with the loss scaled by the global
batch size.
"""

import contextlib
from typing import Dict, Iterator, List, Optional, Sequence

import sonnet as snt
import tensorflow as tf

from zoo.models.base import ImageClassifier
from zoo.training import distribute
from zoo.training import precision as precision_lib
from zoo.training.optimizers import Optimizer
from zoo.training.optimizers import optimization_from_config
from zoo.training.schedules import Schedule


def kernel_variables(module: snt.Module) -> List[tf.Variable]:
  """Trainable weights that weight decay applies to: kernels, not biases/BN."""
  return [v for v in module.trainable_variables
          if v.name.split("/")[-1].startswith("w:")]


def _num_correct(logits: tf.Tensor, labels: tf.Tensor) -> tf.Tensor:
  """How many argmax predictions equal the labels, as a float32 scalar."""
  predictions = tf.argmax(logits, -1, output_type=tf.int32)
  return tf.reduce_sum(tf.cast(
      tf.equal(predictions, tf.cast(labels, tf.int32)), tf.float32))


class WeightAverage:
  """An exponential moving average of variables, swapped in for evaluation."""

  def __init__(self, variables: Sequence[tf.Variable], decay: float):
    self._variables = list(variables)
    self._decay = decay
    self.averages = [
        tf.Variable(v, trainable=False, name=v.name.split(":")[0] + "/ema")
        for v in self._variables
    ]

  def update(self) -> None:
    for average, variable in zip(self.averages, self._variables):
      average.assign_sub((1.0 - self._decay) * (average - variable))

  @contextlib.contextmanager
  def swapped(self) -> Iterator[None]:
    """Within the block the variables hold their averages."""
    saved = [tf.identity(v) for v in self._variables]
    for variable, average in zip(self._variables, self.averages):
      variable.assign(average)
    try:
      yield
    finally:
      for variable, value in zip(self._variables, saved):
        variable.assign(value)


class Trainer:
  """Compiled train and evaluation steps for a zoo `ImageClassifier`."""

  def __init__(self,
               model: ImageClassifier,
               optimizer: Optimizer,
               schedule: Schedule,
               global_batch_size: int,
               weight_decay: float = 0.0,
               clip_grad_norm: Optional[float] = None,
               ema_decay: Optional[float] = None,
               freeze_backbone: bool = False,
               head_optimizer: Optional[Optimizer] = None,
               head_learning_rate_scale: float = 1.0,
               jit_compile: bool = False,
               strategy: Optional[tf.distribute.Strategy] = None,
               precision: str = "float32",
               fuse_optimizer_update: bool = True):
    """Creates the trainer.

    Call `build(images)` (or run a step) before restoring a checkpoint so all
    variables exist.

    Args:
      model: The model, created in `strategy.scope()` when distributed.
      optimizer: Updates the model (or the backbone when a head optimizer is
        given).
      schedule: `step -> learning rate`.
      global_batch_size: Examples per step across all replicas; the loss of
        each replica is summed and divided by it.
      weight_decay: Coefficient of `sum(w**2) / 2` over kernels.
      clip_grad_norm: Clip gradients to this global norm.
      ema_decay: Keep an EMA of the trainable weights, used by `evaluate`.
      freeze_backbone: Train only the head.
      head_optimizer: A separate optimizer for the head (its own rate).
      head_learning_rate_scale: Head rate = schedule(step) * this scale.
      jit_compile: Compile the train step with XLA.
      strategy: A `tf.distribute.Strategy`; the default strategy if `None`.
      precision: `float32`, `mixed_float16` (with dynamic loss scaling),
        `mixed_bfloat16` or `auto` (resolved for this machine); see
        `zoo.training.precision`.
      fuse_optimizer_update: Compile the (Sonnet) optimizer update with XLA
        into fused loops; same results, faster on CPUs.

    Raises:
      ValueError: If the head is needed but the model has none.
    """
    self.model = model
    self.optimizer = optimizer
    self.head_optimizer = head_optimizer
    self.schedule = schedule
    self.global_batch_size = global_batch_size
    self.weight_decay = weight_decay
    self.clip_grad_norm = clip_grad_norm
    self.ema_decay = ema_decay
    self.freeze_backbone = freeze_backbone
    self.head_learning_rate_scale = head_learning_rate_scale
    self.strategy = strategy or tf.distribute.get_strategy()
    if (freeze_backbone or head_optimizer) and model.classifier_head is None:
      raise ValueError("freeze_backbone and a head learning rate need a model "
                       "with a head (include_top=True).")
    if self.strategy.num_replicas_in_sync > 1 and not optimizer.use_keras:
      raise ValueError("Sonnet optimizers refuse multi-replica strategies: "
                       "build the Optimizer with use_keras=True.")
    self.precision = precision_lib.resolve(
        precision, strategy=self.strategy).precision
    self.compute_dtype = precision_lib.compute_dtype(self.precision)
    # The step counter is an ordinary (per-process) variable, not a mirrored
    # one, so the loop can read it with int(); every replica and worker
    # advances it identically once per step.
    self.step = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")
    with self.strategy.scope():
      self.loss_scale = (precision_lib.DynamicLossScale()
                         if self.precision == "mixed_float16" else None)
    self.ema: Optional[WeightAverage] = None
    self._train_step = tf.function(self._distributed_train_step,
                                   jit_compile=jit_compile)
    self._eval_step = tf.function(self._distributed_eval_step)
    # The optimizer update is a chain of elementwise ops per variable (Adam:
    # about ten passes over every weight). Compiled with XLA it becomes one
    # fused loop per variable, with the same arithmetic; on a CPU this is a
    # large part of a step for models with big dense layers. tf_keras
    # optimizers (used under strategies) have fused kernels and cross-replica
    # logic of their own and are left alone.
    self._fuse_update = (fuse_optimizer_update and not optimizer.use_keras and
                         (head_optimizer is None or
                          not head_optimizer.use_keras))
    self._fused_update = tf.function(self._update, jit_compile=True)
    self._built = False

  @classmethod
  def from_config(cls, model: ImageClassifier, config: dict,
                  total_steps: int,
                  strategy: Optional[tf.distribute.Strategy] = None,
                  precision: Optional[str] = None) -> "Trainer":
    """A trainer as a run config's `train` and `finetune` sections say.

    The optimizer(s), their learning-rate variables and the schedule come
    from `optimizers.optimization_from_config`, the one place that wires
    them.

    Args:
      model: The model.
      config: A validated run config.
      total_steps: Steps of the whole run (for schedules).
      strategy: A `tf.distribute.Strategy`; the default strategy if `None`.
      precision: Replaces `train.precision` (a run passes the precision it
        resolved `auto` to).
    """
    strategy = strategy or tf.distribute.get_strategy()
    train, finetune = config["train"], config["finetune"]
    plan = optimization_from_config(
        train, finetune, total_steps,
        use_keras=distribute.needs_keras_optimizers(strategy),
        strategy=strategy)
    return cls(
        model, plan.optimizer, plan.schedule,
        global_batch_size=config["data"]["batch_size"],
        weight_decay=train["weight_decay"],
        clip_grad_norm=train["clip_grad_norm"],
        ema_decay=train["ema_decay"],
        freeze_backbone=finetune["freeze_backbone"],
        head_optimizer=plan.head_optimizer,
        head_learning_rate_scale=plan.head_learning_rate_scale,
        jit_compile=train["jit_compile"], strategy=strategy,
        precision=precision or train["precision"])

  def _logits(self, images: tf.Tensor, is_training: bool) -> tf.Tensor:
    """The model's float32 logits, computed in the trainer's precision."""
    images = tf.cast(images, self.compute_dtype)
    with precision_lib.compute_in(self.compute_dtype):
      logits = self.model(images, is_training=is_training)
    return tf.cast(logits, tf.float32)

  def predict(self, images: tf.Tensor) -> tf.Tensor:
    """Inference-mode logits (wrap in a `tf.function` for speed)."""
    return self._logits(images, is_training=False)

  # Variables -------------------------------------------------------------

  def _variable_groups(self):
    """(backbone-or-all variables, head variables or [])."""
    head = self.model.classifier_head
    if self.freeze_backbone:
      return [], list(head.trainable_variables)
    if self.head_optimizer is not None:
      head_ids = {id(v) for v in head.trainable_variables}
      rest = [v for v in self.model.trainable_variables
              if id(v) not in head_ids]
      return rest, list(head.trainable_variables)
    return list(self.model.trainable_variables), []

  def build(self, images: tf.Tensor) -> None:
    """Creates model, optimizer and EMA variables from one batch's shape."""
    if self._built:
      return
    with self.strategy.scope():
      self.model(images[:1], is_training=False)
      main, head = self._variable_groups()
      if self.freeze_backbone:
        self.optimizer.build(head)
      else:
        self.optimizer.build(main)
        if self.head_optimizer is not None:
          self.head_optimizer.build(head)
      if self.ema_decay:
        self.ema = WeightAverage(self.model.trainable_variables,
                                 self.ema_decay)
    self._decay_variables = kernel_variables(self.model)
    self._built = True

  def checkpoint_objects(self) -> Dict[str, tf.Module]:
    """Everything a checkpoint must hold to resume this trainer exactly."""
    objects = {"model": self.model, "step": self.step,
               "optimizer": self.optimizer.optimizer}
    if self.head_optimizer is not None:
      objects["head_optimizer"] = self.head_optimizer.optimizer
    if self.loss_scale is not None:
      objects["loss_scale"] = tf.Module()
      objects["loss_scale"].variables_ = [self.loss_scale.scale,
                                          self.loss_scale.good_steps]
    if self.ema is not None:
      objects["ema"] = tf.Module()
      objects["ema"].averages = self.ema.averages
    return objects

  # Steps -----------------------------------------------------------------

  def _replica_train_step(self, images, labels):
    main, head = self._variable_groups()
    train_vars = (main or []) + head
    with tf.GradientTape() as tape:
      logits = self._logits(images, is_training=True)
      per_example = tf.nn.sparse_softmax_cross_entropy_with_logits(
          labels=tf.cast(labels, tf.int32), logits=logits)
      loss = tf.reduce_sum(per_example) / self.global_batch_size
      total = loss
      if self.weight_decay:
        replicas = self.strategy.num_replicas_in_sync
        total += (self.weight_decay / replicas) * tf.add_n(
            [tf.nn.l2_loss(tf.cast(w, tf.float32))
             for w in self._decay_variables])
      if self.loss_scale is not None:
        total = self.loss_scale.scale_loss(total)
    gradients = tape.gradient(total, train_vars)
    if self.loss_scale is not None:
      gradients, finite = self.loss_scale.unscale_and_check(gradients)

      def apply():
        self._apply(gradients)
        return tf.constant(True)

      # On overflow skip the update (the scale was halved).
      tf.cond(finite, apply, lambda: tf.constant(False))
    else:
      self._apply(gradients)
    return loss, _num_correct(logits, labels)

  def _apply(self, gradients):
    if self._fuse_update:
      self._fused_update(gradients)
    else:
      self._update(gradients)

  def _update(self, gradients):
    """Clips, applies the optimizers and updates the EMA."""
    main, head = self._variable_groups()
    if self.clip_grad_norm:
      gradients, _ = tf.clip_by_global_norm(gradients, self.clip_grad_norm)
    rate = self.schedule(self.step)
    self.optimizer.learning_rate.assign(rate)
    if head and self.head_optimizer is not None:
      self.head_optimizer.learning_rate.assign(
          rate * self.head_learning_rate_scale)
      self.head_optimizer.apply(gradients[len(main):], head)
      self.optimizer.apply(gradients[:len(main)], main)
    elif self.freeze_backbone:
      self.optimizer.apply(gradients, head)
    else:
      self.optimizer.apply(gradients, main)
    if self.ema is not None:
      self.ema.update()

  def _distributed_train_step(self, images, labels):
    loss, correct = self.strategy.run(self._replica_train_step,
                                      args=(images, labels))
    self.step.assign_add(1)
    sum_ = tf.distribute.ReduceOp.SUM
    return {
        "loss": self.strategy.reduce(sum_, loss, axis=None),
        "accuracy": self.strategy.reduce(sum_, correct, axis=None) /
                    self.global_batch_size,
    }

  def train_step(self, images: tf.Tensor,
                 labels: tf.Tensor) -> Dict[str, tf.Tensor]:
    """One optimisation step on a batch (per-replica values when distributed).

    Args:
      images: `[B, H, W, C]` batch (a distributed value under a strategy).
      labels: `[B]` integer labels.

    Returns:
      `{"loss": mean cross-entropy, "accuracy": batch accuracy}`.
    """
    if not self._built:
      raise RuntimeError("Call Trainer.build(images) before train_step.")
    return self._train_step(images, labels)

  def saved_variables(self) -> List[tf.Variable]:
    """Every variable a checkpoint saves: model, EMA, optimizer, scale."""
    found, seen = [], set()
    for holder in self.checkpoint_objects().values():
      variables = getattr(holder, "variables", ())
      variables = variables() if callable(variables) else variables
      for variable in ([holder] if isinstance(holder, tf.Variable)
                       else variables):
        if id(variable) not in seen:
          seen.add(id(variable))
          found.append(variable)
    return found

  def weights_are_finite(self) -> bool:
    """Whether every saved floating-point variable is finite.

    Checked before each save: the model's weights, their exponential
    moving averages, the optimizer's slots and the loss scale, since any of
    them is restored on resume (and the EMA is what is evaluated).
    """
    return bool(tf.reduce_all([tf.reduce_all(tf.math.is_finite(v))
                               for v in self.saved_variables()
                               if v.dtype.is_floating]))

  def learning_rate(self) -> float:
    return float(self.schedule(self.step))

  def _replica_eval_step(self, images, labels):
    logits = self._logits(images, is_training=False)
    labels = tf.cast(labels, tf.int32)
    loss = tf.reduce_sum(tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=labels, logits=logits))
    count = tf.cast(tf.shape(labels)[0], tf.float32)
    return loss, _num_correct(logits, labels), count

  def _distributed_eval_step(self, images, labels):
    results = self.strategy.run(self._replica_eval_step, args=(images, labels))
    return [self.strategy.reduce(tf.distribute.ReduceOp.SUM, r, axis=None)
            for r in results]

  def evaluate(self, dataset: tf.data.Dataset) -> Dict[str, float]:
    """Loss and accuracy over a whole (finite, batched) dataset.

    Runs in inference mode, with the EMA weights when an EMA is kept.

    Returns:
      `{"loss", "accuracy", "examples"}`.
    """
    totals = [0.0, 0.0, 0.0]
    context = self.ema.swapped() if self.ema else contextlib.nullcontext()
    if self.strategy.num_replicas_in_sync > 1:
      dataset = self.strategy.experimental_distribute_dataset(dataset)
    with context:
      for images, labels in dataset:
        for i, value in enumerate(self._eval_step(images, labels)):
          totals[i] += float(value)
    loss, correct, count = totals
    if count == 0:
      raise ValueError("The evaluation split is empty.")
    return {"loss": loss / count, "accuracy": correct / count,
            "examples": int(count)}
