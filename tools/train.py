#!/usr/bin/env python
"""Trains a zoo model from a YAML config.

  python tools/train.py --config deep_mnist [train.steps=300 run_dir=/tmp/r]

The resolved config, checkpoints (the last N and the best by evaluation
accuracy), TensorBoard events and metrics.jsonl go into the run directory.
Running again with the same run_dir resumes from the latest checkpoint;
Ctrl-C or SIGTERM saves a checkpoint first.
"""

import argparse
import datetime
import json
import math
import os
import pathlib
import signal
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # pylint: disable=g-import-not-at-top,wrong-import-position
import tensorflow as tf  # pylint: disable=g-import-not-at-top,wrong-import-position

import datasets  # pylint: disable=g-import-not-at-top,wrong-import-position
from zoo import _registry  # pylint: disable=g-import-not-at-top,wrong-import-position
from zoo.training import config as config_lib  # pylint: disable=g-import-not-at-top,wrong-import-position
from zoo.training import distribute  # pylint: disable=g-import-not-at-top,wrong-import-position
from zoo.training import run_dir as run_dir_lib  # pylint: disable=g-import-not-at-top,wrong-import-position
from zoo.training.optimizers import optimizer_from_config  # pylint: disable=g-import-not-at-top,wrong-import-position
from zoo.training.progress import ProgressBar  # pylint: disable=g-import-not-at-top,wrong-import-position
from zoo.training.schedules import schedule_from_config  # pylint: disable=g-import-not-at-top,wrong-import-position
from zoo.training.trainer import Trainer  # pylint: disable=g-import-not-at-top,wrong-import-position


class TrainingStopped(Exception):
  """Raised when a run ends early (a signal or a non-finite loss)."""

  def __init__(self, message: str, interrupted: bool = False):
    super().__init__(message)
    self.interrupted = interrupted


def _parse_args(argv):
  parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
  parser.add_argument("--config", required=True,
                      help="A name in configs/ (with or without .yaml) or a "
                      "path.")
  parser.add_argument("overrides", nargs="*",
                      help="Dotted overrides, e.g. train.steps=300.")
  return parser.parse_args(argv)


def _seed_everything(seed: int) -> None:
  tf.random.set_seed(seed)
  np.random.seed(seed)
  tf.random.set_global_generator(tf.random.Generator.from_seed(seed))
  tf.config.experimental.enable_op_determinism()


def _augment_options(augment):
  options = {}
  if augment["flip_left_right"]:
    options["flip_left_right"] = True
  if augment["brightness"]:
    options["brightness"] = augment["brightness"]
  if augment["contrast"]:
    options["contrast"] = list(augment["contrast"])
  return options or None


def make_run_dir(config) -> pathlib.Path:
  if config["run_dir"]:
    return pathlib.Path(config["run_dir"])
  stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
  return pathlib.Path("runs") / f"{config.get('_name', 'run')}-{stamp}"


class _StopFlag:
  """Turns SIGINT/SIGTERM into a flag the loop checks after each step."""

  def __init__(self):
    self.signal = None
    self._previous = {}

  def __enter__(self):
    for sig in (signal.SIGINT, signal.SIGTERM):
      self._previous[sig] = signal.signal(sig, self._handle)
    return self

  def _handle(self, signum, _frame):
    self.signal = signal.Signals(signum).name

  def __exit__(self, *exc):
    for sig, handler in self._previous.items():
      signal.signal(sig, handler)


def _init_from_finetune(config, model) -> str:
  """Loads starting weights from a checkpoint or Keras; returns a note."""
  finetune = config["finetune"]
  if finetune["keras_weights"]:
    from zoo import keras_port  # pylint: disable=g-import-not-at-top
    head = getattr(model, "head", None)
    load_top = bool(head is not None and not head.hidden and
                    model.num_classes == 1000)
    keras_port.load_keras_xception_weights(model, finetune["keras_weights"],
                                           load_top=load_top)
    return f"Keras weights {finetune['keras_weights']}"
  if finetune["checkpoint"]:
    path = run_dir_lib.find_checkpoint(finetune["checkpoint"])
    shapes = tf.train.load_checkpoint(path).get_variable_to_shape_map()
    head = getattr(model, "head", None)
    logits_key = next((k for k in shapes
                       if k.startswith("model/head/logits/w/")), None)
    same_head = (head is not None and logits_key is not None and
                 shapes[logits_key][-1] == model.num_classes and
                 len(head.hidden) == sum(
                     1 for k in shapes if k.startswith("model/head/hidden/")
                     and k.endswith("/w/.ATTRIBUTES/VARIABLE_VALUE")))
    if same_head or head is None:
      tf.train.Checkpoint(model=model).read(path).expect_partial()
      return f"checkpoint {path}"
    # A different class count: restore everything but the head.
    backbone = tf.Module()
    for name, child in vars(model).items():
      if name == "head" or name.startswith("_"):
        continue
      if isinstance(child, tf.Module) or (
          isinstance(child, (list, tuple)) and child and
          all(isinstance(c, tf.Module) for c in child)):
        setattr(backbone, name, child)
    tf.train.Checkpoint(model=backbone).read(path).expect_partial()
    return f"checkpoint {path} (new {model.num_classes}-class head)"
  return ""


def _image_grid(images, normalize, max_images=16):
  images = datasets.denormalize(images[:max_images], normalize)
  count = int(images.shape[0])
  columns = int(math.ceil(math.sqrt(count)))
  rows = int(math.ceil(count / columns))
  pad = rows * columns - count
  images = tf.concat([images, tf.zeros([pad, *images.shape[1:]])], 0)
  height, width, channels = images.shape[1:]
  grid = tf.reshape(images, [rows, columns, height, width, channels])
  grid = tf.transpose(grid, [0, 2, 1, 3, 4])
  return tf.reshape(grid, [1, rows * height, columns * width, channels])


def train(config) -> dict:
  """Runs (or resumes) training as `config` says.

  Returns:
    The final evaluation metrics, with "run_dir" and "checkpoint".
  """
  seed = config["seed"]
  # The strategy first: multi-worker collectives must be configured before
  # anything (seeding included) initialises TensorFlow's runtime.
  strategy = distribute.make_strategy(config["distribute"])
  _seed_everything(seed)
  run_dir = make_run_dir(config)
  run_dir.mkdir(parents=True, exist_ok=True)
  is_chief = distribute.is_chief(strategy)
  data_cfg, train_cfg = config["data"], config["train"]

  with strategy.scope():
    data_info = datasets.info(data_cfg["name"],
                              **run_dir_lib.dataset_options(config))
    num_classes = len(data_info.class_names)
    configured = config["model"].get("num_classes")
    if configured not in (None, num_classes):
      raise config_lib.ConfigError(
          f"model.num_classes={configured} but {data_cfg['name']}"
          f" has {num_classes} classes. Remove model.num_classes or set it to "
          f"{num_classes}.")
    config["model"]["num_classes"] = num_classes
    model_config = config
    if config["distribute"]["sync_batch_norm"]:
      if "cross_replica_batch_norm" not in _registry.model_arguments(
          config["model"]["name"]):
        raise config_lib.ConfigError(
            f"distribute.sync_batch_norm: model {config['model']['name']} "
            "has no BatchNorm to synchronise (only xception has).")
      model_config = dict(config, model=dict(config["model"],
                                             cross_replica_batch_norm=True))
    model = run_dir_lib.build_model(model_config)
    if config["finetune"]["batch_norm_inference"]:
      model.freeze_batch_norm = True

  options = run_dir_lib.dataset_options(config, model)
  batch_size = data_cfg["batch_size"]
  train_ds = datasets.load(
      data_cfg["name"], data_cfg["train_split"], **options,
      augment=_augment_options(data_cfg["augment"]), shuffle=True,
      batch_size=batch_size, drop_remainder=True, repeat=True)
  eval_ds = datasets.load(data_cfg["name"], data_cfg["eval_split"], **options,
                          batch_size=data_cfg["eval_batch_size"])
  train_ds = distribute.shard_for_worker(train_ds, strategy)
  steps = train_cfg["steps"]
  if train_cfg["epochs"]:
    examples = data_info.num_examples[data_cfg["train_split"]]
    steps = int(math.ceil(train_cfg["epochs"] * examples / batch_size))

  use_keras = distribute.needs_keras_optimizers(strategy)
  opt_cfg = train_cfg["optimizer"]
  with strategy.scope():
    # Assigned from the schedule inside each replica's step.
    first_replica = tf.VariableAggregation.ONLY_FIRST_REPLICA
    learning_rate = tf.Variable(opt_cfg["learning_rate"], dtype=tf.float32,
                                trainable=False, aggregation=first_replica,
                                name="learning_rate")
    optimizer = optimizer_from_config(opt_cfg, learning_rate, use_keras)
    head_optimizer, head_scale = None, 1.0
    head_lr = config["finetune"]["head_learning_rate"]
    if head_lr is not None and not config["finetune"]["freeze_backbone"]:
      head_scale = head_lr / opt_cfg["learning_rate"]
      head_optimizer = optimizer_from_config(
          opt_cfg, tf.Variable(head_lr, trainable=False,
                               aggregation=first_replica,
                               name="head_learning_rate"), use_keras)
  schedule = schedule_from_config(opt_cfg["learning_rate"], steps,
                                  train_cfg["schedule"])
  if config["finetune"]["freeze_backbone"] and head_lr is not None:
    schedule = schedule_from_config(head_lr, steps, train_cfg["schedule"])
  trainer = Trainer(
      model, optimizer, schedule, global_batch_size=batch_size,
      weight_decay=train_cfg["weight_decay"],
      clip_grad_norm=train_cfg["clip_grad_norm"],
      ema_decay=train_cfg["ema_decay"],
      freeze_backbone=config["finetune"]["freeze_backbone"],
      head_optimizer=head_optimizer, head_learning_rate_scale=head_scale,
      jit_compile=train_cfg["jit_compile"], strategy=strategy,
      precision=train_cfg["precision"])

  height = width = options["image_size"]
  trainer.build(tf.zeros([1, height, width, model.channels]))
  dist_train = (strategy.experimental_distribute_dataset(train_ds)
                if strategy.num_replicas_in_sync > 1 else train_ds)
  iterator = iter(dist_train)
  checkpoint_objects = trainer.checkpoint_objects()
  if strategy.num_replicas_in_sync == 1:
    checkpoint_objects["data"] = iterator
  checkpoint = tf.train.Checkpoint(**checkpoint_objects)
  ckpt_dir = run_dir / run_dir_lib.CHECKPOINT_DIR
  if not is_chief:
    ckpt_dir = run_dir / f"worker-{distribute.task_id(strategy)}-tmp"
  manager = tf.train.CheckpointManager(
      checkpoint, str(ckpt_dir), max_to_keep=train_cfg["keep_checkpoints"])
  best_manager = tf.train.CheckpointManager(
      checkpoint, str(run_dir / run_dir_lib.BEST_DIR), max_to_keep=1)

  metrics_path = run_dir / "metrics.jsonl"
  resumed = manager.latest_checkpoint
  if resumed:
    checkpoint.restore(resumed).assert_existing_objects_matched()
    print(f"Resuming from {resumed} at step {int(trainer.step)}.")
  else:
    note = _init_from_finetune(config, model)
    if note:
      print(f"Initialised from {note}.")
  best_accuracy = _best_accuracy(metrics_path)
  if is_chief:
    saved = dict(config, data_source=data_info.source, steps_total=steps)
    config_lib.dump_config(saved, run_dir / run_dir_lib.CONFIG_FILE)
  print(f"Run directory: {run_dir}")
  print(f"Data: {data_info.name} from {data_info.source}")
  print(f"Model: {config['model']['name']}, "
        f"{model.num_parameters():,} trainable parameters")

  writers = {split: tf.summary.create_file_writer(
      str(run_dir / "tensorboard" / split)) for split in ("train", "eval")}

  def log_metrics(record):
    record = dict(record, data_source=data_info.source)
    if is_chief:
      with metrics_path.open("a") as f:
        f.write(json.dumps(record) + "\n")
      with writers[record["split"] if record["split"] == "train"
                   else "eval"].as_default(step=record["step"]):
        for key in ("loss", "accuracy", "examples_per_sec", "learning_rate"):
          if key in record:
            tf.summary.scalar(key, record[key])

  def run_evaluation(step):
    start = time.perf_counter()
    result = trainer.evaluate(eval_ds)
    elapsed = time.perf_counter() - start
    record = {"step": step, "split": data_cfg["eval_split"],
              "loss": result["loss"], "accuracy": result["accuracy"],
              "examples": result["examples"],
              "examples_per_sec": result["examples"] / max(elapsed, 1e-9)}
    log_metrics(record)
    return record

  progress = ProgressBar(steps, initial=int(trainer.step), batch_size=batch_size)
  window = {"loss": 0.0, "accuracy": 0.0, "n": 0, "start": time.perf_counter()}
  last_saved = None
  result = None
  with _StopFlag() as stop:
    try:
      step = int(trainer.step)
      while step < steps:
        images, labels = next(iterator)
        if step == 0 and is_chief and strategy.num_replicas_in_sync == 1:
          with writers["train"].as_default(step=0):
            tf.summary.image("augmented_inputs",
                             _image_grid(images, model.input_normalization))
        out = trainer.train_step(images, labels)
        loss = float(out["loss"])
        step = int(trainer.step)
        if not np.isfinite(loss):
          raise TrainingStopped(
              f"Loss is {loss} at step {step}: training diverged. The last "
              f"good checkpoint is kept ({manager.latest_checkpoint or 'none'}"
              "); lower train.optimizer.learning_rate or set "
              "train.clip_grad_norm, then run again with a new run_dir.")
        window["loss"] += loss
        window["accuracy"] += float(out["accuracy"])
        window["n"] += 1
        progress.update(step, loss=loss)
        if step % train_cfg["log_every"] == 0 or step == steps:
          elapsed = time.perf_counter() - window["start"]
          log_metrics({
              "step": step, "split": "train",
              "loss": window["loss"] / window["n"],
              "accuracy": window["accuracy"] / window["n"],
              "learning_rate": trainer.learning_rate(),
              "examples_per_sec": window["n"] * batch_size / max(elapsed,
                                                                 1e-9)})
          window.update(loss=0.0, accuracy=0.0, n=0,
                        start=time.perf_counter())
        if step % train_cfg["eval_every"] == 0 and step < steps:
          record = run_evaluation(step)
          progress.note(f"step {step}: {record['split']} accuracy "
                        f"{record['accuracy']:.4f}, loss {record['loss']:.4f}")
          if record["accuracy"] > best_accuracy:
            best_accuracy = record["accuracy"]
            best_manager.save(checkpoint_number=step)
        if step % train_cfg["checkpoint_every"] == 0:
          last_saved = manager.save(checkpoint_number=step)
        if stop.signal:
          path = manager.save(checkpoint_number=step)
          raise TrainingStopped(
              f"{stop.signal} received: saved {path} at step {step}. Run the "
              f"same command with run_dir={run_dir} to resume.",
              interrupted=True)
      progress.close()
      if last_saved is None or not last_saved.endswith(f"-{step}"):
        manager.save(checkpoint_number=step)
      result = run_evaluation(step)
      if result["accuracy"] > best_accuracy:
        best_manager.save(checkpoint_number=step)
    except TrainingStopped as stopped:
      progress.close()
      print(stopped, file=sys.stderr)
      raise
    finally:
      for writer in writers.values():
        writer.flush()
  if config["visualize"]["embeddings"] and is_chief:
    _write_embeddings(config, run_dir, model, options)
  print(f"Final {result['split']} accuracy: {result['accuracy']:.4f} "
        f"(loss {result['loss']:.4f}) on {result['examples']} examples of "
        f"{data_info.source}.")
  return dict(result, run_dir=str(run_dir),
              checkpoint=manager.latest_checkpoint)


def _best_accuracy(metrics_path: pathlib.Path) -> float:
  best = -1.0
  if metrics_path.exists():
    for line in metrics_path.read_text().splitlines():
      record = json.loads(line)
      if record["split"] != "train":
        best = max(best, record["accuracy"])
  return best


def _write_embeddings(config, run_dir, model, options):
  try:
    from tools import visualize  # pylint: disable=g-import-not-at-top
  except ImportError:
    return
  visualize.write_embeddings(config, run_dir, model, options)


def main(argv=None) -> int:
  args = _parse_args(argv)
  try:
    config = config_lib.load_config(args.config, args.overrides)
  except config_lib.ConfigError as e:
    print(f"Config error: {e}", file=sys.stderr)
    return 2
  try:
    train(config)
  except TrainingStopped as stopped:
    return 0 if stopped.interrupted else 1
  except (datasets.DatasetError, FileNotFoundError,
          config_lib.ConfigError) as e:
    print(f"Error: {e}", file=sys.stderr)
    return 2
  return 0


if __name__ == "__main__":
  sys.exit(main())
