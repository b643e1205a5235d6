"""Tests for zoo.download: one verified, atomic file download."""

import hashlib

import pytest

import local_server
from zoo import download


@pytest.fixture(scope="module")
def server():
  with local_server.serve({"w.bin": b"weights"}) as httpd:
    yield httpd


def _sha256(data):
  return "sha256:" + hashlib.sha256(data).hexdigest()


def test_fetch_file_verifies_and_leaves_only_the_file(server, tmp_path):
  path = download.fetch_file([server.url + "w.bin"], tmp_path / "d" / "w.bin",
                             _sha256(b"weights"))
  assert path.read_bytes() == b"weights"
  assert [p.name for p in (tmp_path / "d").iterdir()] == ["w.bin"]


def test_a_bad_hash_deletes_only_the_partial_file(server, tmp_path):
  (tmp_path / "mine").write_text("keep")
  with pytest.raises(download.DownloadError, match="checksum mismatch"):
    download.fetch_file([server.url + "w.bin"], tmp_path / "w.bin",
                        _sha256(b"other"))
  assert [p.name for p in tmp_path.iterdir()] == ["mine"]


def test_an_existing_file_is_never_replaced(server, tmp_path):
  (tmp_path / "w.bin").write_text("user's")
  with pytest.raises(FileExistsError):
    download.fetch_file([server.url + "w.bin"], tmp_path / "w.bin", None)
  assert (tmp_path / "w.bin").read_text() == "user's"


def test_unreachable_and_missing_files_are_unreachable(server, tmp_path):
  for url in ("http://127.0.0.1:9/w.bin", server.url + "missing.bin"):
    with pytest.raises(download.UnreachableError, match="cannot connect"):
      download.fetch_file([url], tmp_path / "w.bin", None, retries=1)
  assert not list(tmp_path.iterdir())


def test_cache_and_offline_env(monkeypatch, tmp_path):
  monkeypatch.setenv(download.CACHE_ENV, str(tmp_path))
  monkeypatch.setenv(download.OFFLINE_ENV, "1")
  assert download.cache_root() == tmp_path
  assert download.is_offline()
