"""Training end to end on your own images, adapted to the model's input."""

import numpy as np
import pytest
import yaml
from PIL import Image

from zoo import datasets
from zoo import training
from zoo.training import config as config_lib

_COLOURS = {"apple": (200, 30, 30), "leaf": (30, 180, 40),
            "sky": (40, 60, 220)}


@pytest.fixture(autouse=True)
def _offline(monkeypatch, tmp_path):
  monkeypatch.setenv("SNT_ZOO_OFFLINE", "1")
  monkeypatch.setenv("SNT_ZOO_CACHE", str(tmp_path / "cache"))


def _write_classes(base, count, rng):
  """RGB images, one colour per class (plus noise), in class folders."""
  for name, colour in _COLOURS.items():
    (base / name).mkdir(parents=True)
    for k in range(count):
      pixels = np.clip(np.asarray(colour) + rng.normal(0, 20, (18, 22, 3)),
                       0, 255).astype(np.uint8)
      Image.fromarray(pixels).save(base / name / f"{name}_{k}.png")


def _photo_tree(root, split_folders):
  """A tree with a corrupt file, a hidden file and an empty class."""
  rng = np.random.default_rng(0)
  if split_folders:
    _write_classes(root / "train", 4, rng)
    _write_classes(root / "test", 2, rng)
    base = root / "train"
  else:
    _write_classes(root, 5, rng)
    base = root
  (base / "leaf" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 cut short")
  (base / "apple" / ".hidden.png").write_bytes(b"editor state")
  (base / "empty_class").mkdir()
  return root


def _folder_config(tmp_path, root, *overrides):
  return config_lib.load_config("deep_mnist_quick", [
      f"run_dir={tmp_path / 'run'}", "model.name=tfjs_mnist_convnet",
      "data.name=image_folder", f"data.data_dir={root}", "data.batch_size=4",
      "data.eval_batch_size=4", "train.steps=3", "train.log_every=1",
      "train.eval_every=100", "train.checkpoint_every=100", *overrides])


def _saved(tmp_path):
  return yaml.safe_load((tmp_path / "run" / "config.yaml").read_text())


def test_class_folders_train_a_grey_model_and_record_the_classes(tmp_path):
  root = _photo_tree(tmp_path / "photos", split_folders=False)
  with pytest.raises(datasets.DatasetError,
                     match=r"1 corrupt image.*leaf/broken.jpg.*on_corrupt"):
    training.run(_folder_config(tmp_path, root), verbose=False)
  result = training.run(
      _folder_config(tmp_path, root, "data.on_corrupt=skip"), verbose=False)
  assert np.isfinite(result.loss) and result.step == 3
  assert result.examples == 3  # A seeded 80/20 split: one image per class.
  saved = _saved(tmp_path)
  assert saved["class_names"] == ["apple", "leaf", "sky"]
  assert saved["model"]["num_classes"] == 3
  assert "seeded stratified split" in saved["data_source"]
  run = training.RunDir(tmp_path / "run")
  data = run.dataset()  # RGB photos, adapted to the 28x28 grey model.
  assert data.info.image_shape == (28, 28, 1)
  assert any("skipped 1 corrupt" in note for note in data.info.notes)
  assert any("empty_class" in note for note in data.info.notes)
  assert any(".hidden.png" in note for note in data.info.notes)
  images, _ = next(iter(data.load("test", batch_size=3)))
  assert images.shape == (3, 28, 28, 1)


def test_split_folders_are_the_runs_splits(tmp_path):
  root = _photo_tree(tmp_path / "photos", split_folders=True)
  result = training.run(_folder_config(
      tmp_path, root, "data.on_corrupt=skip",
      "model.name=softmax_regression"), verbose=False)
  assert result.examples == 6  # test/: two per class.
  saved = _saved(tmp_path)
  assert saved["class_names"] == ["apple", "leaf", "sky"]
  assert "split folders train/, test/" in saved["data_source"]
  assert saved["steps_total"] == 3


def test_xception_trains_on_grey_mnist_digits(tmp_path):
  rng = np.random.default_rng(1)
  digits = tmp_path / "mnist.npz"
  np.savez(digits,
           x_train=rng.integers(0, 256, (8, 28, 28), dtype=np.uint8),
           y_train=np.arange(8) % 10,
           x_test=rng.integers(0, 256, (4, 28, 28), dtype=np.uint8),
           y_test=np.arange(4) % 10)
  config = config_lib.load_config("xception_mnist_quick", [
      f"run_dir={tmp_path / 'run'}", f"data.data_dir={digits}",
      "data.batch_size=2", "data.eval_batch_size=4", "train.steps=1",
      "train.log_every=1"])
  result = training.run(config, verbose=False)
  assert np.isfinite(result.loss) and result.examples == 4
  data = training.RunDir(tmp_path / "run").dataset()
  assert data.info.image_shape == (71, 71, 3)
  images, _ = next(iter(data.load("test", batch_size=4,
                                  normalize="symmetric")))
  images = images.numpy()
  assert images.shape == (4, 71, 71, 3)
  np.testing.assert_array_equal(images[..., 0], images[..., 1])
