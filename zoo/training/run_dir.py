"""A run directory: the one place that knows a run's files and facts.

    run = RunDir("runs/deep_mnist-20261124-101500")
    run.config, run.class_names, run.image_size, run.normalization
    run.latest_checkpoint, run.best_checkpoint
    model, checkpoint = run.restore_model()
    run.dataset().load("test", batch_size=500)

Layout (every path comes from here):

    config.yaml            resolved config of the run, with its run record
    metrics.jsonl          one JSON object per logging window and evaluation
    checkpoints/ckpt-N.*   the last `train.keep_checkpoints` checkpoints
    checkpoints/best/      the best checkpoint by evaluation accuracy
    tensorboard/           summaries (train/, eval/, projector files)
    export/                the SavedModel of `zoo.run_serving.export_run`
    export-<format>/       its ONNX / TFLite exports (model file + info)
    visualize/             pictures written by `zoo.visualize`
"""

import datetime
import functools
import json
import os
import pathlib
import re
import shutil
import socket
from typing import Any, Dict, List, Optional, Sequence, Tuple

import yaml

from zoo.datasets import safe_files
from zoo.training import strict_yaml

CONFIG_FILE = "config.yaml"
METRICS_FILE = "metrics.jsonl"
CHECKPOINT_DIR = "checkpoints"
BEST_DIR = "checkpoints/best"
TENSORBOARD_DIR = "tensorboard"
EXPORT_DIR = "export"
VISUALIZE_DIR = "visualize"
CONFIG_HISTORY_DIR = "config-history"
LOCK_FILE = ".lock"
_CHECKPOINT_INDEX = re.compile(r"^ckpt-(\d+)\.index$")
_INTERRUPTED_SAVE = re.compile(r"^ckpt-\d+_temp$")
_HISTORY_ENTRY = re.compile(r"^config-(\d+)\.yaml$")
#: The precision a run computes in (`train.precision` with `auto` resolved).
RESOLVED_PRECISION_KEY = "resolved_precision"
#: Whether TensorFlow ran its oneDNN CPU kernels ("on"/"off"; a record).
RESOLVED_ONEDNN_KEY = "resolved_onednn"
#: Keys a run adds to its saved config (a record, not settings).
RECORD_KEYS = ("_name", "data_source", "steps_total", "class_names",
               RESOLVED_PRECISION_KEY, RESOLVED_ONEDNN_KEY)


class RunDirError(FileNotFoundError):
  """A path is not a run directory or holds no usable checkpoint."""


class CheckpointSaveError(OSError):
  """A checkpoint could not be written (disk full, I/O error)."""


class RunDirBusy(RuntimeError):
  """Another process is training in the run directory."""


def _lock_functions():
  """`(try_lock(handle), unlock(handle))` for this platform.

  POSIX: `fcntl.flock`; Windows (no `fcntl`): `msvcrt.locking` on the first
  byte. Both locks belong to the open file, so the operating system drops
  them when the holder exits in any way.
  """
  try:
    import fcntl  # pylint: disable=g-import-not-at-top
  except ImportError:
    fcntl = None
  if fcntl is not None:
    return (lambda handle: fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB),
            lambda handle: fcntl.flock(handle, fcntl.LOCK_UN))
  import msvcrt  # pylint: disable=g-import-not-at-top,import-error

  def locking(handle, mode):
    position = handle.tell()
    handle.seek(0)
    try:
      msvcrt.locking(handle.fileno(), mode, 1)
    finally:
      handle.seek(position)

  return (lambda handle: locking(handle, msvcrt.LK_NBLCK),
          lambda handle: locking(handle, msvcrt.LK_UNLCK))


class RunLock:
  """An exclusive lock on a run directory, held while a run uses it.

  An OS file lock on RUN_DIR/.lock (`fcntl.flock`, or `msvcrt.locking`
  where there is no `fcntl`): it is released when the holder exits in any
  way (kill -9 included), so a lock file left behind is never mistaken for
  a live run. The file names the holder for the message a second run gets.
  """

  def __init__(self, run_dir: pathlib.Path):
    self.path = pathlib.Path(run_dir) / LOCK_FILE
    self._file = None
    self.stale_holder: Optional[str] = None

  def acquire(self) -> "RunLock":
    """Takes the lock.

    Raises:
      RunDirBusy: Naming the process that holds it.
    """
    self.path.parent.mkdir(parents=True, exist_ok=True)
    handle = safe_files.open_update(self.path)
    try_lock, self._unlock = _lock_functions()
    try:
      try_lock(handle)
    except OSError:
      handle.seek(0)
      holder = handle.read().strip() or "another process"
      handle.close()
      raise RunDirBusy(
          f"{self.path.parent} is in use by {holder}. Wait for that run to "
          "finish (or stop it), or pass another run_dir.") from None
    handle.seek(0)
    self.stale_holder = handle.read().strip() or None
    handle.seek(0)
    handle.truncate()
    handle.write(f"pid {os.getpid()} on {socket.gethostname()} since "
                 f"{datetime.datetime.now().isoformat(timespec='seconds')}\n")
    handle.flush()
    self._file = handle
    return self

  def release(self) -> None:
    if self._file is not None:
      self._file.seek(0)
      self._file.truncate()
      self._unlock(self._file)
      self._file.close()
      self._file = None

  def __enter__(self) -> "RunLock":
    return self.acquire()

  def __exit__(self, *exc) -> None:
    self.release()


def model_kwargs(model: Dict[str, Any]) -> Dict[str, Any]:
  """The model arguments of a config's `model` section.

  Runs recorded before every model took `image_size` and `channels` may say
  `image_shape: [H, W, C]`; it is read as `image_size: [H, W]`, `channels: C`.
  """
  kwargs = {k: v for k, v in model.items() if k != "name"}
  shape = kwargs.pop("image_shape", None)
  if shape is not None:
    if not isinstance(shape, (list, tuple)) or len(shape) != 3:
      raise RunDirError(f"model.image_shape={shape!r} is not [H, W, C]; write "
                        "model.image_size=[H, W] and model.channels=C.")
    kwargs.setdefault("image_size", [int(s) for s in shape[:2]])
    kwargs.setdefault("channels", int(shape[2]))
  return kwargs


def build_model(config: Dict[str, Any]):
  """Creates the (untrained) model a config's `model` section describes.

  The config's `imports` (modules registering models of one's own) are
  imported first, so a run of such a model is evaluated, exported and
  visualised without naming them again.
  """
  from zoo.models import _registry  # pylint: disable=g-import-not-at-top
  _registry.import_models(config.get("imports") or ())
  return _registry.create_model(config["model"]["name"],
                                **model_kwargs(config["model"]))


def image_size_of(config: Dict[str, Any], model=None) -> Tuple[int, int]:
  """`data.image_size` of a config, else the model's default size."""
  size = config.get("data", {}).get("image_size")
  if size:
    if isinstance(size, int):
      return (size, size)
    return tuple(int(s) for s in size)
  model = model if model is not None else build_model(config)
  return tuple(int(s) for s in model.default_image_size)


def dataset_options(config: Dict[str, Any],
                    data_dir: Optional[os.PathLike] = None) -> Dict[str, Any]:
  """The `zoo.datasets.prepare` options a config implies.

  Training and every tool read a run's data through this, so splits, class
  names and image size match. Only options of the data layer's own schema
  (`zoo.datasets.options`) are passed.
  """
  from zoo.datasets import options as options_lib  # pylint: disable=g-import-not-at-top
  data = config["data"]
  prepared = {key: data[key] for key in options_lib.PREPARE_OPTIONS
              if key in data}
  prepared["seed"] = int(config.get("seed", 0))
  if data_dir is not None:
    prepared["data_dir"] = str(data_dir)
  return prepared


def prepare_dataset(config: Dict[str, Any],
                    data_dir: Optional[os.PathLike] = None,
                    image_size: Optional[Sequence[int]] = None,
                    channels: Optional[int] = None,
                    decoder: str = "tensorflow"):
  """The dataset a run's config trains on, adapted to its model.

  Args:
    config: A run's resolved config (a run directory's, or the one an export
      records).
    data_dir: Read the data from here instead of `data.data_dir`.
    image_size: The model's `(height, width)`; default `image_size_of`.
    channels: The model's channel count; default the model's.
    decoder: What scans and reads image files for `Dataset.arrays`:
      "tensorflow" or "pillow" (no TensorFlow; with `image_size` and
      `channels` given, nothing here imports it).
  """
  from zoo import datasets  # pylint: disable=g-import-not-at-top
  if image_size is None or channels is None:
    model = build_model(config)
    image_size = image_size or image_size_of(config, model)
    channels = channels or int(model.channels)
  options = dict(dataset_options(config, data_dir),
                 image_size=tuple(image_size), channels=int(channels),
                 decoder=decoder)
  return datasets.prepare(config["data"]["name"], **options)


def _timestamped(config: Dict[str, Any]) -> pathlib.Path:
  stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
  return pathlib.Path("runs") / f"{config.get('_name', 'run')}-{stamp}"


class RunDir:
  """Paths and facts of one training run's directory."""

  def __init__(self, path: os.PathLike):
    self.path = pathlib.Path(path)

  @classmethod
  def for_config(cls, config: Dict[str, Any]) -> "RunDir":
    """The config's `run_dir`, or `runs/<config name>-<timestamp>`."""
    return cls(config.get("run_dir") or _timestamped(config))

  @classmethod
  def containing(cls, path: os.PathLike) -> "RunDir":
    """The run directory `path` is (or lies in: a checkpoint, an export).

    Raises:
      RunDirError: If `path` does not exist, or no directory from it upwards
        holds a config.yaml.
    """
    path = pathlib.Path(path)
    for candidate in [path, *path.parents]:
      if (candidate / CONFIG_FILE).is_file():
        return cls(candidate)
    if not (os.path.lexists(path) or
            path.with_name(path.name + ".index").exists()):  # A checkpoint.
      cls(path).check_exists()
    raise RunDirError(
        f"{path} is not a run directory or inside one (no {CONFIG_FILE} in it "
        "or above it). Pass the directory a training run wrote, e.g. "
        "runs/<config>-<timestamp>.")

  def __repr__(self) -> str:
    return f"RunDir({str(self.path)!r})"

  def __fspath__(self) -> str:
    return str(self.path)

  # Paths ------------------------------------------------------------------

  @property
  def config_path(self) -> pathlib.Path:
    return self.path / CONFIG_FILE

  @property
  def metrics_path(self) -> pathlib.Path:
    return self.path / METRICS_FILE

  @property
  def checkpoint_dir(self) -> pathlib.Path:
    return self.path / CHECKPOINT_DIR

  @property
  def best_dir(self) -> pathlib.Path:
    return self.path / BEST_DIR

  @property
  def tensorboard_dir(self) -> pathlib.Path:
    return self.path / TENSORBOARD_DIR

  @property
  def export_dir(self) -> pathlib.Path:
    return self.path / EXPORT_DIR

  def export_dir_for(self, export_format: str = "savedmodel") -> pathlib.Path:
    """Default export directory of a format: export/ or export-<format>/."""
    if export_format == "savedmodel":
      return self.export_dir
    return self.path / f"{EXPORT_DIR}-{export_format}"

  @property
  def visualize_dir(self) -> pathlib.Path:
    return self.path / VISUALIZE_DIR

  def is_run(self) -> bool:
    """Whether the directory holds a run's config.yaml."""
    return self.config_path.is_file()

  # The config and what it says --------------------------------------------

  def check_exists(self) -> None:
    """Raises a `RunDirError` saying so if the directory does not exist."""
    if not self.path.exists():
      raise RunDirError(
          f"{self.path} does not exist. Pass the directory a training run "
          "wrote (runs/<config>-<timestamp>), or train one with snt-zoo "
          "train --config NAME.")

  @functools.cached_property
  def config(self) -> Dict[str, Any]:
    """The resolved config the run wrote at its start."""
    self.check_exists()
    if not self.path.is_dir():
      raise RunDirError(
          f"{self.path} is a file, not a run directory. Pass the directory a "
          "training run wrote (runs/<config>-<timestamp>).")
    if not self.is_run():
      raise RunDirError(
          f"{self.path} is not a run directory: it has no {CONFIG_FILE}. Pass "
          "the directory a training run wrote (runs/<config>-<timestamp>).")
    try:
      config = strict_yaml.load(self.config_path.read_text())
    except (OSError, yaml.YAMLError, strict_yaml.StrictYamlError) as e:
      raise RunDirError(f"{self.config_path} cannot be read: {e}") from e
    if not isinstance(config, dict) or "model" not in config:
      raise RunDirError(f"{self.config_path} is not a run config (no model "
                        "section).")
    return config

  def write_config(self, config: Dict[str, Any]) -> None:
    """Writes the resolved config (with its run record) as YAML.

    A different config.yaml already there is kept in config-history/ (the
    record of what earlier steps ran with) under a new number, never over
    an entry, whatever was removed before. Nothing is written through a
    link placed where config.yaml belongs.
    """
    self.path.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(dict(config), sort_keys=False)
    safe_files.check_not_link(self.config_path)
    if self.config_path.is_file():
      old = self.config_path.read_text()
      if old == text:
        return
      self._keep_in_history(old)
    safe_files.write_text(self.config_path, text)
    self.__dict__.pop("config", None)

  def _keep_in_history(self, text: str) -> pathlib.Path:
    """Saves `text` as config-history/config-N.yaml, N after every entry."""
    history = self.path / CONFIG_HISTORY_DIR
    if history.is_symlink():
      safe_files.check_not_link(history)
    history.mkdir(exist_ok=True)
    numbers = [int(m.group(1)) for m in
               (_HISTORY_ENTRY.match(p.name) for p in history.iterdir()) if m]
    number = max(numbers, default=0) + 1
    while not safe_files.create_new(history / f"config-{number}.yaml",
                                    text.encode("utf-8")):
      number += 1  # Taken since the listing: never overwrite an entry.
    return history / f"config-{number}.yaml"

  def make_directories(self) -> None:
    """Creates the directories a training run writes, or says why not.

    Checked before anything is trained, so a read-only disk, a missing
    permission or a file where a directory belongs costs no work.

    Raises:
      RunDirError: Naming the path and the reason.
    """
    for directory in (self.path, self.checkpoint_dir, self.best_dir,
                      self.tensorboard_dir):
      if directory.exists() and not directory.is_dir():
        raise RunDirError(
            f"{directory} is a file where the run needs a directory; move it "
            "away or pass another run_dir.")
      try:
        directory.mkdir(parents=True, exist_ok=True)
      except OSError as e:
        raise RunDirError(
            f"Cannot create {directory} ({e.strerror or e}); pass a run_dir "
            "on a writable disk.") from None
    probe = self.path / f".write-test-{os.getpid()}"
    try:
      safe_files.write_bytes(probe, b"")
      probe.unlink()
    except OSError as e:
      raise RunDirError(f"Cannot write in {self.path} ({e.strerror or e}); "
                        "pass a run_dir on a writable disk.") from None

  def check_own_files(self) -> None:
    """Refuses a symbolic link (or a non-file) where the run writes a file.

    The run's own files are written without following links anyway; this
    says so before any work, in one line naming the link.

    Raises:
      zoo.datasets.safe_files.UnsafePathError: Naming the first such path.
    """
    for path in (self.path / LOCK_FILE, self.config_path, self.metrics_path,
                 self.checkpoint_dir / "checkpoint",
                 self.best_dir / "checkpoint"):
      safe_files.check_not_link(path)
    for directory in (self.path / CONFIG_HISTORY_DIR, self.visualize_dir):
      if directory.is_symlink():
        raise safe_files.UnsafePathError(
            f"{directory} is a symbolic link; the run writes its own files "
            "only, never through a link. Remove the link and run again.")

  def remove_if_unused(self) -> bool:
    """Removes a run directory holding only what `make_directories` and the
    lock made (a start that failed before writing anything); returns whether
    it did. Anything else in it keeps it, untouched."""
    for directory in (self.tensorboard_dir, self.best_dir,
                      self.checkpoint_dir):
      try:
        directory.rmdir()
      except OSError:
        pass
    lock = self.path / LOCK_FILE
    try:
      if any(entry.name != LOCK_FILE for entry in self.path.iterdir()):
        return False
      if lock.is_file() and not lock.is_symlink():
        lock.unlink()
      self.path.rmdir()
    except OSError:
      return False
    return True

  def lock(self) -> RunLock:
    """The run directory's lock (`with run.lock(): ...`)."""
    return RunLock(self.path)

  @property
  def model_name(self) -> str:
    return self.config["model"]["name"]

  @property
  def resolved_precision(self) -> Optional[str]:
    """The precision the run computed in, as recorded in config.yaml.

    Runs recorded before `auto` existed give their `train.precision`; None
    when the record says neither.
    """
    recorded = self.config.get(RESOLVED_PRECISION_KEY)
    if recorded:
      return recorded
    configured = (self.config.get("train") or {}).get("precision")
    return configured if configured not in (None, "auto") else None

  @functools.cached_property
  def class_names(self) -> Tuple[str, ...]:
    """The class names training saw, in label order."""
    recorded = self.config.get("class_names")
    if recorded:
      return tuple(str(c) for c in recorded)
    return tuple(self.dataset().info.class_names)

  @functools.cached_property
  def _model_facts(self):
    model = build_model(self.config)
    return (image_size_of(self.config, model), model.input_normalization,
            int(model.channels))

  @property
  def image_size(self) -> Tuple[int, int]:
    """`(height, width)` the model was trained at."""
    return self._model_facts[0]

  @property
  def normalization(self) -> str:
    """The model's input range: "unit" ([0, 1]) or "symmetric" ([-1, 1])."""
    return self._model_facts[1]

  @property
  def channels(self) -> int:
    return self._model_facts[2]

  def dataset_options(self, data_dir: Optional[os.PathLike] = None
                      ) -> Dict[str, Any]:
    """The data options of the run (see `dataset_options`)."""
    return dataset_options(self.config, data_dir)

  def dataset(self, data_dir: Optional[os.PathLike] = None):
    """The run's dataset as training prepared it (model's size, channels)."""
    return prepare_dataset(self.config, data_dir, self.image_size,
                           self.channels)

  # Metrics ----------------------------------------------------------------

  def read_metrics(self) -> List[Dict[str, Any]]:
    """The records of metrics.jsonl; a partial last line is ignored."""
    if not self.metrics_path.is_file():
      return []
    records = []
    for line in self.metrics_path.read_text().splitlines():
      try:
        record = json.loads(line)
      except json.JSONDecodeError:
        continue  # A line cut short by a kill mid-write.
      if isinstance(record, dict):
        records.append(record)
    return records

  def append_metrics(self, record: Dict[str, Any]) -> None:
    """Appends one record to metrics.jsonl (after a cut-off line, if any)."""
    text = json.dumps(record) + "\n"
    with safe_files.open_append(self.metrics_path) as f:
      f.seek(0, os.SEEK_END)
      if f.tell():
        f.seek(-1, os.SEEK_END)
        if f.read(1) != b"\n":
          text = "\n" + text
      f.write(text.encode())

  # Checkpoints ------------------------------------------------------------

  @property
  def latest_checkpoint(self) -> Optional[str]:
    import tensorflow as tf  # pylint: disable=g-import-not-at-top
    return tf.train.latest_checkpoint(str(self.checkpoint_dir))

  @property
  def best_checkpoint(self) -> Optional[str]:
    import tensorflow as tf  # pylint: disable=g-import-not-at-top
    return tf.train.latest_checkpoint(str(self.best_dir))

  def checkpoints_on_disk(self, directory: Optional[os.PathLike] = None
                          ) -> List[str]:
    """Checkpoint prefixes found in a directory, newest step first.

    Read from the files themselves (`ckpt-N.index`), not from the
    `checkpoint` state file, which may be damaged or missing.
    """
    directory = pathlib.Path(directory or self.checkpoint_dir)
    if not directory.is_dir():
      return []
    found = []
    for entry in directory.iterdir():
      match = _CHECKPOINT_INDEX.match(entry.name)
      if match:
        found.append((int(match.group(1)), str(directory / entry.name[:-6])))
    return [prefix for _, prefix in sorted(found, reverse=True)]

  def tidy_checkpoints(self, directory: Optional[os.PathLike] = None
                       ) -> List[str]:
    """Prepares a checkpoint directory for a run; returns notes.

    Removes the `ckpt-N_temp` directories of saves that were interrupted
    (TensorFlow's own staging, never a finished checkpoint), and rewrites a
    missing or unreadable `checkpoint` state file from the checkpoints on
    disk, so a damaged state file never looks like an empty run.
    """
    import tensorflow as tf  # pylint: disable=g-import-not-at-top
    directory = pathlib.Path(directory or self.checkpoint_dir)
    notes = []
    if not directory.is_dir():
      return notes
    for entry in directory.iterdir():
      if entry.is_symlink() and _INTERRUPTED_SAVE.match(entry.name):
        notes.append(f"left {entry.name} alone: a symbolic link, not an "
                     "interrupted save of this run")
      elif entry.is_dir() and _INTERRUPTED_SAVE.match(entry.name):
        shutil.rmtree(entry)
        notes.append(f"removed {entry.name}/ (an interrupted save)")
    on_disk = self.checkpoints_on_disk(directory)
    if not on_disk:
      return notes
    try:
      state = tf.train.get_checkpoint_state(str(directory))
    except Exception:  # pylint: disable=broad-except
      state = None  # Unparseable: rewritten below.
    listed = set()
    if state is not None and state.model_checkpoint_path:
      listed = {os.path.basename(p)
                for p in state.all_model_checkpoint_paths}
    if listed != {os.path.basename(p) for p in on_disk}:
      # Missing or unreadable, or a kill came between a finished save and
      # the state update: list what is on disk, so the newest is resumed
      # and `keep_checkpoints` sweeps every one of them.
      oldest_first = list(reversed(on_disk))
      # The file times keep the checkpoints sweepable: the manager treats
      # any checkpoint not newer than `last_preserved_timestamp` as kept
      # forever.
      times = [os.path.getmtime(prefix + ".index") for prefix in oldest_first]
      times = [max(times[:i + 1]) for i in range(len(times))]
      tf.compat.v1.train.update_checkpoint_state(
          str(directory), on_disk[0],
          all_model_checkpoint_paths=oldest_first,
          all_model_checkpoint_timestamps=times,
          last_preserved_timestamp=times[0] - 1.0)
      notes.append(f"rebuilt {directory.name}/checkpoint from the "
                   f"{len(on_disk)} checkpoint(s) on disk")
    return notes

  def find_checkpoint(self, checkpoint: Optional[os.PathLike] = None,
                      prefer_best: bool = True) -> str:
    """The checkpoint to use: `checkpoint` if given, else best or latest."""
    if checkpoint is not None:
      return find_checkpoint(checkpoint, prefer_best)
    return find_checkpoint(self.path, prefer_best)

  def build_model(self):
    """The run's model, untrained, with its variables created."""
    import tensorflow as tf  # pylint: disable=g-import-not-at-top
    model = build_model(self.config)
    model(tf.zeros([1, *self.image_size, model.channels]), is_training=False)
    return model

  def restore_model(self, checkpoint: Optional[os.PathLike] = None,
                    prefer_best: bool = True):
    """Rebuilds the model and loads its weights (EMA weights if kept).

    Args:
      checkpoint: A specific checkpoint; default the best, else the latest.
      prefer_best: Prefer the best-by-evaluation checkpoint.

    Returns:
      `(model, checkpoint_path)`.
    """
    import tensorflow as tf  # pylint: disable=g-import-not-at-top
    model = self.build_model()
    path = self.find_checkpoint(checkpoint, prefer_best)
    try:
      names = tf.train.load_checkpoint(path).get_variable_to_shape_map()
      tf.train.Checkpoint(model=model).read(path).expect_partial()
      if any(name.startswith("ema/") for name in names):
        ema = tf.Module()
        ema.averages = [tf.Variable(tf.zeros_like(v), trainable=False)
                        for v in model.trainable_variables]
        tf.train.Checkpoint(ema=ema).read(path).expect_partial()
        for variable, average in zip(model.trainable_variables,
                                     ema.averages):
          variable.assign(average)
    except Exception as e:  # pylint: disable=broad-except
      # Damaged files fail in many ways (DataLossError, IndexError from a
      # short read, a mismatch): name the checkpoint and the alternatives.
      reason = str(e).strip().splitlines()[0][:200] if str(e) else (
          type(e).__name__)
      others = [p for p in self.checkpoints_on_disk()
                + self.checkpoints_on_disk(self.best_dir) if p != path]
      hint = (f"pass --checkpoint with another one ({', '.join(others[:3])})"
              if others else "train again")
      raise RunDirError(f"Checkpoint {path} cannot be read ({reason}); "
                        f"{hint}.") from None
    return model, path


def find_checkpoint(path: os.PathLike, prefer_best: bool = True) -> str:
  """Resolves a run directory, checkpoint directory or prefix to a prefix.

  Raises:
    RunDirError: If no checkpoint is there.
  """
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  path = pathlib.Path(path)
  if path.is_dir():
    candidates: Sequence[pathlib.Path] = (
        ([path / BEST_DIR] if prefer_best else []) +
        [path / CHECKPOINT_DIR, path])
    for directory in candidates:
      latest = tf.train.latest_checkpoint(str(directory))
      if latest:
        return latest
  elif pathlib.Path(f"{path}.index").exists():
    return str(path)
  raise RunDirError(
      f"No checkpoint found at {path}. Give a run directory, its checkpoints/ "
      "directory or a checkpoint prefix such as runs/x/checkpoints/ckpt-1000.")
