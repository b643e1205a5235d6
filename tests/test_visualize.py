"""zoo.visualize.write_all and the visualize tool, on a fake MNIST run.

`make_run` (used by every tests/test_visualize_*.py) writes a run directory
without training: a deep_mnist_quick config, a checkpoint of a freshly built
model and a few metrics lines, read through `RunDir` like a real run. The
data is the bundled MNIST sample (offline).
"""

import pathlib
import runpy
import subprocess
import sys

import pytest
import tensorflow as tf

from zoo import visualize
from zoo.training import config as config_lib
from zoo.training.run_dir import RunDir

ROOT = pathlib.Path(__file__).resolve().parents[1]
TOOL = ROOT / "tools" / "visualize.py"
NUM_EVAL = 1500  # The bundled sample's test split.
CLASS_NAMES = [str(digit) for digit in range(10)]
METRICS = [
    {"step": 10, "split": "train", "loss": 2.0, "accuracy": 0.3},
    {"step": 20, "split": "train", "loss": 1.0, "accuracy": 0.6},
    {"step": 20, "split": "test", "loss": 1.2, "accuracy": 0.55},
    {"step": 30, "split": "train", "loss": 0.5, "accuracy": 0.8},
    {"step": 30, "split": "test", "loss": 0.6, "accuracy": 0.75},
]


def offline(monkeypatch, tmp_path_factory) -> None:
  """MNIST from the bundled sample, caches in the session's temp folder."""
  monkeypatch.setenv("SNT_ZOO_OFFLINE", "1")
  monkeypatch.setenv("SNT_ZOO_CACHE",
                     str(tmp_path_factory.getbasetemp() / "snt_zoo_cache"))


def make_run(root: pathlib.Path, name: str = "visualize_run") -> RunDir:
  """A deep_mnist_quick run directory in `root` (made once, then reused)."""
  run = RunDir(root / name)
  if run.latest_checkpoint:
    return run
  config = config_lib.load_config("deep_mnist_quick",
                                  [f"run_dir={run.path}"])
  config["class_names"] = CLASS_NAMES
  run.write_config(config)
  model = run.build_model()
  tf.train.CheckpointManager(tf.train.Checkpoint(model=model),
                             str(run.checkpoint_dir), max_to_keep=1
                             ).save(checkpoint_number=30)
  for record in METRICS:
    run.append_metrics(record)
  return run


@pytest.fixture(autouse=True)
def _offline(monkeypatch, tmp_path_factory):
  offline(monkeypatch, tmp_path_factory)


@pytest.fixture
def run(tmp_path_factory):
  return make_run(tmp_path_factory.getbasetemp())


def test_make_run_is_a_run(run):
  assert run.class_names == tuple(CLASS_NAMES)
  assert run.image_size == (28, 28) and run.channels == 1
  assert run.restore_model()[1].endswith("ckpt-30")
  assert [r["step"] for r in run.read_metrics()] == [10, 20, 20, 30, 30]


def test_write_all(run, tmp_path):
  paths = visualize.write_all(run, num_images=1, max_examples=30,
                              out=tmp_path)
  assert all(pathlib.Path(p).is_file() for p in paths)
  names = {pathlib.Path(p).relative_to(tmp_path).as_posix() for p in paths
           if pathlib.Path(p).is_relative_to(tmp_path)}
  assert names == {
      "layers_deep_mnist_cnn.txt", "curves.png", "filters.png",
      "activations/image0_conv_pool_0.png",
      "activations/image0_conv_pool_1.png", "confusion.png", "confusion.csv",
      "init_histograms_deep_mnist_cnn.png"}
  projector_dir = run.tensorboard_dir / "projector"
  assert str(projector_dir / "metadata.tsv") in paths
  assert len((projector_dir / "metadata.tsv").read_text().splitlines()) == 31


def _tool(*argv: str) -> int:
  """Runs tools/visualize.py in this process; returns its exit code."""
  saved = sys.argv
  sys.argv = [str(TOOL), *argv]
  try:
    runpy.run_path(str(TOOL), run_name="__main__")
  except SystemExit as exit_:
    return exit_.code
  finally:
    sys.argv = saved
  return 0


def test_tool_help_lists_every_picture_without_tensorflow():
  code = ("import runpy, sys\n"
          f"sys.argv = [{str(TOOL)!r}, '--help']\n"
          "try:\n"
          f"  runpy.run_path({str(TOOL)!r}, run_name='__main__')\n"
          "except SystemExit as e:\n"
          "  assert e.code == 0, e.code\n"
          "assert 'tensorflow' not in sys.modules\n")
  result = subprocess.run([sys.executable, "-c", code], capture_output=True,
                          text=True, check=False, cwd=ROOT)
  assert result.returncode == 0, result.stderr[-2000:]
  for picture in ("all", "activations", "filters", "curves", "confusion",
                  "embeddings", "layers", "init-histograms"):
    assert picture in result.stdout


def test_tool_writes_pictures(run, tmp_path, capsys):
  assert _tool("filters", str(run.path), "--out", str(tmp_path)) == 0
  assert capsys.readouterr().out.strip() == str(tmp_path / "filters.png")
  assert (tmp_path / "filters.png").is_file()
  assert _tool("init-histograms", "--model", "deep_mnist_cnn", "--out",
               str(tmp_path)) == 0
  assert (tmp_path / "init_histograms_deep_mnist_cnn.png").is_file()


def test_tool_missing_run_dir_is_a_one_line_error(tmp_path, capsys):
  assert _tool("filters", str(tmp_path / "missing")) == 2
  err = capsys.readouterr().err.strip()
  assert err.startswith("Error: ") and "\n" not in err
  assert "missing does not exist" in err
