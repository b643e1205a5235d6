"""The confusion matrix of a run's model on its evaluation split."""

import os
import pathlib
from typing import List, Optional, Sequence

import numpy as np

from zoo.datasets import safe_files
from zoo import evaluation
from zoo.visualize import _common
from zoo.visualize._plotting import pyplot as plt

BATCH_SIZE = 250


def plot_confusion(matrix: np.ndarray, class_names: Sequence[str],
                   path: os.PathLike, title: str = "") -> None:
  """Draws a confusion matrix with its counts (up to 30 classes) as a PNG.

  Args:
    matrix: `[K, K]` counts, rows true class, columns predicted.
    class_names: The K class names.
    path: Where to save the picture.
    title: Title above the matrix.
  """
  size = max(5.0, 0.45 * len(class_names) + 2.5)
  figure, axis = plt.subplots(figsize=(size + 1, size))
  image = axis.imshow(matrix, cmap="Blues")
  figure.colorbar(image, ax=axis, fraction=0.046, pad=0.04)
  ticks = np.arange(len(class_names))
  axis.set_xticks(ticks)
  axis.set_xticklabels(class_names, rotation=45, ha="right")
  axis.set_yticks(ticks)
  axis.set_yticklabels(class_names)
  axis.set_xlabel("predicted")
  axis.set_ylabel("true")
  if len(class_names) <= 30:
    threshold = matrix.max() / 2 if matrix.size else 0
    for (true, pred), count in np.ndenumerate(matrix):
      axis.text(pred, true, str(count), ha="center", va="center", fontsize=7,
                color="white" if count > threshold else "black")
  axis.set_title(title, fontsize=9)
  figure.tight_layout()
  safe_files.write_with(path, lambda p: figure.savefig(p, dpi=100))
  plt.close(figure)


def confusion_csv(matrix: np.ndarray, class_names: Sequence[str]) -> str:
  """The matrix as CSV: a header of predicted classes, a row per true one."""
  lines = [",".join(["true\\predicted", *class_names])]
  lines += [",".join([class_names[i], *map(str, row)])
            for i, row in enumerate(matrix)]
  return "\n".join(lines) + "\n"


def write_confusion(run: _common.RunLike, out: Optional[os.PathLike] = None,
                    model=None, split: Optional[str] = None,
                    checkpoint: Optional[str] = None) -> List[str]:
  """confusion.png and confusion.csv of a model's predictions on a split.

  Predictions and counts come from `zoo.evaluation` (`predict_dataset`,
  `confusion_matrix`).

  Args:
    run: The run directory (a `RunDir` or its path).
    out: Output directory (default RUN_DIR/visualize).
    model: The trained model; default the run's best (else latest)
      checkpoint.
    split: The split (default the run's `data.eval_split`).
    checkpoint: With `model`: the checkpoint it was restored from, named in
      the caption.

  Returns:
    The written paths: the picture and the CSV.
  """
  run = _common.as_run(run)
  if model is None:
    model, checkpoint = run.restore_model()
  split = split or run.config["data"]["eval_split"]
  dataset = run.dataset().load(split, normalize=run.normalization,
                               batch_size=BATCH_SIZE)
  predicted = evaluation.predict_dataset(model, dataset)
  names = list(run.class_names)
  matrix = evaluation.confusion_matrix(predicted["labels"],
                                       predicted["predictions"], len(names))
  accuracy = float(np.trace(matrix)) / max(1, matrix.sum())
  source = pathlib.Path(checkpoint).name if checkpoint else "given model"
  directory = _common.out_dir(run, out)
  path = directory / "confusion.png"
  plot_confusion(matrix, names, path,
                 f"{split} split, {matrix.sum()} examples, accuracy "
                 f"{accuracy:.4f}\n{source}")
  csv = directory / "confusion.csv"
  safe_files.write_text(csv, confusion_csv(matrix, names))
  return [str(path), str(csv)]
