"""A model defined outside the checkout, in every tool.

`imports:` in a config, `--import MODULE` on every subcommand and the
`snt_zoo.models` entry-point group (zoo.models._registry, zoo.cli); a run
records its imports, so evaluate/export/predict/visualize of the run import
them again without the flag.
"""

import json
import os
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from zoo import cli
from zoo.models import _registry
from zoo.training import config as config_lib

_ROOT = Path(__file__).resolve().parents[1]

_TINY_MODELS = '''
"""A model of another project, built from the zoo's blocks."""
import tensorflow as tf
import zoo


class Tiny(zoo.ImageClassifier):
  """One ConvPool layer and a classifier head."""
  input_normalization = "unit"
  channels = 1
  min_image_size = 8

  def __init__(self, num_classes=10, image_size=28, name=None):
    super().__init__(name=name)
    self.num_classes = num_classes
    self.default_image_size = zoo.models.as_image_size(image_size)
    self.conv = zoo.ConvPool(4, 3, name="conv_0")
    self.head = zoo.ClassifierHead(num_classes, name="head")

  def _forward(self, images, is_training):
    features = self.conv(images)
    pooled = tf.reduce_mean(features, axis=[1, 2])
    logits, head_endpoints = self.head(pooled, is_training)
    return logits, {"conv_0": features, "pre_logits": pooled,
                    **head_endpoints, "logits": logits}


@zoo.register_model(reference="none (a test model)")
def tiny(num_classes: int = 10, image_size=28) -> Tiny:
  return Tiny(num_classes, image_size, name="tiny")


# Published weights of its own (never served: the test runs offline).
zoo.models.pretrained.REGISTRY[("tiny", "toy")] = (
    zoo.models.pretrained.WeightsFile(
        url="http://127.0.0.1:9/tiny-toy.npz", filename="tiny-toy.npz",
        checksum="sha256:" + "0" * 64, port="keras", loader="none",
        licence="test"),)
'''


@pytest.fixture(scope="module")
def package(tmp_path_factory):
  """A folder holding `tinypkg/models.py`, as another project would."""
  root = tmp_path_factory.mktemp("project")
  (root / "tinypkg").mkdir()
  (root / "tinypkg" / "__init__.py").write_text("")
  (root / "tinypkg" / "models.py").write_text(_TINY_MODELS)
  return root


def _cli(args, package, cwd, python_code=None):
  env = dict(os.environ, PYTHONPATH=f"{_ROOT}{os.pathsep}{package}",
             SNT_ZOO_OFFLINE="1", SNT_ZOO_CACHE=str(cwd / "cache"),
             TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
  command = ([sys.executable, "-c", python_code] if python_code else
             [sys.executable, "-m", "zoo.cli", *args])
  return subprocess.run(command, cwd=cwd, env=env, capture_output=True,
                        text=True, timeout=400, check=False)


def test_an_outside_model_runs_through_every_tool(package, tmp_path):
  run = tmp_path / "run"
  result = _cli(["train", "--import", "tinypkg.models", "--config",
                 "deep_mnist_quick", "model.name=tiny", "train.steps=4",
                 "train.log_every=2", "train.eval_every=4",
                 "train.checkpoint_every=4", f"run_dir={run}"],
                package, tmp_path)
  assert result.returncode == 0, result.stderr
  assert "imports:\n- tinypkg.models" in (run / "config.yaml").read_text()

  image = tmp_path / "digit.png"
  Image.fromarray(np.zeros((28, 28), np.uint8)).save(image)
  # A fresh process without --import: the run's record imports the model.
  steps = [
      ["evaluate", str(run), "--max-examples", "50", "--quiet"],
      ["export", str(run)],
      ["predict", str(image), "--model", str(run / "export")],
      ["export", str(run), "--format", "onnx"],
      ["evaluate", str(run / "export-onnx" / "model.onnx"), "--max-examples",
       "50", "--quiet"],
      ["export", str(run), "--format", "tflite"],
      ["predict", str(image), "--model",
       str(run / "export-tflite" / "model.tflite")],
      ["visualize", "filters", str(run)],
      ["benchmark", "--import", "tinypkg.models", "--model", "tiny",
       "--reps", "1", "--steps", "1", "--warmup", "0", "--matmul-size", "0",
       "--batch-size", "2", "--no-inference"],
      ["models", "--import", "tinypkg.models", "tiny", "--json"],
      ["train", "--import", "tinypkg.models", "--config", "deep_mnist_quick",
       "model.name=tiny", "finetune.pretrained=toy", "train.steps=1",
       f"run_dir={tmp_path / 'offline'}"],
  ]
  code = ("import sys\nfrom zoo import cli\n"
          f"for argv in {steps!r}:\n"
          "  code = cli.main(argv)\n"
          "  print('EXIT', argv[0], code, flush=True)\n")
  result = _cli(None, package, tmp_path, python_code=code)
  exits = [line for line in result.stdout.splitlines()
           if line.startswith("EXIT")]
  assert exits == [f"EXIT {s[0]} {2 if s[0] == 'train' else 0}"
                   for s in steps], result.stderr[-3000:]
  assert (run / "export" / "saved_model.pb").is_file()
  assert (run / "export-onnx" / "evaluation-test-model.onnx.json").is_file()
  listing = json.loads(result.stdout.split("EXIT benchmark 0\n", 1)[1]
                       .rsplit("EXIT models", 1)[0])
  assert listing[0]["name"] == "tiny"
  assert listing[0]["reference"] == "none (a test model)"
  assert listing[0]["parameters"] == 3 * 3 * 4 + 4 + 4 * 10 + 10
  assert listing[0]["pretrained"] == ["toy"]
  # Weights it cannot get offline: one line naming the file and the URL.
  errors = [l for l in result.stderr.splitlines() if l.startswith("Error")]
  assert len(errors) == 1, result.stderr[-3000:]
  assert str(tmp_path / "cache" / "weights" / "tiny-toy.npz") in errors[0]
  assert "http://127.0.0.1:9/tiny-toy.npz" in errors[0]


def test_a_failing_import_is_one_line_and_exit_2(capsys):
  code = cli.main(["models", "--import", "no_such_module_xyz", "--json"])
  lines = capsys.readouterr().err.strip().splitlines()
  assert code == 2
  assert len(lines) == 1
  assert "no_such_module_xyz" in lines[0] and "ModuleNotFoundError" in lines[0]


def test_config_imports_are_validated_and_imported(package, monkeypatch):
  with pytest.raises(config_lib.ConfigError, match="imports must be a list"):
    config_lib.load_config("deep_mnist_quick", ["imports=tinypkg.models"])
  with pytest.raises(config_lib.ConfigError, match="list of module names"):
    config_lib.load_config("deep_mnist_quick", ["imports=[1]"])
  with pytest.raises(config_lib.ConfigError,
                     match=r"imports: Cannot import model module "
                     r"'no_such_module_xyz': ModuleNotFoundError"):
    config_lib.load_config("deep_mnist_quick", ["imports=[no_such_module_xyz]"])
  monkeypatch.syspath_prepend(str(package))
  monkeypatch.setattr(_registry, "_MODEL_FNS", dict(_registry._MODEL_FNS))  # pylint: disable=protected-access
  for name in ("tinypkg", "tinypkg.models"):
    monkeypatch.delitem(sys.modules, name, raising=False)
  config = config_lib.load_config(
      "deep_mnist_quick", ["imports=[tinypkg.models]", "model.name=tiny"])
  assert config["imports"] == ["tinypkg.models"]


def test_entry_points_register_models_and_a_broken_one_is_named(
    tmp_path, monkeypatch):
  site = tmp_path / "site"
  (site / "ep_models.py").parent.mkdir()
  (site / "ep_models.py").write_text(
      "import zoo\n\n@zoo.register_model\n"
      "def entry_point_model(num_classes: int = 10):\n"
      "  return zoo.create_model('softmax_regression',"
      " num_classes=num_classes)\n")
  info = site / "toy_models-1.0.dist-info"
  info.mkdir()
  (info / "METADATA").write_text("Name: toy-models\nVersion: 1.0\n")
  (info / "entry_points.txt").write_text(textwrap.dedent("""\
      [snt_zoo.models]
      toy = ep_models
      broken = no_such_module_xyz
      """))
  monkeypatch.syspath_prepend(str(site))
  monkeypatch.setattr(_registry, "_entry_points_loaded", False)
  monkeypatch.setattr(_registry, "_BROKEN_ENTRY_POINTS", {})
  monkeypatch.setattr(_registry, "_MODEL_FNS", dict(_registry._MODEL_FNS))
  with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    assert "entry_point_model" in _registry.list_models()
  messages = [str(w.message) for w in caught]
  assert len(messages) == 1 and "'broken'" in messages[0]
  assert "\n" not in messages[0]
  with pytest.raises(ValueError, match=r"Unknown model 'gone'.*Not loaded: "
                     r"entry point 'broken'"):
    _registry.create_model("gone")
