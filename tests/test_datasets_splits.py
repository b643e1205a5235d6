"""Tests for datasets/splits.py."""

import numpy as np
import pytest

from zoo.datasets import splits


def test_stratified_split_is_seeded_partition():
  labels = np.repeat(np.arange(5), 20)
  first, second = splits.stratified_split(labels, 0.15, seed=3)
  assert len(first) + len(second) == 100
  assert not set(first) & set(second)
  np.testing.assert_array_equal(np.bincount(labels[second]), [3] * 5)
  again = splits.stratified_split(labels, 0.15, seed=3)
  np.testing.assert_array_equal(second, again[1])
  other = splits.stratified_split(labels, 0.15, seed=4)
  assert not np.array_equal(second, other[1])


def test_small_classes_keep_one_and_fraction_range():
  first, second = splits.stratified_split(np.array([0, 0, 1, 1]), 0.1, 0)
  assert len(second) == 2 and len(first) == 2
  with pytest.raises(ValueError, match="fraction"):
    splits.stratified_split(np.array([0]), 1.0, 0)
