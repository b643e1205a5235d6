"""Hostile archives and fetch --force: no user file removed, no bit kept.

Against a server on 127.0.0.1 serving generated files: archives never
install setuid/setgid bits, links, devices or paths outside the dataset;
`fetch --force` replaces only what the earlier fetch recorded; a directory
fetched for one dataset is never taken for another.
"""

import io
import json
import os
import stat
import tarfile

import pytest

from conftest import tree_digest
import test_datasets_download as download_tests
from test_datasets_download import server  # pylint: disable=unused-import
from zoo.datasets import download
from zoo.datasets.errors import DownloadError


def _register(monkeypatch, name, files, extract=()):
  download_tests.register(monkeypatch, files, extract, dataset=name)


def _tar(members):
  """A .tgz of `(TarInfo fields, body)`."""
  buffer = io.BytesIO()
  with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
    for fields, body in members:
      info = tarfile.TarInfo(fields.pop("name"))
      for key, value in fields.items():
        setattr(info, key, value)
      info.size = len(body) if info.isfile() else 0
      tar.addfile(info, io.BytesIO(body) if info.isfile() else None)
  return buffer.getvalue()


def test_archives_never_keep_setuid_setgid_or_world_write(server, monkeypatch,
                                                          tmp_path):
  files = {"pack.tgz": _tar([
      ({"name": "bin", "type": tarfile.DIRTYPE, "mode": 0o2777}, b""),
      ({"name": "bin/run", "mode": 0o4755}, b"#!/bin/sh\n"),
      ({"name": "bin/group", "mode": 0o2775}, b"x"),
      ({"name": "open.txt", "mode": 0o666}, b"y")])}
  server.files.update(files)
  _register(monkeypatch, "mnist", files, extract=("pack.tgz",))
  target = download.fetch("mnist", tmp_path / "mnist", base_url=server.url)
  for path in target.rglob("*"):
    mode = path.stat().st_mode
    assert not mode & (stat.S_ISUID | stat.S_ISGID | stat.S_IWOTH), path


@pytest.mark.parametrize("member", [
    {"name": "link", "type": tarfile.SYMTYPE, "linkname": "/etc/passwd"},
    {"name": "up", "type": tarfile.SYMTYPE, "linkname": "../../outside"},
    {"name": "hard", "type": tarfile.LNKTYPE, "linkname": "/etc/passwd"},
    {"name": "fifo", "type": tarfile.FIFOTYPE},
    {"name": "dev", "type": tarfile.CHRTYPE, "devmajor": 1, "devminor": 3},
    {"name": "/tmp/absolute.txt"},
    {"name": "a/../../escape.txt"},
])
def test_archives_never_create_links_devices_or_paths_outside(
    server, monkeypatch, tmp_path, sentinel, member):
  files = {"pack.tgz": _tar([({"name": "ok.txt"}, b"fine"),
                             (dict(member), b"evil")])}
  server.files.update(files)
  _register(monkeypatch, "mnist", files, extract=("pack.tgz",))
  with pytest.raises(DownloadError, match="outside the dataset directory|"
                     "not a regular file") as error:
    download.fetch("mnist", tmp_path / "mnist", base_url=server.url)
  assert "\n" not in str(error.value)
  assert sorted(p.name for p in tmp_path.iterdir()) == ["sentinel"]
  assert sentinel.unchanged()


@pytest.fixture
def fetched(server, monkeypatch, tmp_path):
  files = {"a.bin": b"first a", "pack.tgz": _tar(
      [({"name": "jpg/1.jpg"}, b"one"), ({"name": "jpg/2.jpg"}, b"two")])}
  server.files.update(files)
  _register(monkeypatch, "mnist", files, extract=("pack.tgz",))
  target = download.fetch("mnist", tmp_path / "mnist", base_url=server.url)
  return target


def test_force_removes_only_what_the_fetch_installed(server, monkeypatch,
                                                     fetched):
  (fetched / "my-notes.txt").write_text("mine\n")
  (fetched / "jpg" / "extra.jpg").write_bytes(b"my own photo")
  files = {"a.bin": b"second a", "pack.tgz": _tar(
      [({"name": "jpg/1.jpg"}, b"ONE")])}  # A new version: 2.jpg is gone.
  server.files.update(files)
  _register(monkeypatch, "mnist", files, extract=("pack.tgz",))
  download.fetch("mnist", fetched, base_url=server.url, force=True)
  assert (fetched / "my-notes.txt").read_text() == "mine\n"
  assert (fetched / "jpg" / "extra.jpg").read_bytes() == b"my own photo"
  assert (fetched / "a.bin").read_bytes() == b"second a"
  assert (fetched / "jpg" / "1.jpg").read_bytes() == b"ONE"
  assert not (fetched / "jpg" / "2.jpg").exists()
  assert download.is_complete(fetched, "mnist")
  assert [p.name for p in fetched.parent.iterdir()] == ["mnist"]


def test_force_refuses_to_replace_a_file_it_did_not_install(
    server, monkeypatch, fetched):
  (fetched / "new.bin").write_bytes(b"the user's own new.bin")
  files = {"a.bin": b"first a", "new.bin": b"a file the new version adds"}
  server.files.update(files)
  _register(monkeypatch, "mnist", files)
  before = tree_digest(fetched)
  with pytest.raises(DownloadError, match="new.bin was not installed by "
                     "fetch.*Move it away"):
    download.fetch("mnist", fetched, base_url=server.url, force=True)
  assert tree_digest(fetched) == before


def test_a_directory_of_another_dataset_is_not_complete(server, monkeypatch,
                                                        fetched):
  _register(monkeypatch, "fashion_mnist", {"a.bin": b"first a"})
  assert download.is_complete(fetched, "mnist")
  assert not download.is_complete(fetched, "fashion_mnist")
  before = tree_digest(fetched)
  for force in (False, True):
    with pytest.raises(DownloadError, match="holds the dataset 'mnist'"):
      download.fetch("fashion_mnist", fetched, base_url=server.url,
                     force=force)
  assert tree_digest(fetched) == before


def test_a_changed_installed_file_is_not_complete(server, fetched):
  (fetched / "jpg" / "2.jpg").write_bytes(b"shorter" * 3)
  (fetched / "mine.txt").write_text("keep\n")
  assert not download.is_complete(fetched, "mnist")
  with pytest.raises(DownloadError, match="--force"):
    download.fetch("mnist", fetched, base_url=server.url)
  download.fetch("mnist", fetched, base_url=server.url, force=True)
  assert (fetched / "jpg" / "2.jpg").read_bytes() == b"two"
  assert (fetched / "mine.txt").read_text() == "keep\n"


def test_old_and_unreadable_markers(server, monkeypatch, fetched):
  marker = fetched / download.COMPLETE_MARKER
  record = json.loads(marker.read_text())
  marker.write_text(json.dumps(record["downloads"]))  # An older marker.
  assert download.is_complete(fetched, "mnist")
  (fetched / "mine.txt").write_text("keep\n")
  download.fetch("mnist", fetched, base_url=server.url, force=True)
  assert (fetched / "mine.txt").read_text() == "keep\n"
  marker.write_text("{not json")
  before = tree_digest(fetched)
  with pytest.raises(DownloadError, match="cannot be read"):
    download.fetch("mnist", fetched, base_url=server.url, force=True)
  assert tree_digest(fetched) == before
  os.unlink(marker)
  os.symlink(fetched / "a.bin", marker)  # A planted marker is no marker.
  assert download.read_marker(fetched) is None


def test_a_marker_naming_files_elsewhere_removes_none_of_them(
    server, fetched, sentinel):
  marker = fetched / download.COMPLETE_MARKER
  record = json.loads(marker.read_text())
  victim = os.path.relpath(sentinel.file, fetched)
  record["files"][victim] = {"sha256": "0" * 64, "size": 10}
  record["files"][str(sentinel.path / "victim.json")] = {"size": 3}
  marker.write_text(json.dumps(record))
  download.fetch("mnist", fetched, base_url=server.url, force=True)
  assert sentinel.unchanged()
  assert download.is_complete(fetched, "mnist")


def test_the_command_refusing_a_directory_exits_2(tmp_path, capsys):
  """A refusal is bad input (exit 2, one line); nothing is fetched or
  changed."""
  from zoo import cli  # pylint: disable=g-import-not-at-top
  mine = tmp_path / "mine"
  mine.mkdir()
  (mine / "notes.txt").write_text("keep")
  before = tree_digest(mine)
  assert cli.main(["fetch", "mnist", "--dir", str(mine), "--force"]) == 2
  error = capsys.readouterr().err
  assert "was not written by snt-zoo's fetch" in error
  assert error.count("\n") == 1
  assert tree_digest(mine) == before
