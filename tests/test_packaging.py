"""The installed distribution works on its own, outside a checkout.

It provides `zoo` (with `zoo.datasets`, `zoo.configs` and the bundled MNIST
sample) and the `snt-zoo` command, and never a top-level `datasets`, which
would shadow Hugging Face's `datasets` in the user's environment.
"""

import os
import pathlib
import site
import subprocess
import sys
import sysconfig
import zipfile

import pytest

_ROOT = pathlib.Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
  out = tmp_path_factory.mktemp("wheel")
  result = subprocess.run(
      [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
       "-q", "-w", str(out), str(_ROOT)],
      capture_output=True, text=True, check=False)
  assert result.returncode == 0, result.stderr
  wheel_path, = out.glob("snt_zoo-*.whl")
  return wheel_path


def test_wheel_holds_zoo_its_data_and_configs_and_no_top_level_datasets(
    wheel):
  names = zipfile.ZipFile(wheel).namelist()
  top = {pathlib.PurePosixPath(n).parts[0] for n in names}
  assert {"datasets", "tools", "tests", "configs"}.isdisjoint(top)
  for expected in ("zoo/models/xception.py", "zoo/datasets/mnist.py",
                   "zoo/datasets/data/mnist_sample.npz",
                   "zoo/configs/softmax_mnist_quick.yaml",
                   "zoo/configs/xception_flowers.yaml", "zoo/cli.py",
                   "zoo/serve/app.py", "zoo/serve/static/index.html",
                   "zoo/serve/static/app.js", "zoo/serve/static/style.css"):
    assert expected in names
  entry_points = next(n for n in names if n.endswith("entry_points.txt"))
  assert "snt-zoo = zoo.cli:main" in zipfile.ZipFile(wheel).read(
      entry_points).decode()


def test_installed_command_trains_outside_a_checkout(wheel, tmp_path):
  """A fresh venv with only the wheel (dependencies reused from this one)."""
  venv = tmp_path / "venv"
  subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
  python = venv / "bin" / "python"
  purelib = subprocess.run(
      [str(python), "-c", "import sysconfig; print(sysconfig.get_path("
       "'purelib'))"], capture_output=True, text=True, check=True
  ).stdout.strip()
  outside = tmp_path / "elsewhere"
  outside.mkdir()
  # From outside the checkout: pip would take its egg-info for an install.
  subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps",
                  "--no-index", str(wheel)], check=True, cwd=outside)
  # Then the dependencies already installed here, after the venv's own
  # packages (before the install, pip would take this checkout's copy for
  # an installed snt-zoo).
  parents = [p for p in {sysconfig.get_path("purelib"),
                         sysconfig.get_path("platlib"),
                         *site.getsitepackages()} if os.path.isdir(p)]
  pathlib.Path(purelib, "_snt_zoo_test_deps.pth").write_text(
      "\n".join(parents) + "\n")
  env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
  env.update(SNT_ZOO_OFFLINE="1", SNT_ZOO_CACHE=str(tmp_path / "cache"),
             TF_CPP_MIN_LOG_LEVEL="3")
  command = venv / "bin" / "snt-zoo"
  help_text = subprocess.run([str(command), "--help"], cwd=outside, env=env,
                             capture_output=True, text=True, check=True)
  for name in ("train", "evaluate", "predict", "export", "visualize",
               "benchmark", "fetch"):
    assert name in help_text.stdout
  result = subprocess.run(
      [str(command), "train", "--config", "softmax_mnist_quick",
       "run_dir=run", "train.steps=20", "train.eval_every=20"],
      cwd=outside, env=env, capture_output=True, text=True, check=False)
  assert result.returncode == 0, result.stderr[-3000:]
  assert "bundled sample" in result.stdout
  assert (outside / "run" / "checkpoints" / "checkpoint").is_file()
  where = subprocess.run(
      [str(python), "-c", "import zoo, zoo.datasets, zoo.configs; "
       "print(zoo.__file__); print(zoo.datasets.__file__); "
       "import importlib.util; print(importlib.util.find_spec('datasets'))"],
      cwd=outside, env=env, capture_output=True, text=True, check=True
  ).stdout.splitlines()
  assert where[0].startswith(str(venv)) and where[1].startswith(str(venv))
  assert where[2] == "None" or str(_ROOT) not in where[2]
