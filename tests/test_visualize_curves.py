"""zoo.visualize.curves: learning curves from metrics.jsonl."""

import json
import pathlib

from PIL import Image
import pytest

from test_visualize import make_run, offline
from zoo.training.run_dir import RunDirError
from zoo.visualize import curves


@pytest.fixture(autouse=True)
def _offline(monkeypatch, tmp_path_factory):
  offline(monkeypatch, tmp_path_factory)


def test_write_curves(tmp_path_factory, tmp_path):
  run = make_run(tmp_path_factory.getbasetemp())
  path, = curves.write_curves(run, out=tmp_path)
  assert path == str(tmp_path / "curves.png")
  assert Image.open(path).size == (1100, 400)
  default, = curves.write_curves(run.path)  # A path works too.
  assert default == str(run.visualize_dir / "curves.png")


def test_resumed_steps_and_partial_lines(tmp_path):
  lines = [{"step": s, "split": split, "loss": 1.0 / s, "accuracy": 0.5}
           for s in (10, 20, 20) for split in ("train", "test")]
  (tmp_path / "metrics.jsonl").write_text(
      "".join(json.dumps(line) + "\n" for line in lines) + '{"step": 3')
  path, = curves.write_curves(tmp_path)
  assert pathlib.Path(path).is_file()


def test_missing_metrics(tmp_path):
  with pytest.raises(RunDirError, match="metrics.jsonl"):
    curves.write_curves(tmp_path)
