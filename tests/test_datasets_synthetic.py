"""Tests for datasets/synthetic.py."""

import numpy as np
import pytest

from zoo import datasets


def test_synthetic_shapes_and_source():
  info = datasets.info("synthetic", image_size=32, channels=3)
  assert info.image_shape == (32, 32, 3)
  assert "synthetic" in info.source and "not real" in info.source
  dataset = datasets.load("synthetic", "train", image_size=32, channels=3,
                          batch_size=4, repeat=True, num_examples=8)
  for images, labels in dataset.take(3):
    assert images.shape == (4, 32, 32, 3) and images.dtype.name == "float32"
    assert labels.shape == (4,) and labels.dtype.name == "int32"


def test_synthetic_is_seeded_and_options_checked():
  a = next(iter(datasets.load("synthetic", "test", seed=1, batch_size=2)))
  b = next(iter(datasets.load("synthetic", "test", seed=1, batch_size=2)))
  np.testing.assert_array_equal(a[0], b[0])
  with pytest.raises(ValueError, match="Unknown option"):
    datasets.load("mnist", "train", num_classes=3)
