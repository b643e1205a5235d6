"""ONNX and TensorFlow Lite exports: parity on real digits, predict, evaluate,
calibration and the format table (`snt-zoo export --format / --calibrate /
--compare-formats`)."""

import json
import os
import re
import subprocess
import sys

import numpy as np
from PIL import Image
import pytest
from conftest import train_offline

from zoo import cli
from zoo import evaluation
from zoo.serving import formats as export_formats
from zoo import format_comparison
from zoo import predict
from zoo.serving import runtimes
from zoo import run_serving
from zoo.serving import artifact
from zoo.serving import graph
from zoo.training.run_dir import RunDir


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
  """The TensorFlow.js ConvNet trained one epoch on the bundled sample.

  Its evaluation split is test; validation (15% of train) is left for
  calibration.
  """
  result = train_offline(tmp_path_factory.mktemp("formats_run"), "tfjs_mnist",
                         "train.epochs=1", "data.batch_size=128",
                         "data.eval_split=test", "train.precision=float32")
  yield result.run_dir.path


@pytest.fixture(scope="module")
def comparison(run_dir):
  return format_comparison.compare_formats(run_dir)


def test_formats_agree_on_the_test_digits(comparison):
  rows = {row["format"]: row for row in comparison}
  assert list(rows) == list(export_formats.FORMATS)
  float_accuracy = rows["savedmodel"]["accuracy"]
  assert float_accuracy > 0.85  # A model that has learnt the digits.
  assert rows["savedmodel"]["examples"] == 1500
  assert rows["savedmodel"]["max_abs_diff"] == 0.0
  for name in ("onnx", "tflite"):
    assert rows[name]["max_abs_diff"] < 1e-5, name
    assert rows[name]["accuracy"] == pytest.approx(float_accuracy, abs=1e-3)
  assert abs(rows["tflite-int8"]["accuracy"] - float_accuracy) <= 0.01
  assert rows["tflite-int8"]["max_abs_diff"] > 0.0  # Really quantised.
  assert rows["tflite-int8"]["file_bytes"] < 0.5 * rows["tflite"]["file_bytes"]
  for row in comparison:
    assert row["images_per_sec"] > 0
  table = format_comparison.format_table(comparison)
  assert table.count("\n| ") == 5 and "tflite-int8" in table


@pytest.fixture(scope="module")
def exports(run_dir):
  return {name: run_serving.export_run(run_dir, export_format=name)
          for name in export_formats.FORMATS}


def _digit_files(run_dir, directory, count=4):
  images, labels = run_serving.split_as_uint8(RunDir(run_dir), "test",
                                          max_examples=count)
  paths = []
  for index, image in enumerate(images):
    path = directory / f"digit_{index}_{labels[index]}.png"
    Image.fromarray(image[..., 0]).save(path)
    paths.append(path)
  return paths


def test_default_directories_and_embedded_description(run_dir, exports):
  run = RunDir(run_dir)
  assert exports["savedmodel"] == run.export_dir
  assert exports["onnx"] == run_dir / "export-onnx"
  assert (run_dir / "export-onnx" / "model.onnx").is_file()
  assert (run_dir / "export-tflite-int8" / "model.tflite").is_file()
  for name in ("onnx", "tflite", "tflite-int8"):
    # The model file alone knows what it is.
    model_file = exports[name] / export_formats.MODEL_FILES[name]
    runtime = runtimes.load_export(model_file)
    assert runtime.format == name
    assert runtime.class_names == [str(i) for i in range(10)]
    assert runtime.image_size == (28, 28) and runtime.channels == 1
    assert artifact.read_export_info(exports[name])["format"] == name
  assert "as onnx" in run_serving.describe_export(exports["onnx"])


def test_predict_takes_every_format(run_dir, exports, tmp_path, capsys):
  files = _digit_files(run_dir, tmp_path)
  reference = run_serving.load(exports["savedmodel"])
  images = np.stack([predict.read_image(f, 1) for f in files])
  expected = reference(images)
  for name in ("onnx", "tflite"):
    for path in (exports[name],
                 exports[name] / export_formats.MODEL_FILES[name]):
      got = run_serving.load(path)(images)
      np.testing.assert_allclose(got, expected, atol=1e-5)
  int8 = run_serving.load(exports["tflite-int8"])(images)
  np.testing.assert_allclose(int8, expected, atol=0.1)
  assert cli.main(["predict", *map(str, files), "--model",
                   str(exports["onnx"] / "model.onnx"), "--top-k", "1"]) == 0
  out = capsys.readouterr().out
  for path, probabilities in zip(files, expected):
    assert f"{path}:" in out
    assert f"1. {probabilities.argmax()} " in out


def test_evaluate_takes_every_format(exports):
  results = {name: evaluation.evaluate(path, max_examples=300)
             for name, path in exports.items()}
  accuracy = results["savedmodel"]["accuracy"]
  assert results["onnx"]["accuracy"] == accuracy
  assert results["tflite"]["accuracy"] == accuracy
  assert abs(results["tflite-int8"]["accuracy"] - accuracy) <= 0.02
  assert results["onnx"]["negative_log_likelihood"] == pytest.approx(
      results["savedmodel"]["negative_log_likelihood"], abs=1e-4)


def test_existing_exports_are_never_replaced_unasked(run_dir, exports,
                                                     capsys):
  before = (exports["onnx"] / "model.onnx").stat().st_mtime_ns
  with pytest.raises(artifact.ExportError, match="--overwrite"):
    run_serving.export_run(run_dir, export_format="onnx")
  assert cli.main(["export", str(run_dir), "--format", "tflite"]) == 2
  assert "--overwrite" in capsys.readouterr().err
  assert (exports["onnx"] / "model.onnx").stat().st_mtime_ns == before


def test_calibrate_bakes_the_temperature_into_every_format(run_dir, tmp_path,
                                                           capsys):
  assert cli.main(["export", str(run_dir), "--format", "onnx", "--calibrate",
                   "--output", str(tmp_path / "onnx")]) == 0
  out = capsys.readouterr().out
  assert "fitted on validation" in out and "expected calibration error" in out
  fit = artifact.read_export_info(tmp_path / "onnx")["calibration"]
  assert fit["split"] == "validation" and fit["examples"] == 1275
  assert fit["temperature"] > 0 and fit["temperature"] != 1.0
  assert fit["nll_after"] <= fit["nll_before"] + 1e-9
  run_serving.export_run(run_dir, tmp_path / "int8", export_format="tflite-int8",
                     calibrate=True)
  run = RunDir(run_dir)
  model, _ = run.restore_model()
  images, _ = run_serving.split_as_uint8(run, "test", max_examples=64)
  expected = graph.predict_probabilities(model, images, (28, 28),
                                           fit["temperature"]).numpy()
  onnx = runtimes.load_export(tmp_path / "onnx")
  assert onnx.info["temperature"] == pytest.approx(fit["temperature"])
  np.testing.assert_allclose(onnx.probabilities(images), expected, atol=1e-5)
  int8 = runtimes.load_export(tmp_path / "int8")
  assert int8.info["temperature"] == pytest.approx(fit["temperature"],
                                                   rel=1e-6)
  np.testing.assert_allclose(int8.probabilities(images), expected, atol=0.1)


def test_missing_converter_names_the_extra(run_dir, tmp_path, monkeypatch,
                                           capsys):
  monkeypatch.setitem(sys.modules, "tf2onnx", None)  # Import fails.
  from zoo import install  # pylint: disable=g-import-not-at-top
  hint = install.pip_install("export")  # This checkout: pip install -e ...
  with pytest.raises(artifact.ExportError, match=re.escape(hint)):
    run_serving.export_run(run_dir, tmp_path / "x", export_format="onnx")
  assert cli.main(["export", str(run_dir), "--format", "onnx", "--output",
                   str(tmp_path / "y")]) == 2
  err = capsys.readouterr().err
  assert err.count("\n") == 1 and hint in err
  assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()


def test_compare_formats_cli(run_dir, tmp_path, capsys):
  output = tmp_path / "rows.json"
  assert cli.main(["export", str(run_dir), "--compare-formats",
                   "--max-examples", "100", "--json", str(output)]) == 0
  out = capsys.readouterr().out
  assert "| tflite-int8 |" in out and "100 examples of the test split" in out
  rows = json.loads(output.read_text())
  assert [r["format"] for r in rows] == list(export_formats.FORMATS)
  assert not any(p.name.startswith("export") for p in tmp_path.iterdir())


def test_cli_lists_the_library_formats():
  assert cli.EXPORT_FORMATS == export_formats.FORMATS


def test_overwrite_never_replaces_a_run_or_a_folder_that_is_no_export(
    run_dir, tmp_path, capsys):
  mine = tmp_path / "mine"
  mine.mkdir()
  (mine / "notes.txt").write_text("keep")
  assert cli.main(["export", str(run_dir), "--output", str(mine),
                   "--overwrite"]) == 2
  assert "is not an export" in capsys.readouterr().err
  assert (mine / "notes.txt").read_text() == "keep"
  checkpoints = sorted(p.name for p in (run_dir / "checkpoints").iterdir())
  for output in (run_dir, run_dir.parent):
    assert cli.main(["export", str(run_dir), "--output", str(output),
                     "--overwrite"]) == 2
    assert "holds) the run directory" in capsys.readouterr().err
  assert sorted(p.name for p in (run_dir / "checkpoints").iterdir()) == (
      checkpoints)


def test_tflite_files_are_what_mobile_tools_read(run_dir, exports):
  """Fixed input, named tensors, standard metadata with the labels, and a
  plain interpreter (no resize call) that classifies test digits."""
  from zoo.serving import tflite_metadata  # pylint: disable=g-import-not-at-top
  images, labels = run_serving.split_as_uint8(RunDir(run_dir), "test",
                                              max_examples=20)
  reference = run_serving.load(exports["savedmodel"])(images).argmax(-1)
  for name in ("tflite", "tflite-int8"):
    path = exports[name] / "model.tflite"
    standard = tflite_metadata.read_standard(path)
    assert standard["inputs"][0]["name"] == "images"
    assert standard["inputs"][0]["image_size"] == [28, 28]
    assert standard["outputs"][0]["associated_files"] == [
        {"name": "labels.txt", "type": 2}]  # TENSOR_AXIS_LABELS
    assert tflite_metadata.read_labels(path) == [str(i) for i in range(10)]
    interpreter = runtimes.tflite_interpreter(path)
    interpreter.allocate_tensors()
    (given,) = interpreter.get_input_details()
    (output,) = interpreter.get_output_details()
    assert given["name"] == "images" and output["name"] == "probabilities"
    assert list(given["shape"]) == [1, 28, 28, 1]
    assert given["dtype"] == np.uint8
    predicted = []
    for image in images:
      interpreter.set_tensor(given["index"], image[np.newaxis])
      interpreter.invoke()
      predicted.append(int(interpreter.get_tensor(output["index"]).argmax()))
    right = reference == labels
    assert right.sum() >= 15
    assert (np.array(predicted)[right] == labels[right]).mean() >= 0.9


def test_dynamic_shape_keeps_any_batch(run_dir, tmp_path):
  path = run_serving.export_run(run_dir, tmp_path / "dynamic",
                                export_format="tflite", dynamic_shape=True)
  interpreter = runtimes.tflite_interpreter(path / "model.tflite")
  (given,) = interpreter.get_input_details()
  assert list(given["shape_signature"]) == [-1, -1, -1, -1]
  runtime = run_serving.load(path)
  assert runtime(np.zeros([3, 40, 40, 1], np.uint8)).shape == (3, 10)


def test_litert_runs_quietly(exports):
  """The command's LiteRT runs keep the delegate's note off stderr."""
  code = ("import numpy as np\n"
          "from zoo import startup\n"
          "from zoo.serving import runtimes\n"
          "startup.quiet_tensorflow()\n"
          f"runtime = runtimes.load_export({str(exports['tflite'])!r})\n"
          "print(runtime(np.zeros([2, 28, 28, 1], np.uint8)).shape)\n")
  done = subprocess.run([sys.executable, "-c", code], capture_output=True,
                        text=True, check=False)
  assert done.returncode == 0, done.stderr
  assert done.stdout.strip() == "(2, 10)"
  assert "XNNPACK" not in done.stderr


def test_exports_run_without_tensorflow(run_dir, exports, tmp_path):
  """predict and evaluate on .onnx and .tflite files never import
  TensorFlow, and evaluate gives the SavedModel's figures."""
  files = _digit_files(run_dir, tmp_path, count=2)
  models = [str(exports["onnx"] / "model.onnx"),
            str(exports["tflite"] / "model.tflite")]
  code = (
      "import json, sys\n"
      "from zoo import cli\n"
      "from zoo import evaluation\n"
      f"for model in {models!r}:\n"
      f"  assert cli.main(['predict', *{list(map(str, files))!r}, '--model', model]) == 0\n"
      "  assert cli.main(['evaluate', model, '--max-examples', '300']) == 0\n"
      "  result = evaluation.evaluate(model, max_examples=300)\n"
      "  print(json.dumps([result['accuracy'], result['pipeline'], "
      "result['confusion_matrix']]))\n"
      "print('tensorflow' in sys.modules)\n")
  env = dict(os.environ, SNT_ZOO_OFFLINE="1",
             SNT_ZOO_CACHE=str(tmp_path / "cache"))
  done = subprocess.run([sys.executable, "-c", code], capture_output=True,
                        text=True, check=False, cwd=tmp_path, env=env)
  assert done.returncode == 0, done.stderr
  lines = done.stdout.strip().splitlines()
  assert lines[-1] == "False"
  reference = evaluation.evaluate(exports["savedmodel"], max_examples=300)
  assert reference["pipeline"] == "numpy"
  figures = [json.loads(line) for line in lines if line.startswith("[")]
  assert len(figures) == 2
  onnx, tflite = figures
  assert onnx[1] == tflite[1] == "numpy"
  assert onnx[0] == reference["accuracy"]
  assert onnx[2] == reference["confusion_matrix"]
  assert abs(tflite[0] - reference["accuracy"]) <= 2 / 300
  assert "evaluation-test-model.onnx.json" in {
      p.name for p in (exports["onnx"]).iterdir()}


