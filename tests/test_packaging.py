"""The installed distribution provides `zoo` and never a top-level `datasets`.

A `datasets` package in site-packages would shadow Hugging Face's `datasets`
in the user's environment, so it only ever runs from a checkout.
"""

import importlib.metadata
import pathlib
import subprocess
import sys
import zipfile

import pytest

_ROOT = pathlib.Path(__file__).resolve().parents[1]


def _top_level(paths):
  return {pathlib.PurePosixPath(str(p)).parts[0] for p in paths}


def test_wheel_contains_zoo_and_not_datasets(tmp_path):
  result = subprocess.run(
      [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w",
       str(tmp_path), str(_ROOT)],
      capture_output=True, text=True, check=False)
  assert result.returncode == 0, result.stderr
  wheel, = tmp_path.glob("snt_zoo-*.whl")
  names = zipfile.ZipFile(wheel).namelist()
  top = _top_level(names)
  assert "zoo" in top
  assert "datasets" not in top and "tools" not in top and "tests" not in top
  assert "zoo/models/xception.py" in names


def test_installed_distribution_has_no_top_level_datasets():
  # A build leaves snt_zoo.egg-info in the checkout (on sys.path for the
  # tests); only a distribution installed elsewhere counts.
  installed = [
      dist for dist in importlib.metadata.distributions(name="snt-zoo")
      if pathlib.Path(str(dist.locate_file(""))).resolve() != _ROOT
  ]
  if not installed:
    pytest.skip("snt-zoo is not installed (run `pip install .` first)")
  top = _top_level(installed[0].files or [])
  assert "zoo" in top
  assert "datasets" not in top
