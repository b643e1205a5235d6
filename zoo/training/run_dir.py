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
    export/                the SavedModel of `zoo.serving.export_run`
    visualize/             pictures written by `zoo.visualize`
"""

import datetime
import functools
import json
import os
import pathlib
from typing import Any, Dict, List, Optional, Sequence, Tuple

import yaml

from zoo import _registry

CONFIG_FILE = "config.yaml"
METRICS_FILE = "metrics.jsonl"
CHECKPOINT_DIR = "checkpoints"
BEST_DIR = "checkpoints/best"
TENSORBOARD_DIR = "tensorboard"
EXPORT_DIR = "export"
VISUALIZE_DIR = "visualize"
#: Keys a run adds to its saved config (a record, not settings).
RECORD_KEYS = ("_name", "data_source", "steps_total", "class_names")


class RunDirError(FileNotFoundError):
  """A path is not a run directory or holds no usable checkpoint."""


def build_model(config: Dict[str, Any]):
  """Creates the (untrained) model a config's `model` section describes."""
  kwargs = {k: v for k, v in config["model"].items() if k != "name"}
  return _registry.create_model(config["model"]["name"], **kwargs)


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
      RunDirError: If no directory from `path` upwards holds a config.yaml.
    """
    path = pathlib.Path(path)
    for candidate in [path, *path.parents]:
      if (candidate / CONFIG_FILE).is_file():
        return cls(candidate)
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

  @property
  def visualize_dir(self) -> pathlib.Path:
    return self.path / VISUALIZE_DIR

  def is_run(self) -> bool:
    """Whether the directory holds a run's config.yaml."""
    return self.config_path.is_file()

  # The config and what it says --------------------------------------------

  @functools.cached_property
  def config(self) -> Dict[str, Any]:
    """The resolved config the run wrote at its start."""
    if not self.is_run():
      raise RunDirError(
          f"{self.path} is not a run directory: it has no {CONFIG_FILE}. Pass "
          "the directory a training run wrote (runs/<config>-<timestamp>).")
    try:
      config = yaml.safe_load(self.config_path.read_text())
    except (OSError, yaml.YAMLError) as e:
      raise RunDirError(f"{self.config_path} cannot be read: {e}") from e
    if not isinstance(config, dict) or "model" not in config:
      raise RunDirError(f"{self.config_path} is not a run config (no model "
                        "section).")
    return config

  def write_config(self, config: Dict[str, Any]) -> None:
    """Writes the resolved config (with its run record) as YAML."""
    self.path.mkdir(parents=True, exist_ok=True)
    self.config_path.write_text(yaml.safe_dump(dict(config), sort_keys=False))
    self.__dict__.pop("config", None)

  @property
  def model_name(self) -> str:
    return self.config["model"]["name"]

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
    """The run's dataset, prepared as training prepared it."""
    from zoo import datasets  # pylint: disable=g-import-not-at-top
    options = dict(self.dataset_options(data_dir), image_size=self.image_size)
    return datasets.prepare(self.config["data"]["name"], **options)

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
    with self.metrics_path.open("a+b") as f:
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
    names = tf.train.load_checkpoint(path).get_variable_to_shape_map()
    tf.train.Checkpoint(model=model).read(path).expect_partial()
    if any(name.startswith("ema/") for name in names):
      ema = tf.Module()
      ema.averages = [tf.Variable(tf.zeros_like(v), trainable=False)
                      for v in model.trainable_variables]
      tf.train.Checkpoint(ema=ema).read(path).expect_partial()
      for variable, average in zip(model.trainable_variables, ema.averages):
        variable.assign(average)
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
