"""zoo.serving.tfjs: `export --format tfjs` through tensorflowjs_converter."""

import json
import os
import pathlib
import stat
import sys

import pytest

from zoo import cli
from zoo.serving import tfjs

_INFO = {"class_names": ["0", "1"], "image_size": [28, 28], "channels": 1,
         "normalization": "unit", "temperature": 1.0}


def test_without_a_converter_one_line_gives_the_recipe(tmp_path, capsys,
                                                       monkeypatch):
  monkeypatch.delenv(tfjs.CONVERTER_ENV, raising=False)
  missing = tmp_path / "no-converter"
  assert tfjs.find_converter(str(missing)) is None
  assert cli.main(["export", str(tmp_path), "--format", "tfjs",
                   "--tfjs-converter", str(missing)]) == 2
  (line,) = capsys.readouterr().err.splitlines()
  assert "pip install tensorflowjs==4.22.0 ydf==0.11.0" in line
  assert str(missing) in line
  assert list(tmp_path.iterdir()) == []


def _fake_converter(directory: pathlib.Path) -> pathlib.Path:
  """A stand-in converter: writes what tensorflowjs_converter writes."""
  script = directory / "tensorflowjs_converter"
  script.write_text(
      f"#!{sys.executable}\n"
      "import json, pathlib, sys\n"
      "args = dict(a.split('=', 1) for a in sys.argv[1:] if '=' in a)\n"
      "key, path = args['--metadata'].split(':', 1)\n"
      "out = pathlib.Path(sys.argv[-1]); out.mkdir(parents=True)\n"
      "model = {'signature': {'outputs': {\n"
      "    'classes': {'name': 'Identity:0'},\n"
      "    'probabilities': {'name': 'Identity_1:0'}}},\n"
      "  'userDefinedMetadata': {key: json.loads(pathlib.Path(path)\n"
      "                                          .read_text())}}\n"
      "(out / 'model.json').write_text(json.dumps(model))\n")
  script.chmod(script.stat().st_mode | stat.S_IXUSR)
  return script


def test_labels_and_output_names_travel_in_the_model_json(tmp_path,
                                                          monkeypatch):
  converter = _fake_converter(tmp_path)
  monkeypatch.setenv(tfjs.CONVERTER_ENV, str(converter))
  model_file = tfjs.convert(tmp_path / "savedmodel", tmp_path / "out", _INFO)
  metadata = tfjs.read_metadata(model_file)
  assert metadata["class_names"] == ["0", "1"]
  assert metadata["outputs"] == {"classes": "Identity",
                                 "probabilities": "Identity_1"}
  info = json.loads((tmp_path / "out" / "export_info.json").read_text())
  assert info["format"] == "tfjs"


def test_a_failing_converter_is_one_line_with_the_recipe(tmp_path):
  broken = tmp_path / "broken"
  broken.write_text(f"#!{sys.executable}\nimport sys\n"
                    "sys.exit('TypeError: Descriptors cannot be created "
                    "directly.')\n")
  broken.chmod(broken.stat().st_mode | stat.S_IXUSR)
  with pytest.raises(tfjs.ExportError, match="Descriptors.*ydf==0.11.0"):
    tfjs.convert(tmp_path, tmp_path / "out", _INFO, converter=str(broken))


@pytest.mark.skipif(tfjs.find_converter() is None,
                    reason="no tensorflowjs_converter (set "
                    "SNT_ZOO_TFJS_CONVERTER; recipe in docs/export.md)")
def test_a_run_converts_with_the_real_converter(exported_run_dir, tmp_path):
  from zoo import run_serving  # pylint: disable=g-import-not-at-top
  output = run_serving.export_run(exported_run_dir, tmp_path / "tfjs",
                                  export_format="tfjs")
  metadata = tfjs.read_metadata(output / "model.json")
  assert metadata["class_names"] == [str(i) for i in range(10)]
  assert set(metadata["outputs"]) == {"classes", "probabilities"}
  assert os.path.isfile(output / "export_info.json")
