"""zoo.training.run_dir: the files and facts of a run directory."""

import json
import os
import sys

import pytest

from zoo.training import config as config_lib
from zoo.training import run_dir as run_dir_lib
from zoo.training.run_dir import RunDir


def test_dataset_options_are_the_data_layers_own():
  config = config_lib.load_config("softmax_mnist_quick", [
      "seed=3", "data.data_dir=/d", "data.validation_fraction=0.1"])
  options = run_dir_lib.dataset_options(config)
  assert options["data_dir"] == "/d" and options["seed"] == 3
  assert options["validation_fraction"] == 0.1
  # Run keys (batch sizes, splits, augment) are not data-layer options.
  assert "batch_size" not in options and "augment" not in options
  assert run_dir_lib.dataset_options(
      config, data_dir="/other")["data_dir"] == "/other"


def test_facts_come_from_the_config(tmp_path):
  config = config_lib.load_config("xception_flowers", [
      f"run_dir={tmp_path}", "model.image_size=99"])
  run = RunDir.for_config(config)
  run.write_config(dict(config, class_names=["a", "b"]))
  assert run.is_run() and run.path == tmp_path
  assert run.class_names == ("a", "b")
  assert run.image_size == (99, 99)
  assert run.normalization == "symmetric" and run.channels == 3
  assert run.config_path == tmp_path / "config.yaml"
  assert run.best_dir == tmp_path / "checkpoints" / "best"
  assert RunDir.containing(tmp_path / "checkpoints" / "ckpt-5").path == (
      tmp_path)


def test_metrics_survive_a_line_cut_short(tmp_path):
  run = RunDir(tmp_path)
  run.append_metrics({"step": 1, "split": "train", "loss": 2.0})
  with run.metrics_path.open("a") as f:
    f.write('{"step": 2, "split": "tr')  # A kill mid-write.
  run.append_metrics({"step": 3, "split": "test", "accuracy": 0.5})
  assert [r["step"] for r in run.read_metrics()] == [1, 3]
  assert json.loads(run.metrics_path.read_text().splitlines()[-1])["step"] == 3


def test_not_a_run_directory(tmp_path):
  with pytest.raises(run_dir_lib.RunDirError, match="not a run directory"):
    RunDir(tmp_path).config  # pylint: disable=expression-not-assigned
  with pytest.raises(FileNotFoundError, match="No checkpoint found"):
    run_dir_lib.find_checkpoint(tmp_path)
  (tmp_path / "x").mkdir()
  with pytest.raises(run_dir_lib.RunDirError, match="no config.yaml"):
    RunDir.containing(tmp_path / "x")


def test_an_image_shape_recorded_by_an_older_run_still_builds():
  model = run_dir_lib.build_model({"model": {
      "name": "softmax_regression", "image_shape": [8, 6, 3]}})
  assert model.data_config()["image_size"] == (8, 6)
  assert model.channels == 3
  with pytest.raises(run_dir_lib.RunDirError, match=r"not \[H, W, C\]"):
    run_dir_lib.model_kwargs({"image_shape": [8, 8]})


def test_a_missing_path_is_said_not_to_exist(tmp_path):
  with pytest.raises(run_dir_lib.RunDirError, match="missing does not exist"):
    RunDir(tmp_path / "missing").config  # pylint: disable=expression-not-assigned


def test_the_lock_works_without_fcntl(tmp_path, monkeypatch):
  """Where there is no fcntl (Windows), msvcrt's file lock is used."""
  calls = []

  class FakeMsvcrt:
    LK_NBLCK, LK_UNLCK = 2, 0
    held = set()

    @classmethod
    def locking(cls, fileno, mode, length):
      calls.append((mode, length))
      if mode == cls.LK_NBLCK:
        if "lock" in cls.held:
          raise OSError("locked")
        cls.held.add("lock")
      else:
        cls.held.discard("lock")

  monkeypatch.setitem(sys.modules, "fcntl", None)  # import fcntl fails.
  monkeypatch.setitem(sys.modules, "msvcrt", FakeMsvcrt)
  first = RunDir(tmp_path).lock().acquire()
  with pytest.raises(run_dir_lib.RunDirBusy, match=f"pid {os.getpid()}"):
    RunDir(tmp_path).lock().acquire()
  first.release()
  RunDir(tmp_path).lock().acquire().release()
  assert calls[0] == (FakeMsvcrt.LK_NBLCK, 1)
  assert (FakeMsvcrt.LK_UNLCK, 1) in calls


def test_a_failed_start_removes_only_what_it_made(tmp_path):
  made = RunDir(tmp_path / "made")
  made.make_directories()
  with made.lock():
    pass
  assert made.remove_if_unused() and not made.path.exists()
  kept = RunDir(tmp_path / "kept")
  kept.make_directories()
  (kept.path / "notes.txt").write_text("the user's")
  assert not kept.remove_if_unused()
  assert (kept.path / "notes.txt").read_text() == "the user's"
