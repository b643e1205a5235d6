"""zoo.graph.preprocess: channels, resizing and normalisation."""

import numpy as np
import pytest
import tensorflow as tf

from zoo.serving import graph


def test_native_size_is_only_normalised():
  images = np.arange(2 * 4 * 4, dtype=np.uint8).reshape([2, 4, 4, 1])
  unit = graph.preprocess(images, (4, 4), 1, "unit").numpy()
  np.testing.assert_allclose(unit, images / 255.0, atol=1e-7)
  symmetric = graph.preprocess(images, (4, 4), 1, "symmetric").numpy()
  np.testing.assert_allclose(symmetric, images / 127.5 - 1.0, atol=1e-6)


@pytest.mark.parametrize("have,want", [(1, 3), (3, 1), (4, 1), (4, 3), (2, 1)])
def test_channels_and_size(have, want):
  images = np.full([1, 9, 7, have], 200, np.uint8)
  out = graph.preprocess(images, (5, 6), want, "unit")
  assert out.shape == (1, 5, 6, want)
  np.testing.assert_allclose(out.numpy(), 200 / 255.0, atol=1e-3)


def test_rgb_to_gray_weights():
  images = np.zeros([1, 2, 2, 3], np.uint8)
  images[..., 1] = 255
  gray = graph.preprocess(images, (2, 2), 1, "unit").numpy()
  np.testing.assert_allclose(gray, 0.587, atol=1e-3)


def test_rejects_float_images():
  with pytest.raises(TypeError):
    graph.preprocess(tf.zeros([1, 2, 2, 1]), (2, 2), 1, "unit")


def test_downscaling_is_plain_bilinear():
  images = np.random.default_rng(0).integers(0, 256, [2, 9, 7, 3], np.uint8)
  out = graph.preprocess(images, (5, 6), 3, "unit").numpy()
  expected = tf.image.resize(images.astype(np.float32), (5, 6),
                             method="bilinear", antialias=False) / 255.0
  np.testing.assert_allclose(out, expected, atol=1e-6)


def test_upscaling_matches_the_antialiased_resize():
  """Antialiasing only changes downscaling: upscaled inputs are as before."""
  images = np.random.default_rng(1).integers(0, 256, [1, 20, 24, 1], np.uint8)
  out = graph.preprocess(images, (28, 28), 1, "unit").numpy()
  antialiased = tf.image.resize(images.astype(np.float32), (28, 28),
                                method="bilinear", antialias=True) / 255.0
  np.testing.assert_allclose(out, antialiased, atol=1e-5)


def _op_types(concrete_function):
  graph_def = concrete_function.graph.as_graph_def()
  types = {node.op for node in graph_def.node}
  for function in graph_def.library.function:
    types |= {node.op for node in function.node_def}
  return types


def test_serving_graph_has_only_portable_ops():
  import zoo  # pylint: disable=g-import-not-at-top
  model = zoo.create_model("tfjs_mnist_convnet", num_classes=10)
  model(tf.zeros([1, 28, 28, 1]), is_training=False)
  module = graph.ServingModule(model, [str(i) for i in range(10)], (28, 28),
                                 temperature=2.0)
  types = _op_types(module.serve.get_concrete_function())
  assert "ResizeBilinear" in types
  refused = {"ScaleAndTranslate", "EnsureShape", "Assert", "If",
             "StatelessIf", "StringFormat"}
  assert not types & refused, types & refused
  outputs = module.serve(tf.zeros([2, 30, 30, 3], tf.uint8))
  assert sorted(outputs) == ["classes", "probabilities"]
  metadata = module.metadata()
  assert metadata["temperature"].numpy() == 2.0
  assert [n.decode() for n in metadata["class_names"].numpy()] == [
      str(i) for i in range(10)]


def test_temperature_divides_the_logits():
  import zoo  # pylint: disable=g-import-not-at-top
  model = zoo.create_model("softmax_regression", num_classes=10,
                           zero_init=False)
  images = np.random.default_rng(2).integers(0, 256, [3, 28, 28, 1], np.uint8)
  logits = model(graph.preprocess(images, (28, 28), 1, "unit"),
                 is_training=False)
  hot = graph.predict_probabilities(model, images, (28, 28), 0.5)
  np.testing.assert_allclose(hot, tf.nn.softmax(logits * 2.0), atol=1e-6)
  with pytest.raises(ValueError, match="temperature"):
    graph.ServingModule(model, [str(i) for i in range(10)], (28, 28),
                          temperature=0.0)
