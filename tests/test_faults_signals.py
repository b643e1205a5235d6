"""SIGINT and SIGTERM during start-up: exit 130 / 143, one line, no traceback.

The training loop saves and stops on a signal (tests/test_faults.py); these
cases signal `snt-zoo train` before its first step (while TensorFlow is
imported, and while the run is being built) in a subprocess.
"""

import os
import pathlib
import signal
import subprocess
import sys
import time

import pytest

_ROOT = pathlib.Path(__file__).resolve().parents[1]


def _start(run_dir, tmp_path):
  env = dict(os.environ, SNT_ZOO_OFFLINE="1", PYTHONPATH=str(_ROOT),
             SNT_ZOO_CACHE=str(tmp_path / "cache"))
  env.pop("SNT_ZOO_DEBUG", None)
  return subprocess.Popen(
      [sys.executable, "-m", "zoo.cli", "train", "--config",
       "softmax_mnist_quick", f"run_dir={run_dir}", "train.steps=100000"],
      cwd=_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
      text=True)


def _wait_for(condition, timeout=120.0):
  deadline = time.monotonic() + timeout
  while not condition():
    if time.monotonic() > deadline:
      raise AssertionError("timed out")
    time.sleep(0.05)


def _catches(pid, sig) -> bool:
  """Whether process `pid` has a handler for `sig` (Linux /proc)."""
  try:
    status = pathlib.Path(f"/proc/{pid}/status").read_text()
  except OSError:
    return False
  for line in status.splitlines():
    if line.startswith("SigCgt:"):
      return bool(int(line.split()[1], 16) >> (sig - 1) & 1)
  return False


@pytest.mark.skipif(not pathlib.Path("/proc/self/status").exists(),
                    reason="reads signal handlers from /proc")
@pytest.mark.parametrize("sig,code,moment", [
    (signal.SIGTERM, 143, "importing"), (signal.SIGINT, 130, "building")])
def test_a_signal_before_the_first_step_exits_cleanly(tmp_path, sig, code,
                                                      moment):
  run_dir = tmp_path / "run"
  process = _start(run_dir, tmp_path)
  try:
    if moment == "importing":
      # The command's handler is in place; TensorFlow is still loading.
      _wait_for(lambda: _catches(process.pid, signal.SIGTERM))
    else:
      _wait_for(lambda: (run_dir / ".lock").exists())  # The run is built.
    process.send_signal(sig)
    _, err = process.communicate(timeout=120)
  finally:
    if process.poll() is None:
      process.kill()
  assert process.returncode == code, err
  assert "Traceback" not in err
  lines = [line for line in err.splitlines() if line.strip()]
  assert lines and signal.Signals(sig).name in lines[-1], err
  assert not list((run_dir / "checkpoints").glob("ckpt-*"))
