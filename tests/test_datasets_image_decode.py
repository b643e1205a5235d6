"""datasets/image_decode.py: Pillow decoding agrees with TensorFlow's."""

import io
import struct
import zlib

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from zoo.datasets import image_decode


def _smooth_rgb(size=(24, 33)):
  """A smooth image: JPEG artefacts stay small, as in photographs."""
  y, x = np.mgrid[0:size[0], 0:size[1]]
  return np.stack([x * 7 % 256, y * 9 % 256, (x + y) * 3 % 256],
                  -1).astype(np.uint8)


def _encoded(image, fmt, **kwargs):
  buffer = io.BytesIO()
  image.save(buffer, format=fmt, **kwargs)
  return buffer.getvalue()


def _cases():
  rgb = Image.fromarray(_smooth_rgb())
  palette = rgb.convert("P")
  palette.info["transparency"] = 3
  wide = (np.arange(24 * 33, dtype=np.uint32).reshape(24, 33) * 83) % 65536
  return {
      "png_rgb": _encoded(rgb, "PNG"),
      "png_grey": _encoded(rgb.convert("L"), "PNG"),
      "png_grey_alpha": _encoded(rgb.convert("LA"), "PNG"),
      "png_rgba": _encoded(rgb.convert("RGBA"), "PNG"),
      "png_palette_transparent": _encoded(palette, "PNG"),
      "png_16_bit_grey": _encoded(Image.fromarray(wide.astype(np.uint16)),
                                  "PNG"),
      "png_1_bit": _encoded(rgb.convert("1"), "PNG"),
      "gif": _encoded(rgb.convert("P"), "GIF"),
      "bmp": _encoded(rgb, "BMP"),
      "webp_lossless": _encoded(rgb, "WEBP", lossless=True),
  }


@pytest.mark.parametrize("name", sorted(_cases()))
def test_lossless_formats_equal_tensorflow(name):
  data = _cases()[name]
  expected = tf.io.decode_image(data, channels=3,
                                expand_animations=False).numpy()
  np.testing.assert_array_equal(image_decode.decode(io.BytesIO(data)),
                                expected)


def test_sixteen_bit_png_keeps_its_high_byte():
  # Pillow's own conversion turns every value over 255 into white.
  wide = np.array([[0, 255, 256, 4096, 40000, 65535]], np.uint16)
  decoded = image_decode.decode(io.BytesIO(_encoded(Image.fromarray(wide),
                                                    "PNG")), channels=1)
  assert decoded[0, :, 0].tolist() == [0, 0, 1, 16, 156, 255]


@pytest.mark.parametrize("mode", ["RGB", "L", "CMYK"])
def test_jpeg_is_within_a_few_levels_of_tensorflow(mode):
  data = _encoded(Image.fromarray(_smooth_rgb()).convert(mode), "JPEG",
                  quality=90)
  expected = tf.io.decode_image(data, channels=3).numpy().astype(int)
  decoded = image_decode.decode(io.BytesIO(data)).astype(int)
  assert decoded.shape == expected.shape
  # Different IDCTs (TensorFlow: libjpeg's fast integer one).
  assert np.abs(decoded - expected).max() <= 8
  assert np.abs(decoded - expected).mean() < 1.5


def test_grey_and_channels():
  data = _encoded(Image.fromarray(_smooth_rgb()), "PNG")
  assert image_decode.decode(io.BytesIO(data), channels=1).shape == (24, 33, 1)
  with pytest.raises(ValueError, match="channels must be 1 or 3"):
    image_decode.decode(io.BytesIO(data), channels=4)


@pytest.mark.parametrize("data,reason", [
    (b"", "not an image file"),
    (b"hello, world", "not an image file"),
    (_encoded(Image.fromarray(_smooth_rgb()), "PNG")[:80], "cannot read"),
])
def test_bad_data_is_one_reason(data, reason):
  with pytest.raises(image_decode.ImageReadError, match=reason):
    image_decode.decode(io.BytesIO(data))


def test_pixel_limit():
  data = _encoded(Image.fromarray(_smooth_rgb()), "PNG")
  with pytest.raises(image_decode.ImageReadError, match="too large: 33x24"):
    image_decode.decode(io.BytesIO(data), max_pixels=100)


def _chunk(kind, data):
  return (struct.pack(">I", len(data)) + kind + data +
          struct.pack(">I", zlib.crc32(kind + data)))


def _bmp(bits, compression, rows, width, height, palette=b""):
  header = struct.pack("<IiiHHIIiiII", 40, width, height, 1, bits,
                       compression, len(rows), 2835, 2835,
                       len(palette) // 4, 0)
  offset = 14 + 40 + len(palette)
  return (b"BM" + struct.pack("<IHHI", offset + len(rows), 0, 0, offset) +
          header + palette + rows)


def _edge_cases():
  """Files where Pillow's and TensorFlow's defaults part ways."""
  rgb = Image.fromarray(_smooth_rgb())
  png = _encoded(rgb, "PNG")
  idat = png.index(b"IDAT")
  bad_idat = bytearray(png)
  bad_idat[idat + 4 + struct.unpack(">I", png[idat - 4:idat])[0]] ^= 0xFF
  text = _chunk(b"tEXt", b"Comment\x00hello")
  bad_text = png[:idat - 4] + text[:-1] + bytes([text[-1] ^ 0xFF]) + (
      png[idat - 4:])
  grey_palette = b"".join(bytes([i, i, i, 0]) for i in range(256))
  rle_rows = b"".join(bytes([8, y * 9]) + b"\x00\x00" for y in range(6))
  sixteen = b"".join(struct.pack("<H", (x << 10) | (y << 5) | 7)
                     for y in range(6) for x in range(8))
  transparent = rgb.quantize(16)
  small = _encoded(Image.fromarray(_smooth_rgb((4, 4))).quantize(8), "GIF")
  offset = bytearray(small)
  offset[6:10] = struct.pack("<HH", 8, 8)  # An 8x8 screen ...
  at = offset.index(b"\x2c", 13)          # ... and the frame at (2, 2).
  offset[at + 1:at + 5] = struct.pack("<HH", 2, 2)
  return {
      "png_bad_idat_checksum": bytes(bad_idat),
      "png_bad_text_checksum": bad_text,
      "png_without_iend": png[:-12],
      "png_trailing_bytes": png + b"garbage",
      "bmp_1_bit": _encoded(rgb.convert("1"), "BMP"),
      "bmp_16_bit": _bmp(16, 0, sixteen, 8, 6),
      "bmp_rle8": _bmp(8, 1, rle_rows + b"\x00\x01", 8, 6, grey_palette),
      "bmp_8_bit_palette": _encoded(rgb.quantize(16), "BMP"),
      "gif_transparent": _encoded(transparent, "GIF", transparency=0),
      "gif_frame_offset": bytes(offset),
  }


@pytest.mark.parametrize("name", sorted(_edge_cases()))
def test_like_tensorflow_accepts_and_decodes_as_tensorflow(name):
  data = _edge_cases()[name]
  try:
    expected = tf.io.decode_image(data, channels=3,
                                  expand_animations=False).numpy()
  except (tf.errors.OpError, ValueError):
    expected = None
  try:
    decoded = image_decode.decode(io.BytesIO(data), like_tensorflow=True)
  except image_decode.ImageReadError:
    decoded = None
  assert (decoded is None) == (expected is None), name
  if expected is not None:
    np.testing.assert_array_equal(decoded, expected)
