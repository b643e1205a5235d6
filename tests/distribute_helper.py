"""Run by tests/test_distribute.py in a fresh process with 2 logical CPUs.

Splitting the CPU into logical devices must happen before TensorFlow
initialises its devices, so it cannot run inside the pytest process. Prints
one JSON line with the comparison results.
"""

import json
import os
import pathlib
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["CUDA_VISIBLE_DEVICES"] = ""
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

import numpy as np  # pylint: disable=g-import-not-at-top,wrong-import-position
import tensorflow as tf  # pylint: disable=g-import-not-at-top,wrong-import-position

_CPU = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(
    _CPU, [tf.config.LogicalDeviceConfiguration()] * 2)

from zoo.models import _registry  # pylint: disable=g-import-not-at-top,wrong-import-position
from zoo.blocks import flows  # pylint: disable=g-import-not-at-top,wrong-import-position
from zoo.training import distribute  # pylint: disable=g-import-not-at-top,wrong-import-position
from zoo.training.optimizers import Optimizer  # pylint: disable=g-import-not-at-top,wrong-import-position
from zoo.training.trainer import Trainer  # pylint: disable=g-import-not-at-top,wrong-import-position

GLOBAL_BATCH = 8
STEPS = 3


def _train(strategy, images, labels, use_keras):
  """Trains tfjs_mnist_convnet for STEPS steps; returns losses and weights."""
  tf.random.set_seed(0)
  with strategy.scope():
    model = _registry.create_model("tfjs_mnist_convnet")
    rate = tf.Variable(1e-2, trainable=False, name="learning_rate")
    optimizer = Optimizer("adam", rate, use_keras=use_keras)
  trainer = Trainer(model, optimizer, lambda step: tf.constant(1e-2),
                    global_batch_size=GLOBAL_BATCH, weight_decay=1e-3,
                    strategy=strategy)
  trainer.build(images)
  dataset = tf.data.Dataset.from_tensors((images, labels)).repeat(STEPS)
  if strategy.num_replicas_in_sync > 1:
    dataset = strategy.experimental_distribute_dataset(dataset)
  losses = [float(trainer.train_step(x, y)["loss"]) for x, y in dataset]
  weights = [v.numpy() for v in model.trainable_variables]
  return losses, weights


def _sync_batch_norm(strategy, images):
  """Cross-replica BN over 2 halves == one BN over the whole batch."""
  with strategy.scope():
    bn = flows.batch_norm("bn", 0.9, 1e-3, cross_replica=True)
  single = flows.batch_norm("bn", 0.9, 1e-3)
  expected = single(images, True).numpy()

  dataset = strategy.experimental_distribute_dataset(
      tf.data.Dataset.from_tensors(images))

  out = strategy.run(lambda v: bn(v, True), args=(next(iter(dataset)),))
  got = np.concatenate([t.numpy() for t in
                        strategy.experimental_local_results(out)])
  moving = [bn.moving_mean.value.numpy(), single.moving_mean.value.numpy(),
            bn.moving_variance.value.numpy(),
            single.moving_variance.value.numpy()]
  return (float(np.abs(got - expected).max()),
          float(np.abs(moving[0] - moving[1]).max()),
          float(np.abs(moving[2] - moving[3]).max()))


def main():
  import time  # pylint: disable=g-import-not-at-top
  start = time.time()
  rng = np.random.default_rng(0)
  images = tf.constant(rng.uniform(0, 1, [GLOBAL_BATCH, 28, 28, 1]),
                       tf.float32)
  labels = tf.constant(rng.integers(0, 10, [GLOBAL_BATCH]), tf.int32)
  mirrored = distribute.make_strategy({"strategy": "mirrored"})
  single = distribute.make_strategy({"strategy": "none"})
  one_losses, one_weights = _train(single, images, labels, use_keras=True)
  two_losses, two_weights = _train(mirrored, images, labels, use_keras=True)
  snt_losses, _ = _train(single, images, labels, use_keras=False)
  refused = False
  try:
    _train(mirrored, images, labels, use_keras=False)
  except ValueError:
    refused = True
  print("train", time.time() - start, file=sys.stderr)
  bn_out, bn_mean, bn_var = _sync_batch_norm(
      mirrored, tf.constant(rng.normal(2, 3, [8, 5, 5, 4]), tf.float32))
  print(json.dumps({
      "replicas": mirrored.num_replicas_in_sync,
      "needs_keras": [distribute.needs_keras_optimizers(mirrored),
                      distribute.needs_keras_optimizers(single)],
      "one_losses": one_losses, "two_losses": two_losses,
      "snt_losses": snt_losses,
      "max_weight_diff": max(float(np.abs(a - b).max())
                             for a, b in zip(one_weights, two_weights)),
      "moved": max(float(np.abs(w).max()) for w in one_weights),
      "sonnet_refused": refused,
      "sync_bn": [bn_out, bn_mean, bn_var],
  }))


if __name__ == "__main__":
  main()
