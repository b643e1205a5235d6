"""Tests for datasets/safe_files.py: whole writes that never follow a link."""

import os

import pytest

from conftest import tree_digest
from zoo.datasets import safe_files


def test_writes_are_whole_and_keep_the_umask(tmp_path):
  path = tmp_path / "file.txt"
  safe_files.write_text(path, "one\n")
  safe_files.write_text(path, "two\n")
  assert path.read_text() == "two\n"
  assert oct(path.stat().st_mode & 0o777) == oct(0o666 & ~_umask())
  assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt"]
  assert not safe_files.create_new(path, b"three")
  assert path.read_text() == "two\n"
  before = tree_digest(tmp_path)
  (tmp_path / "fifo").unlink(missing_ok=True)
  os.mkfifo(tmp_path / "fifo")
  with pytest.raises(safe_files.UnsafePathError, match="not a regular file"):
    safe_files.open_append(tmp_path / "fifo")
  os.unlink(tmp_path / "fifo")
  assert tree_digest(tmp_path) == before


def _umask():
  mask = os.umask(0)
  os.umask(mask)
  return mask


def test_write_with_hands_the_writer_a_temporary_with_the_extension(
    tmp_path):
  seen = []

  def writer(path):
    seen.append(path)
    with open(path, "w") as f:
      f.write("picture")

  safe_files.write_with(tmp_path / "a.png", writer)
  assert seen[0].endswith(".png") and os.path.dirname(seen[0]) == str(
      tmp_path)
  assert (tmp_path / "a.png").read_text() == "picture"

  def failing(path):
    raise RuntimeError("disk full")

  with pytest.raises(RuntimeError):
    safe_files.write_with(tmp_path / "b.png", failing)
  assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png"]
