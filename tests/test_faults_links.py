"""Hostile run directories: a symbolic link where the zoo writes a file.

Each case places a link to a file of a sentinel tree where a run, an
evaluation or a picture is written, runs the code, and checks the one-line
refusal and that the sentinel tree is byte-for-byte unchanged.
"""

import os

import pytest

from zoo import cli
from zoo.datasets import safe_files
from zoo.training import run_dir as run_dir_lib
from zoo.training.run_dir import RunDir

_CONFIG = {"model": {"name": "deep_mnist_cnn"}, "data": {"name": "mnist"}}


def _link(path, target):
  path.parent.mkdir(parents=True, exist_ok=True)
  os.symlink(target, path)


@pytest.mark.parametrize("name", [run_dir_lib.LOCK_FILE,
                                  run_dir_lib.CONFIG_FILE,
                                  run_dir_lib.METRICS_FILE])
def test_a_link_in_place_of_a_run_file_is_refused(tmp_path, sentinel, name):
  run = RunDir(tmp_path / "run")
  _link(run.path / name, sentinel.file)
  with pytest.raises(safe_files.UnsafePathError, match="symbolic link") as e:
    if name == run_dir_lib.LOCK_FILE:
      run.lock().acquire()
    elif name == run_dir_lib.CONFIG_FILE:
      run.write_config(_CONFIG)
    else:
      run.append_metrics({"step": 1})
  assert str(name) in str(e.value) and "\n" not in str(e.value)
  assert sentinel.unchanged()


def test_a_dangling_link_is_not_followed_to_create_a_file(tmp_path, sentinel):
  run = RunDir(tmp_path / "run")
  target = sentinel.path / "created-by-the-run.txt"
  _link(run.metrics_path, target)
  with pytest.raises(safe_files.UnsafePathError):
    run.append_metrics({"step": 1})
  _link(run.config_path, sentinel.path / "config-made.yaml")
  with pytest.raises(safe_files.UnsafePathError):
    run.write_config(_CONFIG)
  assert not target.exists() and sentinel.unchanged()


def test_the_run_checks_every_file_it_writes_before_any_work(tmp_path,
                                                             sentinel):
  for relative in ("checkpoints/checkpoint", "checkpoints/best/checkpoint"):
    run = RunDir(tmp_path / relative.replace("/", "_"))
    _link(run.path / relative, sentinel.file)
    with pytest.raises(safe_files.UnsafePathError, match=relative):
      run.check_own_files()
  run = RunDir(tmp_path / "history")
  _link(run.path / run_dir_lib.CONFIG_HISTORY_DIR, sentinel.path)
  with pytest.raises(safe_files.UnsafePathError, match="config-history"):
    run.check_own_files()
  assert sentinel.unchanged()


def test_train_with_a_linked_file_exits_2_in_one_line(tmp_path, sentinel,
                                                      capsys, monkeypatch):
  monkeypatch.setenv("SNT_ZOO_OFFLINE", "1")
  run = tmp_path / "run"
  _link(run / "checkpoints" / "checkpoint", sentinel.file)
  code = cli.main(["train", "--config", "softmax_mnist_quick",
                   f"run_dir={run}", "train.steps=2"])
  err = capsys.readouterr().err.strip()
  assert code == 2
  assert err.count("\n") == 0 and "symbolic link" in err, err
  assert "checkpoints/checkpoint" in err and "Remove the link" in err
  assert sentinel.unchanged()


def test_config_history_never_overwrites_an_entry(tmp_path, sentinel):
  run = RunDir(tmp_path / "run")
  run.write_config(dict(_CONFIG, seed=1))
  run.write_config(dict(_CONFIG, seed=2))  # seed=1 -> config-1.yaml
  run.write_config(dict(_CONFIG, seed=3))  # seed=2 -> config-2.yaml
  history = run.path / run_dir_lib.CONFIG_HISTORY_DIR
  (history / "config-1.yaml").unlink()  # A user tidies up.
  first = (history / "config-2.yaml").read_text()
  _link(history / "config-3.yaml", sentinel.file)  # And a placed link.
  run.write_config(dict(_CONFIG, seed=4))
  assert (history / "config-2.yaml").read_text() == first
  assert "seed: 3" in (history / "config-4.yaml").read_text()
  assert os.path.islink(history / "config-3.yaml") and sentinel.unchanged()


def test_evaluation_json_and_pictures_never_follow_a_link(tmp_path, sentinel):
  from zoo import evaluation  # pylint: disable=g-import-not-at-top
  from zoo.visualize import layers  # pylint: disable=g-import-not-at-top
  out = tmp_path / "out"
  _link(out / "evaluation-test.json", sentinel.path / "victim.json")
  with pytest.raises(safe_files.UnsafePathError, match="evaluation-test"):
    evaluation.write_result({"accuracy": 1.0}, out / "evaluation-test.json")
  _link(out / "layers_softmax_regression.txt", sentinel.file)
  with pytest.raises(safe_files.UnsafePathError, match="layers_"):
    layers.write_layers("softmax_regression", out=out)
  _link(out / "picture.png", sentinel.file)
  with pytest.raises(safe_files.UnsafePathError):
    safe_files.write_with(out / "picture.png",
                          lambda p: open(p, "wb").close())
  assert sentinel.unchanged()
  assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []


def test_a_data_cache_file_that_is_a_link_is_left_alone(tmp_path, sentinel,
                                                        monkeypatch):
  from zoo.datasets import image_files  # pylint: disable=g-import-not-at-top
  cache = tmp_path / "cache" / "scan.json"
  _link(cache, sentinel.path / "victim.json")
  image_files._save_scan_cache(cache, {"a.png": [1, 2, 3, None]})  # pylint: disable=protected-access
  assert sentinel.unchanged()


def test_a_hard_link_in_place_of_an_appended_file_is_refused(tmp_path,
                                                            sentinel):
  run = RunDir(tmp_path / "run")
  run.path.mkdir()
  os.link(sentinel.file, run.metrics_path)
  with pytest.raises(safe_files.UnsafePathError, match="hard links"):
    run.append_metrics({"step": 1})
  os.link(sentinel.path / "victim.json", run.path / run_dir_lib.LOCK_FILE)
  with pytest.raises(safe_files.UnsafePathError, match="hard links"):
    run.lock().acquire()
  assert sentinel.unchanged()


def test_pictures_never_go_through_a_linked_folder_or_file(tmp_path,
                                                          sentinel):
  from zoo.visualize import curves  # pylint: disable=g-import-not-at-top
  run = RunDir(tmp_path / "run")
  run.path.mkdir()
  for step in (1, 2):
    run.append_metrics({"step": step, "split": "train", "loss": 1.0,
                        "accuracy": 0.5})
  run.visualize_dir.symlink_to(sentinel.path, target_is_directory=True)
  with pytest.raises(safe_files.UnsafePathError, match="--out DIR"):
    curves.write_curves(run)
  run.visualize_dir.unlink()
  run.visualize_dir.mkdir()
  _link(run.visualize_dir / "curves.png", sentinel.file)
  with pytest.raises(safe_files.UnsafePathError, match="curves.png"):
    curves.write_curves(run)
  assert sentinel.unchanged()
  (run.visualize_dir / "curves.png").unlink()
  curves.write_curves(run)
  assert (run.visualize_dir / "curves.png").stat().st_size > 0


def test_a_linked_interrupted_save_is_never_removed(tmp_path, sentinel):
  run = RunDir(tmp_path / "run")
  run.checkpoint_dir.mkdir(parents=True)
  (run.checkpoint_dir / "ckpt-7_temp").symlink_to(sentinel.path)
  notes = run.tidy_checkpoints()
  assert any("left ckpt-7_temp alone" in note for note in notes)
  assert sentinel.unchanged()
