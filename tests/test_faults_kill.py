"""Runs survive kill -9: at random moments, inside a save, before the index.

Each case kills a training process the way the OOM killer or a lost machine
would (SIGKILL: no handler runs), resumes in a fresh process, and asserts
that no more than one checkpoint interval was lost, that the run never
started over, and that the finished run equals one that was never killed.
"""

import json
import os
import pathlib
import random
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import tensorflow as tf
from conftest import train_offline

from zoo.training import run_dir as run_dir_lib

_ROOT = pathlib.Path(__file__).resolve().parents[1]
_STEPS = 60
_EVERY = 5
_OVERRIDES = [f"train.steps={_STEPS}", f"train.checkpoint_every={_EVERY}",
              f"train.log_every={_EVERY}", "train.eval_every=1000",
              "train.keep_checkpoints=3", "train.precision=float32"]

# Runs training in this process after arranging a SIGKILL of itself from
# inside TensorFlow's checkpoint writer: "merge" dies after the shards are
# written to ckpt-N_temp/ and before they become ckpt-N (mid-save); "state"
# dies after ckpt-N is complete and before the `checkpoint` state file names
# it. The kill comes on call number `after + 1`.
_DRIVER = """
import os, signal, sys
kill_in, after, run_dir = sys.argv[1], int(sys.argv[2]), sys.argv[3]
if kill_in != "none":
  from tensorflow.python.checkpoint import checkpoint_management
  from tensorflow.python.checkpoint import functional_saver
  owner, name = {
      "merge": (functional_saver.gen_io_ops, "merge_v2_checkpoints"),
      "state": (checkpoint_management, "update_checkpoint_state_internal"),
  }[kill_in]
  original, calls = getattr(owner, name), [0]
  def killing(*args, **kwargs):
    calls[0] += 1
    if calls[0] > after:
      os.kill(os.getpid(), signal.SIGKILL)
    return original(*args, **kwargs)
  setattr(owner, name, killing)
from zoo import cli
sys.exit(cli.main(["train", "--config", "softmax_mnist_quick",
                   f"run_dir={run_dir}", *sys.argv[4:]]))
"""


@pytest.fixture(autouse=True)
def _offline(monkeypatch, tmp_path_factory):
  monkeypatch.setenv("SNT_ZOO_OFFLINE", "1")
  monkeypatch.setenv("SNT_ZOO_CACHE", str(tmp_path_factory.mktemp("cache")))


def _start(run_dir, kill_in="none", after=0, overrides=_OVERRIDES):
  env = dict(os.environ, PYTHONPATH=str(_ROOT), PYTHONUNBUFFERED="1")
  return subprocess.Popen(
      [sys.executable, "-c", _DRIVER, kill_in, str(after), str(run_dir),
       *overrides], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
      text=True)


def _finish(process, timeout=180):
  stdout, stderr = process.communicate(timeout=timeout)
  return process.returncode, stdout + stderr


def _model_weights(checkpoint):
  reader = tf.train.load_checkpoint(checkpoint)
  return {name: reader.get_tensor(name)
          for name in reader.get_variable_to_shape_map()
          if name.startswith("model/")}


def _resumed_step(output):
  for line in output.splitlines():
    if line.startswith("Resuming from"):
      return int(line.split(" at step ")[1].split(",")[0].rstrip("."))
  return 0


def _logged_step(run_dir):
  metrics = run_dir / "metrics.jsonl"
  if not metrics.exists():
    return 0
  steps = [0]
  for line in metrics.read_text().splitlines():
    try:
      steps.append(json.loads(line)["step"])
    except (ValueError, KeyError):
      pass  # A line cut by the kill.
  return max(steps)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
  """The same run, never killed."""
  result = train_offline(tmp_path_factory.mktemp("reference"),
                         "softmax_mnist_quick", *_OVERRIDES)
  return _model_weights(result.checkpoint)


def _assert_equal_to_reference(run_dir, reference):
  latest = tf.train.latest_checkpoint(str(run_dir / "checkpoints"))
  assert latest.endswith(f"ckpt-{_STEPS}"), latest
  weights = _model_weights(latest)
  assert weights.keys() == reference.keys()
  for name, value in reference.items():
    np.testing.assert_allclose(weights[name], value, rtol=1e-6, atol=1e-7,
                               err_msg=name)


# The fourth save (ckpt-20) is the one killed: one merge per save, two state
# file writes (before and after old checkpoints are swept).
@pytest.mark.parametrize("kill_in, after", [("merge", 3), ("state", 6)])
def test_kill_inside_a_save_loses_at_most_one_interval(
    tmp_path, reference, kill_in, after):
  code, output = _finish(_start(tmp_path, kill_in, after))
  assert code == -signal.SIGKILL, output[-2000:]
  checkpoints = tmp_path / "checkpoints"
  if kill_in == "merge":  # Cut between the shards and their merge.
    assert (checkpoints / "ckpt-20_temp").is_dir()
    assert not (checkpoints / "ckpt-20.index").exists()
  else:  # ckpt-20 is complete, the state file still names ckpt-15.
    assert (checkpoints / "ckpt-20.index").exists()
    assert tf.train.latest_checkpoint(str(checkpoints)).endswith("ckpt-15")
  code, output = _finish(_start(tmp_path))
  assert code == 0, output[-2000:]
  expected = 15 if kill_in == "merge" else 20
  assert _resumed_step(output) == expected, output[-2000:]
  assert not list(checkpoints.glob("*_temp"))
  state = tf.train.get_checkpoint_state(str(checkpoints))
  # keep_checkpoints=3 holds on disk too: nothing orphaned by the kill.
  assert len(state.all_model_checkpoint_paths) == 3
  assert {p.name for p in checkpoints.glob("*.index")} == {
      "ckpt-50.index", "ckpt-55.index", "ckpt-60.index"}
  _assert_equal_to_reference(tmp_path, reference)


def test_kill_at_random_moments_resumes_exactly(tmp_path, reference):
  """Three kills at random moments (the seed is in every failure message)."""
  seed = int(os.environ.get("SNT_ZOO_FAULT_SEED", time.time_ns() % 10**6))
  rng = random.Random(seed)
  every_step = [f"train.steps={_STEPS}", "train.checkpoint_every=1",
                "train.log_every=1", *_OVERRIDES[3:]]
  kills, killed_after, newest = 0, 0, 0
  for _ in range(4):
    process = _start(tmp_path, overrides=every_step)
    deadline = time.monotonic() + 120
    while (_logged_step(tmp_path) <= killed_after and process.poll() is None
           and time.monotonic() < deadline):
      time.sleep(0.02)
    time.sleep(rng.uniform(0.0, 0.4))
    logged = _logged_step(tmp_path)
    if process.poll() is None:
      process.send_signal(signal.SIGKILL)
    code, output = _finish(process)
    if kills:  # This process resumed after the previous kill.
      assert _resumed_step(output) == newest, (
          f"seed {seed}: killed after step {killed_after} with ckpt-{newest} "
          f"on disk: {output[-2000:]}")
    if code == 0:
      break  # Finished before this kill.
    assert code == -signal.SIGKILL, f"seed {seed}: {output[-2000:]}"
    kills, killed_after = kills + 1, logged
    on_disk = run_dir_lib.RunDir(tmp_path).checkpoints_on_disk()
    newest = int(on_disk[0].rsplit("-", 1)[1]) if on_disk else 0
    # Checkpoints every step: at most the step in flight is lost.
    assert newest >= killed_after - 1, f"seed {seed}: {on_disk}"
  else:
    code, output = _finish(_start(tmp_path, overrides=every_step))
    assert code == 0, f"seed {seed}: {output[-2000:]}"
  assert kills >= 1, f"seed {seed}: the run finished before any kill"
  _assert_equal_to_reference(tmp_path, reference)
