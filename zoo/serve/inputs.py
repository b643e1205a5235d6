"""Request bodies -> uint8 images, or one clear error.

TensorFlow Serving's REST body `{"instances": [...]}` holds, per image,
nested lists of pixel values (`[H][W][C]` or `[H][W]`, integers 0..255) or
`{"b64": "..."}`, an encoded image file. Uploads are image files. Files are
decoded by `zoo.predict.decode_image` (Pillow, its decompression-bomb
limit); every problem raises `InputError` with the HTTP status and one line
naming the problem and the fix.
"""

import base64
import binascii
import io
import json
from typing import Any, List

import numpy as np
from PIL import Image

from zoo import predict

#: Channel counts an image may have: grey, grey + alpha, RGB, RGBA. The
#: serving graph converts them to the model's own.
CHANNELS = (1, 2, 3, 4)


class InputError(Exception):
  """A request the server cannot answer: an HTTP status and a message."""

  def __init__(self, message: str, status: int = 400):
    super().__init__(message)
    self.status = status


def decode_file(data: bytes, channels: int, what: str) -> np.ndarray:
  """An encoded image file -> uint8 `[H, W, channels]`.

  Args:
    data: The file's bytes.
    channels: The model's channel count (1: grey, 3: RGB).
    what: How to name the image in the message ("instance 0", "a.png").
  """
  if not data:
    raise InputError(f"{what} is empty; send an image file (PNG, JPEG, ...).")
  try:
    # Pillow's own limit (not twice it): one request cannot take gigabytes.
    return predict.decode_image(io.BytesIO(data), channels,
                                max_pixels=Image.MAX_IMAGE_PIXELS)
  except predict.ImageReadError as e:
    raise InputError(f"{what}: {e}; send a complete PNG, JPEG or other "
                     "image file.") from None


def _pixels(value: Any, index: int) -> np.ndarray:
  """Nested lists of pixel values -> uint8 `[H, W, C]`."""
  what = f"instance {index}"
  try:
    array = np.asarray(value)
  except ValueError:
    raise InputError(f"{what} is ragged: every row must have the same "
                     "length and every pixel the same channels.") from None
  if array.dtype == object or array.dtype.kind not in "iuf":
    raise InputError(f"{what} holds {array.dtype.name} values; pixels must "
                     "be integers from 0 to 255 (uint8), or send "
                     '{"b64": "<base64 image file>"}.')
  if array.ndim == 2:
    array = array[..., np.newaxis]
  if array.ndim != 3 or min(array.shape) < 1:
    raise InputError(f"{what} has shape {list(array.shape)}; send "
                     "[height][width][channels] or [height][width] pixels.")
  if array.shape[-1] not in CHANNELS:
    raise InputError(f"{what} has {array.shape[-1]} channels; send 1 "
                     "(grey), 3 (RGB) or 4 (RGBA).")
  if array.dtype.kind == "f" and not np.all(np.isfinite(array) &
                                            (array == np.round(array))):
    raise InputError(f"{what} holds fractional pixel values; pixels must be "
                     "integers from 0 to 255 (uint8).")
  if array.size and (array.min() < 0 or array.max() > 255):
    raise InputError(f"{what} has pixel values outside 0..255; send uint8 "
                     "pixels.")
  return array.astype(np.uint8)


def instance_images(instances: Any, channels: int) -> List[np.ndarray]:
  """TensorFlow Serving's `instances` -> uint8 images `[H, W, C]`."""
  if not isinstance(instances, list) or not instances:
    raise InputError('"instances" must be a non-empty list of images.')
  images = []
  for index, instance in enumerate(instances):
    if isinstance(instance, dict):
      if set(instance) != {"b64"} or not isinstance(instance["b64"], str):
        raise InputError(f'instance {index} is an object; the only object '
                         'form is {"b64": "<base64 image file>"}.')
      try:
        data = base64.b64decode(instance["b64"], validate=True)
      except (binascii.Error, ValueError):
        raise InputError(f"instance {index}: b64 is not valid base64.") \
            from None
      images.append(decode_file(data, channels, f"instance {index}"))
    else:
      images.append(_pixels(instance, index))
  return images


def json_images(body: bytes, channels: int) -> List[np.ndarray]:
  """A `{"instances": [...]}` request body -> uint8 images."""
  try:
    request = json.loads(body)
  except (json.JSONDecodeError, UnicodeDecodeError):
    raise InputError('The body is not JSON; send {"instances": [...]}.') \
        from None
  except RecursionError:
    raise InputError("The JSON is nested too deeply; an image is "
                     "[height][width][channels] pixels.") from None
  if not isinstance(request, dict) or "instances" not in request:
    raise InputError('The body must be a JSON object with "instances": '
                     '{"instances": [image, ...]}.')
  return instance_images(request["instances"], channels)
