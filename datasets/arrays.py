"""The evaluation pipeline in NumPy: a split as uint8 batches, no TensorFlow.

    batches = datasets.prepare("mnist", image_size=71, channels=3,
                               decoder="pillow").arrays("test", 500)
    for images, labels in batches:     # uint8 [B, 71, 71, 3], int32 [B]
      ...

What `Dataset.arrays` runs: the same examples, in the same order, as
`Dataset.load(split)` without shuffle or augmentation, adapted to the model
the way `_pipeline.finish` does it (bilinear resize with TensorFlow's
half-pixel centres, clipped; channels converted with the same weights),
then rounded to the uint8 pixels an export takes. The resize and the
channel conversion equal TensorFlow's to float32 rounding (tested), so on
MNIST-format data the batches equal the tf.data pipeline's; image files
are decoded by Pillow (`image_decode`), whose JPEG pixels differ from
TensorFlow's by a few levels.
"""

from typing import Iterator, Optional, Tuple

import numpy as np

from . import dataset_info

#: Weights of R, G and B in grey (ITU-R 601 luma, `tf.image.rgb_to_grayscale`'s).
GREY_WEIGHTS = (0.2989, 0.5870, 0.1140)


def _source_coordinates(out_size: int, in_size: int
                        ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
  """Lower and upper source indices and weights of a half-pixel resize."""
  scale = np.float32(in_size) / np.float32(out_size)
  centres = ((np.arange(out_size, dtype=np.float32) + np.float32(0.5)) *
             scale - np.float32(0.5))
  lower = np.floor(centres)
  weight = (centres - lower).astype(np.float32)
  lower_index = np.clip(lower, 0, in_size - 1).astype(np.int64)
  upper_index = np.clip(np.ceil(centres), 0, in_size - 1).astype(np.int64)
  return lower_index, upper_index, weight


def resize_bilinear(images: np.ndarray, size: Tuple[int, int],
                    rounded: bool = False) -> np.ndarray:
  """Bilinear resize of images `[..., H, W, C]` (any dtype) to `size`.

  `tf.image.resize(method="bilinear", antialias=False)`: half-pixel
  centres, edges clamped, interpolated along the width, then the height,
  in float32. Only the source pixels used are gathered (in the images' own
  dtype) before the arithmetic, so a large image costs no more than its
  decoded pixels.

  Args:
    images: The images.
    size: (height, width).
    rounded: Return uint8, rounded and clipped (`image_files.resize`);
      else float32.
  """
  images = np.asarray(images)
  height, width = images.shape[-3:-1]
  if (height, width) == tuple(size):
    resized = images.astype(np.float32)
  else:
    top, bottom, y_weight = _source_coordinates(size[0], height)
    left, right, x_weight = _source_coordinates(size[1], width)
    x_weight = x_weight[:, np.newaxis]

    def along_width(rows: np.ndarray) -> np.ndarray:
      left_pixels = rows[..., left, :].astype(np.float32)
      right_pixels = rows[..., right, :].astype(np.float32)
      return left_pixels + (right_pixels - left_pixels) * x_weight

    upper = along_width(images[..., top, :, :])
    lower = along_width(images[..., bottom, :, :])
    resized = upper + (lower - upper) * y_weight[:, np.newaxis, np.newaxis]
  return to_uint8(resized) if rounded else resized


def to_uint8(images: np.ndarray) -> np.ndarray:
  """Float images on the 0-255 scale, rounded and clipped to uint8."""
  return np.round(np.clip(images, 0.0, 255.0)).astype(np.uint8)


def convert_channels(images: np.ndarray, channels: int) -> np.ndarray:
  """`_pipeline.convert_channels` in NumPy, on float images `[..., C]`."""
  if channels not in (1, 3):
    raise ValueError(f"Models with {channels} channels are not supported; "
                     "expected 1 (grey) or 3 (RGB).")
  images = np.asarray(images, np.float32)
  have = images.shape[-1]
  if have == channels:
    return images
  rgb = images[..., :3] if have >= 3 else np.repeat(images[..., :1], 3, -1)
  if channels == 3:
    return rgb
  if have < 3:
    return rgb[..., :1]
  return np.sum(rgb * np.asarray(GREY_WEIGHTS, np.float32), axis=-1,
                keepdims=True, dtype=np.float32)


def adapt(images: np.ndarray, resize_to: Optional[Tuple[int, int]],
          channels: Optional[int]) -> np.ndarray:
  """uint8 images as the final map adapts them, back in uint8."""
  if resize_to is None and (channels is None or images.shape[-1] == channels):
    return images
  adapted = np.asarray(images, np.float32)
  if resize_to is not None:
    adapted = np.clip(resize_bilinear(adapted, resize_to), 0.0, 255.0)
  if channels is not None:
    adapted = convert_channels(adapted, channels)
  return to_uint8(adapted)


def batches(split: dataset_info.SplitArrays, batch_size: int,
            resize_to: Optional[Tuple[int, int]] = None,
            channels: Optional[int] = None
            ) -> Iterator[Tuple[np.ndarray, np.ndarray]]:
  """A split's examples in order, `batch_size` at a time, adapted."""
  if batch_size < 1:
    raise ValueError(f"batch_size must be >= 1, got {batch_size}.")
  for start in range(0, split.count, batch_size):
    images, labels = split.read(start, min(start + batch_size, split.count))
    if len(labels):
      yield adapt(images, resize_to, channels), np.asarray(labels, np.int32)
