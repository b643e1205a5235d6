"""Writing the zoo's own files without following a link someone placed.

Every file the zoo writes in a run directory, an export or a data cache goes
through here:

    safe_files.write_text(run / "config.yaml", text)    # temporary + rename
    with safe_files.open_append(run / "metrics.jsonl") as f: ...
    with safe_files.open_update(run / ".lock") as f: ...

A whole file (`write_text`, `write_bytes`, or `write_with` for writers that
take a path, such as `savefig`) is written to a new temporary beside the
target and renamed over it, so a reader never sees half of it and nothing
is written through a link. Files that are appended to or locked are opened
with `O_NOFOLLOW` and must be regular files with one link. A symbolic link
(or a FIFO, a device, a hard-linked file) where the file belongs is refused
with one line naming it (`UnsafePathError`), and nothing outside is
touched. `create_new` never replaces anything already there.
"""

import os
import pathlib
import stat
import tempfile
from typing import IO, Callable, Union

PathLike = Union[str, os.PathLike]

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


class UnsafePathError(OSError):
  """A file the zoo writes is a symbolic link (or not a regular file)."""


def check_not_link(path: PathLike) -> pathlib.Path:
  """Raises UnsafePathError if `path` is a symbolic link or not a file.

  Returns:
    `path` as a `pathlib.Path`.
  """
  path = pathlib.Path(path)
  if path.is_symlink():
    raise UnsafePathError(
        f"{path} is a symbolic link (to {os.readlink(path)}); the zoo writes "
        "its own files only, never through a link. Remove the link (or "
        "choose another directory) and run again.")
  if path.exists() and not path.is_file():
    raise UnsafePathError(
        f"{path} exists and is not a regular file; move it away (or choose "
        "another directory) and run again.")
  return path


def write_bytes(path: PathLike, data: bytes) -> None:
  """Writes `data` to `path` atomically: a temporary beside it, renamed.

  Raises:
    UnsafePathError: If `path` is a link or not a regular file.
  """
  path = check_not_link(path)
  handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp",
                                       dir=path.parent)
  try:
    with os.fdopen(handle, "wb") as f:
      f.write(data)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(temporary, 0o666 & ~umask)  # mkstemp makes it private.
    check_not_link(path)  # It may have appeared since.
    os.replace(temporary, path)
  except BaseException:
    if os.path.lexists(temporary):
      os.unlink(temporary)
    raise


def write_with(path: PathLike, write: Callable[[str], None]) -> None:
  """Has `write(temporary_path)` write the file, then renames it to `path`.

  For writers that take a path (`figure.savefig`, `image.save`): the
  temporary keeps `path`'s extension, which they read the format from.

  Raises:
    UnsafePathError: If `path` is a link or not a regular file.
  """
  path = check_not_link(path)
  handle, temporary = tempfile.mkstemp(prefix=f".{path.stem}.",
                                       suffix=path.suffix, dir=path.parent)
  os.close(handle)
  try:
    write(temporary)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(temporary, 0o666 & ~umask)
    check_not_link(path)
    os.replace(temporary, path)
  except BaseException:
    if os.path.lexists(temporary):
      os.unlink(temporary)
    raise


def write_text(path: PathLike, text: str) -> None:
  """`write_bytes` of UTF-8 text."""
  write_bytes(path, text.encode("utf-8"))


def _open_nofollow(path: PathLike, flags: int, mode: str) -> IO:
  path = pathlib.Path(path)
  try:
    descriptor = os.open(path, flags | _NOFOLLOW, 0o666)
  except OSError:
    check_not_link(path)  # ELOOP: say it is a link, in one line.
    raise
  status = os.fstat(descriptor)
  if not stat.S_ISREG(status.st_mode):
    os.close(descriptor)
    check_not_link(path)
  if status.st_nlink > 1:
    os.close(descriptor)
    raise UnsafePathError(
        f"{path} has {status.st_nlink} hard links: writing it would change "
        "another file too. Remove it (a copy is fine) and run again.")
  return os.fdopen(descriptor, mode)


def open_append(path: PathLike) -> IO[bytes]:
  """Opens `path` for reading and appending (created if absent), no link."""
  return _open_nofollow(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, "a+b")


def open_update(path: PathLike) -> IO[str]:
  """Opens `path` as text for reading and writing (created), no link."""
  return _open_nofollow(path, os.O_RDWR | os.O_CREAT, "r+")


def create_new(path: PathLike, data: bytes) -> bool:
  """Writes `data` to `path` only if nothing (not even a link) is there.

  Returns:
    Whether the file was created (False: something already has the name).
  """
  try:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL |
                         _NOFOLLOW, 0o666)
  except FileExistsError:
    return False
  with os.fdopen(descriptor, "wb") as f:
    f.write(data)
  return True
