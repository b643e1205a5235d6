"""zoo.training.run: a run end to end on the quick configs."""

import copy
import json
import os
import pathlib
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import tensorflow as tf
import yaml

from conftest import quick_config
import zoo
from zoo import training
from zoo.training import actions
from zoo.training import config as config_lib
from zoo.training import precision as precision_lib
from zoo.training.run import initialise_from

_ROOT = pathlib.Path(__file__).resolve().parents[1]


pytestmark = pytest.mark.usefixtures("offline")
_config = quick_config


def _model_weights(checkpoint):
  reader = tf.train.load_checkpoint(checkpoint)
  return {name: reader.get_tensor(name)
          for name in reader.get_variable_to_shape_map()
          if name.startswith("model/")}


def test_loss_falls_and_outputs_are_written(tmp_path):
  result = training.run(_config(tmp_path, "train.steps=40"))
  records = [json.loads(line) for line in
             (tmp_path / "metrics.jsonl").read_text().splitlines()]
  train_losses = [r["loss"] for r in records if r["split"] == "train"]
  assert train_losses[-1] < 0.5 * train_losses[0]
  evals = [r for r in records if r["split"] == "test"]
  assert [r["step"] for r in evals] == [10, 20, 30, 40]
  for record in records:
    assert record["examples_per_sec"] > 0
    assert "bundled sample" in record["data_source"]
  assert evals[-1]["examples"] == 1500
  assert result.accuracy == evals[-1]["accuracy"] > 0.7
  saved = config_lib.load_config(str(tmp_path / "config.yaml"))
  assert saved["train"]["steps"] == 40
  # What TensorFlow ran with is recorded (and ignored on loading).
  recorded = yaml.safe_load((tmp_path / "config.yaml").read_text())
  onednn = precision_lib.onednn_in_use().state
  assert recorded["resolved_onednn"] == onednn in ("on", "off")
  assert {r["onednn"] for r in records} == {onednn}
  assert tf.train.latest_checkpoint(str(tmp_path / "checkpoints")).endswith(
      "ckpt-40")
  assert tf.train.latest_checkpoint(str(tmp_path / "checkpoints" / "best"))
  assert list((tmp_path / "tensorboard" / "train").iterdir())


@pytest.mark.parametrize("precision", ["auto", "float32"])
def test_resumed_run_ends_with_the_same_weights(tmp_path, precision):
  """Stopping at step 10 and resuming equals running straight to 20.

  With the CPU settings the command chooses (tests/conftest.py), oneDNN's
  included, in `auto` and in float32 (what `auto` is on a CPU without
  bfloat16 units).
  """
  overrides = ("train.steps=20", "model.name=deep_mnist_cnn",
               "model.zero_init=null", "train.optimizer.learning_rate=1e-4",
               "train.optimizer.name=adam", f"train.precision={precision}")
  straight = training.run(_config(tmp_path / "a", *overrides))
  first = _config(tmp_path / "b", *overrides)
  first["train"]["steps"] = 10
  training.run(first)
  resumed = training.run(_config(tmp_path / "b", *overrides))
  a, b = _model_weights(straight.checkpoint), _model_weights(
      resumed.checkpoint)
  assert a.keys() == b.keys() and a
  for name in a:
    np.testing.assert_allclose(a[name], b[name], rtol=1e-6, atol=1e-7,
                               err_msg=name)
  assert straight.accuracy == resumed.accuracy


@pytest.mark.parametrize("signal_number, code", [(signal.SIGTERM, 143),
                                                  (signal.SIGINT, 130)])
def test_a_signal_saves_a_checkpoint_then_resume_finishes(
    tmp_path, signal_number, code):
  env = dict(os.environ, PYTHONPATH=str(_ROOT))
  command = [sys.executable, str(_ROOT / "tools" / "train.py"), "--config",
             "softmax_mnist_quick", f"run_dir={tmp_path}",
             "train.steps=100000", "train.checkpoint_every=100000",
             "train.eval_every=100000", "train.log_every=10"]
  process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
  deadline = time.monotonic() + 120
  metrics = tmp_path / "metrics.jsonl"
  while not (metrics.exists() and metrics.read_text().strip()):
    assert process.poll() is None, process.communicate()
    assert time.monotonic() < deadline, "training never started"
    time.sleep(0.2)
  process.send_signal(signal_number)
  _, stderr = process.communicate(timeout=60)
  # 128 + the signal, after saving: `train && export` stops here.
  assert process.returncode == code, stderr
  assert f"{signal.Signals(signal_number).name} received: saved" in stderr
  latest = tf.train.latest_checkpoint(str(tmp_path / "checkpoints"))
  stopped_at = int(latest.rsplit("-", 1)[1])
  assert stopped_at >= 10
  resumed = training.run(_config(tmp_path, f"train.steps={stopped_at + 5}"))
  assert resumed.checkpoint.endswith(f"ckpt-{stopped_at + 5}")


def test_non_finite_loss_stops_and_keeps_the_good_checkpoint(tmp_path):
  config = _config(tmp_path, "train.steps=40", "train.optimizer.name=sgd",
                   "train.optimizer.learning_rate=1e38",
                   "train.checkpoint_every=1")
  with pytest.raises(training.TrainingStopped, match="training diverged"):
    training.run(config)
  latest = tf.train.latest_checkpoint(str(tmp_path / "checkpoints"))
  assert latest is not None
  for value in _model_weights(latest).values():
    assert np.all(np.isfinite(value))


def test_finetune_from_checkpoint_with_frozen_backbone(tmp_path):
  source = training.run(_config(tmp_path / "src", "train.steps=10",
                                    "model.name=tfjs_mnist_convnet",
                                    "model.zero_init=null"))
  config = _config(tmp_path / "ft", "train.steps=2",
                   "model.name=tfjs_mnist_convnet", "model.zero_init=null",
                   f"finetune.checkpoint={tmp_path / 'src'}",
                   "finetune.freeze_backbone=true",
                   "finetune.head_learning_rate=0.01")
  result = training.run(config)
  before = _model_weights(source.checkpoint)
  after = _model_weights(result.checkpoint)
  conv = "model/conv_pools/0/conv/w/.ATTRIBUTES/VARIABLE_VALUE"
  np.testing.assert_array_equal(before[conv], after[conv])  # Frozen, loaded.
  head = "model/head/logits/w/.ATTRIBUTES/VARIABLE_VALUE"
  assert not np.array_equal(before[head], after[head])  # Trained.

  # A model with another class count gets the backbone and a new head.
  model = zoo.create_model("tfjs_mnist_convnet", num_classes=3)
  model(tf.zeros([1, 28, 28, 1]), False)
  note = initialise_from(model, config["finetune"])
  assert "new 3-class head" in note
  np.testing.assert_array_equal(model.conv_pools[0].conv.w.numpy(),
                                before[conv])


def test_xception_flowers_config_runs_on_a_flowers17_tree(tmp_path):
  """The experiment's config end to end on a tiny tree in the official layout."""
  from PIL import Image  # pylint: disable=g-import-not-at-top
  jpg = tmp_path / "flowers17" / "jpg"
  jpg.mkdir(parents=True)
  rng = np.random.default_rng(0)
  for label in range(17):
    for k in range(5):
      pixels = rng.integers(0, 256, (60, 80, 3), dtype=np.uint8)
      Image.fromarray(pixels).save(jpg / f"image_{label * 80 + k + 1:04d}.jpg")
  config = config_lib.load_config("xception_flowers", [
      f"run_dir={tmp_path / 'run'}", f"data.data_dir={tmp_path / 'flowers17'}",
      "model.image_size=71", "data.batch_size=4", "data.eval_batch_size=17",
      "train.steps=2", "train.log_every=1", "train.eval_every=100"])
  result = training.run(config)
  assert result.examples == 17  # The seeded 80/20 split: 1 per class.
  assert np.isfinite(result.loss)
  saved = config_lib.load_config(str(tmp_path / "run" / "config.yaml"))
  assert saved["model"]["num_classes"] == 17
  assert saved["data_source"].startswith(
      f"directory {(tmp_path / 'flowers17').absolute()}")


def test_run_leaves_the_callers_config_unchanged(tmp_path):
  config = _config(tmp_path, "train.steps=2")
  before = copy.deepcopy(config)
  result = training.run(config, verbose=False)
  assert config == before
  saved = config_lib.load_config(str(result.run_dir.config_path))
  assert saved["model"]["num_classes"] == 10


def test_run_without_actions_writes_no_pictures(tmp_path):
  config = _config(tmp_path, "train.steps=2", "visualize.embeddings=true")
  with pytest.warns(UserWarning, match="no action writes the embedding"):
    training.run(config, verbose=False)
  assert not (tmp_path / "tensorboard" / "projector").exists()
  events = list((tmp_path / "tensorboard" / "train").glob("events.*"))
  tags = {value.tag for event in tf.compat.v1.train.summary_iterator(
      str(events[0])) for value in event.summary.value}
  assert "augmented_inputs" not in tags and "loss" in tags


class _Recorder(actions.RunAction):

  def __init__(self):
    self.calls = []

  def on_first_batch(self, run, images):
    self.calls.append(("first_batch", run.step, tuple(images.shape)))

  def on_finish(self, run, result):
    self.calls.append(("finish", result.step))


def test_actions_are_called_at_the_first_batch_and_the_end(tmp_path):
  recorder = _Recorder()
  config = _config(tmp_path, "train.steps=3", "data.batch_size=8")
  training.run(config, verbose=False, actions=[recorder])
  assert recorder.calls == [("first_batch", 0, (8, 28, 28, 1)),
                            ("finish", 3)]


def test_weights_that_cannot_be_fetched_leave_no_run_directory(
    tmp_path, monkeypatch):
  """A start that fails after the run directory was made (published weights
  offline, not in the cache) removes the empty directory it made."""
  monkeypatch.setenv("SNT_ZOO_OFFLINE", "1")
  monkeypatch.setenv("SNT_ZOO_CACHE", str(tmp_path / "empty-cache"))
  run_dir = tmp_path / "run"
  config = config_lib.load_config("xception_mnist_quick", [
      f"run_dir={run_dir}", "finetune.pretrained=imagenet", "train.steps=1"])
  with pytest.raises(zoo.models.pretrained.PretrainedError,
                     match="not in the cache"):
    training.run(config, verbose=False)
  assert not run_dir.exists()
  # A directory the user made is kept, whatever happens inside it.
  run_dir.mkdir()
  (run_dir / "notes.txt").write_text("mine")
  with pytest.raises(zoo.models.pretrained.PretrainedError):
    training.run(config, verbose=False)
  assert (run_dir / "notes.txt").read_text() == "mine"
