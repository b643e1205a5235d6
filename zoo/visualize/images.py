"""Image grids: tiles, channel grids, captions and input batches as pictures.

Every picture the zoo draws is built from these, including the grid of
augmented inputs that training writes to TensorBoard (`summary_grid`).
"""

import math
from typing import Optional, Sequence, Tuple

import numpy as np
from PIL import Image, ImageDraw
import tensorflow as tf

from zoo import datasets

BACKGROUND = 255
LABEL_HEIGHT = 14


def normalize_tile(tile: np.ndarray) -> np.ndarray:
  """Scales one tile to uint8 [0, 255] by its own minimum and maximum.

  A constant tile (or one with non-finite values only) becomes mid grey, so
  dead channels and the huge activations of an untrained BatchNorm net both
  stay readable.

  Args:
    tile: Any array, e.g. one `[H, W]` channel or an `[h, w, 3]` filter.

  Returns:
    uint8 array of the same shape.
  """
  tile = np.asarray(tile, dtype=np.float64)
  finite = np.isfinite(tile)
  if not finite.any():
    return np.full(tile.shape, 128, np.uint8)
  low, high = tile[finite].min(), tile[finite].max()
  if high - low < 1e-12 * max(1.0, abs(high)):
    return np.full(tile.shape, 128, np.uint8)
  scaled = (np.where(finite, tile, low) - low) / (high - low)
  return np.round(scaled * 255).astype(np.uint8)


def grid_shape(count: int, columns: Optional[int] = None) -> Tuple[int, int]:
  """`(rows, columns)` of a near-square grid holding `count` tiles.

  Args:
    count: Number of tiles.
    columns: Fixed number of columns; default `ceil(sqrt(count))`.

  Returns:
    `(rows, columns)`, columns at least 1.
  """
  columns = columns or max(1, int(math.ceil(math.sqrt(count))))
  return int(math.ceil(count / columns)), columns


def tile_grid(tiles: np.ndarray, columns: Optional[int] = None,
              pad: int = 1, scale: int = 1) -> np.ndarray:
  """Lays out uint8 tiles in a near-square grid on white.

  Args:
    tiles: `[N, h, w]` or `[N, h, w, 3]` uint8 tiles.
    columns: Columns of the grid (default near-square, see `grid_shape`).
    pad: White pixels between and around the tiles.
    scale: Enlarges each tile this many times (nearest neighbour).

  Returns:
    uint8 `[rows * (h * scale + pad) + pad, columns * (w * scale + pad) +
    pad]` (with the trailing 3 of RGB tiles).
  """
  tiles = np.asarray(tiles, np.uint8)
  if scale > 1:
    tiles = tiles.repeat(scale, axis=1).repeat(scale, axis=2)
  count, height, width = tiles.shape[:3]
  rows, columns = grid_shape(count, columns)
  shape = (rows * (height + pad) + pad, columns * (width + pad) + pad)
  grid = np.full(shape + tiles.shape[3:], BACKGROUND, np.uint8)
  for index in range(count):
    row, column = divmod(index, columns)
    top, left = pad + row * (height + pad), pad + column * (width + pad)
    grid[top:top + height, left:left + width] = tiles[index]
  return grid


def channel_grid(activation: np.ndarray, min_tile: int = 28,
                 max_channels: Optional[int] = None) -> np.ndarray:
  """One normalised tile per channel of an activation.

  Args:
    activation: `[H, W, C]` activation of one image.
    min_tile: Small activations are enlarged to at least this many pixels.
    max_channels: Show only the first this many channels.

  Returns:
    uint8 grid (see `tile_grid`).
  """
  activation = np.asarray(activation)
  channels = activation.shape[-1]
  if max_channels:
    channels = min(channels, max_channels)
  tiles = np.stack([normalize_tile(activation[..., c])
                    for c in range(channels)])
  scale = max(1, int(math.ceil(min_tile / max(activation.shape[:2]))))
  return tile_grid(tiles, scale=scale)


def to_rgb(array: np.ndarray) -> Image.Image:
  """A uint8 `[H, W]`, `[H, W, 1]` or `[H, W, 3]` array as an RGB image."""
  array = np.asarray(array, np.uint8)
  if array.ndim == 3 and array.shape[-1] == 1:
    array = array[..., 0]
  return Image.fromarray(array).convert("RGB")


def caption(image: Image.Image, text: str) -> Image.Image:
  """The image with a line of text above it (`LABEL_HEIGHT` pixels), on a
  white canvas wide enough for the text."""
  out = Image.new("RGB", (max(image.width, 6 * len(text) + 4),
                          image.height + LABEL_HEIGHT), (255, 255, 255))
  ImageDraw.Draw(out).text((2, 1), text, fill=(0, 0, 0))
  out.paste(image, (0, LABEL_HEIGHT))
  return out


def side_by_side(panels: Sequence[Image.Image], gap: int = 8) -> Image.Image:
  """Joins images left to right on white, top-aligned, `gap` pixels apart."""
  width = sum(p.width for p in panels) + gap * (len(panels) - 1)
  height = max(p.height for p in panels)
  out = Image.new("RGB", (width, height), (255, 255, 255))
  left = 0
  for panel in panels:
    out.paste(panel, (left, 0))
    left += panel.width + gap
  return out


def image_to_uint8(image: np.ndarray, normalization: str) -> np.ndarray:
  """Model input pixels back to uint8.

  Args:
    image: An image `[H, W, C]` or a batch `[N, H, W, C]` of model inputs.
    normalization: How they were scaled: "unit" or "symmetric".

  Returns:
    uint8 array of the same shape.
  """
  pixels = datasets.denormalize(tf.convert_to_tensor(image), normalization)
  return np.round(np.clip(pixels.numpy(), 0, 1) * 255).astype(np.uint8)


def summary_grid(images: tf.Tensor, normalization: str,
                 max_images: int = 16) -> tf.Tensor:
  """A near-square grid of model inputs, for `tf.summary.image`.

  Works eagerly and inside a `tf.function`, also when the batch size is not
  known statically (the grid is then computed with TensorFlow ops).

      tf.summary.image("inputs", summary_grid(images, "symmetric"), step)

  Args:
    images: `[B, H, W, C]` model inputs (any float dtype), scaled as
      `normalization`.
    normalization: "unit" or "symmetric".
    max_images: Use at most the first this many images.

  Returns:
    `[1, rows * H, columns * W, C]` float32 in [0, 1], rows and columns as
    `grid_shape(min(B, max_images))`; unused cells are black.
  """
  images = datasets.denormalize(images[:max_images], normalization)
  shape = tf.shape(images)
  count, height, width = shape[0], shape[1], shape[2]
  channels = images.shape[-1] if images.shape[-1] is not None else shape[3]
  columns = tf.maximum(1, tf.cast(
      tf.math.ceil(tf.sqrt(tf.cast(count, tf.float32))), tf.int32))
  rows = (count + columns - 1) // columns
  images = tf.pad(images, [[0, rows * columns - count], [0, 0], [0, 0],
                           [0, 0]])
  grid = tf.reshape(images, [rows, columns, height, width, channels])
  grid = tf.transpose(grid, [0, 2, 1, 3, 4])
  return tf.reshape(grid, [1, rows * height, columns * width, channels])
