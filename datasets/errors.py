"""Exceptions raised by the `datasets` package."""

from zoo import download as _files


class DatasetError(RuntimeError):
  """A dataset cannot be read: a missing, truncated, corrupt or mismatched file.

  The message always names the file (or directory) and says how to fix it.
  """


class DownloadError(DatasetError, _files.DownloadError):
  """A download failed: no connection, a dropped connection or a bad checksum."""


class FetchRefused(DownloadError):
  """fetch refused to touch a directory (not its own, another dataset's, a
  file it did not install in the way): bad input, nothing was downloaded."""


class SplitError(DatasetError, ValueError):
  """A split name the dataset does not have (names the ones it has)."""
