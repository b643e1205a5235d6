"""A training run as library code: `run(config) -> RunResult`.

    from zoo import training, visualize
    config = training.load_config("deep_mnist_quick", ["train.steps=300"])
    result = training.run(config, actions=visualize.training_actions(config))
    result.accuracy, result.run_dir.best_checkpoint

`Run` holds everything around the train step (the step itself is
`Trainer`'s): the `tf.distribute` strategy, seeding, the dataset (prepared
once), the model and its class count, resume or fine-tuning initialisation,
checkpoints (the last N, and the best by evaluation accuracy, tracked in the
checkpoint itself), metrics.jsonl, TensorBoard summaries, signals and
non-finite stops. Its pieces are methods, so a notebook can also build a
`Run`, call `restore()`, `train(steps)` and `evaluate()` one at a time.
Anything beyond training (pictures, embeddings) is an action the caller
passes (`zoo.training.actions`); the run imports no reporting code.
"""

import contextlib
import copy
import dataclasses
import math
import pathlib
import signal
import sys
import threading
import time
import warnings
from typing import Any, Dict, Optional, Sequence

import numpy as np
import tensorflow as tf

from zoo import datasets
from zoo.datasets import image_files
from zoo.training import config as config_lib
from zoo.training.actions import RunAction
from zoo.training import distribute
from zoo.training import precision as precision_lib
from zoo.training.progress import ProgressBar
from zoo.training.run_dir import CheckpointSaveError
from zoo.training.run_dir import RunDir
from zoo.training.run_dir import RESOLVED_ONEDNN_KEY
from zoo.training.run_dir import RunDirError
from zoo.training.run_dir import build_model
from zoo.training.run_dir import dataset_options
from zoo.training.run_dir import find_checkpoint
from zoo.training.run_dir import image_size_of
from zoo.training.trainer import Trainer


class TrainingStopped(Exception):
  """A run ended early: a signal (after saving) or a non-finite loss.

  Attributes:
    signal_name: "SIGINT" or "SIGTERM" when stopped by a signal, else None.
    checkpoint: The last checkpoint that was saved, if any.
  """

  def __init__(self, message: str, signal_name: Optional[str] = None,
               checkpoint: Optional[str] = None):
    super().__init__(message)
    self.signal_name = signal_name
    self.checkpoint = checkpoint

  @property
  def interrupted(self) -> bool:
    return self.signal_name is not None


@dataclasses.dataclass(frozen=True)
class RunResult:
  """The final evaluation of a run and where its files are."""
  run_dir: RunDir
  step: int
  split: str
  accuracy: float
  loss: float
  examples: int
  checkpoint: Optional[str]
  data_source: str

  def as_dict(self) -> Dict[str, Any]:
    result = dataclasses.asdict(self)
    result["run_dir"] = str(self.run_dir.path)
    return result


def seed_everything(seed: int) -> None:
  """Seeds TensorFlow, NumPy and the global generator; deterministic ops."""
  tf.random.set_seed(seed)
  np.random.seed(seed)
  tf.random.set_global_generator(tf.random.Generator.from_seed(seed))
  tf.config.experimental.enable_op_determinism()


def steps_of(config: Dict[str, Any], num_train_examples: int) -> int:
  """`train.steps`, or `train.epochs` worth of batches when set."""
  train = config["train"]
  if train["epochs"]:
    steps = int(math.ceil(train["epochs"] * num_train_examples /
                          config["data"]["batch_size"]))
    if steps > config_lib.MAX_INT:
      raise config_lib.ConfigError(
          f"train.epochs={train['epochs']!r} is {steps} steps of "
          f"{config['data']['batch_size']} examples, more than "
          f"{config_lib.MAX_INT}; set fewer epochs.")
    return steps
  return int(train["steps"])


def initialise_from(model, finetune: Dict[str, Any],
                    model_config: Optional[Dict[str, Any]] = None) -> str:
  """Loads starting weights for fine-tuning; returns what was loaded.

  The model says which part is its head (`model.head_attribute`): the
  backbone is always restored, the head only when the checkpoint's head fits
  (same class count and layers); otherwise the fresh head is kept.

  Args:
    model: A built model (variables created).
    finetune: The config's `finetune` section.
    model_config: The config's `model` section (for `finetune.pretrained`).
  """
  if finetune.get("pretrained"):
    return _initialise_from_pretrained(model, finetune["pretrained"],
                                       model_config or {})
  if finetune["keras_weights"]:
    from zoo import keras_port  # pylint: disable=g-import-not-at-top
    head = model.classifier_head
    load_top = bool(head is not None and not head.hidden and
                    model.num_classes == 1000)
    keras_port.load_keras_weights(model, finetune["keras_weights"],
                                  load_top=load_top)
    return f"Keras weights {finetune['keras_weights']}"
  if not finetune["checkpoint"]:
    return ""
  path = find_checkpoint(finetune["checkpoint"])
  tf.train.Checkpoint(model=model.backbone()).read(path).expect_partial()
  head = model.classifier_head
  if head is None:
    return f"checkpoint {path} (backbone)"
  fresh = [tf.identity(v) for v in head.variables]
  head_only = tf.Module()
  setattr(head_only, model.head_attribute, head)
  try:
    tf.train.Checkpoint(model=head_only).read(
        path).assert_existing_objects_matched()
    return f"checkpoint {path}"
  except (AssertionError, ValueError, tf.errors.InvalidArgumentError):
    for variable, value in zip(head.variables, fresh):
      variable.assign(value)
    return f"checkpoint {path} (backbone; new {model.num_classes}-class head)"


def _initialise_from_pretrained(model, tag: str,
                                model_config: Dict[str, Any]) -> str:
  """Loads published weights `tag`; the top only when the head fits it."""
  from zoo.models import _registry  # pylint: disable=g-import-not-at-top
  from zoo.models import pretrained  # pylint: disable=g-import-not-at-top
  name = model_config.get("name", "")
  arguments = {**_registry.model_arguments(name),
               **{k: v for k, v in model_config.items()
                  if k != "name" and v is not None},
               "num_classes": model.num_classes}
  weights, load_top = pretrained.select(name, tag, arguments)
  path = pretrained.load_into(model, weights, load_top)
  part = "" if load_top else " (backbone)"
  return f"pretrained weights {name}/{tag} {path}{part}"


class _StopFlag:
  """Turns SIGINT/SIGTERM into a flag the loop checks after each step."""

  def __init__(self):
    self.signal_name: Optional[str] = None
    self._previous = {}

  def __enter__(self):
    if threading.current_thread() is threading.main_thread():
      for sig in (signal.SIGINT, signal.SIGTERM):
        self._previous[sig] = signal.signal(sig, self._handle)
    return self

  def _handle(self, signum, _frame):
    self.signal_name = signal.Signals(signum).name

  def __exit__(self, *exc):
    for sig, handler in self._previous.items():
      signal.signal(sig, handler)


class Run:
  """One training run of a config: data, model, trainer and run directory."""

  def __init__(self, config: Dict[str, Any], verbose: bool = True,
               actions: Sequence[RunAction] = ()):
    """Builds everything a run needs; nothing is trained or restored yet.

    The chief locks the run directory until `close()`: a second run on it
    is refused with a message naming the holder.

    Args:
      config: A validated config (`zoo.training.load_config`); it is copied,
        never changed (`self.config` is the run's resolved copy).
      verbose: Print progress and notes to stdout.
      actions: Hooks called at set points (`zoo.training.actions`).

    Raises:
      RunDirBusy: If another process is training in the run directory.
    """
    self.config = copy.deepcopy(config)
    config = self.config
    self.verbose = verbose
    self.actions = tuple(actions)
    served = {key for action in self.actions for key in action.config_keys}
    if (config.get("visualize") or {}).get("embeddings") and (
        "visualize.embeddings" not in served):
      warnings.warn(
          "visualize.embeddings is on but no action writes the embedding; "
          "pass actions=zoo.visualize.training_actions(config) (as snt-zoo "
          "train does).", UserWarning, stacklevel=2)
    self._writers: Dict[str, Any] = {}
    # The strategy first: multi-worker collectives must be configured before
    # anything (seeding included) initialises TensorFlow's runtime.
    self.strategy = distribute.make_strategy(config["distribute"])
    seed_everything(config["seed"])
    self.run_dir = RunDir.for_config(config)
    self.is_chief = distribute.is_chief(self.strategy)
    # Missing data is reported before the run directory exists.
    datasets.availability.check(config["data"]["name"],
                                config["data"].get("data_dir"))
    created = not self.run_dir.path.exists()
    self._created_run_dir = created and self.is_chief
    if self.is_chief:
      self.run_dir.make_directories()
      self.run_dir.check_own_files()
    self._lock = self.run_dir.lock().acquire() if self.is_chief else None
    try:
      self._build()
    except BaseException:
      self.abandon()
      raise

  def abandon(self) -> None:
    """Closes a run that failed to start: a run directory this run made and
    nothing was written into (only its empty folders and the lock) is
    removed; anything else stays as it is."""
    self.close()
    if self._created_run_dir:
      self.run_dir.remove_if_unused()

  def _build(self) -> None:
    config = self.config
    data_cfg = config["data"]

    # Sonnet creates variables on the first call, so a model object is
    # cheap: this one only tells the input size and channels, which the
    # data is adapted to (grey to RGB for Xception, RGB to grey for MNIST
    # models).
    declared = build_model(config)
    self.image_size = image_size_of(config, declared)
    self.data = datasets.prepare(
        data_cfg["name"],
        **dict(dataset_options(config), image_size=self.image_size,
               channels=int(declared.channels)))
    self.class_names = tuple(self.data.info.class_names)
    self.model = self._build_model(len(self.class_names))
    self.normalization = self.model.input_normalization
    self.steps = steps_of(
        config, self.data.num_examples(data_cfg["train_split"]))

    self.precision = self._resolve_precision()
    self.onednn = precision_lib.onednn_in_use()
    self.trainer = Trainer.from_config(
        self.model, config, self.steps, self.strategy,
        precision=self.precision.precision)
    self.trainer.build(tf.zeros([1, *self.image_size, self.model.channels]))
    self.best_accuracy = tf.Variable(-1.0, trainable=False,
                                     name="best_accuracy")

    train_ds = self.data.load(
        data_cfg["train_split"], normalize=self.normalization,
        augment=data_cfg["augment"], shuffle=True,
        batch_size=data_cfg["batch_size"], drop_remainder=True, repeat=True)
    train_ds = distribute.shard_for_worker(train_ds, self.strategy)
    if self.strategy.num_replicas_in_sync > 1:
      train_ds = self.strategy.experimental_distribute_dataset(train_ds)
    self.eval_ds = self.data.load(data_cfg["eval_split"],
                                  normalize=self.normalization,
                                  batch_size=data_cfg["eval_batch_size"])
    self._iterator = iter(train_ds)

    objects = dict(self.trainer.checkpoint_objects(),
                   best_accuracy=self.best_accuracy)
    if self.strategy.num_replicas_in_sync == 1:
      objects["data"] = self._iterator  # Resume at the same position.
    self.checkpoint = tf.train.Checkpoint(**objects)
    ckpt_dir = self.run_dir.checkpoint_dir
    best_dir = self.run_dir.best_dir
    if not self.is_chief:
      # Every worker must save (the save is a collective), but only the
      # chief's files are the run's: the others write, latest and best
      # alike, under their own directory so no two processes write one file.
      ckpt_dir = self.run_dir.path / (
          f"worker-{distribute.task_id(self.strategy)}-tmp")
      best_dir = ckpt_dir / "best"
    else:
      for directory in (ckpt_dir, self.run_dir.best_dir):
        for note in self.run_dir.tidy_checkpoints(directory):
          self.say(f"Checkpoints: {note}.")
    self.manager = tf.train.CheckpointManager(
        self.checkpoint, str(ckpt_dir),
        max_to_keep=config["train"]["keep_checkpoints"])
    self.best_manager = tf.train.CheckpointManager(
        self.checkpoint, str(best_dir), max_to_keep=1)

  def _resolve_precision(self) -> precision_lib.Resolution:
    """`train.precision`, with `auto` decided for this machine.

    `auto` is decided when a run starts: a resumed run keeps the precision
    its run directory records, so its checkpoints continue as they began.
    """
    requested = self.config["train"]["precision"]
    if requested == precision_lib.AUTO and self.run_dir.is_run():
      try:
        recorded = self.run_dir.resolved_precision
      except RunDirError:
        recorded = None  # restore() reports the unreadable config.yaml.
      if recorded:
        return precision_lib.Resolution(
            recorded, "auto, as recorded when the run started")
    return precision_lib.resolve(requested, strategy=self.strategy)

  def _build_model(self, num_classes: int):
    config = self.config
    configured = config["model"].get("num_classes")
    if configured not in (None, num_classes):
      raise datasets.DatasetError(
          f"model.num_classes={configured} but {config['data']['name']} has "
          f"{num_classes} classes. Remove model.num_classes or set it to "
          f"{num_classes}.")
    config["model"]["num_classes"] = num_classes
    model_config = config
    if config["distribute"]["sync_batch_norm"]:
      model_config = dict(config, model=dict(config["model"],
                                             cross_replica_batch_norm=True))
    with self.strategy.scope():
      model = build_model(model_config)
    if config["finetune"]["batch_norm_inference"]:
      model.freeze_batch_norm = True
    return model

  def say(self, *args, **kwargs) -> None:
    """Prints when the run is verbose."""
    if self.verbose:
      print(*args, **kwargs)

  @property
  def step(self) -> int:
    return int(self.trainer.step)

  # Start ------------------------------------------------------------------

  def close(self) -> None:
    """Releases the run directory (the lock) and flushes summaries."""
    self.flush()
    if self._lock is not None:
      self._lock.release()
      self._lock = None

  def restore(self) -> str:
    """Resumes from the newest checkpoint that restores, or initialises.

    A damaged checkpoint (any of its files) is skipped for the next newest,
    with a one-line note; the run never starts over while checkpoints
    exist.

    Returns:
      What the weights were loaded from ("" for a fresh start).

    Raises:
      RunDirError: If checkpoints exist but none restores.
      ConfigError: If the saved config differs in what the checkpoints
        depend on (model, data, optimizer) and `allow_config_change` is not
        set.
    """
    directory = pathlib.Path(self.manager.directory)
    candidates = self.run_dir.checkpoints_on_disk(directory)
    if not candidates:
      loaded = initialise_from(self.model, self.config["finetune"],
                               self.config["model"])
      note = f"Initialised from {loaded}." if loaded else ""
      if note:
        self.say(note)
      return note
    self._check_config_unchanged()
    problems = []
    for prefix in candidates:
      try:
        self.checkpoint.restore(prefix).assert_existing_objects_matched()
        if not self.trainer.weights_are_finite():
          raise ValueError("it holds non-finite weights")
      except Exception as e:  # pylint: disable=broad-except
        # Damaged files fail in many ways (DataLossError, IndexError from a
        # short read, ValueError, a mismatch): any of them means "skip it".
        reason = str(e).strip().splitlines()[0][:200] if str(e) else (
            type(e).__name__)
        problems.append(f"{pathlib.Path(prefix).name}: {reason}")
        continue
      for problem in problems:
        self.say(f"Checkpoint {problem}; skipped.")
      note = f"Resuming from {prefix} at step {self.step}."
      if problems:
        note = (f"Resuming from {prefix} at step {self.step}, the newest "
                f"checkpoint that restores ({len(problems)} damaged one(s) "
                "kept as they are).")
      self.say(note)
      return note
    raise RunDirError(
        f"None of the {len(candidates)} checkpoint(s) in {directory} restores "
        f"({'; '.join(problems)}). Nothing was changed or removed; to start "
        "over, pass another run_dir.")

  def _check_config_unchanged(self) -> None:
    """Refuses to resume with a config the checkpoints were not made with."""
    if not self.run_dir.is_run() or self.config.get("allow_config_change"):
      return
    saved = dict(self.run_dir.config)
    saved[config_lib.RESOLVED_PRECISION_KEY] = self.run_dir.resolved_precision
    changed = config_lib.differences(saved, self.record(),
                                     config_lib.RESUME_SENSITIVE)
    if changed:
      raise config_lib.ConfigError(
          f"{self.run_dir.path} was trained with another config: "
          f"{'; '.join(changed)}. Resume with the same config, pass another "
          "run_dir, or pass allow_config_change=true to continue anyway "
          "(the old config is kept in config-history/).")

  def record(self) -> Dict[str, Any]:
    """The resolved config and what the run resolved (config.yaml)."""
    height, width = self.image_size
    record = dict(self.config, data_source=self.data.info.source,
                  steps_total=self.steps,
                  class_names=list(self.class_names),
                  resolved_precision=self.precision.precision)
    record[RESOLVED_ONEDNN_KEY] = self.onednn.state
    record["data"] = dict(record["data"],
                          image_size=height if height == width
                          else [height, width])
    return record

  def write_record(self) -> None:
    """Writes config.yaml (an earlier, different one goes to history)."""
    if self.is_chief:
      self.run_dir.write_config(self.record())

  # Logging ----------------------------------------------------------------

  def _writer(self, split: str):
    kind = "train" if split == "train" else "eval"
    if kind not in self._writers:
      self._writers[kind] = tf.summary.create_file_writer(
          str(self.run_dir.tensorboard_dir / kind))
    return self._writers[kind]

  def log(self, record: Dict[str, Any]) -> None:
    """Appends a record to metrics.jsonl and writes its scalars."""
    if not self.is_chief:
      return
    record = dict(record, data_source=self.data.info.source,
                  precision=self.precision.precision,
                  onednn=self.onednn.state)
    self.run_dir.append_metrics(record)
    with self._writer(record["split"]).as_default(step=record["step"]):
      for key in ("loss", "accuracy", "examples_per_sec", "learning_rate"):
        if key in record:
          tf.summary.scalar(key, record[key])

  def summary_writer(self, split: str):
    """The TensorBoard writer of a split ("train", the eval split)."""
    return self._writer(split)

  # Evaluation and checkpoints ----------------------------------------------

  def evaluate(self) -> Dict[str, Any]:
    """Evaluates the whole evaluation split, logs and returns the record."""
    start = time.perf_counter()
    with image_files.decode_failures_named():
      result = self.trainer.evaluate(self.eval_ds)
    elapsed = time.perf_counter() - start
    record = {"step": self.step, "split": self.config["data"]["eval_split"],
              "loss": result["loss"], "accuracy": result["accuracy"],
              "examples": result["examples"],
              "examples_per_sec": result["examples"] / max(elapsed, 1e-9)}
    self.log(record)
    return record

  def save(self, best: bool = False) -> Optional[str]:
    """Saves a checkpoint of the current step if every variable is finite.

    Raises:
      TrainingStopped: If a saved variable (weights, their averages,
        optimizer slots) is not finite: nothing is saved.
      CheckpointSaveError: If the files cannot be written.
    """
    if not self.trainer.weights_are_finite():
      raise TrainingStopped(
          f"A variable to be saved at step {self.step} is not finite (the "
          "weights, their moving averages or the optimizer's state), so no "
          "checkpoint is saved; the last finite one is kept "
          f"({self.manager.latest_checkpoint or 'none'}). Lower "
          "train.optimizer.learning_rate or set train.clip_grad_norm, then "
          "run again with a new run_dir.",
          checkpoint=self.manager.latest_checkpoint)
    manager = self.best_manager if best else self.manager
    try:
      return manager.save(checkpoint_number=self.step)
    except (tf.errors.OpError, OSError) as e:
      reason = (getattr(e, "message", None) or str(e)).strip().splitlines()
      raise CheckpointSaveError(
          f"Could not save the checkpoint of step {self.step} in "
          f"{manager.directory} ({reason[0][:200] if reason else e}). The "
          "earlier checkpoints are kept: free space (or fix the disk) and "
          "run the same command to resume.") from None

  def _note_evaluation(self, record: Dict[str, Any]) -> None:
    if record["accuracy"] > float(self.best_accuracy):
      self.best_accuracy.assign(record["accuracy"])
      self.save(best=True)

  # The loop ---------------------------------------------------------------

  def train(self, steps: Optional[int] = None) -> None:
    """Trains up to `steps` (default the config's), evaluating and saving.

    Raises:
      TrainingStopped: On SIGINT/SIGTERM (after saving a checkpoint) or a
        non-finite loss (the last checkpoint with finite weights is kept).
    """
    steps = self.steps if steps is None else steps
    train_cfg = self.config["train"]
    batch_size = self.config["data"]["batch_size"]
    progress = ProgressBar(steps, initial=self.step, batch_size=batch_size,
                           stream=sys.stderr if self.verbose else _Null(),
                           notes=sys.stdout if self.verbose else _Null())
    window = {"loss": 0.0, "accuracy": 0.0, "n": 0,
              "start": time.perf_counter()}
    with _StopFlag() as stop, contextlib.ExitStack() as cleanup:
      cleanup.callback(self.flush)
      cleanup.callback(progress.close)
      step = self.step
      while step < steps:
        with image_files.decode_failures_named():
          images, labels = next(self._iterator)
        if step == 0:
          for action in self.actions:
            action.on_first_batch(self, images)
        out = self.trainer.train_step(images, labels)
        loss = float(out["loss"])
        step = self.step
        if not np.isfinite(loss):
          raise TrainingStopped(
              f"Loss is {loss} at step {step}: training diverged. The last "
              "checkpoint with finite weights is kept "
              f"({self.manager.latest_checkpoint or 'none'}); lower "
              "train.optimizer.learning_rate or set train.clip_grad_norm, "
              "then run again with a new run_dir.",
              checkpoint=self.manager.latest_checkpoint)
        window["loss"] += loss
        window["accuracy"] += float(out["accuracy"])
        window["n"] += 1
        progress.update(step, loss=loss)
        if step % train_cfg["log_every"] == 0 or step == steps:
          elapsed = time.perf_counter() - window["start"]
          self.log({"step": step, "split": "train",
                    "loss": window["loss"] / window["n"],
                    "accuracy": window["accuracy"] / window["n"],
                    "learning_rate": self.trainer.learning_rate(),
                    "examples_per_sec": window["n"] * batch_size /
                                        max(elapsed, 1e-9)})
          window.update(loss=0.0, accuracy=0.0, n=0,
                        start=time.perf_counter())
        if step % train_cfg["eval_every"] == 0 and step < steps:
          record = self.evaluate()
          progress.note(f"step {step}: {record['split']} accuracy "
                        f"{record['accuracy']:.4f}, loss {record['loss']:.4f}")
          self._note_evaluation(record)
        if step % train_cfg["checkpoint_every"] == 0:
          self.save()
        if stop.signal_name:
          path = self.save()
          raise TrainingStopped(
              f"{stop.signal_name} received: saved {path} at step {step}. "
              f"Run the same command (run_dir={self.run_dir.path}) to "
              "resume.", signal_name=stop.signal_name, checkpoint=path)
      latest = self.manager.latest_checkpoint
      if not (latest and latest.endswith(f"ckpt-{step}")):
        self.save()

  def flush(self) -> None:
    for writer in self._writers.values():
      writer.flush()

  def finish(self) -> RunResult:
    """Final evaluation, then each action's `on_finish`."""
    record = self.evaluate()
    self._note_evaluation(record)
    self.flush()
    result = RunResult(
        run_dir=self.run_dir, step=self.step, split=record["split"],
        accuracy=record["accuracy"], loss=record["loss"],
        examples=record["examples"],
        checkpoint=self.manager.latest_checkpoint,
        data_source=self.data.info.source)
    for action in self.actions:
      action.on_finish(self, result)
    return result


class _Null:
  """A stream that drops what is written (a quiet run's progress bar)."""

  def write(self, _text):
    pass

  def flush(self):
    pass

  def isatty(self):
    return False


def run(config: Dict[str, Any], verbose: bool = True,
        actions: Sequence[RunAction] = ()) -> RunResult:
  """Runs (or resumes) training as `config` says and evaluates the result.

  Args:
    config: A validated config (`zoo.training.load_config`); not changed.
    verbose: Print progress and notes.
    actions: Hooks called at set points, e.g.
      `zoo.visualize.training_actions(config)` (what `snt-zoo train` passes).

  Returns:
    The final evaluation and the run directory.

  Raises:
    TrainingStopped: On a signal (after saving) or a non-finite loss.
    zoo.datasets.DatasetError, zoo.training.ConfigError: On bad data or
      config values.
  """
  training_run = Run(config, verbose=verbose, actions=actions)
  try:
    return _run(training_run, training_run.config)
  except BaseException:
    # E.g. published weights that cannot be fetched: no empty run left.
    training_run.abandon()
    raise
  finally:
    training_run.close()


def _run(training_run: Run, config: Dict[str, Any]) -> RunResult:
  training_run.restore()
  training_run.write_record()
  training_run.say(f"Run directory: {training_run.run_dir.path}")
  training_run.say(
      f"Data: {config['data']['name']} from {training_run.data.info.source}")
  training_run.say(
      f"Model: {config['model']['name']}, "
      f"{training_run.model.num_parameters():,} trainable parameters")
  training_run.say(f"Precision: {training_run.precision.describe()}; "
                   f"oneDNN: {training_run.onednn.describe()}")
  training_run.train()
  result = training_run.finish()
  training_run.say(
      f"Final {result.split} accuracy: {result.accuracy:.4f} (loss "
      f"{result.loss:.4f}) on {result.examples} examples of "
      f"{result.data_source}.")
  return result
