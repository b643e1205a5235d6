"""`tf.distribute` strategies from a config's `distribute` section."""

import json
import os

import tensorflow as tf

from zoo.training.choices import STRATEGIES  # pylint: disable=unused-import


def make_strategy(config: dict) -> tf.distribute.Strategy:
  """Builds the strategy named by `config["strategy"]`.

  `none` is TensorFlow's default (single-device) strategy.

  Raises:
    ValueError: On an unknown name.
  """
  name = config.get("strategy", "none")
  if name == "none":
    return tf.distribute.get_strategy()
  if name == "mirrored":
    return tf.distribute.MirroredStrategy()
  if name == "multi_worker":
    if "TF_CONFIG" not in os.environ:
      raise ValueError(
          "distribute.strategy=multi_worker needs TF_CONFIG describing the "
          "cluster and this worker's task (see README, 'Training on a "
          "cluster').")
    return tf.distribute.MultiWorkerMirroredStrategy()
  if name == "tpu":
    resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
    tf.config.experimental_connect_to_cluster(resolver)
    tf.tpu.experimental.initialize_tpu_system(resolver)
    return tf.distribute.TPUStrategy(resolver)
  raise ValueError(f"Unknown distribute.strategy {name!r}; use one of "
                   f"{STRATEGIES}.")


def needs_keras_optimizers(strategy: tf.distribute.Strategy) -> bool:
  """Sonnet optimizers refuse mirrored strategies; tf_keras ones work."""
  return not isinstance(strategy, type(tf.distribute.get_strategy())) or (
      strategy.num_replicas_in_sync > 1)


def task_id(strategy: tf.distribute.Strategy) -> int:
  resolver = getattr(strategy, "cluster_resolver", None)
  if resolver is None or resolver.task_id is None:
    return 0
  return int(resolver.task_id)


def is_chief(strategy: tf.distribute.Strategy) -> bool:
  """Whether this process writes checkpoints and summaries."""
  resolver = getattr(strategy, "cluster_resolver", None)
  if resolver is None or not resolver.cluster_spec().as_dict():
    return True
  task_type = resolver.task_type
  return task_type in (None, "chief") or (
      task_type == "worker" and resolver.task_id == 0 and
      "chief" not in json.loads(os.environ.get("TF_CONFIG", "{}")).get(
          "cluster", {}))


def shard_for_worker(dataset: tf.data.Dataset,
                     strategy: tf.distribute.Strategy) -> tf.data.Dataset:
  """Gives each worker its own shard of the (already batched) data."""
  if not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
    return dataset
  options = tf.data.Options()
  options.experimental_distribute.auto_shard_policy = (
      tf.data.experimental.AutoShardPolicy.DATA)
  return dataset.with_options(options)
