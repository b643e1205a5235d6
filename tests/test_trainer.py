"""Tests for zoo.training.trainer."""

import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo.training.optimizers import Optimizer
from zoo.training.schedules import make_schedule
from zoo.training.trainer import Trainer, kernel_variables


def _batch(seed=0, size=8):
  rng = np.random.default_rng(seed)
  images = rng.uniform(0, 1, (size, 28, 28, 1)).astype(np.float32)
  labels = rng.integers(0, 10, size).astype(np.int32)
  return tf.constant(images), tf.constant(labels)


def _trainer(model_name="softmax_regression", **kwargs):
  model = zoo.create_model(model_name)
  optimizer = Optimizer("sgd", tf.Variable(0.1))
  trainer = Trainer(model, optimizer, make_schedule(0.1, 10),
                    global_batch_size=8, **kwargs)
  images, _ = _batch()
  trainer.build(images)
  return trainer


def test_step_reduces_loss_and_counts():
  trainer = _trainer()
  images, labels = _batch()
  first = float(trainer.train_step(images, labels)["loss"])
  for _ in range(5):
    last = float(trainer.train_step(images, labels)["loss"])
  assert last < first
  assert int(trainer.step) == 6


def test_no_retracing_after_the_first_step():
  trainer = _trainer("deep_mnist_cnn")
  for seed in range(3):
    trainer.train_step(*_batch(seed))
  assert trainer._train_step.experimental_get_tracing_count() == 1  # pylint: disable=protected-access


def test_weight_decay_applies_to_kernels_only():
  trainer = _trainer(weight_decay=1.0)
  names = [v.name for v in kernel_variables(trainer.model)]
  assert names == ["softmax_regression/head/logits/w:0"]
  w = trainer.model.head.logits.w
  w.assign(tf.ones_like(w))
  images, labels = _batch()
  plain = _trainer()
  plain.model.head.logits.w.assign(tf.ones_like(w))
  trainer.train_step(images, labels)
  plain.train_step(images, labels)
  # d/dw of (1/2)|w|^2 is w: the decayed model moves 0.1 * 1 further.
  np.testing.assert_allclose(
      (plain.model.head.logits.w - w).numpy(), 0.1, atol=1e-6)


def test_gradient_clipping_bounds_the_update():
  trainer = _trainer(clip_grad_norm=1e-3)
  before = [v.numpy() for v in trainer.model.trainable_variables]
  trainer.train_step(*_batch())
  change = np.sqrt(sum(np.sum((v.numpy() - b) ** 2) for v, b in
                       zip(trainer.model.trainable_variables, before)))
  assert change <= 0.1 * 1e-3 + 1e-7


def test_ema_is_used_for_evaluation():
  trainer = _trainer(ema_decay=0.5)
  images, labels = _batch()
  trainer.train_step(images, labels)
  dataset = tf.data.Dataset.from_tensor_slices((images, labels)).batch(4)
  weights = trainer.model.head.logits.w.numpy().copy()
  with trainer.ema.swapped():
    swapped = trainer.model.head.logits.w.numpy().copy()
  np.testing.assert_array_equal(trainer.model.head.logits.w.numpy(), weights)
  assert not np.array_equal(swapped, weights)
  result = trainer.evaluate(dataset)
  assert result["examples"] == 8 and 0 <= result["accuracy"] <= 1


def test_evaluate_covers_every_example_in_inference_mode():
  trainer = _trainer("deep_mnist_cnn")
  images, labels = _batch(size=10)
  dataset = tf.data.Dataset.from_tensor_slices((images, labels)).batch(4)
  first = trainer.evaluate(dataset)
  assert first["examples"] == 10
  assert trainer.evaluate(dataset) == first  # No dropout at evaluation.


def test_frozen_backbone_trains_only_the_head():
  model = zoo.create_model("tfjs_mnist_convnet")
  trainer = Trainer(model, Optimizer("sgd", tf.Variable(0.1)),
                    make_schedule(0.1, 10), 8, freeze_backbone=True)
  images, labels = _batch()
  trainer.build(images)
  conv = model.conv_pools[0].conv.w.numpy().copy()
  head = model.head.logits.w.numpy().copy()
  trainer.train_step(images, labels)
  np.testing.assert_array_equal(model.conv_pools[0].conv.w.numpy(), conv)
  assert not np.array_equal(model.head.logits.w.numpy(), head)


def test_head_gets_its_own_learning_rate():
  model = zoo.create_model("tfjs_mnist_convnet")
  head_rate = tf.Variable(0.0)
  trainer = Trainer(model, Optimizer("sgd", tf.Variable(0.0)),
                    make_schedule(0.1, 10), 8,
                    head_optimizer=Optimizer("sgd", head_rate),
                    head_learning_rate_scale=0.0)
  images, labels = _batch()
  trainer.build(images)
  conv = model.conv_pools[0].conv.w.numpy().copy()
  head = model.head.logits.w.numpy().copy()
  trainer.train_step(images, labels)
  # The backbone follows the schedule (0.1); the head's scale 0 holds it.
  assert not np.array_equal(model.conv_pools[0].conv.w.numpy(), conv)
  np.testing.assert_array_equal(model.head.logits.w.numpy(), head)
  assert float(head_rate) == 0.0


def test_train_step_before_build_is_an_error():
  model = zoo.create_model("softmax_regression")
  trainer = Trainer(model, Optimizer("sgd", tf.Variable(0.1)),
                    make_schedule(0.1, 10), 8)
  with pytest.raises(RuntimeError, match="build"):
    trainer.train_step(*_batch())
