"""Mixed precision in the Trainer, and the fused-update / fast-BN paths."""

import numpy as np
import pytest
import sonnet as snt
import tensorflow as tf

from zoo import _registry
from zoo import flows
from zoo.training import precision
from zoo.training.optimizers import Optimizer
from zoo.training.trainer import Trainer


def _batch(n=16):
  rng = np.random.default_rng(0)
  return (tf.constant(rng.uniform(0, 1, [n, 28, 28, 1]), tf.float32),
          tf.constant(np.arange(n) % 10, tf.int32))


def _trainer(model, **kwargs):
  rate = tf.Variable(3e-3, trainable=False)
  return Trainer(model, Optimizer("adam", rate), lambda step: rate,
                 global_batch_size=16, **kwargs)


@pytest.mark.parametrize("mode", ["mixed_bfloat16", "mixed_float16"])
def test_mixed_precision_trains_with_float32_variables(mode):
  images, labels = _batch()
  tf.random.set_seed(0)
  model = _registry.create_model("tfjs_mnist_convnet")
  trainer = _trainer(model, precision=mode)
  trainer.build(images)
  losses = [float(trainer.train_step(images, labels)["loss"])
            for _ in range(8)]
  assert all(np.isfinite(losses))
  assert min(losses[-3:]) < losses[0]
  assert {v.dtype for v in model.variables} == {tf.float32}
  assert trainer.predict(images).dtype == tf.float32
  if mode == "mixed_float16":
    assert float(trainer.loss_scale.scale) >= 1.0
    assert "loss_scale" in trainer.checkpoint_objects()


def test_compute_in_casts_kernels_not_batch_norm():
  class Net(snt.Module):

    def __init__(self):
      super().__init__()
      self.conv = snt.Conv2D(4, 3, with_bias=False)
      self.bn = flows._batch_norm("bn", 0.99, 1e-3)  # pylint: disable=protected-access

    def __call__(self, x, is_training):
      return self.bn(self.conv(x), is_training)

  net = Net()
  images, _ = _batch(4)
  net(images, False)
  with precision.compute_in(tf.bfloat16):
    out = net(tf.cast(images, tf.bfloat16), True)
  assert out.dtype == tf.bfloat16
  assert net.bn.moving_mean.value.dtype == tf.float32
  assert np.all(np.isfinite(net.bn.moving_mean.value.numpy()))


def test_unknown_precision():
  with pytest.raises(ValueError, match="train.precision"):
    precision.compute_dtype("float8")


def test_fused_update_matches_unfused():
  images, labels = _batch()
  results = []
  for fuse in (True, False):
    tf.random.set_seed(1)
    model = _registry.create_model("tfjs_mnist_convnet")
    trainer = _trainer(model, fuse_optimizer_update=fuse, weight_decay=1e-3,
                       clip_grad_norm=1.0)
    trainer.build(images)
    for _ in range(3):
      trainer.train_step(images, labels)
    results.append([v.numpy() for v in model.trainable_variables])
  for fused, plain in zip(*results):
    # XLA may fuse multiply-adds: last-bit differences, nothing more.
    np.testing.assert_allclose(fused, plain, rtol=1e-5, atol=5e-6)


def test_fast_batch_norm_matches_sonnet():
  rng = np.random.default_rng(0)
  x = tf.constant(rng.normal(1, 2, [4, 6, 6, 3]), tf.float32)
  fast = flows._batch_norm("bn", 0.9, 1e-3)  # pylint: disable=protected-access
  plain = snt.BatchNorm(True, True, decay_rate=0.9, eps=1e-3, name="bn")
  for training in (True, True, False):
    with tf.GradientTape(persistent=True) as tape:
      tape.watch(x)
      a, b = fast(x, training), plain(x, training)
    np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-5)
    np.testing.assert_allclose(tape.gradient(a, x).numpy(),
                               tape.gradient(b, x).numpy(), atol=1e-5)
  np.testing.assert_allclose(fast.moving_variance.value.numpy(),
                             plain.moving_variance.value.numpy(), rtol=1e-6)
  assert [v.name for v in fast.variables] == [v.name for v in plain.variables]
