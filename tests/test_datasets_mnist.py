"""Tests for datasets/mnist.py: sources, the bundled sample and pipelines."""

import logging

import numpy as np
import pytest

from zoo import datasets
from zoo.datasets import idx
from zoo.datasets import mnist


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
  monkeypatch.setenv("SNT_ZOO_CACHE", str(tmp_path / "cache"))
  monkeypatch.setenv("SNT_ZOO_DATA_URL", "http://127.0.0.1:9/")
  monkeypatch.delenv("SNT_ZOO_OFFLINE", raising=False)
  monkeypatch.setattr(mnist, "_FAILED_DOWNLOADS", {})
  monkeypatch.setattr(mnist, "_NOTIFIED", set())


def _write_tiny(directory, n_train=20, n_test=10):
  directory.mkdir(parents=True, exist_ok=True)
  rng = np.random.default_rng(0)
  for split, count in (("train", n_train), ("test", n_test)):
    image_stem, label_stem = idx.SPLIT_FILES[split]
    idx.write_idx(str(directory / (image_stem + ".gz")),
                  rng.integers(0, 256, (count, 28, 28), dtype=np.uint8))
    idx.write_idx(str(directory / (label_stem + ".gz")),
                  (np.arange(count) % 10).astype(np.uint8))


def test_bundled_sample_contents():
  arrays = idx.read_npz(str(mnist.SAMPLE_PATH))
  labels = np.concatenate([arrays["train"][1], arrays["test"][1]])
  assert len(labels) == 10_000
  assert len(arrays["test"][1]) == 1500
  counts = np.bincount(labels)
  assert counts.tolist() == [1001, 1127, 991, 1032, 980, 863, 1014, 1070,
                             944, 978]
  assert arrays["train"][0].dtype == np.uint8


def test_offline_falls_back_to_sample_with_one_notice(caplog):
  with caplog.at_level(logging.WARNING):
    info = datasets.info("mnist")
    datasets.info("mnist")
  assert info.source == mnist.SAMPLE_SOURCE
  assert "not full MNIST" in info.source
  assert info.num_examples == {"train": 8500, "test": 1500}
  notices = [r for r in caplog.records if "bundled sample" in r.getMessage()]
  assert len(notices) == 1


def test_directory_and_cache_sources(tmp_path):
  _write_tiny(tmp_path / "raw")
  info = datasets.info("mnist", data_dir=str(tmp_path / "raw"))
  assert info.source.startswith("directory ")
  assert info.num_examples == {"train": 20, "test": 10}
  _write_tiny(tmp_path / "cache" / "fashion_mnist")
  info = datasets.info("fashion_mnist")
  assert info.source.startswith("cache ")
  assert info.class_names[0] == "T-shirt/top"


def test_fashion_mnist_offline_is_clear_error():
  with pytest.raises(datasets.DatasetError, match="snt-zoo fetch fashion_mnist"):
    datasets.info("fashion_mnist")


def test_pipeline_shapes_and_ranges(tmp_path):
  _write_tiny(tmp_path / "raw")
  dataset = datasets.load("mnist", "train", data_dir=str(tmp_path / "raw"),
                          batch_size=8, drop_remainder=True,
                          normalize="symmetric")
  batches = list(dataset.as_numpy_iterator())
  assert len(batches) == 2
  images, labels = batches[0]
  assert images.shape == (8, 28, 28, 1) and images.dtype == np.float32
  assert labels.dtype == np.int32
  assert images.min() >= -1.0 and images.max() <= 1.0
  single = next(iter(datasets.load("mnist", "test",
                                   data_dir=str(tmp_path / "raw"),
                                   image_size=14)))
  assert single[0].shape == (14, 14, 1) and single[1].shape == ()


def test_validation_fraction_and_determinism(tmp_path):
  _write_tiny(tmp_path / "raw", n_train=40)
  options = dict(data_dir=str(tmp_path / "raw"), validation_fraction=0.25,
                 shuffle=True, batch_size=5, seed=3,
                 augment={"flip_left_right": True, "brightness": 63})
  info = datasets.info("mnist", **options)
  assert info.num_examples["validation"] == 10
  assert info.num_examples["train"] == 30
  first = [b[0] for b in datasets.load("mnist", "train", **options)]
  second = [b[0] for b in datasets.load("mnist", "train", **options)]
  for a, b in zip(first, second):
    np.testing.assert_array_equal(a, b)
  with pytest.raises(ValueError, match="validation_fraction"):
    datasets.load("mnist", "validation", data_dir=str(tmp_path / "raw"))


def test_missing_data_dir():
  with pytest.raises(datasets.DatasetError, match="does not exist"):
    datasets.info("mnist", data_dir="/nonexistent/mnist")
