"""A run directory: its resolved config, checkpoints and restoring a model."""

import os
import pathlib
from typing import Optional, Tuple

import tensorflow as tf
import yaml

from zoo import _registry
from zoo.models.base import ImageClassifier

CONFIG_FILE = "config.yaml"
CHECKPOINT_DIR = "checkpoints"
BEST_DIR = "checkpoints/best"


def read_config(run_dir: os.PathLike) -> dict:
  """The resolved config a run wrote at its start."""
  path = pathlib.Path(run_dir) / CONFIG_FILE
  if not path.is_file():
    raise FileNotFoundError(
        f"{run_dir} is not a run directory: it has no {CONFIG_FILE}. Pass the "
        "directory tools/train.py wrote (runs/<config>-<timestamp>).")
  return yaml.safe_load(path.read_text())


def build_model(config: dict) -> ImageClassifier:
  """Creates the model a config describes (untrained).

  A run's saved config.yaml always names `model.num_classes` (tools/train.py
  writes the dataset's class count there).
  """
  kwargs = {k: v for k, v in config["model"].items() if k != "name"}
  return _registry.create_model(config["model"]["name"], **kwargs)


def dataset_options(config: dict, model: Optional[ImageClassifier] = None,
                    data_dir: Optional[str] = None) -> dict:
  """The `datasets.info` / `datasets.load` options a run's config implies.

  Every tool reads a run's data through this, so splits, class names and
  preprocessing match training.

  Args:
    config: A resolved config.
    model: When given, adds the model's `image_size` and `normalize`.
    data_dir: Overrides `config["data"]["data_dir"]`.
  """
  data = config["data"]
  options = {"data_dir": data_dir or data.get("data_dir"),
             "seed": int(config.get("seed", 0))}
  if data.get("validation_fraction"):
    options["validation_fraction"] = data["validation_fraction"]
  if data["name"] == "flowers17":
    options.update(split_ratio=data["split_ratio"],
                   split_index=data["split_index"],
                   on_corrupt=data.get("on_corrupt", "error"))
  if model is not None:
    options.update(
        image_size=data.get("image_size") or model.default_image_size[0],
        normalize=model.input_normalization)
  return options


def find_checkpoint(path: os.PathLike, prefer_best: bool = True) -> str:
  """Resolves a run directory, checkpoint directory or prefix to a prefix.

  Raises:
    FileNotFoundError: If no checkpoint is there.
  """
  path = pathlib.Path(path)
  candidates = []
  if path.is_dir():
    if prefer_best:
      candidates.append(path / BEST_DIR)
    candidates += [path / CHECKPOINT_DIR, path]
    for directory in candidates:
      latest = tf.train.latest_checkpoint(str(directory))
      if latest:
        return latest
  elif pathlib.Path(f"{path}.index").exists():
    return str(path)
  raise FileNotFoundError(
      f"No checkpoint found at {path}. Give a run directory of "
      "tools/train.py, its checkpoints/ directory or a checkpoint prefix "
      "such as runs/x/checkpoints/ckpt-1000.")


def restore_model(run_dir: os.PathLike,
                  checkpoint: Optional[os.PathLike] = None,
                  prefer_best: bool = True) -> Tuple[ImageClassifier, dict, str]:
  """Rebuilds a run's model and loads its weights (EMA weights if kept).

  Args:
    run_dir: The run directory (holds config.yaml).
    checkpoint: A specific checkpoint; default the best, else the latest.
    prefer_best: Prefer the best-by-evaluation checkpoint.

  Returns:
    `(model, config, checkpoint_path)`.
  """
  config = read_config(run_dir)
  model = build_model(config)
  height, width = model.default_image_size
  if config["data"].get("image_size"):
    height = width = config["data"]["image_size"]
  model(tf.zeros([1, height, width, model.channels]), is_training=False)
  path = find_checkpoint(checkpoint or run_dir, prefer_best)
  reader = tf.train.load_checkpoint(path)
  tf.train.Checkpoint(model=model).read(path).expect_partial()
  has_ema = any(name.startswith("ema/") for name in
                reader.get_variable_to_shape_map())
  if has_ema:
    ema = tf.Module()
    ema.averages = [tf.Variable(tf.zeros_like(v), trainable=False)
                    for v in model.trainable_variables]
    tf.train.Checkpoint(ema=ema).read(path).expect_partial()
    for variable, average in zip(model.trainable_variables, ema.averages):
      variable.assign(average)
  return model, config, path
