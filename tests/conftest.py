"""Shared pytest setup: quiet TensorFlow, keep tests on the CPU."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import pathlib
import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))


@pytest.fixture(scope="session")
def exported_run_dir(tmp_path_factory):
  """A 20-step deep_mnist_quick run on the bundled sample, with its export.

  Shared by the evaluate, export and predict tests (trained once).
  """
  from zoo import serving  # pylint: disable=g-import-not-at-top
  from zoo import training  # pylint: disable=g-import-not-at-top
  root = tmp_path_factory.mktemp("exported_run")
  with pytest.MonkeyPatch.context() as patch:
    patch.setenv("SNT_ZOO_OFFLINE", "1")
    patch.setenv("SNT_ZOO_CACHE", str(root / "cache"))
    run = root / "run"
    training.run(training.load_config(
        "deep_mnist_quick", [f"run_dir={run}", "train.steps=20"]),
                 verbose=False)
    serving.export_run(run)
    yield run
