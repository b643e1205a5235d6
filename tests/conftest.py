"""Shared pytest setup: quiet TensorFlow, keep tests on the CPU."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import pathlib
import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

# Tests run TensorFlow with the CPU settings the snt-zoo command chooses.
from zoo import cpu_defaults  # pylint: disable=wrong-import-position

cpu_defaults.apply()


def train_offline(root: pathlib.Path, config: str, *overrides: str):
  """Trains `config` on the bundled sample into `root/run`, quietly.

  For module- and session-scoped fixtures, which cannot use `monkeypatch`:
  offline and with a cache of their own only while training.

  Returns:
    The run's `RunResult`.
  """
  from zoo import training  # pylint: disable=g-import-not-at-top
  with pytest.MonkeyPatch.context() as patch:
    patch.setenv("SNT_ZOO_OFFLINE", "1")
    patch.setenv("SNT_ZOO_CACHE", str(root / "cache"))
    return training.run(training.load_config(
        config, [f"run_dir={root / 'run'}", *overrides]), verbose=False)


@pytest.fixture(scope="session")
def exported_run_dir(tmp_path_factory):
  """A 20-step deep_mnist_quick run on the bundled sample, with its export.

  Shared by the evaluate, export and predict tests (trained once).
  """
  from zoo import run_serving  # pylint: disable=g-import-not-at-top
  root = tmp_path_factory.mktemp("exported_run")
  run = train_offline(root, "deep_mnist_quick", "train.steps=20").run_dir.path
  run_serving.export_run(run)
  yield run


def tree_digest(root: pathlib.Path) -> dict:
  """`{relative path: what it is}` of everything under `root`, links unfollowed.

  What it is: a link's target, a directory's mode, or a file's mode and
  SHA-256. Equal before and after a command: nothing there was changed.
  """
  import hashlib  # pylint: disable=g-import-not-at-top
  import stat  # pylint: disable=g-import-not-at-top
  root = pathlib.Path(root)
  found = {}
  for path in sorted([root, *root.rglob("*")]):
    status = path.lstat()
    key = path.relative_to(root).as_posix()
    if stat.S_ISLNK(status.st_mode):
      found[key] = ("link", os.readlink(path))
    elif stat.S_ISDIR(status.st_mode):
      found[key] = ("dir", stat.S_IMODE(status.st_mode))
    elif stat.S_ISREG(status.st_mode):
      found[key] = ("file", stat.S_IMODE(status.st_mode),
                    hashlib.sha256(path.read_bytes()).hexdigest())
    else:
      found[key] = ("special", stat.S_IFMT(status.st_mode))
  return found


@pytest.fixture
def sentinel(tmp_path):
  """A tree outside every run's outputs; `sentinel.unchanged()` checks it.

  Links placed in a run directory point into it: any write through them
  shows here.
  """
  root = tmp_path / "sentinel"
  (root / "sub").mkdir(parents=True)
  (root / "victim.txt").write_text("user data\n")
  (root / "sub" / "notes.md").write_text("# keep me\n")
  (root / "victim.json").write_text("{}\n")
  before = tree_digest(root)

  class Sentinel:
    path = root
    file = root / "victim.txt"

    @staticmethod
    def unchanged() -> bool:
      return tree_digest(root) == before

  return Sentinel()


@pytest.fixture
def offline(monkeypatch, tmp_path_factory):
  """No download: `SNT_ZOO_OFFLINE=1` and an empty cache of the test's own
  (MNIST then comes from the bundled sample)."""
  monkeypatch.setenv("SNT_ZOO_OFFLINE", "1")
  monkeypatch.setenv("SNT_ZOO_CACHE", str(tmp_path_factory.mktemp("cache")))


def quick_config(run_dir, *overrides: str):
  """`softmax_mnist_quick` in `run_dir`, logging, evaluating and saving
  often enough for short test runs."""
  from zoo.training import config as config_lib  # pylint: disable=g-import-not-at-top
  return config_lib.load_config("softmax_mnist_quick", [
      f"run_dir={run_dir}", "train.log_every=5", "train.eval_every=10",
      "train.checkpoint_every=10", *overrides])
