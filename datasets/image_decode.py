"""Decoding one image with Pillow, without TensorFlow.

    image = image_decode.decode("digit.png", channels=1)   # uint8 [H, W, 1]

The decoder of everything that reads images outside a tf.data pipeline:
`snt-zoo predict`, the server's uploads, and evaluating an export
(`Dataset.arrays`). Any mode becomes 8-bit grey or RGB the way TensorFlow's
`decode_image` does it: alpha is dropped (not composited), a palette is
expanded, and 16-bit samples keep their high byte (Pillow's own conversion
of a 16-bit PNG to "L" or "RGB" clips every value over 255 to white). PNG,
GIF, BMP and WebP pixels then equal TensorFlow's exactly; JPEG pixels differ
by a few levels, since TensorFlow's decoder uses libjpeg's fast integer IDCT
and Pillow's the accurate one.
"""

import os
import warnings
from typing import BinaryIO, Optional, Sequence, Union

import numpy as np
from PIL import Image
from PIL import UnidentifiedImageError

# Pillow modes of more than 8 bits per sample, read as their high byte.
_WIDE_MODES = ("I;16", "I;16B", "I;16L", "I;16N", "I")


def unsupported_format(name: str) -> str:
  """Why a file in a format TensorFlow does not decode is refused."""
  return (f"{name} image, which TensorFlow does not decode (it reads JPEG, "
          "PNG, GIF, BMP and WebP); convert it to JPEG or PNG")


class ImageReadError(Exception):
  """An input could not be read as an image; the message says why."""


def _to_8bit(image: Image.Image, channels: int) -> np.ndarray:
  """A decoded Pillow image as uint8 `[H, W]` (grey) or `[H, W, 3]`."""
  if image.mode in _WIDE_MODES:
    wide = np.clip(np.asarray(image, np.int64), 0, 65535)
    grey = (wide >> 8).astype(np.uint8)
    return grey if channels == 1 else np.repeat(grey[..., np.newaxis], 3, -1)
  if image.mode == "F":
    grey = np.clip(np.round(np.asarray(image, np.float64)), 0, 255)
    grey = grey.astype(np.uint8)
    return grey if channels == 1 else np.repeat(grey[..., np.newaxis], 3, -1)
  if image.mode in ("LA", "La"):
    image = image.getchannel(0)
  if image.mode == "PA":
    image = image.convert("RGBA")
  if image.mode == "P":
    # Expanding the palette first: its transparency (dropped below, as
    # TensorFlow drops alpha) would otherwise be warned about.
    image = image.convert("RGBA")
  return np.asarray(image.convert("L" if channels == 1 else "RGB"), np.uint8)


def decode(source: Union[os.PathLike, str, BinaryIO], channels: int = 3,
           max_pixels: Optional[int] = None,
           formats: Optional[Sequence[str]] = None) -> np.ndarray:
  """Decodes an image (a path or a binary file object) to uint8.

  Images over Pillow's `Image.MAX_IMAGE_PIXELS` limit (twice it: a
  decompression bomb) are refused before their pixels are decoded, and so
  are images over `max_pixels` when it is given (a server's tighter limit).
  An animation gives its first frame.

  Args:
    source: The file's path or an open binary file.
    channels: 1 (Pillow's "L" luma) or 3 (RGB).
    max_pixels: Refuse images with more pixels than this.
    formats: Refuse formats not in this list (Pillow's names, e.g. "PNG"):
      a dataset read as TensorFlow reads it refuses what TensorFlow cannot
      decode, so both readers keep and split the same files.

  Returns:
    uint8 `[H, W, channels]`.

  Raises:
    ImageReadError: Saying why, if the data is not an image or is truncated.
  """
  if channels not in (1, 3):
    raise ValueError(f"channels must be 1 or 3, got {channels!r}.")
  try:
    with warnings.catch_warnings():
      # Between Pillow's two limits an image decodes; only the error counts.
      warnings.simplefilter("ignore", Image.DecompressionBombWarning)
      with Image.open(source) as image:
        width, height = image.size
        if max_pixels is not None and width * height > max_pixels:
          raise ImageReadError(
              f"too large: {width}x{height} pixels, over the limit of "
              f"{max_pixels:,}; send a smaller image")
        if formats is not None and image.format not in formats:
          raise ImageReadError(unsupported_format(image.format))
        if width < 1 or height < 1:
          raise ImageReadError("image has no pixels")
        array = _to_8bit(image, channels)
  except UnidentifiedImageError:
    raise ImageReadError("not an image file Pillow can read") from None
  except Image.DecompressionBombError as e:
    raise ImageReadError(f"too large to decode safely ({e})") from None
  except (OSError, ValueError, SyntaxError) as e:
    raise ImageReadError(f"cannot read the image ({e})") from None
  if array.ndim == 2:
    array = array[..., np.newaxis]
  return array
