"""Tests for datasets/flowers17.py on a generated 17-class JPEG tree."""

import numpy as np
import pytest
import scipy.io
from PIL import Image

from zoo import datasets
from zoo.datasets import flowers17

_PER_CLASS = 3


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
  monkeypatch.setenv("SNT_ZOO_CACHE", str(tmp_path / "cache"))
  monkeypatch.setenv("SNT_ZOO_DATA_URL", "http://127.0.0.1:9/")


def _indices():
  return [c * 80 + k + 1 for c in range(17) for k in range(_PER_CLASS)]


@pytest.fixture
def tree(tmp_path):
  """Three small JPEGs per class, in the official naming, plus strays."""
  root = tmp_path / "flowers17"
  (root / "jpg").mkdir(parents=True)
  rng = np.random.default_rng(0)
  for index in _indices():
    pixels = rng.integers(0, 256, (24, 32, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(root / "jpg" / f"image_{index:04d}.jpg")
  (root / "jpg" / "files.txt").write_text("stray")
  (root / "jpg" / "notes.jpg").write_bytes(b"stray")
  return root


def _replace(root, index, image, fmt="JPEG"):
  image.save(root / "jpg" / f"image_{index:04d}.jpg", format=fmt)


def test_labels_split_and_info(tree):
  info = datasets.info("flowers17", data_dir=str(tree), image_size=16)
  assert info.class_names[0] == "Daffodil" and len(info.class_names) == 17
  assert info.image_shape == (16, 16, 3)
  assert sum(info.num_examples.values()) == 17 * _PER_CLASS
  assert info.num_examples["test"] == 17  # round(0.2 * 3) = 1 per class.
  assert any("missing" in note for note in info.notes)
  assert flowers17.label_of(80) == 0 and flowers17.label_of(81) == 1
  assert flowers17.label_of(1360) == 16


def test_pipeline_shapes_odd_modes_and_normalisation(tree):
  rng = np.random.default_rng(1)
  rgb = Image.fromarray(rng.integers(0, 256, (20, 30, 3), dtype=np.uint8))
  _replace(tree, 1, rgb.convert("L"))
  _replace(tree, 2, rgb.convert("CMYK"))
  _replace(tree, 3, rgb.convert("RGBA"), fmt="PNG")  # PNG with a .jpg name.
  _replace(tree, 81, rgb.convert("P"), fmt="PNG")
  dataset = datasets.load("flowers17", "train", data_dir=str(tree),
                          image_size=12, normalize="symmetric",
                          split_ratio=1.0, batch_size=10,
                          drop_remainder=True)
  batches = list(dataset.as_numpy_iterator())
  assert len(batches) == 5
  for images, labels in batches:
    assert images.shape == (10, 12, 12, 3) and images.dtype == np.float32
    assert labels.dtype == np.int32
    assert images.min() >= -1.0 and images.max() <= 1.0
  labels = np.concatenate([b[1] for b in batches])
  assert sorted(set(labels.tolist())) == list(range(17))


def test_seeded_shuffle_augment_deterministic(tree):
  options = dict(data_dir=str(tree), image_size=8, shuffle=True, seed=4,
                 batch_size=8, augment={"flip_left_right": True,
                                        "brightness": 63,
                                        "contrast": [0.2, 1.8]})
  a = [b for b in datasets.load("flowers17", "train", **options)
       .as_numpy_iterator()]
  b = [b for b in datasets.load("flowers17", "train", **options)
       .as_numpy_iterator()]
  for (xa, ya), (xb, yb) in zip(a, b):
    np.testing.assert_array_equal(xa, xb)
    np.testing.assert_array_equal(ya, yb)
  info_a = datasets.info("flowers17", data_dir=str(tree), seed=1)
  info_b = datasets.info("flowers17", data_dir=str(tree), seed=1)
  assert info_a == info_b


def test_datasplits_mat(tree):
  indices = np.asarray(_indices())
  scipy.io.savemat(tree / "datasplits.mat", {
      f"{prefix}{k}": indices[offset::3][None, :]
      for k in (1, 2, 3)
      for prefix, offset in (("trn", 0), ("val", 1), ("tst", 2))})
  info = datasets.info("flowers17", data_dir=str(tree), split_index=2)
  assert info.num_examples == {"train": 17, "validation": 17, "test": 17}
  assert "datasplits.mat split 2" in info.source
  labels = [int(l) for _, l in datasets.load(
      "flowers17", "test", data_dir=str(tree), image_size=4)]
  assert labels == [flowers17.label_of(i) for i in indices[2::3]]
  with pytest.raises(ValueError, match="split_index"):
    datasets.info("flowers17", data_dir=str(tree), split_index=4)
  info = datasets.info("flowers17", data_dir=str(tree), split_index=0)
  assert "validation" not in info.num_examples


def test_corrupt_image_error_or_skip(tree):
  bad = tree / "jpg" / "image_0082.jpg"
  bad.write_bytes(bad.read_bytes()[:200])  # Truncated JPEG.
  (tree / "jpg" / "image_0083.jpg").write_bytes(b"garbage, not an image")
  with pytest.raises(datasets.DatasetError,
                     match="2 corrupt image.*image_0082.jpg.*on_corrupt"):
    datasets.info("flowers17", data_dir=str(tree))
  info = datasets.info("flowers17", data_dir=str(tree), on_corrupt="skip",
                       split_ratio=1.0)
  assert info.num_examples["train"] == 17 * _PER_CLASS - 2
  assert any("skipped 2 corrupt" in note for note in info.notes)
  count = sum(1 for _ in datasets.load("flowers17", "train",
                                       data_dir=str(tree), image_size=4,
                                       on_corrupt="skip", split_ratio=1.0))
  assert count == 17 * _PER_CLASS - 2
  with pytest.raises(ValueError, match="on_corrupt"):
    datasets.info("flowers17", data_dir=str(tree), on_corrupt="ignore")


def test_extra_images_and_empty_directory(tree, tmp_path):
  Image.new("RGB", (8, 8)).save(tree / "jpg" / "image_1400.jpg")
  info = datasets.info("flowers17", data_dir=str(tree))
  assert any("image_1400.jpg" in note for note in info.notes)
  (tmp_path / "empty").mkdir()
  with pytest.raises(datasets.DatasetError, match="no Flowers17 images"):
    datasets.info("flowers17", data_dir=str(tmp_path / "empty"))
  with pytest.raises(datasets.DatasetError, match="snt-zoo fetch flowers17"):
    datasets.info("flowers17")
