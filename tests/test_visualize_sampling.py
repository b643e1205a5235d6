"""zoo.visualize.sampling: class-stratified samples of the evaluation split."""

import numpy as np
import pytest

from test_visualize import make_run, offline
from zoo.visualize import sampling


@pytest.fixture(autouse=True)
def _offline(monkeypatch, tmp_path_factory):
  offline(monkeypatch, tmp_path_factory)


def test_stratified_indices_cover_every_class():
  labels = np.repeat(np.arange(10), 150)  # Sorted by class.
  chosen = sampling.stratified_indices(labels, 25, seed=0)
  counts = np.bincount(labels[chosen], minlength=10)
  assert len(chosen) == 25 and len(set(chosen.tolist())) == 25
  assert counts.min() == 2 and counts.max() == 3
  assert (np.diff(chosen) > 0).all()  # Sorted.
  np.testing.assert_array_equal(chosen,
                                sampling.stratified_indices(labels, 25, 0))
  assert not np.array_equal(chosen, sampling.stratified_indices(labels, 25, 1))


def test_stratified_indices_small_classes_and_splits():
  labels = np.array([0] * 50 + [1] * 2 + [2] * 50)
  counts = np.bincount(labels[sampling.stratified_indices(labels, 30)])
  np.testing.assert_array_equal(counts, [14, 2, 14])  # Class 1 gives way.
  assert len(sampling.stratified_indices(labels[:3], 10)) == 3
  assert len(sampling.stratified_indices(labels, 0)) == 0


def test_eval_sample_has_every_class(tmp_path_factory):
  run = make_run(tmp_path_factory.getbasetemp())
  images, labels = sampling.eval_sample(run, 20, seed=0)
  assert images.shape == (20, 28, 28, 1) and images.dtype == np.float32
  np.testing.assert_array_equal(np.bincount(labels, minlength=10),
                                [2] * 10)
  assert -1.0 <= images.min() < images.max() <= 1.0
  all_labels = sampling.split_labels(run, "test")
  assert all_labels.shape == (1500,)
  again, _ = sampling.eval_sample(run, 20, seed=0)
  np.testing.assert_array_equal(images, again)
