"""Tests for datasets/idx.py: IDX and npz reading and validation."""

import gzip

import numpy as np
import pytest

from zoo.datasets import idx
from zoo.datasets.errors import DatasetError


def _write_split_files(directory, n_train=6, n_test=4, gz=False):
  rng = np.random.default_rng(0)
  suffix = ".gz" if gz else ""
  data = {}
  for split, count in (("train", n_train), ("test", n_test)):
    images = rng.integers(0, 256, (count, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, count).astype(np.uint8)
    image_stem, label_stem = idx.SPLIT_FILES[split]
    idx.write_idx(str(directory / (image_stem + suffix)), images)
    idx.write_idx(str(directory / (label_stem + suffix)), labels)
    data[split] = (images, labels)
  return data


@pytest.mark.parametrize("gz", [False, True])
def test_round_trip_directory(tmp_path, gz):
  expected = _write_split_files(tmp_path, gz=gz)
  got = idx.read_idx_directory(str(tmp_path))
  for split in ("train", "test"):
    np.testing.assert_array_equal(got[split][0], expected[split][0])
    np.testing.assert_array_equal(got[split][1], expected[split][1])


def test_truncated_file_names_file(tmp_path):
  _write_split_files(tmp_path)
  path = tmp_path / "train-images-idx3-ubyte"
  path.write_bytes(path.read_bytes()[:-100])
  with pytest.raises(DatasetError, match="train-images-idx3-ubyte.*truncated"):
    idx.read_idx_directory(str(tmp_path))


def test_bad_magic(tmp_path):
  path = tmp_path / "x-idx1-ubyte"
  path.write_bytes(b"\x01\x02\x08\x01" + b"\x00" * 8)
  with pytest.raises(DatasetError, match="magic number"):
    idx.read_idx(str(path))


def test_unsupported_type_and_short_header(tmp_path):
  path = tmp_path / "float-idx"
  path.write_bytes(b"\x00\x00\x0d\x01\x00\x00\x00\x01" + b"\x00" * 4)
  with pytest.raises(DatasetError, match="type code 0x0d"):
    idx.read_idx(str(path))
  path.write_bytes(b"\x00\x00")
  with pytest.raises(DatasetError, match="too short"):
    idx.read_idx(str(path))


def test_count_mismatch(tmp_path):
  _write_split_files(tmp_path)
  idx.write_idx(str(tmp_path / "t10k-labels-idx1-ubyte"),
                np.zeros([3], np.uint8))
  with pytest.raises(DatasetError, match="4 images but .*3 labels"):
    idx.read_idx_directory(str(tmp_path))


def test_label_out_of_range(tmp_path):
  _write_split_files(tmp_path)
  idx.write_idx(str(tmp_path / "t10k-labels-idx1-ubyte"),
                np.full([4], 12, np.uint8))
  with pytest.raises(DatasetError, match="label 12 is out of range"):
    idx.read_idx_directory(str(tmp_path))


def test_missing_file_names_fix(tmp_path):
  _write_split_files(tmp_path)
  (tmp_path / "t10k-images-idx3-ubyte").unlink()
  with pytest.raises(DatasetError, match="missing t10k-images.*snt-zoo fetch"):
    idx.read_idx_directory(str(tmp_path))


def test_corrupt_gzip(tmp_path):
  path = tmp_path / "train-labels-idx1-ubyte.gz"
  path.write_bytes(gzip.compress(b"\x00\x00\x08\x01" + b"\x00" * 20)[:15])
  with pytest.raises(DatasetError, match="train-labels-idx1-ubyte.gz"):
    idx.read_idx(str(path))


def test_npz(tmp_path):
  rng = np.random.default_rng(1)
  arrays = {"x_train": rng.integers(0, 256, (5, 28, 28), dtype=np.uint8),
            "y_train": np.arange(5, dtype=np.uint8),
            "x_test": rng.integers(0, 256, (2, 28, 28), dtype=np.uint8),
            "y_test": np.arange(2, dtype=np.uint8)}
  np.savez(tmp_path / "mnist.npz", **arrays)
  got = idx.read_npz(str(tmp_path / "mnist.npz"))
  np.testing.assert_array_equal(got["train"][0], arrays["x_train"])
  del arrays["y_test"]
  np.savez(tmp_path / "bad.npz", **arrays)
  with pytest.raises(DatasetError, match="missing arrays.*y_test"):
    idx.read_npz(str(tmp_path / "bad.npz"))
  (tmp_path / "junk.npz").write_bytes(b"not a zip")
  with pytest.raises(DatasetError, match="junk.npz"):
    idx.read_npz(str(tmp_path / "junk.npz"))
