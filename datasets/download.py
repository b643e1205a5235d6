"""Verified, atomic downloads of the raw dataset files, and the cache layout.

Files are fetched and verified by `zoo.download`, the project's one
downloader; this module knows the datasets' mirrors, checksums and layout.

Every file is checked against a published checksum before it is used. A
dataset is assembled in a temporary directory beside its destination and
moved into place with one `os.replace`, so a half-written dataset never looks
complete. A dropped connection is retried; a host that cannot be reached at
all fails at once (with the URL and the manual steps), so offline use is fast.
"""

import dataclasses
import json
import os
import shutil
import tarfile
import tempfile
from pathlib import Path
from typing import Dict, Optional, Sequence, Tuple

from zoo import download as _files

from . import safe_files
from .errors import DownloadError, FetchRefused

CACHE_ENV = _files.CACHE_ENV
cache_root = _files.cache_root
OFFLINE_ENV = _files.OFFLINE_ENV
URL_ENV = "SNT_ZOO_DATA_URL"
COMPLETE_MARKER = ".snt-zoo-complete"


@dataclasses.dataclass(frozen=True)
class RemoteFile:
  """One file to download.

  Attributes:
    filename: name of the file on the server and in the dataset directory.
    checksum: `"sha256:<hex>"` or `"md5:<hex>"`, as published.
    extract: whether the file is a tar archive to unpack (and then delete).
  """
  filename: str
  checksum: str
  extract: bool = False


@dataclasses.dataclass(frozen=True)
class RemoteDataset:
  """Where a dataset's files live and their checksums.

  Attributes:
    base_urls: mirrors, tried in order; each ends with "/".
    files: the files that make up the dataset.
    manual_steps: what to do by hand when downloading is impossible.
  """
  base_urls: Tuple[str, ...]
  files: Tuple[RemoteFile, ...]
  manual_steps: str


_MNIST_STEPS = ("download the four files listed above by hand (e.g. with a "
                "browser or `curl -O URL`) into {dir}; plain or .gz both work")

# The checksum table. Sources:
# - mnist: SHA-256 from TensorFlow Datasets,
#   tensorflow/datasets tensorflow_datasets/url_checksums/mnist.txt, for the
#   CVDF mirror that TFDS and torchvision use.
# - fashion_mnist: SHA-256 from TensorFlow Datasets,
#   tensorflow/datasets tensorflow_datasets/url_checksums/fashion_mnist.txt
#   (the official zalando S3 site); the Keras mirror is tried first and must
#   serve byte-identical files, else the checksum rejects them.
# - flowers17: MD5 published by the Visual Geometry Group, University of
#   Oxford, on https://www.robots.ox.ac.uk/~vgg/data/flowers/17/ (no SHA-256
#   is published).
REMOTE_DATASETS: Dict[str, RemoteDataset] = {
    "mnist": RemoteDataset(
        base_urls=("https://storage.googleapis.com/cvdf-datasets/mnist/",),
        files=(
            RemoteFile("train-images-idx3-ubyte.gz", "sha256:440fcabf73cc546f"
                       "a21475e81ea370265605f56be210a4024d2ca8f203523609"),
            RemoteFile("train-labels-idx1-ubyte.gz", "sha256:3552534a0a558bbe"
                       "d6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"),
            RemoteFile("t10k-images-idx3-ubyte.gz", "sha256:8d422c7b0a1c1c79"
                       "245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"),
            RemoteFile("t10k-labels-idx1-ubyte.gz", "sha256:f7ae60f92e00ec6d"
                       "ebd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"),
        ),
        manual_steps=_MNIST_STEPS),
    "fashion_mnist": RemoteDataset(
        base_urls=(
            "https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
            "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        ),
        files=(
            RemoteFile("train-images-idx3-ubyte.gz", "sha256:3aede38d61863908"
                       "ad78613f6a32ed271626dd12800ba2636569512369268a84"),
            RemoteFile("train-labels-idx1-ubyte.gz", "sha256:a04f17134ac03560"
                       "a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845"),
            RemoteFile("t10k-images-idx3-ubyte.gz", "sha256:346e55b948d973a9"
                       "7e58d2351dde16a484bd415d4595297633bb08f03db6a073"),
            RemoteFile("t10k-labels-idx1-ubyte.gz", "sha256:67da17c76eaffca5"
                       "446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5"),
        ),
        manual_steps=_MNIST_STEPS),
    "flowers17": RemoteDataset(
        base_urls=("https://www.robots.ox.ac.uk/~vgg/data/flowers/17/",),
        files=(
            RemoteFile("17flowers.tgz", "md5:b59a65d8d1a99cd66944d474e1289eab",
                       extract=True),
            RemoteFile("datasplits.mat",
                       "md5:4828cddfd0d803c5abbdebcb1e148a1e"),
        ),
        manual_steps=("download both files by hand, then `tar xzf "
                      "17flowers.tgz -C {dir}` (giving {dir}/jpg/image_0001.jpg"
                      " ...) and copy datasplits.mat into {dir}")),
}


def cache_dir(name: str) -> Path:
  """Returns the cache directory of one dataset, `<cache root>/<name>`."""
  return cache_root() / name


def read_marker(directory: Path) -> Optional[Dict]:
  """The completion marker of a fetched directory, or None without one.

  The marker records `dataset` (its name) and `files` (each installed
  file's relative path -> SHA-256 and size). Markers written before those
  were recorded hold only the downloads; they read as `{"downloads": ...}`.
  """
  marker = Path(directory) / COMPLETE_MARKER
  if marker.is_symlink() or not marker.is_file():
    return None
  try:
    record = json.loads(marker.read_text())
  except (OSError, ValueError):
    return {}
  if not isinstance(record, dict):
    return {}
  if "files" not in record:
    return {"downloads": record}
  return record


def is_complete(directory: Path, name: Optional[str] = None) -> bool:
  """Whether `directory` holds a dataset that `fetch` finished writing.

  Args:
    directory: The dataset directory.
    name: The dataset it must hold (default: any). With a name, the marker
      must record that dataset (older markers: its downloaded files must be
      there), and every file it installed must be there at its size.
  """
  record = read_marker(Path(directory))
  if record is None:
    return False
  if name is None:
    return True
  directory = Path(directory)
  if "files" not in record:  # An older marker: only the downloads known.
    remote = REMOTE_DATASETS.get(name)
    return remote is not None and all(
        (directory / f.filename).is_file() for f in remote.files
        if not f.extract)
  if record.get("dataset") != name or not isinstance(record["files"], dict):
    return False
  for relative, entry in record["files"].items():
    path = directory / relative
    if (path.is_symlink() or not path.is_file() or
        path.stat().st_size != (entry or {}).get("size")):
      return False
  return True


def _base_urls(remote: RemoteDataset, base_url: Optional[str]
               ) -> Tuple[str, ...]:
  """The mirrors to try: an explicit or `$SNT_ZOO_DATA_URL` base, or the table."""
  override = base_url or os.environ.get(URL_ENV)
  if override:
    return (override.rstrip("/") + "/",)
  return remote.base_urls


def verify_checksum(path: Path, checksum: str) -> None:
  """Raises DownloadError unless the file matches `"<algorithm>:<hex>"`."""
  try:
    _files.verify_checksum(path, checksum)
  except _files.DownloadError as e:
    raise DownloadError(str(e)) from None


def download_file(urls: Sequence[str], destination: Path, checksum: str,
                  retries: int = 3, timeout: float = 5.0) -> str:
  """`zoo.download.download_file`, raising this package's DownloadError."""
  try:
    return _files.download_file(urls, destination, checksum, retries,
                                timeout, progress=True)
  except _files.DownloadError as e:
    raise DownloadError(str(e)) from None


def _extract_tar(archive: Path, directory: Path) -> None:
  """Unpacks a tar archive: regular files and directories only, inside.

  Members that would leave `directory` and links, devices and FIFOs are
  refused; permissions are those of plain data (no setuid, setgid or
  sticky bit, nothing writable by others), with tarfile's "data" filter
  where this Python has it.
  """
  try:
    with tarfile.open(archive) as tar:
      root = directory.resolve()
      for member in tar.getmembers():
        target = (directory / member.name).resolve()
        if root != target and root not in target.parents:
          raise DownloadError(f"{archive.name}: member {member.name!r} would "
                              "be written outside the dataset directory.")
        if not (member.isfile() or member.isdir()):
          raise DownloadError(f"{archive.name}: member {member.name!r} is "
                              "not a regular file or directory.")
      if hasattr(tarfile, "data_filter"):
        tar.extractall(directory, filter="data")
      else:  # Python before 3.11.4: the same rules by hand.
        for member in tar.getmembers():
          member.mode = (member.mode or 0o644) & 0o755
          member.uid = member.gid = 0
          member.uname = member.gname = ""
        tar.extractall(directory, numeric_owner=True)
  except (tarfile.TarError, EOFError, OSError) as e:
    raise DownloadError(f"{archive.name}: cannot extract ({e}).") from e


def _installed_files(directory: Path) -> Dict[str, Dict]:
  """`{relative path: {"sha256", "size"}}` of every file under `directory`."""
  found = {}
  for root, _, files in os.walk(directory):
    for file_name in files:
      path = Path(root, file_name)
      if path.name == COMPLETE_MARKER and path.parent == directory:
        continue
      found[path.relative_to(directory).as_posix()] = {
          "sha256": _files.digest(path, "sha256"),
          "size": path.stat().st_size}
  return found


def _install_over(staging: Path, directory: Path, name: str,
                  record: Dict) -> None:
  """Replaces the files an earlier fetch installed in `directory`.

  Only files the earlier marker records are removed (or replaced); a file
  someone added is kept, and one that the new files would replace is
  refused before anything changes, unless it is byte-identical.
  """
  new_files = _installed_files(staging)
  old_files = record.get("files")
  if not isinstance(old_files, dict):  # An older marker: downloads only.
    old_files = {k: None for k in record.get("downloads", {})}
  for relative, entry in new_files.items():
    target = directory / relative
    if relative in old_files or not os.path.lexists(target):
      continue
    if (target.is_symlink() or not target.is_file() or
        _files.digest(target, "sha256") != entry["sha256"]):
      raise FetchRefused(
          f"{target} was not installed by fetch and the new {name} files "
          "would replace it; nothing was changed. Move it away and run "
          "fetch --force again.")
  root = directory.resolve()
  marker = directory / COMPLETE_MARKER
  marker.unlink()  # Incomplete from here until the new marker is written.
  for relative in old_files:
    target = directory / relative
    if root not in target.parent.resolve().parents and (
        target.parent.resolve() != root):
      continue  # A marker naming a file elsewhere: never removed.
    if target.is_symlink() or target.is_file():
      target.unlink()
  for relative in new_files:
    target = directory / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(staging / relative, target)
  os.replace(staging / COMPLETE_MARKER, marker)


def _manual_message(name: str, remote: RemoteDataset, urls: Sequence[str],
                    directory: Path) -> str:
  """The manual steps shown when a download fails."""
  listing = " ".join(base + f.filename for base in urls[:1]
                     for f in remote.files)
  steps = remote.manual_steps.format(dir=directory)
  return (f"Could not download {name}. Files: {listing}. To install it by "
          f"hand: {steps}; then pass data.data_dir={directory} (or --dir for fetch).")


def _check_destination(directory: Path) -> None:
  """Refuses a destination that is, or lies below, something not a folder.

  Raises:
    FetchRefused: Naming the file in the way.
  """
  for path in (directory, *directory.parents):
    if not os.path.lexists(path):
      continue
    if not path.is_dir():
      if path.is_symlink() and not path.exists():
        what = f"is a broken link or a link loop (to {os.readlink(path)})"
      elif path.is_file():
        what = "is a file"
      else:
        what = "is not a directory (a link to one, a FIFO or a device)"
      raise FetchRefused(
          f"{path} {what}, so {directory} cannot be a dataset directory; "
          "nothing was changed. Point --dir at a directory (new, empty, or "
          "one fetch filled before).")
    return


def fetch(name: str, directory: Optional[os.PathLike] = None,
          base_url: Optional[str] = None, retries: int = 3,
          timeout: float = 5.0, force: bool = False) -> Path:
  """Downloads, verifies and installs one dataset atomically.

  The files are downloaded into a temporary directory beside `directory`,
  checked, extracted, marked complete and then moved into place with one
  `os.replace`. An existing complete directory of the same dataset is
  reused unless `force`, which replaces only the files the earlier fetch
  recorded in its marker (files added since are kept).

  Args:
    name: one of `REMOTE_DATASETS` (mnist, fashion_mnist, flowers17).
    directory: destination; defaults to the cache, `cache_dir(name)`.
    base_url: replaces the mirrors (for tests and private mirrors); also
      read from `$SNT_ZOO_DATA_URL`.
    retries: attempts per file after a dropped connection.
    timeout: socket timeout in seconds.
    force: download again even if `directory` is complete, or when files
      an earlier fetch recorded there are missing or changed.

  Returns:
    The dataset directory.

  Raises:
    ValueError: unknown dataset name.
    DownloadError: the download failed; nothing is left behind.
  """
  if name not in REMOTE_DATASETS:
    raise ValueError(f"Unknown dataset {name!r} for download; choose one of "
                     f"{sorted(REMOTE_DATASETS)}.")
  remote = REMOTE_DATASETS[name]
  directory = Path(directory) if directory else cache_dir(name)
  directory = directory.expanduser().absolute()
  _check_destination(directory)
  if is_complete(directory, name) and not force:
    return directory
  record = read_marker(directory)
  if directory.exists() and any(directory.iterdir()) and record is None:
    # Not ours (no completion marker): never replaced, --force or not.
    raise FetchRefused(
        f"{directory} exists, is not empty and was not written by snt-zoo's "
        "fetch (it has no completion marker); nothing was changed. Point "
        "--dir at an empty or new directory.")
  if record is not None and record.get("dataset", name) != name:
    raise FetchRefused(
        f"{directory} holds the dataset {record.get('dataset')!r} fetched "
        f"there, not {name!r}; nothing was changed. Point --dir at another "
        "directory.")
  if record == {}:
    raise FetchRefused(
        f"{directory}/{COMPLETE_MARKER} cannot be read, so which files fetch "
        "installed there is unknown; nothing was changed. Move the files "
        "you want to keep elsewhere, remove the directory and fetch again.")
  if record is not None and not force:
    raise FetchRefused(
        f"{directory} was fetched before but files it recorded are missing "
        "or changed; run fetch again with --force to replace only those "
        "files (files you added are kept).")
  urls = _base_urls(remote, base_url)
  # Folders made here to hold `directory`, deepest first: removed again when
  # the fetch fails, so a failed fetch leaves nothing behind.
  made = [p for p in (directory.parent, *directory.parent.parents)
          if not os.path.lexists(p)]
  directory.parent.mkdir(parents=True, exist_ok=True)
  staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}.partial-",
                                  dir=directory.parent))
  installed = False
  try:
    downloads = {}
    for remote_file in remote.files:
      local = staging / remote_file.filename
      try:
        used = download_file([u + remote_file.filename for u in urls], local,
                             remote_file.checksum, retries, timeout)
      except DownloadError as e:
        raise DownloadError(
            f"{e}\n{_manual_message(name, remote, urls, directory)}") from None
      downloads[remote_file.filename] = {"url": used,
                                         "checksum": remote_file.checksum}
      if remote_file.extract:
        _extract_tar(local, staging)
        local.unlink()
    safe_files.write_text(staging / COMPLETE_MARKER, json.dumps(
        {"dataset": name, "downloads": downloads,
         "files": _installed_files(staging)}, indent=1))
    if record is not None:
      # A dataset fetch itself completed: only its own files are replaced.
      _install_over(staging, directory, name, record)
    else:
      if directory.exists():
        directory.rmdir()  # Empty (checked above).
      os.replace(staging, directory)
    installed = True
  finally:
    if staging.exists():
      shutil.rmtree(staging, ignore_errors=True)
    if not installed:
      for folder in made:
        try:
          folder.rmdir()  # Only while empty: never anything else's.
        except OSError:
          break
  return directory
