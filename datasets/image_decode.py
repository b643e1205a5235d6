"""Decoding one image with Pillow, without TensorFlow.

    image = image_decode.decode("digit.png", channels=1)   # uint8 [H, W, 1]

The decoder of everything that reads images outside a tf.data pipeline:
`snt-zoo predict`, the server's uploads, and evaluating an export
(`Dataset.arrays`). Any mode becomes 8-bit grey or RGB the way TensorFlow's
`decode_image` does it: alpha is dropped (not composited), a palette is
expanded, and 16-bit samples keep their high byte (Pillow's own conversion
of a 16-bit PNG to "L" or "RGB" clips every value over 255 to white).

`like_tensorflow=True` (how datasets read their files without TensorFlow)
also accepts exactly the files TensorFlow accepts and gives its pixels:
only JPEG, PNG, GIF, BMP and WebP; a PNG with a bad checksum on a critical
chunk or without IEND is refused and an ancillary chunk with a bad checksum
ignored (libpng's rules); BMPs only uncompressed at 8, 24 or 32 bits, an
8-bit one read as its palette indices; a GIF's transparent pixels black and
its first frame at the frame's own size. PNG, GIF, BMP and WebP pixels then
equal TensorFlow's exactly; JPEG pixels differ by a few levels, since
TensorFlow's decoder uses libjpeg's fast integer IDCT and Pillow the
accurate one. Left different: images between Pillow's decompression-bomb
limit (twice `Image.MAX_IMAGE_PIXELS`) and TensorFlow's (2**31 bytes
decoded) are refused here.
"""

import io
import os
import warnings
import zlib
from typing import BinaryIO, Optional, Union

import numpy as np
from PIL import Image
from PIL import UnidentifiedImageError

# Pillow modes of more than 8 bits per sample, read as their high byte.
_WIDE_MODES = ("I;16", "I;16B", "I;16L", "I;16N", "I")

#: The formats TensorFlow's `decode_image` reads, as Pillow names them.
TENSORFLOW_FORMATS = ("JPEG", "MPO", "PNG", "GIF", "BMP", "WEBP")
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# BMP (bits per pixel, compression) pairs TensorFlow decodes: uncompressed
# (BI_RGB) or bit fields, with 1, 3 or 4 bytes per pixel.
_TENSORFLOW_BMP_BITS = (8, 24, 32)
_TENSORFLOW_BMP_COMPRESSION = (0, 3)


def unsupported_format(name: str) -> str:
  """Why a file in a format TensorFlow does not decode is refused."""
  return (f"{name} image, which TensorFlow does not decode (it reads JPEG, "
          "PNG, GIF, BMP and WebP); convert it to JPEG or PNG")


class ImageReadError(Exception):
  """An input could not be read as an image; the message says why."""


def _png_as_libpng_reads(data: bytes) -> bytes:
  """PNG bytes with libpng's checksum rules applied (what TensorFlow reads).

  Raises:
    ImageReadError: A critical chunk with a bad checksum, a chunk cut short,
      or no IEND chunk.
  """
  kept, position = [_PNG_SIGNATURE], len(_PNG_SIGNATURE)
  while position + 12 <= len(data):
    length = int.from_bytes(data[position:position + 4], "big")
    kind = data[position + 4:position + 8]
    end = position + 12 + length
    if end > len(data):
      break
    checksum = int.from_bytes(data[end - 4:end], "big")
    if zlib.crc32(data[position + 4:end - 4]) != checksum:
      if kind[:1].isupper():  # Critical: libpng stops.
        raise ImageReadError(
            f"corrupt PNG data (a bad checksum in its "
            f"{kind.decode('latin-1')!r} chunk)")
    else:  # An ancillary chunk with a bad checksum is ignored.
      kept.append(data[position:end])
    position = end
    if kind == b"IEND":
      return b"".join(kept)
  raise ImageReadError("corrupt or truncated PNG data (no IEND chunk)")


def _check_bmp(data: bytes) -> None:
  """Refuses the BMPs TensorFlow refuses (compressed, 1/4/16 bits)."""
  bits = int.from_bytes(data[28:30], "little") if len(data) >= 34 else 0
  compression = int.from_bytes(data[30:34], "little") if len(data) >= 34 else 0
  if bits not in _TENSORFLOW_BMP_BITS or (
      compression not in _TENSORFLOW_BMP_COMPRESSION):
    raise ImageReadError(
        f"BMP with {bits} bits per pixel (compression {compression}), which "
        "TensorFlow does not decode (it reads uncompressed 8, 24 and 32-bit "
        "BMPs); convert it to PNG")


def _like_tensorflow(image: Image.Image) -> Image.Image:
  """The first frame of a GIF or an 8-bit BMP as TensorFlow decodes it."""
  if image.format == "BMP" and image.mode == "P":
    # TensorFlow reads the palette indices as grey levels.
    return Image.fromarray(np.asarray(image, np.uint8), "L")
  if image.format == "GIF":
    left, top, right, bottom = (getattr(image, "dispose_extent", None) or
                                (0, 0, *image.size))
    pixels = np.asarray(image.convert("RGB"), np.uint8).copy()
    transparent = image.info.get("transparency")
    if image.mode == "P" and transparent is not None:
      pixels[np.asarray(image) == transparent] = 0  # TensorFlow: black.
    # TensorFlow's canvas is the first frame's size, the frame drawn at its
    # offset in it (clipped) over black.
    width, height = right - left, bottom - top
    canvas = np.zeros([height, width, 3], np.uint8)
    canvas[top:, left:] = pixels[top:bottom, left:right][:max(height - top, 0),
                                                         :max(width - left, 0)]
    return Image.fromarray(canvas, "RGB")
  return image


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


def _as_tensorflow_reads(source: Union[os.PathLike, str, BinaryIO]
                         ) -> BinaryIO:
  """The bytes of `source` with TensorFlow's PNG and BMP rules applied."""
  if hasattr(source, "read"):
    data = source.read()
  else:
    with open(source, "rb") as f:
      data = f.read()
  if data.startswith(_PNG_SIGNATURE):
    data = _png_as_libpng_reads(data)
  elif data.startswith(b"BM"):
    _check_bmp(data)
  return io.BytesIO(data)


def decode(source: Union[os.PathLike, str, BinaryIO], channels: int = 3,
           max_pixels: Optional[int] = None,
           like_tensorflow: bool = False) -> np.ndarray:
  """Decodes an image (a path or a binary file object) to uint8.

  Images over Pillow's `Image.MAX_IMAGE_PIXELS` limit (twice it: a
  decompression bomb) are refused before their pixels are decoded, and so
  are images over `max_pixels` when it is given (a server's tighter limit).
  An animation gives its first frame.

  Args:
    source: The file's path or an open binary file.
    channels: 1 (Pillow's "L" luma) or 3 (RGB).
    max_pixels: Refuse images with more pixels than this.
    like_tensorflow: Accept exactly the files TensorFlow accepts, with its
      pixels (see the module): a dataset read without TensorFlow keeps,
      splits and sees the same files as its tf.data pipeline.

  Returns:
    uint8 `[H, W, channels]`.

  Raises:
    ImageReadError: Saying why, if the data is not an image or is truncated.
  """
  if channels not in (1, 3):
    raise ValueError(f"channels must be 1 or 3, got {channels!r}.")
  try:
    if like_tensorflow:
      source = _as_tensorflow_reads(source)
    with warnings.catch_warnings():
      # Between Pillow's two limits an image decodes; only the error counts.
      warnings.simplefilter("ignore", Image.DecompressionBombWarning)
      with Image.open(source) as image:
        width, height = image.size
        if max_pixels is not None and width * height > max_pixels:
          raise ImageReadError(
              f"too large: {width}x{height} pixels, over the limit of "
              f"{max_pixels:,}; send a smaller image")
        if like_tensorflow:
          if image.format not in TENSORFLOW_FORMATS:
            raise ImageReadError(unsupported_format(image.format))
          image = _like_tensorflow(image)
          width, height = image.size
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
