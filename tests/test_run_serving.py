"""zoo.run_serving: a run exported as a SavedModel that loads with TensorFlow
alone, and loaded as a runtime."""

import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

_ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(_ROOT))

from zoo import cli  # pylint: disable=g-import-not-at-top,wrong-import-position
from zoo import run_serving  # pylint: disable=g-import-not-at-top,wrong-import-position
from zoo.serving import artifact  # pylint: disable=g-import-not-at-top,wrong-import-position
from zoo.serving import graph  # pylint: disable=g-import-not-at-top,wrong-import-position
from zoo.serving import runtimes  # pylint: disable=g-import-not-at-top,wrong-import-position
from zoo.training.run_dir import RunDir  # pylint: disable=g-import-not-at-top,wrong-import-position


@pytest.fixture(scope="module")
def run_dir(exported_run_dir):
  return exported_run_dir


def _images():
  rng = np.random.default_rng(0)
  return {
      "native": rng.integers(0, 256, [3, 28, 28, 1], dtype=np.uint8),
      "rgb_larger": rng.integers(0, 256, [2, 45, 37, 3], dtype=np.uint8),
      "rgba_smaller": rng.integers(0, 256, [1, 20, 24, 4], dtype=np.uint8),
  }


_LOADER = """
import sys
import numpy as np
import tensorflow as tf
loaded = tf.saved_model.load(sys.argv[1])
serve = loaded.signatures["serving_default"]
images = np.load(sys.argv[2])
out = {}
for name in images.files:
  result = serve(images=tf.constant(images[name]))
  assert sorted(result) == ["classes", "probabilities"], sorted(result)
  out[name + "/probabilities"] = result["probabilities"].numpy()
  out[name + "/classes"] = result["classes"].numpy()
  assert result["probabilities"].dtype == tf.float32
metadata = loaded.metadata()
out["class_names"] = metadata["class_names"].numpy().astype(str)
out["image_size"] = metadata["image_size"].numpy()
out["channels"] = metadata["channels"].numpy()
out["normalization"] = metadata["normalization"].numpy().decode()
out["temperature"] = metadata["temperature"].numpy()
out["class_names_variable"] = loaded.class_names.numpy().astype(str)
np.savez(sys.argv[3], **out)
leaked = sorted(m for m in sys.modules
                if m.split(".")[0] in ("zoo", "datasets", "sonnet", "tools"))
assert not leaked, leaked
"""


def test_export_loads_without_project_code_and_matches(run_dir, tmp_path):
  export_dir = run_dir / "export"
  images = _images()
  np.savez(tmp_path / "images.npz", **images)
  env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
  env["TF_CPP_MIN_LOG_LEVEL"] = "3"
  outside = tmp_path / "elsewhere"
  outside.mkdir()
  result = subprocess.run(
      [sys.executable, "-c", _LOADER, str(export_dir),
       str(tmp_path / "images.npz"), str(tmp_path / "out.npz")],
      cwd=outside, env=env, capture_output=True, text=True, check=False)
  assert result.returncode == 0, result.stderr[-3000:]
  loaded = np.load(tmp_path / "out.npz")

  model, _ = RunDir(run_dir).restore_model()
  size = RunDir(run_dir).image_size
  for name, batch in images.items():
    expected = graph.predict_probabilities(model, tf.constant(batch),
                                             size).numpy()
    got = loaded[name + "/probabilities"]
    assert got.shape == (batch.shape[0], 10)
    np.testing.assert_allclose(got, expected, atol=1e-5)
    np.testing.assert_allclose(got.sum(-1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(loaded[name + "/classes"],
                                  expected.argmax(-1))
  assert list(loaded["class_names"]) == [str(i) for i in range(10)]
  assert list(loaded["class_names_variable"]) == [str(i) for i in range(10)]
  assert list(loaded["image_size"]) == [28, 28]
  assert int(loaded["channels"]) == 1
  assert str(loaded["normalization"]) == "unit"
  assert float(loaded["temperature"]) == 1.0


def test_export_info_and_signature(run_dir):
  info = json.loads((run_dir / "export" / artifact.INFO_FILE).read_text())
  assert info["image_size"] == [28, 28]
  assert info["channels"] == 1
  assert info["normalization"] == "unit"
  assert info["config"]["data"]["name"] == "mnist"
  loaded = runtimes.load_export(run_dir / "export")
  spec = loaded._signature.structured_input_signature[1]["images"]  # pylint: disable=protected-access
  assert spec.dtype == tf.uint8 and spec.shape.as_list() == [None] * 4


def test_export_refuses_to_overwrite(run_dir, tmp_path, capsys):
  target = tmp_path / "out"
  target.mkdir()
  (target / "precious.txt").write_text("keep me")
  with pytest.raises(artifact.ExportError, match="--overwrite"):
    run_serving.export_run(run_dir, target)
  assert cli.main(["export", str(run_dir), "--output", str(target)]) == 2
  assert "--overwrite" in capsys.readouterr().err
  assert (target / "precious.txt").read_text() == "keep me"
  assert not artifact.is_export(target)
  # The default output already holds an export.
  with pytest.raises(artifact.ExportError):
    run_serving.export_run(run_dir)
  # --overwrite replaces an export, never a folder that is not one.
  with pytest.raises(artifact.ExportError, match="not an export"):
    run_serving.export_run(run_dir, target, overwrite=True)
  assert (target / "precious.txt").read_text() == "keep me"
  exported = tmp_path / "exported"
  run_serving.export_run(run_dir, exported)
  first = (exported / "saved_model.pb").stat().st_mtime_ns
  run_serving.export_run(run_dir, exported, overwrite=True)
  assert artifact.is_export(exported)
  assert (exported / "saved_model.pb").stat().st_mtime_ns != first
  leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]
  assert not leftovers


def test_export_into_empty_directory(run_dir, tmp_path):
  target = tmp_path / "empty"
  target.mkdir()
  run_serving.export_run(run_dir, target, checkpoint=run_dir / "checkpoints")
  assert artifact.is_export(target)
  info = artifact.read_export_info(target)
  assert info["checkpoint"].startswith(str(run_dir / "checkpoints" / "ckpt"))


def test_calibration_needs_validation_or_an_optimistic_label(tmp_path,
                                                             capsys):
  """Without a validation split, --calibrate is refused in one line; the
  test split is used only when named, and every figure says optimistic."""
  from conftest import train_offline  # pylint: disable=g-import-not-at-top
  run = train_offline(tmp_path, "softmax_mnist_quick", "train.steps=5",
                      "data.validation_fraction=0.0").run_dir.path
  assert cli.main(["export", str(run), "--format", "onnx", "--calibrate"]) == 2
  err = capsys.readouterr().err
  assert "no validation split" in err and "--calibrate-on test" in err
  assert not (run / "export-onnx").exists()
  assert cli.main(["export", str(run), "--format", "onnx",
                   "--calibrate-on", "test"]) == 0
  out = capsys.readouterr().out
  assert "fitted on test" in out and "optimistic" in out
  fit = artifact.read_export_info(run / "export-onnx")["calibration"]
  assert fit["split"] == "test" and fit["optimistic"] is True
