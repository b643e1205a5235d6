"""zoo.visualize.histograms: initial-weight histograms."""

from PIL import Image

from zoo.visualize import histograms


def test_write_init_histograms(tmp_path):
  path, = histograms.write_init_histograms("deep_mnist_cnn", tmp_path / "out")
  assert path == str(tmp_path / "out" / "init_histograms_deep_mnist_cnn.png")
  # Four weights (two kernels, two matrices) in one row of four panels.
  assert Image.open(path).size == (1440, 280)
