"""Evaluation: the prediction loop, metrics and the confusion matrix.

    result = evaluation.evaluate("runs/deep_mnist-...")     # or an export
    print(evaluation.format_table(result))

`evaluate` takes a run directory (its best, else latest checkpoint), a
checkpoint inside one or an export of any format, loaded as one runtime
(`zoo.run_serving.load`), reads the run's data and reports accuracy, top-5
accuracy (more than 5 classes), per-class accuracy, the confusion matrix
(rows: true class, columns: predicted), the expected calibration error and
the negative log-likelihood.

A run is fed float batches through tf.data, as training evaluated it. An
export is fed the uint8 pixels its serving graph takes, read in NumPy
(`Dataset.arrays`; image files decoded by Pillow with TensorFlow's rules,
so the same files and pixels, JPEG within a few levels), so evaluating an
.onnx or .tflite file imports no
TensorFlow; only TensorFlow Datasets data goes through tf.data. The result
says which (`pipeline`).
"""

import numbers
import os
import pathlib
import time
from typing import Any, Dict, Iterable, Optional, Sequence

import numpy as np

from zoo.datasets import safe_files
from zoo import calibration
from zoo import run_serving
from zoo.serving import runtimes
from zoo.training import run_dir as run_dir_lib


class EvaluationError(ValueError):
  """The model or data cannot be evaluated as asked."""


def confusion_matrix(labels: Sequence[int], predictions: Sequence[int],
                     num_classes: int) -> np.ndarray:
  """Counts `[true, predicted]` pairs into a `[K, K]` int64 matrix."""
  matrix = np.zeros([num_classes, num_classes], np.int64)
  np.add.at(matrix, (np.asarray(labels, np.int64),
                     np.asarray(predictions, np.int64)), 1)
  return matrix


def predict_dataset(model, dataset: Iterable,
                    endpoint: Optional[str] = None,
                    keep_images: bool = False) -> Dict[str, np.ndarray]:
  """Runs a model over a batched dataset of (images, labels), in inference.

  Args:
    model: A zoo `ImageClassifier`.
    dataset: Batches of (float images, int labels).
    endpoint: Also return this endpoint, flattened, as `features`.
    keep_images: Also return the input images.

  Returns:
    `{"logits" [N, K] float64, "labels" [N], "predictions" [N]}`, plus
    `features` [N, D] and `images` when asked.
  """

  import tensorflow as tf  # pylint: disable=g-import-not-at-top

  @tf.function
  def forward(images):
    logits, endpoints = model.with_endpoints(images, is_training=False)
    return tf.cast(logits, tf.float32), (
        endpoints[endpoint] if endpoint else tf.zeros([0]))

  collected = {"logits": [], "labels": [], "features": [], "images": []}
  for images, labels in dataset:
    logits, features = forward(images)
    collected["logits"].append(logits.numpy().astype(np.float64))
    collected["labels"].append(np.asarray(labels))
    if endpoint:
      features = features.numpy()
      collected["features"].append(features.reshape(features.shape[0], -1))
    if keep_images:
      collected["images"].append(np.asarray(images))
  if not collected["logits"]:
    raise EvaluationError("The dataset is empty: nothing to predict.")
  result = {key: np.concatenate(values)
            for key, values in collected.items() if values}
  result["predictions"] = result["logits"].argmax(axis=-1)
  return result


def compute_metrics(logits: np.ndarray, labels: np.ndarray,
                    class_names: Sequence[str], num_bins: int = 15
                    ) -> Dict[str, Any]:
  """Accuracy, top-5, per-class accuracy, confusion matrix, ECE and NLL.

  `loss` and `negative_log_likelihood` are the same number (the mean
  cross-entropy); the expected calibration error is measured over
  `num_bins` equal-width confidence bins (`calibration`, TensorFlow
  Probability's definition).
  """
  num_classes = len(class_names)
  labels = np.asarray(labels).astype(np.int64)
  count = int(len(labels))
  if count == 0:
    raise EvaluationError("No examples to evaluate.")
  predictions = logits.argmax(axis=-1)
  confusion = confusion_matrix(labels, predictions, num_classes)
  loss = calibration.negative_log_likelihood(logits, labels)
  ece = calibration.expected_calibration_error(logits, labels, num_bins)
  per_class = {}
  for index, name in enumerate(class_names):
    support = int(confusion[index].sum())
    per_class[str(name)] = {
        "accuracy": (float(confusion[index, index] / support) if support
                     else None),
        "examples": support}
  metrics = {
      "examples": count,
      "accuracy": float((predictions == labels).mean()),
      "loss": loss,
      "negative_log_likelihood": loss,
      "expected_calibration_error": ece,
      "ece_bins": int(num_bins),
      "per_class_accuracy": per_class,
      "confusion_matrix": confusion.tolist(),
      "class_names": [str(c) for c in class_names],
  }
  if num_classes > 5:
    top5 = np.argsort(-logits, axis=-1, kind="stable")[:, :5]
    metrics["top5_accuracy"] = float((top5 == labels[:, None]).any(-1).mean())
  return metrics


def _default_output(runtime: runtimes.Runtime, model_path: os.PathLike) -> str:
  """Where an evaluation of `runtime` is written, with `{split}` to fill."""
  if isinstance(runtime, run_serving.RunRuntime):
    suffix = "" if runtime.kind == "run_dir" else (
        "-" + pathlib.Path(runtime.checkpoint).name)
    return str(runtime.run.path / f"evaluation-{{split}}{suffix}.json")
  resolved = pathlib.Path(model_path).resolve()
  return str(resolved.parent / f"evaluation-{{split}}-{resolved.name}.json")


#: How `evaluate` read the data: an export's uint8 batches in NumPy (files
#: decoded by Pillow with TensorFlow's rules; no TensorFlow), or a run's
#: float batches through tf.data, as training did.
NUMPY_PIPELINE = "numpy"
TF_DATA_PIPELINE = "tf.data"


def _predict_arrays(runtime: runtimes.Runtime, batches: Iterable,
                    max_examples: Optional[int]):
  """Log-probabilities of an export over uint8 batches (`Dataset.arrays`)."""
  all_logits, all_labels, seen = [], [], 0
  for images, labels in batches:
    if max_examples:
      images = images[:max_examples - seen]
      labels = labels[:max_examples - seen]
    all_logits.append(runtime.log_probabilities(images))
    all_labels.append(np.asarray(labels))
    seen += len(labels)
    if max_examples and seen >= max_examples:
      break
  return all_logits, all_labels


def _predict_tf_data(runtime: runtimes.Runtime, dataset, split: str,
                     batch_size: int, max_examples: Optional[int]):
  """Logits of any runtime over the split's tf.data pipeline."""
  from zoo.datasets import image_files  # pylint: disable=g-import-not-at-top
  batches = dataset.load(split, normalize=runtime.data_normalization,
                         batch_size=batch_size)
  if max_examples:
    batches = batches.unbatch().take(max_examples).batch(batch_size)
  all_logits, all_labels = [], []
  with image_files.decode_failures_named():
    for images, labels in batches:
      all_logits.append(runtime.logits(images))
      all_labels.append(labels.numpy())
  return all_logits, all_labels


def evaluate(model_path: os.PathLike, split: Optional[str] = None,
             data_dir: Optional[os.PathLike] = None,
             checkpoint: Optional[os.PathLike] = None,
             max_examples: Optional[int] = None,
             batch_size: Optional[int] = None,
             num_bins: int = 15) -> Dict[str, Any]:
  """Evaluates a run directory, a checkpoint or an export.

  Args:
    model_path: Run directory, checkpoint prefix inside one, or an export.
    split: Default the run's `data.eval_split`.
    data_dir: Read the data from here instead of the run's `data.data_dir`.
    checkpoint: With a run directory: the checkpoint to evaluate.
    max_examples: Evaluate only the first N examples of the split.
    batch_size: Default the run's `data.eval_batch_size`.
    num_bins: Bins of the expected calibration error.

  Returns:
    The JSON-ready result (metrics plus what was evaluated on what), with
    `default_output`: where `write_result` puts it by default.
  """
  for name, value in (("max_examples", max_examples),
                      ("batch_size", batch_size), ("num_bins", num_bins)):
    if value is not None and (isinstance(value, bool) or not isinstance(
        value, numbers.Integral) or value < 1):
      raise EvaluationError(f"{name} must be a whole number of at least 1, "
                            f"got {value!r}.")
  runtime = run_serving.load(model_path, checkpoint)
  config = runtime.config
  if not config:
    raise EvaluationError(
        f"{model_path} describes no training run (no run config); only exports "
        "of a training run can be evaluated.")
  data = config["data"]
  split = split or data.get("eval_split", "test")
  batch_size = batch_size or data.get("eval_batch_size") or 500
  is_export = runtime.kind == "export"
  dataset = run_dir_lib.prepare_dataset(
      config, data_dir, runtime.image_size, runtime.channels,
      decoder="pillow" if is_export else "tensorflow")
  class_names = list(dataset.info.class_names)
  if runtime.class_names != class_names:
    raise EvaluationError(
        f"The model's classes {runtime.class_names} differ from the data's "
        f"{class_names}.")
  start = time.perf_counter()
  if is_export and dataset.has_arrays:
    pipeline = NUMPY_PIPELINE
    all_logits, all_labels = _predict_arrays(
        runtime, dataset.arrays(split, batch_size), max_examples)
  else:
    pipeline = TF_DATA_PIPELINE
    all_logits, all_labels = _predict_tf_data(
        runtime, dataset, split, batch_size, max_examples)
  elapsed = time.perf_counter() - start
  if not all_logits:
    raise EvaluationError(f"Split {split!r} of {data['name']} is empty.")
  metrics = compute_metrics(np.concatenate(all_logits),
                            np.concatenate(all_labels), class_names, num_bins)
  result = {
      "model": str(model_path),
      "kind": runtime.kind,
      "checkpoint": runtime.checkpoint and str(runtime.checkpoint),
      "model_name": config["model"]["name"],
      "dataset": data["name"],
      "split": split,
      "data_source": dataset.info.source,
      "pipeline": pipeline,
      "image_size": list(runtime.image_size),
      "examples_per_sec": metrics["examples"] / max(elapsed, 1e-9),
      **metrics,
  }
  if max_examples:
    result["max_examples"] = int(max_examples)
  result["default_output"] = _default_output(runtime, model_path).format(split=split)
  return result


def format_table(result: Dict[str, Any]) -> str:
  """An evaluation result as a readable table."""
  lines = [
      f"{result['model_name']} ({result['kind']}: {result['model']})",
      f"checkpoint: {result['checkpoint']}",
      f"data: {result['dataset']}/{result['split']} from "
      f"{result['data_source']}"
      + (f" ({result['pipeline']})" if result.get("pipeline") else ""),
      "",
      f"{'examples':<28}{result['examples']:>10}",
      f"{'accuracy':<28}{result['accuracy']:>10.4f}",
  ]
  if "top5_accuracy" in result:
    lines.append(f"{'top-5 accuracy':<28}{result['top5_accuracy']:>10.4f}")
  lines += [
      f"{'negative log-likelihood':<28}{result['loss']:>10.4f}",
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


def write_result(result: Dict[str, Any],
                 output: Optional[os.PathLike] = None) -> pathlib.Path:
  """Writes an evaluation result as JSON (default: its `default_output`)."""
  import json  # pylint: disable=g-import-not-at-top
  result = dict(result)
  default = result.pop("default_output", None)
  path = pathlib.Path(output or default)
  path.parent.mkdir(parents=True, exist_ok=True)
  safe_files.write_text(path, json.dumps(result, indent=2) + "\n")
  return path
