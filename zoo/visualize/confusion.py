"""The confusion matrix of a run's model on its evaluation split."""

import os
import pathlib
from typing import List, Optional, Sequence

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top,wrong-import-position
import numpy as np  # pylint: disable=g-import-not-at-top,wrong-import-position

from zoo import evaluation  # pylint: disable=g-import-not-at-top,wrong-import-position
from zoo.visualize import _common  # pylint: disable=g-import-not-at-top,wrong-import-position


def plot_confusion(matrix: np.ndarray, class_names: Sequence[str],
                   path: os.PathLike, title: str = "") -> None:
  """Draws a `[true, predicted]` count matrix with its counts."""
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
  figure.savefig(path, dpi=100)
  plt.close(figure)


def write_confusion(run: _common.RunLike, out: Optional[os.PathLike] = None
                    ) -> List[str]:
  """Predictions of the trained model on the evaluation split, as a matrix
  (confusion.png) and as counts (confusion.csv)."""
  run = _common.as_run(run)
  model, checkpoint = run.restore_model()
  split = run.config["data"]["eval_split"]
  dataset = run.dataset().load(split, normalize=run.normalization,
                               batch_size=250)
  predicted = evaluation.predict_dataset(model, dataset)
  names = list(run.class_names)
  matrix = evaluation.confusion_matrix(predicted["labels"],
                                       predicted["predictions"], len(names))
  accuracy = float(np.trace(matrix)) / max(1, matrix.sum())
  directory = _common.out_dir(run, out)
  path = directory / "confusion.png"
  plot_confusion(matrix, names, path,
                 f"{split} split, {matrix.sum()} examples, accuracy "
                 f"{accuracy:.4f}\n{pathlib.Path(checkpoint).name}")
  csv = directory / "confusion.csv"
  csv.write_text(",".join(["true\\predicted", *names]) + "\n" + "".join(
      ",".join([names[i], *map(str, row)]) + "\n"
      for i, row in enumerate(matrix)))
  return [str(path), str(csv)]
