"""What the run-level pictures share: the run and its output folder."""

import os
import pathlib
from typing import Optional, Union

from zoo.datasets import safe_files
from zoo.training.run_dir import RunDir

RunLike = Union[RunDir, os.PathLike, str]


def as_run(run: RunLike) -> RunDir:
  """`run` as a `RunDir` (a path is wrapped, a `RunDir` kept)."""
  return run if isinstance(run, RunDir) else RunDir(run)


def out_dir(run: RunDir, out: Optional[os.PathLike] = None,
            sub: str = "") -> pathlib.Path:
  """`out` (default RUN_DIR/visualize), or a folder `sub` in it, created.

  Raises:
    RunDirError: If the run's directory does not exist (nothing is created
      then).
  """
  run.check_exists()
  path = pathlib.Path(out) if out else run.visualize_dir
  if sub:
    path = path / sub
  if not out:
    # The run's own folders: never a link someone placed there.
    for own in (run.visualize_dir, path):
      if own.is_symlink():
        raise safe_files.UnsafePathError(
            f"{own} is a symbolic link; pictures are written into the run's "
            "own folder only. Remove the link, or pass --out DIR.")
  try:
    path.mkdir(parents=True, exist_ok=True)
  except (FileExistsError, NotADirectoryError):
    raise safe_files.UnsafePathError(
        f"{path} cannot hold pictures: it, or a folder above it, is a file. "
        "Pass --out DIR (a directory, new or existing).") from None
  return path


def trained_model(run: RunDir, model=None):
  """`(model, checkpoint)`: `model` as given (checkpoint None), else the
  run's best (else latest) checkpoint restored."""
  if model is not None:
    return model, None
  return run.restore_model()
