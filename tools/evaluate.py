#!/usr/bin/env python
"""Evaluates a run directory, a checkpoint or an exported model.

  python tools/evaluate.py MODEL [--split test] [--data-dir DIR]
                           [--checkpoint CKPT] [--max-examples N]
                           [--output PATH] [--num-bins 15]

MODEL is a run directory of tools/train.py (its best, else latest
checkpoint), a checkpoint inside one (runs/x/checkpoints/ckpt-1000) or a
directory written by tools/export.py (fed uint8 images through its serving
signature). The data is the run config's (`data` section; an export keeps
its run's config), with the model's own normalization.

Reports accuracy, top-5 accuracy (more than 5 classes), per-class accuracy,
the confusion matrix (rows: true class, columns: predicted) and the expected
calibration error, prints them as a table and writes JSON: by default
RUN_DIR/evaluation-<split>.json (for a checkpoint
RUN_DIR/evaluation-<split>-<checkpoint>.json, for an export
<export's parent>/evaluation-<split>-<export name>.json).
"""

import argparse
import json
import os
import pathlib
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # pylint: disable=g-import-not-at-top,wrong-import-position
import tensorflow as tf  # pylint: disable=g-import-not-at-top,wrong-import-position
import tensorflow_probability as tfp  # pylint: disable=g-import-not-at-top,wrong-import-position

import datasets  # pylint: disable=g-import-not-at-top,wrong-import-position
from zoo import serving  # pylint: disable=g-import-not-at-top,wrong-import-position
from zoo.training import run_dir as run_dir_lib  # pylint: disable=g-import-not-at-top,wrong-import-position


class EvaluationError(Exception):
  """The model or data cannot be evaluated as asked."""


def _parse_args(argv):
  parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
  parser.add_argument("model", help="Run directory, checkpoint or export.")
  parser.add_argument("--split", help="Split to evaluate (default the "
                      "config's data.eval_split).")
  parser.add_argument("--data-dir", help="Read the data from here instead "
                      "of the config's data.data_dir.")
  parser.add_argument("--checkpoint", help="With a run directory: the "
                      "checkpoint to evaluate.")
  parser.add_argument("--max-examples", type=int,
                      help="Evaluate only the first N examples of the split.")
  parser.add_argument("--batch-size", type=int,
                      help="Default the config's data.eval_batch_size.")
  parser.add_argument("--num-bins", type=int, default=15,
                      help="Bins of the expected calibration error.")
  parser.add_argument("--output", help="JSON path (see above for the "
                      "default).")
  parser.add_argument("--quiet", action="store_true",
                      help="Do not print the table.")
  return parser.parse_args(argv)


def _find_run_dir(path: pathlib.Path) -> pathlib.Path:
  for candidate in [path, *path.parents]:
    if (candidate / run_dir_lib.CONFIG_FILE).is_file():
      return candidate
  raise FileNotFoundError(
      f"{path} is neither an export, a run directory nor a checkpoint inside "
      "one (no config.yaml above it).")


class _Source:
  """What is evaluated: `predict(uint8 or float batch)` -> probabilities."""

  def __init__(self, path, checkpoint=None):
    path = pathlib.Path(path)
    self.path = path
    if serving.is_export(path):
      self.kind = "export"
      self.export = serving.LoadedExport(path)
      self.config = self.export.info.get("config")
      if not self.config:
        raise EvaluationError(
            f"{path} has no run config in {serving.INFO_FILE}; only exports "
            "written by tools/export.py can be evaluated.")
      self.checkpoint = self.export.info.get("checkpoint")
      self.image_size = tuple(self.export.image_size)
      self.normalization = "unit"  # Recovered to uint8, below.
      self.class_names = self.export.class_names()
      self.default_output = (path.resolve().parent /
                             f"evaluation-{{split}}-{path.resolve().name}.json")
      return
    candidate = path if path.is_dir() else path.parent
    self.run_dir = _find_run_dir(candidate)
    is_run_dir = path.is_dir() and (path / run_dir_lib.CONFIG_FILE).is_file()
    if not is_run_dir and checkpoint is None:
      checkpoint = path
    self.kind = "run_dir" if is_run_dir and checkpoint is None else "checkpoint"
    self.model, self.config, self.checkpoint = run_dir_lib.restore_model(
        self.run_dir, checkpoint)
    self.image_size = serving.model_image_size(self.model, self.config)
    self.normalization = self.model.input_normalization
    self.class_names = None
    suffix = "" if self.kind == "run_dir" else (
        "-" + pathlib.Path(self.checkpoint).name)
    self.default_output = self.run_dir / f"evaluation-{{split}}{suffix}.json"
    self._logits = tf.function(
        lambda images: self.model(images, is_training=False))

  def logits(self, images: tf.Tensor) -> np.ndarray:
    """Logits (log-probabilities for an export) of a loaded batch."""
    if self.kind == "export":
      uint8 = tf.cast(tf.round(tf.clip_by_value(images * 255.0, 0.0, 255.0)),
                      tf.uint8)
      probabilities = self.export(uint8)["probabilities"].numpy()
      return np.log(np.maximum(probabilities.astype(np.float64), 1e-30))
    return self._logits(images).numpy().astype(np.float64)


def compute_metrics(logits: np.ndarray, labels: np.ndarray, class_names,
                    num_bins: int = 15) -> dict:
  """Accuracy, top-5, per-class accuracy, confusion matrix, ECE and loss."""
  num_classes = len(class_names)
  labels = labels.astype(np.int64)
  predictions = logits.argmax(axis=-1)
  count = int(len(labels))
  if count == 0:
    raise EvaluationError("No examples to evaluate.")
  correct = predictions == labels
  confusion = np.zeros([num_classes, num_classes], np.int64)
  np.add.at(confusion, (labels, predictions), 1)
  log_probs = logits - np.logaddexp.reduce(logits, axis=-1, keepdims=True)
  loss = float(-log_probs[np.arange(count), labels].mean())
  ece = tfp.stats.expected_calibration_error(
      num_bins, logits=tf.constant(logits, tf.float32),
      labels_true=tf.constant(labels, tf.int32))
  per_class = {}
  for index, name in enumerate(class_names):
    support = int(confusion[index].sum())
    per_class[str(name)] = {
        "accuracy": (float(confusion[index, index] / support) if support
                     else None),
        "examples": support}
  metrics = {
      "examples": count,
      "accuracy": float(correct.mean()),
      "loss": loss,
      "expected_calibration_error": float(ece),
      "ece_bins": int(num_bins),
      "per_class_accuracy": per_class,
      "confusion_matrix": confusion.tolist(),
      "class_names": [str(c) for c in class_names],
  }
  if num_classes > 5:
    top5 = np.argsort(-logits, axis=-1, kind="stable")[:, :5]
    metrics["top5_accuracy"] = float((top5 == labels[:, None]).any(-1).mean())
  return metrics


def evaluate(model_path, split=None, data_dir=None, checkpoint=None,
             max_examples=None, batch_size=None, num_bins=15) -> dict:
  """Evaluates a run, checkpoint or export; returns the JSON-ready result."""
  source = _Source(model_path, checkpoint)
  config = source.config
  data = config["data"]
  split = split or data.get("eval_split", "test")
  options = run_dir_lib.dataset_options(config, data_dir=data_dir)
  info = datasets.info(data["name"], **options)
  class_names = list(info.class_names)
  if source.class_names is not None and source.class_names != class_names:
    raise EvaluationError(
        f"The export's classes {source.class_names} differ from the data's "
        f"{class_names}.")
  dataset = datasets.load(
      data["name"], split, **options, image_size=source.image_size,
      normalize=source.normalization,
      batch_size=batch_size or data.get("eval_batch_size") or 500)
  if max_examples:
    dataset = dataset.unbatch().take(max_examples).batch(
        batch_size or data.get("eval_batch_size") or 500)
  start = time.perf_counter()
  all_logits, all_labels = [], []
  for images, labels in dataset:
    all_logits.append(source.logits(images))
    all_labels.append(labels.numpy())
  elapsed = time.perf_counter() - start
  if not all_logits:
    raise EvaluationError(f"Split {split!r} of {data['name']} is empty.")
  logits = np.concatenate(all_logits)
  labels = np.concatenate(all_labels)
  metrics = compute_metrics(logits, labels, class_names, num_bins)
  result = {
      "model": str(model_path),
      "kind": source.kind,
      "checkpoint": source.checkpoint and str(source.checkpoint),
      "model_name": config["model"]["name"],
      "dataset": data["name"],
      "split": split,
      "data_source": info.source,
      "image_size": list(source.image_size),
      "examples_per_sec": metrics["examples"] / max(elapsed, 1e-9),
      **metrics,
  }
  if max_examples:
    result["max_examples"] = int(max_examples)
  result["_default_output"] = str(source.default_output).format(split=split)
  return result


def format_table(result: dict) -> str:
  """The result as a readable table."""
  lines = [
      f"{result['model_name']} ({result['kind']}: {result['model']})",
      f"checkpoint: {result['checkpoint']}",
      f"data: {result['dataset']}/{result['split']} from "
      f"{result['data_source']}",
      "",
      f"{'examples':<28}{result['examples']:>10}",
      f"{'accuracy':<28}{result['accuracy']:>10.4f}",
  ]
  if "top5_accuracy" in result:
    lines.append(f"{'top-5 accuracy':<28}{result['top5_accuracy']:>10.4f}")
  lines += [
      f"{'loss (cross-entropy)':<28}{result['loss']:>10.4f}",
      f"{'expected calibration error':<28}"
      f"{result['expected_calibration_error']:>10.4f}",
      "",
  ]
  names = result["class_names"]
  width = max(8, max(len(n) for n in names) + 1)
  matrix = result["confusion_matrix"]
  show_matrix = len(names) <= 20
  cell = max(5, len(str(max(max(row) for row in matrix))) + 1)
  header = f"{'class':<{width}}{'accuracy':>9}{'n':>7}"
  if show_matrix:
    header += "  | predicted " + "".join(f"{i:>{cell}}"
                                         for i in range(len(names)))
  lines.append(header)
  for index, name in enumerate(names):
    entry = result["per_class_accuracy"][name]
    accuracy = ("-" if entry["accuracy"] is None
                else f"{entry['accuracy']:.4f}")
    row = f"{name:<{width}}{accuracy:>9}{entry['examples']:>7}"
    if show_matrix:
      row += f"  | {index:>9} " + "".join(f"{v:>{cell}}"
                                          for v in matrix[index])
    lines.append(row)
  if not show_matrix:
    lines.append("(confusion matrix in the JSON only: more than 20 classes)")
  return "\n".join(lines)


def main(argv=None) -> int:
  args = _parse_args(argv)
  try:
    result = evaluate(args.model, split=args.split, data_dir=args.data_dir,
                      checkpoint=args.checkpoint,
                      max_examples=args.max_examples,
                      batch_size=args.batch_size, num_bins=args.num_bins)
  except (EvaluationError, FileNotFoundError, ValueError,
          datasets.DatasetError) as e:
    print(f"Error: {e}", file=sys.stderr)
    return 2
  output = pathlib.Path(args.output or result.pop("_default_output"))
  result.pop("_default_output", None)
  output.parent.mkdir(parents=True, exist_ok=True)
  output.write_text(json.dumps(result, indent=2) + "\n")
  if not args.quiet:
    print(format_table(result))
  print(f"Wrote {output}")
  return 0


if __name__ == "__main__":
  sys.exit(main())
