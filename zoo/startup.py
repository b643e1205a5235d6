"""Process start-up settings of the `snt-zoo` command, before TensorFlow loads.

    startup.quiet_tensorflow(debug=False)   # first thing in cli.main

TensorFlow's native libraries print start-up notes when they load (oneDNN
is on, no CUDA driver, CPU instructions it was not built for, and absl's
note that it logs before initialisation) straight to the process's stderr,
below Python, where no log level set after the fact reaches them.
`quiet_tensorflow` sets TensorFlow's log levels where the user has not,
and, around the one `import tensorflow`, catches stderr at the file
descriptor and passes on every line but those notes. With `debug` (the
`--debug` flag, `SNT_ZOO_DEBUG=1`) it does nothing, so everything shows.
"""

import contextlib
import importlib.abc
import importlib.util
import os
import re
import sys
import tempfile
import threading
import warnings

#: Set to 1 to show everything (tracebacks, TensorFlow's start-up notes).
DEBUG_ENV = "SNT_ZOO_DEBUG"

#: Start-up notes of TensorFlow's native libraries (one regex per line).
_NOISE = re.compile(
    r"WARNING: All log messages before absl::InitializeLog\(\) is called"
    r"|^[IW]\d{4} [\d:. ]+\d+ (port|cudart_stub|cpu_feature_guard|"
    r"cuda_\w+|gpu_device)\.cc:\d+\]"
    r"|^To enable the following instructions: .*rebuild TensorFlow"
    # LiteRT's note when it applies its default CPU delegate.
    r"|^INFO: Created TensorFlow Lite XNNPACK delegate for CPU\.")

# Whether `quiet_tensorflow` asked for quiet native libraries.
_QUIET = False
# Held while fd 2 is redirected (re-entrant: a block may nest one).
_FILTERING = threading.RLock()


def quiet_tensorflow(debug: bool = False) -> None:
  """Keeps TensorFlow's start-up notes off a normal run's stderr.

  Sets `TF_CPP_MIN_LOG_LEVEL=3` unless set (the native libraries' own
  messages, such as a failed CUDA initialisation on a machine without a
  GPU; Python's warnings and errors still show), filters the native
  libraries' notes out of what the first `import tensorflow` writes to
  stderr, and turns on `native_notes_filtered` (LiteRT's notes).
  Idempotent; does nothing with `debug`.

  Args:
    debug: Show everything (`--debug`, SNT_ZOO_DEBUG=1).
  """
  global _QUIET
  if debug:
    return
  _QUIET = True
  if "tensorflow" in sys.modules:
    return
  os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
  if not any(isinstance(f, _QuietImport) for f in sys.meta_path):
    sys.meta_path.insert(0, _QuietImport())


def one_line_warnings() -> None:
  """Shows the zoo's own warnings as one line (`Warning: <message>`), not
  Python's two lines with the zoo's source line; others keep their format."""
  default = warnings.formatwarning
  package = os.path.dirname(os.path.abspath(__file__))

  def formatwarning(message, category, filename, lineno, line=None):
    if os.path.abspath(filename).startswith(package + os.sep):
      return f"Warning: {message}\n"
    return default(message, category, filename, lineno, line)

  if getattr(warnings.formatwarning, "__module__", None) != __name__:
    warnings.formatwarning = formatwarning


def without_noise(text: str) -> str:
  """`text` without the lines that are TensorFlow's start-up notes."""
  return "".join(line for line in text.splitlines(keepends=True)
                 if not _NOISE.search(line))


class _QuietImport(importlib.abc.MetaPathFinder):
  """Runs the first `import tensorflow` with stderr caught and filtered."""

  def find_spec(self, fullname, path=None, target=None):  # pylint: disable=unused-argument
    if fullname != "tensorflow":
      return None
    sys.meta_path.remove(self)  # Once; and find the real spec below.
    spec = importlib.util.find_spec(fullname)
    if spec is None or spec.loader is None:
      return spec
    spec.loader = _QuietLoader(spec.loader)
    return spec


@contextlib.contextmanager
def native_notes_filtered():
  """Filters native start-up notes out of what the block writes to stderr.

  Catches file descriptor 2 (where C++ libraries write) for the block and
  passes on every line but the notes. Only after `quiet_tensorflow`
  (the `snt-zoo` command without `--debug`); otherwise it does nothing.
  """
  if not _QUIET or sys.stderr is None or sys.stderr.closed:
    yield
    return
  with _FILTERING:  # fd 2 is the process's: one block redirects it at once.
    sys.stderr.flush()
    try:
      saved = os.dup(2)
    except OSError:  # No file descriptor 2 (stderr closed, or embedded).
      yield
      return
    with _caught_into(saved):
      yield


@contextlib.contextmanager
def _caught_into(saved: int):
  """Points fd 2 at a temporary file; then back at `saved`, filtered."""
  with tempfile.TemporaryFile(mode="w+b") as caught:
    os.dup2(caught.fileno(), 2)
    try:
      yield
    finally:
      sys.stderr.flush()
      os.dup2(saved, 2)
      os.close(saved)
      caught.seek(0)
      kept = without_noise(caught.read().decode(errors="replace"))
      if kept:
        sys.stderr.write(kept)
        sys.stderr.flush()


class _QuietLoader(importlib.abc.Loader):
  """A loader that filters the native stderr of the module it executes."""

  def __init__(self, loader):
    self._loader = loader

  def create_module(self, spec):
    return self._loader.create_module(spec)

  def exec_module(self, module):
    with native_notes_filtered():
      self._loader.exec_module(module)
