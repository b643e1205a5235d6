"""tools/predict.py with an export and with a run directory."""

import pathlib
import sys

import numpy as np
from PIL import Image
import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from tools import predict as predict_tool  # pylint: disable=g-import-not-at-top,wrong-import-position


@pytest.fixture(scope="module")
def run_dir(exported_run_dir):
  return exported_run_dir


@pytest.fixture
def files(tmp_path):
  rng = np.random.default_rng(1)
  gray = tmp_path / "gray.png"
  Image.fromarray(rng.integers(0, 256, [28, 28], dtype=np.uint8)).save(gray)
  rgb = tmp_path / "big rgb.jpg"
  Image.fromarray(rng.integers(0, 256, [60, 50, 3], dtype=np.uint8)).save(rgb)
  rgba = tmp_path / "rgba.png"
  Image.fromarray(rng.integers(0, 256, [20, 30, 4], dtype=np.uint8),
                  "RGBA").save(rgba)
  text = tmp_path / "notes.png"
  text.write_text("not an image")
  missing = tmp_path / "missing.png"
  return [gray, missing, rgb, text, rgba]


def _parse(out):
  """{file: [(class, probability), ...]} from predict's output."""
  result, current = {}, None
  for line in out.splitlines():
    if not line.startswith(" "):
      current = line.rstrip(":")
      result[current] = []
    else:
      _, name, probability = line.split()
      result[current].append((name, float(probability)))
  return result


@pytest.mark.parametrize("which", ["export", "run"])
def test_predict_reports_bad_files_and_predicts_the_rest(run_dir, files, which,
                                                         capsys):
  model = run_dir / "export" if which == "export" else run_dir
  status = predict_tool.main([*map(str, files), "--model", str(model),
                              "--top-k", "3"])
  captured = capsys.readouterr()
  assert status == 1
  assert f"{files[1]}: no such file" in captured.err
  assert f"{files[3]}: not an image" in captured.err
  predictions = _parse(captured.out)
  assert set(predictions) == {str(files[0]), str(files[2]), str(files[4])}
  for top in predictions.values():
    assert len(top) == 3
    probabilities = [p for _, p in top]
    assert probabilities == sorted(probabilities, reverse=True)
    assert all(name in [str(i) for i in range(10)] for name, _ in top)


def test_export_and_run_agree(run_dir, files, capsys):
  outputs = {}
  for model in (run_dir / "export", run_dir):
    good = [str(files[0]), str(files[2])]
    assert predict_tool.main([*good, "--model", str(model),
                              "--top-k", "10"]) == 0
    outputs[model] = _parse(capsys.readouterr().out)
  export_out, run_out = outputs.values()
  for name in export_out:
    a = dict(export_out[name])
    b = dict(run_out[name])
    assert a.keys() == b.keys()
    for key in a:
      assert a[key] == pytest.approx(b[key], abs=2e-4)


def test_bad_model(tmp_path, capsys):
  assert predict_tool.main(["x.png", "--model", str(tmp_path)]) == 2
  assert "Error" in capsys.readouterr().err
