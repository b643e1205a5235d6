"""zoo.evaluation on a run directory, a checkpoint and an export."""

import json

import numpy as np
import pytest

from zoo import cli
from zoo import evaluation

_KEYS = {"accuracy", "top5_accuracy", "per_class_accuracy", "confusion_matrix",
         "expected_calibration_error", "data_source", "examples", "split",
         "class_names", "checkpoint", "loss"}


@pytest.fixture(scope="module")
def run_dir(exported_run_dir):
  return exported_run_dir


def _check(result, examples):
  assert _KEYS <= set(result)
  assert result["examples"] == examples
  matrix = np.array(result["confusion_matrix"])
  assert matrix.shape == (10, 10) and matrix.sum() == examples
  assert 0.0 <= result["expected_calibration_error"] <= 1.0
  assert result["accuracy"] == pytest.approx(np.trace(matrix) / examples)
  assert result["top5_accuracy"] >= result["accuracy"]
  assert sum(c["examples"] for c in result["per_class_accuracy"].values()) == (
      examples)
  assert "bundled sample" in result["data_source"]


def test_run_dir_and_export_agree(run_dir, tmp_path, capsys):
  assert cli.main(["evaluate", str(run_dir), "--max-examples", "400"]) == 0
  table = capsys.readouterr().out
  assert "expected calibration error" in table and "accuracy" in table
  from_run = json.loads((run_dir / "evaluation-test.json").read_text())
  _check(from_run, 400)
  assert from_run["kind"] == "run_dir"
  assert from_run["pipeline"] == evaluation.TF_DATA_PIPELINE

  from_export = evaluation.evaluate(run_dir / "export", max_examples=400)
  _check(from_export, 400)
  assert from_export["kind"] == "export"
  assert from_export["pipeline"] == evaluation.NUMPY_PIPELINE
  assert from_export["accuracy"] == from_run["accuracy"]
  assert from_export["confusion_matrix"] == from_run["confusion_matrix"]
  assert from_export["expected_calibration_error"] == pytest.approx(
      from_run["expected_calibration_error"], abs=1e-4)


def test_checkpoint_and_other_split(run_dir):
  checkpoint = next((run_dir / "checkpoints").glob("ckpt-*.index"))
  prefix = str(checkpoint)[:-len(".index")]
  result = evaluation.evaluate(prefix, split="train", max_examples=200)
  _check(result, 200)
  assert result["split"] == "train" and result["kind"] == "checkpoint"
  assert result["checkpoint"] == prefix


def test_compute_metrics_small_case():
  logits = np.log(np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]]))
  result = evaluation.compute_metrics(logits, np.array([0, 1, 1]),
                                         ["a", "b"], num_bins=10)
  assert result["accuracy"] == pytest.approx(2 / 3)
  assert result["confusion_matrix"] == [[1, 0], [1, 1]]
  assert result["per_class_accuracy"]["b"] == {"accuracy": 0.5, "examples": 2}
  assert "top5_accuracy" not in result
  # Bins: 0.9 correct, 0.8 correct, 0.6 wrong -> (0.1 + 0.2 + 0.6) / 3.
  assert result["expected_calibration_error"] == pytest.approx(0.3, abs=1e-5)


def test_confusion_matrix_counts_pairs():
  matrix = evaluation.confusion_matrix([0, 1, 1, 2], [0, 2, 1, 2], 3)
  np.testing.assert_array_equal(matrix, [[1, 0, 0], [0, 1, 1], [0, 0, 1]])


def test_not_a_model(tmp_path, capsys):
  with pytest.raises(FileNotFoundError, match="config.yaml"):
    evaluation.evaluate(tmp_path)
  assert cli.main(["evaluate", str(tmp_path)]) == 2
  err = capsys.readouterr().err
  assert "config.yaml" in err and "Traceback" not in err
