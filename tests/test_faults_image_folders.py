"""Hostile image folders: links that relabel or loop, FIFOs, odd names, and
files that change after the scan.

Every image is read under one label only, every left-out entry is named in
the notes, nothing hangs, and a file that no longer decodes in training is
named (on_corrupt=error) or left out and named (on_corrupt=skip). The data
directory and a sentinel tree outside it are never changed.
"""

import os
import threading

import numpy as np
import pytest
from PIL import Image

from conftest import tree_digest
from zoo import datasets
from zoo import training
from zoo.datasets import image_files

_PER_CLASS = 3


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
  monkeypatch.setenv("SNT_ZOO_CACHE", str(tmp_path / "cache"))
  monkeypatch.setenv("SNT_ZOO_OFFLINE", "1")


def _tree(root, classes=("a", "b")):
  for label, name in enumerate(classes):
    (root / name).mkdir(parents=True)
    for k in range(_PER_CLASS):
      Image.fromarray(np.full((8, 8, 3), 60 * label + k, np.uint8)).save(
          root / name / f"{k}.png")
  return root


def _prepare(root, **options):
  options = dict(dict(image_size=8, split_ratio=0.5), **options)
  return datasets.prepare("image_folder", data_dir=str(root), **options)


def _examples(dataset):
  return sum(dataset.info.num_examples.values())


@pytest.mark.parametrize("case", ["class_links_to_class", "loop_to_root",
                                  "folders_link_each_other",
                                  "two_links_to_one", "split_layout_loop"])
def test_every_image_has_one_label_whatever_the_links(tmp_path, case):
  root = tmp_path / "data"
  if case == "split_layout_loop":
    _tree(root / "train")
    _tree(root / "test")
    (root / "train" / "a" / "up").symlink_to(root)
    expected = 4 * _PER_CLASS
  else:
    _tree(root)
    expected = 2 * _PER_CLASS
  if case == "class_links_to_class":
    (root / "c").symlink_to(root / "a")
  elif case == "loop_to_root":
    (root / "a" / "root").symlink_to(root)
    (root / "b" / "parent").symlink_to(root / "b")
  elif case == "folders_link_each_other":
    (root / "a" / "to_b").symlink_to(root / "b")
    (root / "b" / "to_a").symlink_to(root / "a")
  elif case == "two_links_to_one":
    (root / "x").mkdir()
    Image.new("RGB", (8, 8)).save(root / "x" / "0.png")
    (root / "a" / "more").symlink_to(root / "x")
    (root / "b" / "more").symlink_to(root / "x")
    expected += 1
  before = tree_digest(root)
  dataset = _prepare(root)
  assert _examples(dataset) == expected
  notes = " ".join(dataset.info.notes)
  assert "already read" in notes and "no image has two labels" in notes
  assert tree_digest(root) == before


def test_links_leaving_the_data_directory_are_reported_or_allowed(
    tmp_path, sentinel):
  root = _tree(tmp_path / "data")
  outside = tmp_path / "elsewhere"
  _tree(outside, classes=("z",))
  (root / "a" / "more").symlink_to(outside / "z")
  (root / "b" / "one.png").symlink_to(outside / "z" / "0.png")
  (root / "c").symlink_to(sentinel.path)  # No images: never a class.
  dataset = _prepare(root)
  assert _examples(dataset) == 2 * _PER_CLASS
  notes = " ".join(dataset.info.notes)
  assert "leading outside the data directory" in notes
  assert "data.outside_links=true" in notes and "a/more" in notes
  allowed = _prepare(root, outside_links=True)
  assert _examples(allowed) == 3 * _PER_CLASS + 1
  assert sentinel.unchanged()


def test_a_split_folder_leading_outside_is_refused(tmp_path, sentinel):
  root = tmp_path / "data"
  _tree(root / "train")
  _tree(tmp_path / "elsewhere")
  (root / "test").symlink_to(tmp_path / "elsewhere")
  with pytest.raises(datasets.DatasetError, match="test is a link leading "
                     "outside.*outside_links=true"):
    _prepare(root)
  assert _examples(_prepare(root, outside_links=True)) == 4 * _PER_CLASS
  assert sentinel.unchanged()


def test_fifos_and_devices_are_named_unopened(tmp_path):
  root = _tree(tmp_path / "data")
  os.mkfifo(root / "a" / "pipe.png")
  (root / "b" / "null.jpg").symlink_to("/dev/null")
  result = {}
  worker = threading.Thread(
      target=lambda: result.update(dataset=_prepare(root)), daemon=True)
  worker.start()
  worker.join(60)
  assert not worker.is_alive(), "the scan waited on a FIFO"
  notes = " ".join(result["dataset"].info.notes)
  assert "not regular files" in notes and "pipe.png" in notes
  assert _examples(result["dataset"]) == 2 * _PER_CLASS
  problem = image_files.check_image(root / "a" / "pipe.png")
  assert "not a regular file" in problem


def test_predict_names_a_fifo_without_opening_it(tmp_path):
  from zoo import predict  # pylint: disable=g-import-not-at-top
  os.mkfifo(tmp_path / "pipe.png")
  result = {}

  def read():
    try:
      predict.read_image(tmp_path / "pipe.png", 1)
    except predict.ImageReadError as e:
      result["error"] = str(e)

  worker = threading.Thread(target=read, daemon=True)
  worker.start()
  worker.join(60)
  assert not worker.is_alive(), "predict waited on a FIFO"
  assert "not a regular file" in result["error"]


def test_names_that_are_not_utf8_are_named_escaped(tmp_path):
  root = _tree(tmp_path / "data")
  bad_file = os.fsdecode(b"caf\xe9.png")
  Image.new("RGB", (8, 8)).save(root / "a" / bad_file)
  (root / os.fsdecode(b"cl\xff")).mkdir()
  Image.new("RGB", (8, 8)).save(root / os.fsdecode(b"cl\xff") / "0.png")
  dataset = _prepare(root)
  notes = " ".join(dataset.info.notes)
  assert "not valid UTF-8" in notes
  assert "caf\\xe9.png" in notes and "cl\\xff" in notes
  assert dataset.info.class_names == ("a", "b")
  notes.encode("utf-8")  # Printable as it is.


def test_reads_are_bounded(tmp_path, monkeypatch):
  root = _tree(tmp_path / "data")
  monkeypatch.setattr(image_files, "MAX_IMAGE_BYTES", 60)
  with pytest.raises(datasets.DatasetError, match="larger than any image"):
    _prepare(root)


def _rewrite_keeping_size_and_time(path):
  status = path.stat()
  data = path.read_bytes()
  path.write_bytes(b"\0" * len(data))
  os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns))
  return data


def _read_all(dataset):
  count = 0
  for split in ("train", "test"):
    for _, labels in dataset.load(split, batch_size=4):
      count += len(labels)
  return count


def test_a_file_changed_after_the_scan_is_named(tmp_path, capfd):
  root = _tree(tmp_path / "data")
  dataset = _prepare(root)
  victim = root / "a" / "1.png"
  _rewrite_keeping_size_and_time(victim)
  with pytest.raises(Exception) as error:
    _read_all(dataset)
  line = image_files.undecodable_file(error.value)
  assert line is not None and str(victim) in line and "\n" not in line
  assert "data.on_corrupt=skip" in line
  skipping = _prepare(tmp_path / "data", on_corrupt="skip", seed=1)
  # The scan sees the change (its stamp has the change time): left out.
  assert _examples(skipping) == 2 * _PER_CLASS - 1
  assert "1.png" in " ".join(skipping.info.notes)


def test_skip_leaves_out_a_file_that_fails_in_training(tmp_path, capfd):
  root = _tree(tmp_path / "data")
  dataset = _prepare(root, on_corrupt="skip")
  victim = root / "b" / "2.png"
  _rewrite_keeping_size_and_time(victim)
  assert _read_all(dataset) == 2 * _PER_CLASS - 1
  assert str(victim) in capfd.readouterr().err


def test_training_names_a_file_that_no_longer_decodes(tmp_path):
  root = _tree(tmp_path / "data")
  config = training.load_config("softmax_mnist_quick", [
      f"run_dir={tmp_path / 'run'}", "data.name=image_folder",
      f"data.data_dir={root}", "data.image_size=28", "train.steps=4",
      "data.batch_size=2", "data.eval_batch_size=2", "data.split_ratio=0.5"])
  run = training.Run(config, verbose=False)
  try:
    for path in sorted(root.rglob("*.png")):
      _rewrite_keeping_size_and_time(path)
    with pytest.raises(datasets.DatasetError, match="did not decode") as e:
      run.train()
    assert "\n" not in str(e.value) and str(root) in str(e.value)
  finally:
    run.close()
