"""datasets/image_decode.py: Pillow decoding agrees with TensorFlow's."""

import io

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
