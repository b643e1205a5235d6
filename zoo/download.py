"""Verified, atomic downloads into the snt-zoo cache.

The one downloader of the project: datasets (`zoo.datasets.download`) and
pretrained weights (`zoo.models.pretrained`) both fetch through it. Every file
is checked against a published checksum before it is used, and is written to
a temporary file beside its destination and moved into place with one
`os.replace`, so a half-written file never looks complete. A dropped
connection is retried; a host that cannot be reached at all fails at once.

    path = download.fetch_file(["https://host/w.h5"], cache_root() / "w.h5",
                               "md5:0a58e3b7378bc2990ea3b43d5981f1f6")
"""

import hashlib
import http.client
import os
import socket
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Optional, Sequence

CACHE_ENV = "SNT_ZOO_CACHE"
#: Set (to anything) to forbid downloads: cached files only.
OFFLINE_ENV = "SNT_ZOO_OFFLINE"

_CHUNK_BYTES = 1 << 20


class DownloadError(RuntimeError):
  """A download failed: no connection, a dropped connection or a bad checksum."""


class UnreachableError(DownloadError):
  """No server could be reached (offline, refused, unknown host, HTTP error)."""


def cache_root() -> Path:
  """Returns the cache root: `$SNT_ZOO_CACHE` or `~/.cache/snt-zoo`."""
  override = os.environ.get(CACHE_ENV)
  if override:
    return Path(override).expanduser()
  return Path.home() / ".cache" / "snt-zoo"


def is_offline() -> bool:
  """Whether `$SNT_ZOO_OFFLINE` forbids downloads."""
  return bool(os.environ.get(OFFLINE_ENV))


def digest(path: Path, algorithm: str) -> str:
  """Hex digest of a file."""
  hasher = hashlib.new(algorithm)
  with open(path, "rb") as f:
    for chunk in iter(lambda: f.read(_CHUNK_BYTES), b""):
      hasher.update(chunk)
  return hasher.hexdigest()


def verify_checksum(path: Path, checksum: str) -> None:
  """Raises DownloadError unless the file matches `"<algorithm>:<hex>"`."""
  algorithm, expected = checksum.split(":", 1)
  actual = digest(path, algorithm)
  if actual != expected.lower():
    raise DownloadError(
        f"{path.name}: {algorithm} checksum mismatch (expected {expected}, "
        f"got {actual}). The download is corrupt or the server changed the "
        "file; it was deleted.")


class _ConnectError(Exception):
  """The server could not be reached at all (not worth retrying)."""


def _progress_bar(total: Optional[int], name: str):
  """A tqdm bar on stderr when it is a terminal, else None."""
  if not sys.stderr.isatty():
    return None
  import tqdm  # pylint: disable=g-import-not-at-top
  return tqdm.tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024,
                   desc=name, file=sys.stderr, leave=False,
                   dynamic_ncols=True)


def _download_once(url: str, destination: Path, timeout: float,
                   progress: bool = False) -> None:
  """Downloads `url` to `destination`, raising on any short or failed read."""
  try:
    response = urllib.request.urlopen(url, timeout=timeout)
  except urllib.error.HTTPError as e:
    raise _ConnectError(f"HTTP {e.code} {e.reason}") from e
  except (urllib.error.URLError, socket.timeout, ConnectionError) as e:
    raise _ConnectError(str(getattr(e, "reason", e))) from e
  with response, open(destination, "wb") as out:
    declared = response.headers.get("Content-Length")
    bar = _progress_bar(int(declared) if declared else None,
                        destination.name) if progress else None
    received = 0
    try:
      while True:
        chunk = response.read(_CHUNK_BYTES)
        if not chunk:
          break
        out.write(chunk)
        received += len(chunk)
        if bar is not None:
          bar.update(len(chunk))
    finally:
      if bar is not None:
        bar.close()
  if declared is not None and received != int(declared):
    raise http.client.IncompleteRead(b"", int(declared) - received)


def download_file(urls: Sequence[str], destination: Path,
                  checksum: Optional[str], retries: int = 3,
                  timeout: float = 5.0, progress: bool = False) -> str:
  """Downloads one file from the first mirror that works and verifies it.

  A dropped connection (a short read, a reset, a read timeout) is retried up
  to `retries` times with a short back-off; a mirror that refuses the
  connection or fails to resolve is skipped at once.

  Args:
    urls: candidate URLs of the same file.
    destination: where to write it.
    checksum: `"sha256:<hex>"` or `"md5:<hex>"`; None only where the
      publisher gives no checksum and the caller allowed that.
    retries: attempts per mirror after a dropped connection.
    timeout: socket timeout in seconds (connect and each read).
    progress: show a tqdm bar on stderr (when it is a terminal).

  Returns:
    The URL that served the file.

  Raises:
    UnreachableError: no mirror could be reached; nothing is left behind.
    DownloadError: no mirror delivered a file with the right checksum; the
      partial file is deleted.
  """
  problems = []
  reached = False
  for url in urls:
    for attempt in range(1, retries + 1):
      try:
        _download_once(url, destination, timeout, progress)
        reached = True
        if checksum:
          verify_checksum(destination, checksum)
        return url
      except _ConnectError as e:
        destination.unlink(missing_ok=True)
        problems.append(f"{url}: cannot connect ({e})")
        break
      except DownloadError as e:
        destination.unlink(missing_ok=True)
        problems.append(f"{url}: {e}")
        break
      except (http.client.HTTPException, OSError) as e:
        destination.unlink(missing_ok=True)
        problems.append(f"{url}: connection dropped on attempt {attempt} "
                        f"({type(e).__name__}: {e})")
        time.sleep(0.2 * attempt)
  error = DownloadError if reached else UnreachableError
  raise error("; ".join(problems))


def fetch_file(urls: Sequence[str], destination: os.PathLike,
               checksum: Optional[str], retries: int = 3,
               timeout: float = 5.0, progress: bool = True) -> Path:
  """Downloads and verifies one file into `destination` atomically.

  The file is written to a temporary file beside `destination`, verified and
  then renamed into place, so `destination` only ever holds a complete,
  verified file. Only that temporary file is deleted on failure; nothing
  else in the directory is touched, and an existing `destination` is never
  overwritten (the caller decides what an existing file means).

  Args:
    urls: candidate URLs of the same file.
    destination: the final path.
    checksum: `"<algorithm>:<hex>"`, or None for a file without one.
    retries: attempts per mirror after a dropped connection.
    timeout: socket timeout in seconds.
    progress: a tqdm bar on stderr when it is a terminal.

  Returns:
    `destination`.

  Raises:
    FileExistsError: `destination` already exists.
    UnreachableError: no mirror could be reached.
    DownloadError: the download failed or did not match `checksum`.
  """
  destination = Path(destination)
  if destination.exists() or destination.is_symlink():
    raise FileExistsError(f"{destination} already exists; not replaced.")
  destination.parent.mkdir(parents=True, exist_ok=True)
  handle, partial = tempfile.mkstemp(prefix=f".{destination.name}.partial-",
                                     dir=destination.parent)
  os.close(handle)
  partial = Path(partial)
  try:
    download_file(urls, partial, checksum, retries, timeout, progress)
    if destination.exists() or destination.is_symlink():
      raise FileExistsError(f"{destination} appeared during the download; "
                            "not replaced.")
    os.replace(partial, destination)
  finally:
    partial.unlink(missing_ok=True)
  return destination
