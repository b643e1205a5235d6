"""Tests for the public entry points in datasets/_registry.py and helpers."""

import numpy as np
import pytest
import tensorflow as tf

from zoo import datasets


def test_list_and_unknown_names():
  assert datasets.list_datasets() == ["fashion_mnist", "flowers17", "mnist",
                                      "synthetic"]
  with pytest.raises(ValueError, match="choose one of.*mnist"):
    datasets.load("cifar10", "train")
  with pytest.raises(ValueError, match="valid options are.*data_dir"):
    datasets.info("synthetic", batchsize=3)
  with pytest.raises(ValueError, match="normalize"):
    datasets.load("synthetic", "train", normalize="imagenet")
  with pytest.raises(ValueError, match="Unknown split"):
    datasets.load("synthetic", "dev")


def test_normalize_and_denormalize_round_trip():
  images = tf.constant([[0.0, 127.5, 255.0]])
  for mode, expected in (("unit", [0.0, 0.5, 1.0]),
                         ("symmetric", [-1.0, 0.0, 1.0])):
    normalized = datasets.normalize(images, mode)
    np.testing.assert_allclose(normalized[0], expected, atol=1e-6)
    np.testing.assert_allclose(datasets.denormalize(normalized, mode)[0],
                               [0.0, 0.5, 1.0], atol=1e-6)


def test_same_seed_same_batches_across_epochs():
  options = dict(batch_size=4, shuffle=True, repeat=True, seed=5,
                 num_examples=8, augment={"contrast": [0.2, 1.8]})
  first = [b[0].numpy() for b in datasets.load("synthetic", "train",
                                               **options).take(4)]
  second = [b[0].numpy() for b in datasets.load("synthetic", "train",
                                                **options).take(4)]
  for a, b in zip(first, second):
    np.testing.assert_array_equal(a, b)
  other = next(iter(datasets.load("synthetic", "train",
                                  **dict(options, seed=6))))[0].numpy()
  assert not np.array_equal(first[0], other)
