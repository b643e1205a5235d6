"""datasets/arrays.py and `Dataset.arrays`: the tf.data pipeline's examples,
in NumPy, without TensorFlow."""

import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from zoo import datasets
from zoo.datasets import arrays
from zoo.datasets import dataset_info


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
  monkeypatch.setenv("SNT_ZOO_CACHE", str(tmp_path / "cache"))
  monkeypatch.setenv("SNT_ZOO_OFFLINE", "1")


@pytest.mark.parametrize("shape,size", [
    ((28, 28), (71, 71)), ((28, 28), (20, 20)), ((37, 91), (64, 48)),
    ((3, 5), (299, 299)), ((500, 375), (149, 149)), ((8, 8), (8, 8))])
def test_resize_equals_tensorflow(shape, size):
  images = np.random.default_rng(0).integers(
      0, 256, (2, *shape, 3)).astype(np.float32)
  np.testing.assert_array_equal(arrays.resize_bilinear(images, size),
                                tf.image.resize(images, size).numpy())


@pytest.mark.parametrize("have,want", [(1, 3), (3, 1), (4, 1), (4, 3),
                                       (1, 1), (3, 3)])
def test_convert_channels_equals_the_pipeline(have, want):
  images = np.random.default_rng(have).uniform(0, 255, (2, 5, 6, have))
  images = images.astype(np.float32)
  np.testing.assert_allclose(
      arrays.convert_channels(images, want),
      datasets.convert_channels(tf.constant(images), want).numpy(),
      rtol=0, atol=1e-4)


def _as_pipeline_floats(dataset, split):
  """The tf.data batches (unit range) back on the 0-255 scale."""
  batches = dataset.load(split, batch_size=64, normalize="unit")
  images = np.concatenate([b[0].numpy() for b in batches]) * 255.0
  labels = np.concatenate([b[1].numpy() for b in batches])
  return images, labels


def _check_same_examples(dataset, split, tolerance=0.5 + 1e-3):
  """`arrays` holds the pipeline's examples, each pixel its rounding."""
  batches = list(dataset.arrays(split, batch_size=64))
  assert all(len(images) <= 64 for images, _ in batches)
  images = np.concatenate([b[0] for b in batches])
  labels = np.concatenate([b[1] for b in batches])
  expected_images, expected_labels = _as_pipeline_floats(dataset, split)
  assert images.dtype == np.uint8 and labels.dtype == np.int32
  assert images.shape == expected_images.shape
  np.testing.assert_array_equal(labels, expected_labels)
  assert np.abs(images - expected_images).max() <= tolerance


@pytest.mark.parametrize("options", [
    {}, {"image_size": 71, "channels": 3}, {"image_size": [20, 24]},
    {"validation_fraction": 0.1}])
def test_mnist_arrays_are_the_pipeline_examples(options):
  dataset = datasets.prepare("mnist", **options)
  split = "validation" if options.get("validation_fraction") else "test"
  _check_same_examples(dataset, split)


def test_synthetic_arrays_are_the_pipeline_examples():
  dataset = datasets.prepare("synthetic", num_examples=100, channels=3,
                             image_size=16)
  _check_same_examples(dataset, "train")


def _folder(root, count=6):
  """Two classes of PNGs of several sizes and modes."""
  rng = np.random.default_rng(1)
  for label in ("cat", "dog"):
    (root / label).mkdir(parents=True)
    for i in range(count):
      pixels = rng.integers(0, 256, (20 + 7 * i, 31 - 2 * i, 3), np.uint8)
      image = Image.fromarray(pixels)
      if i % 3 == 1:
        image = image.convert("L")
      elif i % 3 == 2:
        image = image.convert("RGBA")
      image.save(root / label / f"{i}.png")
  return root


@pytest.mark.parametrize("channels", [3, 1])
def test_folder_arrays_decode_with_pillow_as_the_pipeline(tmp_path, channels):
  root = _folder(tmp_path / "pets")
  dataset = datasets.prepare("image_folder", data_dir=str(root),
                             image_size=32, channels=channels,
                             decoder="pillow", split_ratio=0.5)
  _check_same_examples(dataset, "test")
  _check_same_examples(dataset, "train")


def test_pillow_decoder_imports_no_tensorflow(tmp_path):
  root = _folder(tmp_path / "pets")
  code = (
      "import sys\n"
      "from zoo import datasets\n"
      f"dataset = datasets.prepare('image_folder', data_dir={str(root)!r},\n"
      "    image_size=24, channels=1, decoder='pillow')\n"
      "count = sum(len(labels) for _, labels in dataset.arrays('train', 5))\n"
      "mnist = datasets.prepare('mnist', image_size=32, decoder='pillow')\n"
      "images, _ = next(mnist.arrays('test', 10))\n"
      "print(count, dataset.info.num_examples['train'], images.shape,\n"
      "      'tensorflow' in sys.modules)\n")
  done = subprocess.run([sys.executable, "-c", code], capture_output=True,
                        text=True, check=False)
  assert done.returncode == 0, done.stderr
  count, expected, shape = done.stdout.split(" ", 2)
  assert count == expected and int(count) > 0
  assert shape.strip() == "(10, 32, 32, 1) False"


def test_file_changed_since_the_scan(tmp_path, capsys):
  root = _folder(tmp_path / "pets")
  strict = datasets.prepare("image_folder", data_dir=str(root),
                            decoder="pillow", split_ratio=0.5)
  skipping = datasets.prepare("image_folder", data_dir=str(root),
                              decoder="pillow", split_ratio=0.5,
                              on_corrupt="skip")
  changed = root / "cat" / "0.png"
  changed.write_bytes(b"no longer an image")
  with pytest.raises(datasets.DatasetError,
                     match="0.png passed the scan but did not decode"):
    for split in ("train", "test"):
      list(strict.arrays(split))
  read = sum(len(labels) for split in ("train", "test")
             for _, labels in skipping.arrays(split))
  assert read == 11
  assert "no longer decode" in capsys.readouterr().err


def test_split_arrays_reads_a_range():
  split = dataset_info.SplitArrays(
      5, lambda start, stop: (np.zeros([stop - start, 2, 2, 1], np.uint8),
                              np.arange(start, stop)))
  sizes = [len(labels) for _, labels in arrays.batches(split, 2)]
  assert sizes == [2, 2, 1]
  with pytest.raises(ValueError, match="batch_size"):
    list(arrays.batches(split, 0))


def test_bad_decoder_is_refused():
  with pytest.raises(ValueError, match="decoder must be one of"):
    datasets.prepare("mnist", decoder="opencv")


def test_tensorflow_datasets_have_no_arrays():
  tfds = pytest.importorskip("tensorflow_datasets")
  with tfds.testing.mock_data(num_examples=4):
    dataset = datasets.prepare("tfds:mnist")
    assert not dataset.has_arrays
    with pytest.raises(datasets.DatasetError, match="use load"):
      dataset.arrays("test")


def test_batches_are_the_caller_s_own():
  first, _ = next(datasets.prepare("mnist").arrays("test", 4))
  first[:] = 0
  again, _ = next(datasets.prepare("mnist").arrays("test", 4))
  assert again.any()
  with pytest.raises(ValueError, match="batch_size"):
    datasets.prepare("mnist").arrays("test", 0)
  with pytest.raises(ValueError, match="batch_size"):
    datasets.prepare("mnist").arrays("test", 2.7)


def test_tensorflow_decoder_arrays_are_the_pipeline_s_pixels(tmp_path):
  root = tmp_path / "pets"
  rng = np.random.default_rng(2)
  for label in ("cat", "dog"):
    (root / label).mkdir(parents=True)
    for i in range(3):
      Image.fromarray(rng.integers(0, 256, (30, 26, 3), np.uint8)).save(
          root / label / f"{i}.jpg", quality=85)
  dataset = datasets.prepare("image_folder", data_dir=str(root),
                             image_size=16, decoder="tensorflow")
  _check_same_examples(dataset, "train")
