"""Tests for the public entry points in datasets/_registry.py and helpers."""

import numpy as np
import pytest
import tensorflow as tf

from zoo import datasets


def test_list_and_unknown_names():
  assert datasets.list_datasets() == ["fashion_mnist", "flowers17",
                                      "image_folder", "mnist", "synthetic"]
  assert datasets.is_dataset_name("tfds:tf_flowers")
  assert not datasets.is_dataset_name("tfds:")
  with pytest.raises(ValueError, match="choose one of.*mnist.*tfds:<name>"):
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


def test_channels_are_converted_to_what_the_model_takes():
  from zoo.datasets import _pipeline  # pylint: disable=g-import-not-at-top
  grey = tf.constant([[[[10.0], [200.0]]]])  # [1, 1, 2, 1]
  rgb = _pipeline.convert_channels(grey, 3)
  np.testing.assert_array_equal(rgb.numpy()[0, 0], [[10.0] * 3, [200.0] * 3])
  np.testing.assert_allclose(_pipeline.convert_channels(rgb, 1).numpy(),
                             grey.numpy(), rtol=1e-3)
  mapped = tf.data.Dataset.from_tensor_slices(grey).map(
      lambda image: _pipeline.convert_channels(image, 3))
  assert next(iter(mapped)).shape == (1, 2, 3)
  assert _pipeline.convert_channels(grey, 1) is grey
  rgba = tf.constant([[[[1.0, 2.0, 3.0, 255.0]]]])
  np.testing.assert_array_equal(  # Alpha is dropped.
      _pipeline.convert_channels(rgba, 3).numpy(), [[[[1.0, 2.0, 3.0]]]])
  with pytest.raises(ValueError, match="4 channels are not supported"):
    _pipeline.convert_channels(rgb, 4)
  data = datasets.prepare("synthetic", channels=1, num_examples=4)
  images, _ = next(iter(data.load("train", batch_size=4)))
  assert images.shape[-1] == 1
  with pytest.raises(ValueError, match="channels must be None, 1 or 3"):
    datasets.prepare("mnist", channels=2)
