"""zoo.visualize.activations: per-channel activation pictures."""

import pathlib

import numpy as np
from PIL import Image
import pytest

from test_visualize import make_run, offline
from zoo.visualize import activations
from zoo.visualize import images as image_lib
from zoo.visualize import sampling


@pytest.fixture(autouse=True)
def _offline(monkeypatch, tmp_path_factory):
  offline(monkeypatch, tmp_path_factory)


@pytest.fixture
def run(tmp_path_factory):
  return make_run(tmp_path_factory.getbasetemp())


def test_write_activations(run, tmp_path):
  paths = activations.write_activations(run, num_images=1, out=tmp_path)
  assert sorted(pathlib.Path(p).name for p in paths) == [
      "image0_conv_pool_0.png", "image0_conv_pool_1.png"]
  picture = Image.open(tmp_path / "activations/image0_conv_pool_0.png")
  # Input + two 6x6 grids (32 channels) of 14x14 tiles enlarged to 28.
  grid = 6 * (28 + 1) + 1
  assert picture.height == grid + image_lib.LABEL_HEIGHT
  assert picture.width > 2 * grid
  limited = activations.write_activations(run, num_images=1, out=tmp_path,
                                          max_channels=4,
                                          model=run.build_model())
  assert Image.open(limited[0]).height == (2 * (28 + 1) + 1 +
                                           image_lib.LABEL_HEIGHT)


def test_spatial_activations(run):
  model, _ = run.restore_model()
  images, _ = sampling.eval_sample(run, 2)
  values = activations.spatial_activations(model, images)
  assert list(values) == ["conv_pool_0", "conv_pool_1"]
  assert values["conv_pool_0"].shape == (2, 14, 14, 32)
  assert values["conv_pool_1"].shape == (2, 7, 7, 64)
  for value in values.values():
    assert (value.reshape(-1, value.shape[-1]).std(axis=0) > 0).sum() > 1
  untrained = activations.spatial_activations(run.build_model(), images)
  assert not np.allclose(untrained["conv_pool_0"], values["conv_pool_0"])
