"""Tests for datasets/tfds_catalog.py (`tfds:<name>`), offline on mock data."""

import re
import sys

import numpy as np
import pytest

from zoo import datasets
from zoo import install

tfds = pytest.importorskip("tensorflow_datasets")


@pytest.fixture
def mocked():
  with tfds.testing.mock_data(num_examples=6):
    yield


def test_mnist_through_tfds_has_its_classes_and_shapes(mocked):
  data = datasets.prepare("tfds:mnist")
  assert data.info.class_names == tuple(str(d) for d in range(10))
  assert data.info.image_shape == (28, 28, 1)
  assert "TensorFlow Datasets mnist/" in data.info.source
  images, labels = next(iter(data.load("test", batch_size=4)))
  assert images.shape == (4, 28, 28, 1) and images.dtype.name == "float32"
  assert labels.dtype.name == "int32"
  assert 0.0 <= float(np.min(images)) and float(np.max(images)) <= 1.0


def test_mnist_adapted_to_xception_size_and_channels(mocked):
  data = datasets.prepare("tfds:mnist", image_size=71, channels=3)
  assert data.info.image_shape == (71, 71, 3)
  images, _ = next(iter(data.load(
      "train", batch_size=2, normalize="symmetric",
      augment={"flip_left_right": True, "contrast": [0.5, 1.5]})))
  assert images.shape == (2, 71, 71, 3)
  images = images.numpy()
  np.testing.assert_array_equal(images[..., 0], images[..., 2])
  assert -1.0 <= images.min() and images.max() <= 1.0


def test_variable_size_images_and_split_slicing(mocked):
  data = datasets.prepare("tfds:tf_flowers", image_size=16, seed=3)
  assert data.info.class_names == ("dandelion", "daisy", "tulips",
                                   "sunflowers", "roses")
  assert data.num_examples("train[:80%]") == 6  # Mock data ignores slices.
  train = data.load("train[:80%]", batch_size=3, shuffle=True,
                    drop_remainder=True, augment={"brightness": 20})
  for images, labels in train:
    assert images.shape == (3, 16, 16, 3)
    assert set(labels.numpy().tolist()) <= set(range(5))
  grey = datasets.load("tfds:tf_flowers", "train[80%:]", image_size=8,
                       channels=1, batch_size=6)
  assert next(iter(grey))[0].shape == (6, 8, 8, 1)


def test_same_seed_same_batches(mocked):
  def first_batch():
    return next(iter(datasets.load(
        "tfds:tf_flowers", "train", image_size=8, batch_size=6, shuffle=True,
        seed=2, augment={"flip_left_right": True})))[0].numpy()
  np.testing.assert_array_equal(first_batch(), first_batch())


def test_missing_data_fails_fast_naming_the_prepare_command(tmp_path):
  with pytest.raises(datasets.DatasetError) as raised:
    datasets.info("tfds:tf_flowers", data_dir=str(tmp_path))
  message = str(raised.value)
  assert "\n" not in message and "not prepared" in message
  assert ("tfds.builder('tf_flowers', data_dir=" in message and
          "download_and_prepare()" in message)
  assert "tfds build tf_flowers" in message


def test_unknown_names_options_and_missing_package(tmp_path, monkeypatch):
  with pytest.raises(datasets.DatasetError, match="Did you mean.*tfds:mnist"):
    datasets.info("tfds:mnsit", data_dir=str(tmp_path))
  with pytest.raises(ValueError, match="slice a split"):
    datasets.info("tfds:mnist", data_dir=str(tmp_path),
                  validation_fraction=0.1)
  monkeypatch.setitem(sys.modules, "tensorflow_datasets", None)
  with pytest.raises(datasets.DatasetError, match=re.escape(install.pip_install("tfds"))):
    datasets.info("tfds:mnist")


@pytest.fixture
def strict_splits(mocked, monkeypatch):
  """Mock data whose as_dataset parses split specs as TFDS does."""
  mocked_as_dataset = tfds.core.DatasetBuilder.as_dataset

  def as_dataset(self, split=None, **kwargs):
    tfds.core.ReadInstruction.from_spec(split)  # Raises on a bad spec.
    dataset = mocked_as_dataset(self, split=split, **kwargs)
    return dataset.take(0) if split.endswith("[:0]") else dataset

  monkeypatch.setattr(tfds.core.DatasetBuilder, "as_dataset", as_dataset)


def test_bad_or_empty_split_specs_are_one_line_user_errors(strict_splits):
  data = datasets.prepare("tfds:mnist")
  for spec, reason in (("test[:abc]", "Unrecognized split format"),
                       ("test[:200%]", "should be in \\[-100, 100\\]")):
    with pytest.raises(datasets.DatasetError,
                       match=f"bad split '{re.escape(spec)}' \\(.*{reason}"
                       ) as raised:
      data.load(spec)
    assert "\n" not in str(raised.value)
  with pytest.raises(datasets.DatasetError, match="has no examples"):
    data.load("train[:0]")
  with pytest.raises(datasets.DatasetError, match="slice a split"):
    datasets.info("tfds:mnist", validation_fraction=0.1)
