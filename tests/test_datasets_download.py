"""Tests for datasets/download.py and tools/fetch_data.py against a local
HTTP server: checksums, atomic install, retries and fast offline failure."""

import hashlib
import io
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

import local_server
from zoo.datasets import download
from zoo.datasets.errors import DownloadError

_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def server():
  with local_server.serve() as httpd:
    yield httpd


def register(monkeypatch, files, extract=(), dataset="mnist"):
  """Points the `dataset` entry of the checksum table at `files`."""
  remote = download.RemoteDataset(
      base_urls=("http://127.0.0.1:9/",),
      files=tuple(download.RemoteFile(
          name, "sha256:" + hashlib.sha256(body).hexdigest(),
          extract=name in extract) for name, body in files.items()),
      manual_steps="copy the files into {dir}")
  monkeypatch.setitem(download.REMOTE_DATASETS, dataset, remote)


def _tgz(members):
  buffer = io.BytesIO()
  with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
    for name, body in members.items():
      info = tarfile.TarInfo(name)
      info.size = len(body)
      tar.addfile(info, io.BytesIO(body))
  return buffer.getvalue()


def test_fetch_verifies_extracts_and_marks_complete(server, monkeypatch,
                                                    tmp_path):
  files = {"a.bin": b"x" * 5000,
           "pack.tgz": _tgz({"jpg/image_0001.jpg": b"jpeg"})}
  server.files.update(files)
  register(monkeypatch, files, extract=("pack.tgz",))
  target = tmp_path / "data" / "mnist"
  result = download.fetch("mnist", target, base_url=server.url)
  assert result == target.absolute()
  assert (target / "a.bin").read_bytes() == files["a.bin"]
  assert (target / "jpg" / "image_0001.jpg").read_bytes() == b"jpeg"
  assert not (target / "pack.tgz").exists()
  assert download.is_complete(target)
  count = len(server.requests)
  download.fetch("mnist", target, base_url=server.url)
  assert len(server.requests) == count  # Complete: nothing fetched again.


def test_corrupted_file_rejected_nothing_left(server, monkeypatch, tmp_path):
  files = {"a.bin": b"good" * 100, "b.bin": b"also good"}
  register(monkeypatch, files)
  server.files.update({"a.bin": files["a.bin"], "b.bin": b"tampered!"})
  with pytest.raises(DownloadError, match="b.bin: sha256 checksum mismatch"):
    download.fetch("mnist", tmp_path / "mnist", base_url=server.url)
  assert list(tmp_path.iterdir()) == []


def test_dropped_connection_is_retried(server, monkeypatch, tmp_path):
  files = {"a.bin": bytes(range(256)) * 400}
  server.files.update(files)
  server.drops["a.bin"] = 2
  register(monkeypatch, files)
  download.fetch("mnist", tmp_path / "mnist", base_url=server.url)
  assert server.requests.count("a.bin") == 3
  server.drops["a.bin"] = 5
  with pytest.raises(DownloadError, match="connection dropped"):
    download.fetch("mnist", tmp_path / "other", base_url=server.url,
                   retries=2)
  assert sorted(p.name for p in tmp_path.iterdir()) == ["mnist"]


def test_unsafe_archive_rejected(server, monkeypatch, tmp_path):
  files = {"pack.tgz": _tgz({"../escape.txt": b"x"})}
  server.files.update(files)
  register(monkeypatch, files, extract=("pack.tgz",))
  with pytest.raises(DownloadError, match="outside the dataset directory"):
    download.fetch("mnist", tmp_path / "mnist", base_url=server.url)
  assert list(tmp_path.iterdir()) == []


def test_cache_env(monkeypatch, tmp_path):
  monkeypatch.setenv("SNT_ZOO_CACHE", str(tmp_path))
  assert download.cache_dir("mnist") == tmp_path / "mnist"


def test_fetch_tool_offline_fails_fast_with_steps(tmp_path):
  env = {"SNT_ZOO_CACHE": str(tmp_path / "cache"),
         "SNT_ZOO_DATA_URL": "http://127.0.0.1:9/", "PATH": "/usr/bin:/bin"}
  result = subprocess.run(
      [sys.executable, str(_ROOT / "tools" / "fetch_data.py"), "flowers17",
       "--dir", str(tmp_path / "new" / "deeper" / "flowers")],
      env=env, capture_output=True, text=True, timeout=60, check=False)
  assert result.returncode == 1
  # A refused connection is not retried: one attempt, said in one line.
  assert result.stderr.count("cannot connect") == 1, result.stderr
  assert "http://127.0.0.1:9/17flowers.tgz" in result.stderr
  assert "tar xzf 17flowers.tgz" in result.stderr
  # The folders it made to hold the dataset are gone again.
  assert not (tmp_path / "new").exists()


@pytest.mark.parametrize("where", ["file", "below_a_file", "broken_link"])
def test_fetch_into_a_file_is_refused_unchanged(where, tmp_path, capsys):
  from zoo import cli  # pylint: disable=g-import-not-at-top
  blocker = tmp_path / "data"
  if where == "broken_link":
    blocker.symlink_to(tmp_path / "gone")
  else:
    blocker.write_text("the user's notes")
  target = blocker / "mnist" if where == "below_a_file" else blocker
  assert cli.main(["fetch", "mnist", "--dir", str(target),
                   "--base-url", "http://127.0.0.1:9/"]) == 2
  line = capsys.readouterr().err.strip()
  assert str(blocker) in line and "nothing was changed" in line
  assert "\n" not in line
  if where == "broken_link":
    assert "broken link" in line and blocker.is_symlink()
  else:
    assert "is a file" in line
    assert blocker.read_text() == "the user's notes"
  assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]


def test_fetch_tool_rejects_bad_checksum(server, tmp_path):
  """The tool, with the real checksum table, refuses a file that differs."""
  server.files["train-images-idx3-ubyte.gz"] = b"not mnist"
  result = subprocess.run(
      [sys.executable, str(_ROOT / "tools" / "fetch_data.py"), "mnist",
       "--dir", str(tmp_path / "m"), "--base-url", server.url],
      capture_output=True, text=True, timeout=60, check=False,
      env={"SNT_ZOO_CACHE": str(tmp_path / "c"), "PATH": "/usr/bin:/bin"})
  assert result.returncode == 1
  assert "checksum mismatch" in result.stderr
  assert not (tmp_path / "m").exists()


class _Terminal(io.StringIO):

  def isatty(self):
    return True


def test_a_download_shows_a_bar_on_a_terminal_s_stderr(server, monkeypatch,
                                                        tmp_path, capsys):
  server.files["big.bin"] = b"x" * 300_000
  terminal = _Terminal()
  monkeypatch.setattr(sys, "stderr", terminal)
  download.download_file([server.url + "big.bin"], tmp_path / "big.bin",
                         "sha256:" + hashlib.sha256(b"x" * 300_000).hexdigest())
  shown = terminal.getvalue()
  assert "big.bin:" in shown and "/293k" in shown, shown
  assert capsys.readouterr().out == ""
