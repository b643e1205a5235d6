"""zoo.visualize.images: tiles, grids, captions and the summary grid."""

import numpy as np
from PIL import Image
import tensorflow as tf

from zoo.visualize import images as image_lib


def test_normalize_tile():
  constant = image_lib.normalize_tile(np.full([3, 3], 7.0))
  spread = image_lib.normalize_tile(np.arange(9.).reshape(3, 3) * 1e9)
  with_nan = image_lib.normalize_tile(np.array([[0.0, np.nan], [1.0, 2.0]]))
  assert constant.dtype == np.uint8 and (constant == 128).all()
  assert spread.min() == 0 and spread.max() == 255
  np.testing.assert_array_equal(with_nan, [[0, 0], [128, 255]])
  assert (image_lib.normalize_tile(np.full([2], np.inf)) == 128).all()


def test_grid_shape():
  assert image_lib.grid_shape(32) == (6, 6)
  assert image_lib.grid_shape(2048) == (45, 46)
  assert image_lib.grid_shape(5) == (2, 3)
  assert image_lib.grid_shape(5, columns=5) == (1, 5)
  assert image_lib.grid_shape(0) == (0, 1)


def test_tile_grid():
  tiles = np.stack([np.full([3, 3], value, np.uint8) for value in (0, 50, 100)])
  grid = image_lib.tile_grid(tiles, pad=1, scale=2)
  assert grid.shape == (2 * 7 + 1, 2 * 7 + 1)  # 2x2 grid of 6x6 tiles.
  assert (grid[1:7, 8:14] == 50).all()  # The second tile, enlarged.
  assert (grid[8:14, 8:14] == image_lib.BACKGROUND).all()  # Unused cell.
  assert (grid[0] == image_lib.BACKGROUND).all()  # Padding.
  rgb = image_lib.tile_grid(np.zeros([2, 4, 4, 3]), columns=2, pad=0)
  assert rgb.shape == (4, 8, 3)


def test_channel_grid():
  activation = np.random.default_rng(0).normal(size=[7, 7, 10])
  grid = image_lib.channel_grid(activation, min_tile=28)
  assert grid.shape == (3 * (28 + 1) + 1, 4 * (28 + 1) + 1)  # 10 tiles.
  assert image_lib.channel_grid(activation, max_channels=4).shape == (
      2 * 29 + 1, 2 * 29 + 1)


def test_captions_and_side_by_side():
  panel = image_lib.to_rgb(np.zeros([20, 30, 1], np.uint8))
  captioned = image_lib.caption(panel, "ab")
  assert captioned.size == (30, 20 + image_lib.LABEL_HEIGHT)
  assert image_lib.caption(panel, "a long caption").width > 30
  joined = image_lib.side_by_side([panel, captioned], gap=5)
  assert joined.size == (65, 20 + image_lib.LABEL_HEIGHT)
  assert joined.getpixel((32, 0)) == (255, 255, 255)  # The gap.
  assert isinstance(joined, Image.Image) and joined.mode == "RGB"


def test_image_to_uint8():
  symmetric = np.array([[[-1.0], [0.0], [1.0], [3.0]]], np.float32)
  np.testing.assert_array_equal(
      image_lib.image_to_uint8(symmetric, "symmetric")[..., 0],
      [[0, 128, 255, 255]])
  np.testing.assert_array_equal(
      image_lib.image_to_uint8(np.full([1, 2, 2, 1], 0.5), "unit"),
      np.full([1, 2, 2, 1], 128))


def _batch(count: int) -> tf.Tensor:
  size = count * 2 * 3
  return tf.reshape(tf.range(size, dtype=tf.float32) / size,
                    [count, 2, 3, 1]) * 2.0 - 1.0


def test_summary_grid_eagerly():
  batch = _batch(5)
  grid = image_lib.summary_grid(batch, "symmetric")
  assert grid.shape == (1, 2 * 2, 3 * 3, 1) and grid.dtype == tf.float32
  np.testing.assert_allclose(grid[0, :2, 3:6, 0],
                             (batch[1, :, :, 0] + 1.0) / 2.0, atol=1e-6)
  np.testing.assert_allclose(grid[0, 2:, :3, 0],
                             (batch[3, :, :, 0] + 1.0) / 2.0, atol=1e-6)
  assert float(tf.reduce_max(grid[0, 2:, 6:, 0])) == 0.0  # Unused cell.
  assert image_lib.summary_grid(_batch(40), "symmetric",
                                max_images=16).shape == (1, 8, 12, 1)
  rgb = image_lib.summary_grid(tf.ones([3, 4, 4, 3], tf.float16), "unit")
  assert rgb.shape == (1, 8, 8, 3) and rgb.dtype == tf.float32


def test_summary_grid_in_a_function_with_an_unknown_batch_size():
  batch = _batch(5)
  compiled = tf.function(
      lambda x: image_lib.summary_grid(x, "symmetric"),
      input_signature=[tf.TensorSpec([None, 2, 3, 1], tf.float32)])
  np.testing.assert_allclose(compiled(batch),
                             image_lib.summary_grid(batch, "symmetric"))
  assert compiled(_batch(1)).shape == (1, 2, 3, 1)


def test_summary_grid_writes_an_image_summary(tmp_path):
  writer = tf.summary.create_file_writer(str(tmp_path))
  with writer.as_default():
    assert tf.summary.image("inputs", image_lib.summary_grid(
        _batch(4), "symmetric"), step=0)
  writer.close()
  assert list(tmp_path.glob("events.out.tfevents.*"))
