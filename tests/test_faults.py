"""Runs survive damage: checkpoints, index files, metrics, locks, configs.

Each test damages a run the way a kill, a full disk or a user would, then
asserts the outcome: where training resumes, what is kept, what is said.
"""

import os
import pathlib

import numpy as np
import pytest
import tensorflow as tf

from zoo import cli
from zoo import training
from zoo.datasets import download
from zoo.training import run_dir as run_dir_lib

_STEPS = ["train.log_every=5", "train.eval_every=100",
          "train.checkpoint_every=10", "train.keep_checkpoints=3"]


@pytest.fixture(autouse=True)
def _offline(monkeypatch, tmp_path_factory):
  monkeypatch.setenv("SNT_ZOO_OFFLINE", "1")
  monkeypatch.setenv("SNT_ZOO_CACHE", str(tmp_path_factory.mktemp("cache")))


def _train(run_dir, steps, *overrides):
  config = training.load_config("softmax_mnist_quick", [
      f"run_dir={run_dir}", f"train.steps={steps}", *_STEPS, *overrides])
  return training.run(config, verbose=True)


@pytest.fixture
def run30(tmp_path):
  _train(tmp_path, 30)
  return tmp_path


def _steps_on_disk(run_dir):
  return [int(p.rsplit("-", 1)[1]) for p in
          run_dir_lib.RunDir(run_dir).checkpoints_on_disk()]


@pytest.mark.parametrize("damage", ["truncate_data", "truncate_index",
                                    "garbage_data", "delete_data"])
def test_a_damaged_latest_checkpoint_falls_back_to_the_previous(
    run30, damage, capsys):
  ckpt = run30 / "checkpoints"
  data = next(ckpt.glob("ckpt-30.data-*"))
  index = ckpt / "ckpt-30.index"
  if damage == "truncate_data":
    data.write_bytes(data.read_bytes()[:10])
  elif damage == "truncate_index":
    index.write_bytes(index.read_bytes()[:20])
  elif damage == "garbage_data":
    data.write_bytes(os.urandom(data.stat().st_size))
  else:
    data.unlink()
  capsys.readouterr()
  result = _train(run30, 40)
  out = capsys.readouterr().out
  if damage != "delete_data":
    assert "ckpt-30" in out and "skipped" in out
    assert "Resuming from" in out and "ckpt-20 at step 20" in out
  assert result.step == 40
  assert 40 in _steps_on_disk(run30)


@pytest.mark.parametrize("damage", ["missing", "empty", "garbage"])
def test_a_damaged_state_file_never_restarts_from_zero(run30, damage, capsys):
  state = run30 / "checkpoints" / "checkpoint"
  if damage == "missing":
    state.unlink()
  elif damage == "empty":
    state.write_text("")
  else:
    state.write_text("model_checkpoint_path: {{{ not a proto")
  capsys.readouterr()
  result = _train(run30, 35)
  out = capsys.readouterr().out
  assert "Resuming from" in out and "at step 30" in out
  assert result.step == 35
  assert {20, 30, 35} <= set(_steps_on_disk(run30))


def test_no_checkpoint_restores_is_an_error_not_a_fresh_start(run30):
  for data in (run30 / "checkpoints").glob("ckpt-*.data-*"):
    data.write_bytes(b"")
  before = sorted(p.name for p in (run30 / "checkpoints").iterdir())
  with pytest.raises(run_dir_lib.RunDirError, match="None of the 3"):
    _train(run30, 40)
  assert sorted(p.name for p in (run30 / "checkpoints").iterdir()) == before


def test_interrupted_save_directories_are_removed(run30):
  staging = run30 / "checkpoints" / "ckpt-40_temp"
  staging.mkdir()
  (staging / "part-00000-of-00001.data-00000-of-00001").write_bytes(b"x")
  keep = run30 / "checkpoints" / "my_notes_temp"
  keep.mkdir()
  _train(run30, 35)
  assert not staging.exists() and keep.exists()


def test_a_partial_metrics_line_does_not_stop_a_resume(run30):
  with (run30 / "metrics.jsonl").open("a") as f:
    f.write('{"step": 31, "split": "tra')
  result = _train(run30, 40)
  records = run_dir_lib.RunDir(run30).read_metrics()
  assert result.step == 40 and records[-1]["step"] == 40


def test_a_second_run_on_the_same_directory_is_refused(run30, capsys):
  lock = run_dir_lib.RunDir(run30).lock().acquire()
  try:
    with pytest.raises(run_dir_lib.RunDirBusy, match=f"pid {os.getpid()}"):
      _train(run30, 40)
    assert cli.main(["train", "--config", "softmax_mnist_quick",
                     f"run_dir={run30}"]) == 1
    assert "is in use by pid" in capsys.readouterr().err
  finally:
    lock.release()
  assert _train(run30, 35).step == 35  # Free again.


def test_a_lock_left_by_a_killed_process_is_stale(run30):
  (run30 / ".lock").write_text("pid 999999 on elsewhere since 2026-01-01\n")
  assert _train(run30, 35).step == 35


def test_a_changed_config_is_refused_unless_asked_and_history_is_kept(run30):
  with pytest.raises(training.ConfigError,
                     match=r"train.optimizer.learning_rate: 0.5 -> 0.1"):
    _train(run30, 40, "train.optimizer.learning_rate=0.1")
  assert "learning_rate: 0.5" in (run30 / "config.yaml").read_text()
  result = _train(run30, 40, "train.optimizer.learning_rate=0.1",
                  "allow_config_change=true")
  assert result.step == 40
  history = list((run30 / "config-history").glob("config-*.yaml"))
  assert len(history) == 1 and "learning_rate: 0.5" in history[0].read_text()
  assert "learning_rate: 0.1" in (run30 / "config.yaml").read_text()


def test_only_finite_weights_are_saved(tmp_path):
  with pytest.raises(training.TrainingStopped, match="diverged"):
    _train(tmp_path, 40, "train.optimizer.learning_rate=1e38",
           "train.checkpoint_every=1")
  for prefix in run_dir_lib.RunDir(tmp_path).checkpoints_on_disk():
    reader = tf.train.load_checkpoint(prefix)
    for name in reader.get_variable_to_shape_map():
      if name.startswith("model/"):
        assert np.all(np.isfinite(reader.get_tensor(name))), (prefix, name)


def test_fetch_force_never_deletes_a_directory_it_did_not_make(tmp_path):
  mine = tmp_path / "photos"
  mine.mkdir()
  (mine / "holiday.jpg").write_bytes(b"precious")
  with pytest.raises(download.DownloadError, match="nothing was changed"):
    download.fetch("mnist", mine, base_url="http://127.0.0.1:9/",
                   force=True, retries=1, timeout=1)
  assert (mine / "holiday.jpg").read_bytes() == b"precious"
  assert [p.name for p in tmp_path.iterdir()] == ["photos"]


def test_config_values_are_checked_before_any_directory_exists(
    tmp_path, capsys):
  run = tmp_path / "run"
  for override in ("train.checkpoint_every=0", "train.steps=0",
                   "data.batch_size=-1", "train.optimizer.name=adamw",
                   "data.augment.contrast=[2, 1]",
                   "data.validation_fraction=1.5", "train.keep_checkpoints=0"):
    assert cli.main(["train", "--config", "softmax_mnist_quick",
                     f"run_dir={run}", override]) == 2
    err = capsys.readouterr().err
    key = override.split("=")[0]
    assert key in err and len(err.strip().splitlines()) == 1, err
  # The data is found (checked first, without TensorFlow); the model refuses.
  assert cli.main(["train", "--config", "xception_flowers",
                   f"run_dir={run}", "model.image_size=50",
                   f"data.data_dir={tmp_path}"]) == 2
  assert "71" in capsys.readouterr().err
  assert not run.exists()
