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
  """Scales one tile to uint8 [0, 255] by its own min and max.

  A constant tile (or one with non-finite values only) becomes mid grey, so
  dead channels and the huge activations of an untrained BatchNorm net both
  stay readable.
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
  """(rows, columns) of a near-square grid holding `count` tiles."""
  columns = columns or max(1, int(math.ceil(math.sqrt(count))))
  return int(math.ceil(count / columns)), columns


def tile_grid(tiles: np.ndarray, columns: Optional[int] = None,
              pad: int = 1, scale: int = 1) -> np.ndarray:
  """Lays out uint8 tiles `[N, h, w]` or `[N, h, w, 3]` in a grid.

  Each tile is enlarged `scale` times (nearest neighbour) and separated by
  `pad` white pixels; the result is `[rows*(h*scale+pad)+pad, ...]`.
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
  """One normalised tile per channel of an `[H, W, C]` activation."""
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
  """The image with a line of text above it."""
  out = Image.new("RGB", (max(image.width, 6 * len(text) + 4),
                          image.height + LABEL_HEIGHT), (255, 255, 255))
  ImageDraw.Draw(out).text((2, 1), text, fill=(0, 0, 0))
  out.paste(image, (0, LABEL_HEIGHT))
  return out


def side_by_side(panels: Sequence[Image.Image], gap: int = 8) -> Image.Image:
  """Joins images left to right on white, top-aligned."""
  width = sum(p.width for p in panels) + gap * (len(panels) - 1)
  height = max(p.height for p in panels)
  out = Image.new("RGB", (width, height), (255, 255, 255))
  left = 0
  for panel in panels:
    out.paste(panel, (left, 0))
    left += panel.width + gap
  return out


def image_to_uint8(image: np.ndarray, normalization: str) -> np.ndarray:
  """A model input image (or batch) back to uint8 pixels."""
  pixels = datasets.denormalize(tf.convert_to_tensor(image), normalization)
  return np.round(np.clip(pixels.numpy(), 0, 1) * 255).astype(np.uint8)


def summary_grid(images: tf.Tensor, normalization: str,
                 max_images: int = 16) -> tf.Tensor:
  """A near-square grid of model inputs for `tf.summary.image`.

  Args:
    images: `[B, H, W, C]` model inputs, scaled as `normalization`.
    normalization: "unit" or "symmetric".
    max_images: Use at most this many images.

  Returns:
    `[1, rows * H, columns * W, C]` float32 in [0, 1].
  """
  images = datasets.denormalize(images[:max_images], normalization)
  count = int(images.shape[0])
  rows, columns = grid_shape(count)
  pad = rows * columns - count
  images = tf.concat([images, tf.zeros([pad, *images.shape[1:]])], 0)
  height, width, channels = images.shape[1:]
  grid = tf.reshape(images, [rows, columns, height, width, channels])
  grid = tf.transpose(grid, [0, 2, 1, 3, 4])
  return tf.reshape(grid, [1, rows * height, columns * width, channels])
