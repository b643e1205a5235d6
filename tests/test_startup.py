"""zoo.startup: TensorFlow's start-up notes kept off a normal run's stderr."""

import importlib.machinery
import importlib.util
import os
import subprocess
import sys
import warnings

from zoo import startup
from zoo.serving import artifact

_NOTES = (
    "WARNING: All log messages before absl::InitializeLog() is called are "
    "written to STDERR\n"
    "I0000 00:00:1796418386.016707    4914 port.cc:153] oneDNN custom "
    "operations are on.\n"
    "I0000 00:00:1796418386.017062    4914 cudart_stub.cc:31] Could not find "
    "cuda drivers on your machine, GPU will not be used.\n"
    "To enable the following instructions: AVX2 AVX512F FMA, in other "
    "operations, rebuild TensorFlow with the appropriate compiler flags.\n")


def test_only_the_start_up_notes_are_dropped():
  assert startup.without_noise(_NOTES + "Traceback: a real error\n") == (
      "Traceback: a real error\n")


def test_the_quiet_loader_filters_native_stderr(tmp_path, capfd,
                                               monkeypatch):
  monkeypatch.setattr(startup, "_QUIET", True)  # As after quiet_tensorflow.
  module_file = tmp_path / "noisy_native.py"
  module_file.write_text(
      "import os\n"
      f"os.write(2, {_NOTES.encode()!r})\n"
      "os.write(2, b'E0000 a real native error\\n')\n")
  spec = importlib.util.spec_from_file_location("noisy_native", module_file)
  spec.loader = startup._QuietLoader(spec.loader)  # pylint: disable=protected-access
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  assert capfd.readouterr().err == "E0000 a real native error\n"


def test_native_notes_are_filtered_only_when_asked(capfd, monkeypatch):
  note = b"INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\n"
  monkeypatch.setattr(startup, "_QUIET", False)  # A library user.
  with startup.native_notes_filtered():
    os.write(2, note)
  assert capfd.readouterr().err == note.decode()
  monkeypatch.setattr(startup, "_QUIET", True)
  with startup.native_notes_filtered():
    os.write(2, note + b"E0000 a real native error\n")
  assert capfd.readouterr().err == "E0000 a real native error\n"


def test_a_quiet_import_of_tensorflow_prints_nothing():
  code = ("from zoo import startup\n"
          "startup.quiet_tensorflow()\n"
          "import tensorflow as tf\n"
          "print(int(tf.reduce_sum(tf.ones([3]))))\n")
  env = {k: v for k, v in os.environ.items()
         if k not in ("TF_CPP_MIN_LOG_LEVEL", "SNT_ZOO_DEBUG")}
  result = subprocess.run([sys.executable, "-c", code], capture_output=True,
                          text=True, check=False, env=env)
  assert result.returncode == 0 and result.stdout == "3\n", result.stderr
  assert result.stderr == ""


def test_the_zoo_s_warnings_are_one_line(monkeypatch):
  monkeypatch.setattr(warnings, "formatwarning", warnings.formatwarning)
  startup.one_line_warnings()
  ours = warnings.formatwarning("a note", UserWarning, artifact.__file__, 3)
  assert ours == "Warning: a note\n"
  theirs = warnings.formatwarning("x", UserWarning, "/elsewhere/mod.py", 3)
  assert "/elsewhere/mod.py:3" in theirs


def test_native_filtering_survives_no_stderr_and_threads(monkeypatch):
  import threading  # pylint: disable=g-import-not-at-top
  import time  # pylint: disable=g-import-not-at-top
  monkeypatch.setattr(startup, "_QUIET", True)
  monkeypatch.setattr(sys, "stderr", None)  # Started with 2>&-.
  with startup.native_notes_filtered():
    pass
  monkeypatch.undo()
  monkeypatch.setattr(startup, "_QUIET", True)
  before = os.fstat(2)

  def block():
    with startup.native_notes_filtered():
      time.sleep(0.05)

  threads = [threading.Thread(target=block) for _ in range(4)]
  for thread in threads:
    thread.start()
  for thread in threads:
    thread.join()
  after = os.fstat(2)
  assert (after.st_dev, after.st_ino) == (before.st_dev, before.st_ino)
