"""Tests for datasets/image_folder.py on generated class-folder trees."""

import numpy as np
import pytest
from PIL import Image

from zoo import datasets

_CLASSES = ("cat", "dog", "emu")
_PER_CLASS = 5


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
  monkeypatch.setenv("SNT_ZOO_CACHE", str(tmp_path / "cache"))


def _shade(label, k=0):
  """Grey level of image k of a class: the class in steps of 40."""
  return 40 * (label + 1) + k


def _label_of_shade(shade):
  return int(round(shade)) // 40 - 1


def _write_class(folder, label, count, start=0):
  """Solid images whose grey level tells the class, in several formats."""
  folder.mkdir(parents=True, exist_ok=True)
  for k in range(start, start + count):
    image = Image.new("RGB", (12 + k, 10), (_shade(label, k),) * 3)
    suffix = (".jpg", ".png", ".JPEG", ".bmp", ".gif")[k % 5]
    image.save(folder / f"img_{k}{suffix}")


@pytest.fixture
def class_tree(tmp_path):
  """ROOT/<class>/..., with hidden, non-image, loose and empty entries."""
  root = tmp_path / "photos"
  for label, name in enumerate(_CLASSES):
    _write_class(root / name, label, _PER_CLASS)
  _write_class(root / "emu" / "more", 2, 1, start=_PER_CLASS)  # Nested.
  (root / "cat" / ".DS_Store").write_bytes(b"\0\0")
  (root / ".thumbnails").mkdir()
  (root / "dog" / "labels.txt").write_text("dog")
  (root / "README.md").write_text("my photos")
  (root / "zebra").mkdir()  # An empty class folder.
  return root


def _labels_and_shades(dataset):
  labels, shades = [], []
  for images, batch_labels in dataset.as_numpy_iterator():
    labels.extend(batch_labels.tolist())
    shades.extend(np.round(images.mean(axis=(1, 2, 3)) * 255).tolist())
  return labels, shades


def test_class_names_notes_and_seeded_stratified_split(class_tree):
  info = datasets.info("image_folder", data_dir=str(class_tree),
                       image_size=8)
  assert info.class_names == _CLASSES
  assert info.image_shape == (8, 8, 3)
  assert info.num_examples == {"train": 13, "test": 3}  # 1 of 5 or 6.
  notes = " | ".join(info.notes)
  assert "hidden" in notes and ".DS_Store" in notes and ".thumbnails" in notes
  assert "labels.txt" in notes and "README.md" in notes
  assert "without images left out of the classes: zebra" in notes
  assert "seeded stratified split (ratio 0.8, seed 0)" in info.source
  again = datasets.info("image_folder", data_dir=str(class_tree),
                        image_size=8)
  assert again == info
  carved = datasets.info("image_folder", data_dir=str(class_tree),
                         validation_fraction=0.25)
  assert carved.num_examples == {"train": 10, "validation": 3, "test": 3}


def test_labels_follow_the_folders_and_seed_picks_the_split(class_tree):
  def test_files(seed):
    data = datasets.prepare("image_folder", data_dir=str(class_tree),
                            image_size=6, seed=seed)
    labels, shades = _labels_and_shades(data.load("test", batch_size=2))
    assert sorted(labels) == [0, 1, 2]
    assert labels == [_label_of_shade(shade) for shade in shades]
    return tuple(shades)
  assert test_files(0) == test_files(0)
  assert len({test_files(seed) for seed in range(4)}) > 1
  train = datasets.load("image_folder", "train", data_dir=str(class_tree),
                        image_size=6, batch_size=4, shuffle=True,
                        normalize="symmetric")
  for images, _ in train:
    assert images.shape[1:] == (6, 6, 3)
    assert float(images.numpy().min()) >= -1.0
  counts = datasets.info("image_folder", data_dir=str(class_tree),
                         split_ratio=1.0).num_examples
  assert counts == {"train": 16, "test": 0}


def test_split_folders_are_the_splits(tmp_path):
  root = tmp_path / "split"
  for label, name in enumerate(_CLASSES):
    _write_class(root / "train" / name, label, 4)
    if name != "emu":
      _write_class(root / "test" / name, label, 2)
  _write_class(root / "validation" / "cat", 0, 1)
  (root / "extras").mkdir()
  info = datasets.info("image_folder", data_dir=str(root))
  assert info.class_names == _CLASSES
  assert info.num_examples == {"train": 12, "validation": 1, "test": 4}
  assert "split folders train/, validation/, test/" in info.source
  notes = " | ".join(info.notes)
  assert "test/ has no images of 1 class(es): emu" in notes
  assert "extras" in notes
  labels, shades = _labels_and_shades(datasets.load(
      "image_folder", "test", data_dir=str(root), image_size=4,
      batch_size=3))
  assert labels == [0, 0, 1, 1]
  assert labels == [_label_of_shade(shade) for shade in shades]
  with pytest.raises(ValueError, match="validation/ folder"):
    datasets.info("image_folder", data_dir=str(root),
                  validation_fraction=0.2)
  (root / "train").rename(root / "training")
  with pytest.raises(datasets.DatasetError, match="no train/"):
    datasets.info("image_folder", data_dir=str(root))


def test_corrupt_files_error_or_skip(class_tree):
  bad = class_tree / "dog" / "img_0.jpg"
  bad.write_bytes(bad.read_bytes()[:60])
  with pytest.raises(datasets.DatasetError,
                     match=r"1 corrupt image.*dog/img_0.jpg.*on_corrupt"):
    datasets.info("image_folder", data_dir=str(class_tree))
  info = datasets.info("image_folder", data_dir=str(class_tree),
                       on_corrupt="skip", split_ratio=1.0)
  assert info.num_examples["train"] == 15
  assert any("skipped 1 corrupt" in note for note in info.notes)


def test_missing_or_empty_roots_say_what_to_set(tmp_path):
  with pytest.raises(datasets.DatasetError, match="data.data_dir=ROOT"):
    datasets.info("image_folder")
  with pytest.raises(datasets.DatasetError, match="not a directory"):
    datasets.info("image_folder", data_dir=str(tmp_path / "nowhere"))
  (tmp_path / "empty" / "cat").mkdir(parents=True)
  with pytest.raises(datasets.DatasetError, match="no images in class"):
    datasets.info("image_folder", data_dir=str(tmp_path / "empty"))


def test_channels_option_gives_grey_images(class_tree):
  data = datasets.prepare("image_folder", data_dir=str(class_tree),
                          image_size=5, channels=1)
  assert data.info.image_shape == (5, 5, 1)
  images, labels = next(iter(data.load("test", batch_size=3)))
  assert images.shape == (3, 5, 5, 1)
  shades = images.numpy().mean(axis=(1, 2, 3)) * 255
  assert [_label_of_shade(s) for s in shades] == labels.numpy().tolist()


def test_symlink_loops_are_walked_once_and_broken_links_named(tmp_path):
  root = tmp_path / "linked"
  _write_class(root / "cat", 0, 2)
  _write_class(root / "dog", 1, 2)
  (root / "cat" / "self").symlink_to(root / "cat")  # A loop.
  (root / "dog" / "gone.png").symlink_to(tmp_path / "nowhere.png")
  with pytest.raises(datasets.DatasetError) as raised:
    datasets.info("image_folder", data_dir=str(root))
  message = str(raised.value)
  assert "1 corrupt image(s)" in message
  assert "gone.png: broken symbolic link" in message
  info = datasets.info("image_folder", data_dir=str(root),
                       on_corrupt="skip", split_ratio=1.0)
  assert info.num_examples["train"] == 4  # The loop adds no copies.
  assert any("symbolic link loop" in note and "cat/self" in note
             for note in info.notes)


def test_one_class_is_an_error_naming_the_fix(tmp_path):
  _write_class(tmp_path / "only" / "cat", 0, 3)
  (tmp_path / "only" / "dog").mkdir()  # No images: not a class.
  with pytest.raises(datasets.DatasetError,
                     match=r"only one class folder with images \('cat'\).*"
                     "Add a folder per class"):
    datasets.info("image_folder", data_dir=str(tmp_path / "only"))


def test_an_empty_split_fails_when_loaded_with_the_fix(tmp_path):
  for label, name in enumerate(_CLASSES):
    _write_class(tmp_path / "one_each" / name, label, 1)
  data = datasets.prepare("image_folder", data_dir=str(tmp_path / "one_each"))
  assert data.info.num_examples == {"train": 3, "test": 0}
  with pytest.raises(datasets.DatasetError,
                     match=r"'test' split has no images.*2 or more images.*"
                     "split_ratio"):
    data.load("test", batch_size=2)
  assert len(list(data.load("train", batch_size=2))) == 2


def test_bad_split_options_are_user_errors(class_tree):
  with pytest.raises(datasets.DatasetError, match="split_ratio must be"):
    datasets.info("image_folder", data_dir=str(class_tree), split_ratio=0.0)
