"""zoo.visualize.layers: the layer table of a registered model."""

import pathlib

from zoo.visualize import layers


def test_write_layers(tmp_path):
  text, path = layers.write_layers("tfjs_mnist_convnet")
  assert path is None
  assert "Total trainable params: 33,194" in text
  text, path = layers.write_layers("deep_mnist_cnn", out=tmp_path)
  assert path == str(tmp_path / "layers_deep_mnist_cnn.txt")
  assert pathlib.Path(path).read_text() == text + "\n"
  assert "conv_pool_0/conv/w" in text
