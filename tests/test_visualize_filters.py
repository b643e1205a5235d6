"""zoo.visualize.filters: first-layer filters, untrained beside trained."""

import numpy as np
from PIL import Image
import pytest

from test_visualize import make_run, offline
from zoo.models import _registry
from zoo.visualize import filters
from zoo.visualize import images as image_lib


@pytest.fixture(autouse=True)
def _offline(monkeypatch, tmp_path_factory):
  offline(monkeypatch, tmp_path_factory)


def test_filter_grid():
  grid = filters.filter_grid(np.random.randn(5, 5, 1, 32), scale=8)
  assert grid.shape == (6 * (5 * 8 + 2) + 2,) * 2
  rgb = filters.filter_grid(np.random.randn(3, 3, 3, 32), scale=1)
  assert rgb.shape == (6 * 5 + 2, 6 * 5 + 2, 3)
  mean = filters.filter_grid(np.ones([2, 2, 4, 1]) * [[[[1], [2], [3],
                                                        [4]]]], scale=1)
  assert (mean[2:4, 2:4] == 128).all()  # A constant filter is mid grey.


def test_first_layer_kernel():
  model = _registry.create_model("deep_mnist_cnn")
  model(np.zeros([1, 28, 28, 1], np.float32), is_training=False)
  assert filters.first_layer_kernel(model).shape == (5, 5, 1, 32)
  assert "conv_pool_0" in filters.first_layer_kernel(model).name
  assert "conv_pool_0/conv/w" in filters.variables_by_name(model)


def test_write_filters(tmp_path_factory, tmp_path):
  run = make_run(tmp_path_factory.getbasetemp())
  path, = filters.write_filters(run, out=tmp_path)
  assert path == str(tmp_path / "filters.png")
  picture = Image.open(path)
  # Two panels of 6x6 tiles of 5x5 filters enlarged 8 times, padding 2.
  panel = 6 * (5 * 8 + 2) + 2
  assert picture.height == panel + image_lib.LABEL_HEIGHT
  assert picture.width >= 2 * panel + 16  # The caption may widen a panel.
