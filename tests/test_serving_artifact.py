"""zoo.serving.artifact: what an export is on disk, without TensorFlow."""

import json
import re
import subprocess
import sys

import pytest

from zoo import install
from zoo.serving import artifact


def test_find_export_of_each_layout(tmp_path):
  saved = tmp_path / "saved"
  saved.mkdir()
  (saved / "saved_model.pb").write_bytes(b"")
  onnx_dir = tmp_path / "onnx"
  onnx_dir.mkdir()
  (onnx_dir / "model.onnx").write_bytes(b"")
  bare = tmp_path / "copy.tflite"
  bare.write_bytes(b"")
  assert artifact.find_export(saved) == ("savedmodel", saved)
  assert artifact.find_export(onnx_dir) == ("onnx", onnx_dir / "model.onnx")
  assert artifact.find_export(bare) == ("tflite", bare)
  assert artifact.is_saved_model(saved) and not artifact.is_saved_model(
      onnx_dir)
  assert artifact.is_export(onnx_dir)
  for missing in (tmp_path / "nothing", tmp_path, tmp_path / "a.txt"):
    assert artifact.find_export(missing) is None


def test_read_export_info_names_a_damaged_description(tmp_path):
  assert artifact.read_export_info(tmp_path) == {}
  (tmp_path / artifact.INFO_FILE).write_text("{not json")
  with pytest.raises(artifact.ExportError, match="damaged.*export it again"):
    artifact.read_export_info(tmp_path)
  (tmp_path / artifact.INFO_FILE).write_text("[1, 2]")
  with pytest.raises(artifact.ExportError, match="export description"):
    artifact.read_export_info(tmp_path)
  artifact.write_info(tmp_path, {"image_size": [28, 28]})
  assert json.loads((tmp_path / artifact.INFO_FILE).read_text()) == {
      "image_size": [28, 28], artifact.FILES_KEY: {}}


def test_unknown_format_and_missing_dependency_are_one_line():
  with pytest.raises(artifact.ExportError, match="choose one of savedmodel"):
    artifact.check_format("pickle")
  with pytest.raises(artifact.ExportError, match=re.escape(install.pip_install("export"))):
    artifact.require("no_such_module_xyz", "Doing it")
  assert issubclass(artifact.ExportError, ValueError)


def test_describe_says_input_and_calibration():
  text = artifact.describe({
      "model": "deep_mnist_cnn", "checkpoint": "ckpt-5", "format": "onnx",
      "image_size": [28, 28], "class_names": list("0123456789"),
      "channels": 1, "normalization": "unit",
      "calibration": {"temperature": 1.5, "split": "validation",
                      "examples": 10, "ece_before": 0.1, "ece_after": 0.05,
                      "nll_before": 0.3, "nll_after": 0.2}}, "/tmp/x")
  assert "as onnx to /tmp/x" in text and "[B, 10]" in text
  assert "temperature 1.5000 fitted on validation" in text


def test_importing_artifact_starts_no_tensorflow():
  result = subprocess.run(
      [sys.executable, "-c", "import sys; from zoo.serving import artifact; "
       "artifact.find_export('.'); print('tensorflow' in sys.modules)"],
      capture_output=True, text=True, check=True)
  assert result.stdout.strip() == "False"


def test_a_saved_model_pb_stands_for_its_folder(tmp_path):
  (tmp_path / "saved_model.pb").write_bytes(b"")
  assert artifact.find_export(tmp_path / "saved_model.pb") == ("savedmodel",
                                                               tmp_path)
