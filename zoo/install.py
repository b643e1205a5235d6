"""How snt-zoo was installed, so that install hints match it.

    install.pip_install("export")   # the command that adds the extra

A checkout (the `zoo/` folder beside `setup.cfg`, run in place or installed
editable) gets `pip install -e '<checkout>[export]'`; a distribution
installed from a local folder gets that folder (pip's `direct_url.json`
says which); anything else, a wheel from an index, gets
`pip install 'snt-zoo[export]'`. No TensorFlow.
"""

import functools
import importlib.metadata
import json
import pathlib
import urllib.parse
import urllib.request
from typing import Any, Dict, Optional

DISTRIBUTION = "snt-zoo"
_PACKAGE_DIR = pathlib.Path(__file__).resolve().parent


@functools.lru_cache(maxsize=None)
def _direct_url() -> Optional[Dict[str, Any]]:
  """pip's record of where the installed distribution came from, if any."""
  try:
    text = importlib.metadata.distribution(DISTRIBUTION).read_text(
        "direct_url.json")
  except importlib.metadata.PackageNotFoundError:
    return None
  try:
    return json.loads(text) if text else None
  except ValueError:
    return None


def hint(extra: str, package_dir: pathlib.Path,
         direct_url: Optional[Dict[str, Any]]) -> str:
  """The pip command adding `extra`, for a package at `package_dir`."""
  checkout = package_dir.parent
  if (checkout / "setup.cfg").is_file() and (checkout / "zoo").is_dir():
    return f"pip install -e '{checkout}[{extra}]'"
  url = (direct_url or {}).get("url", "")
  if "dir_info" in (direct_url or {}) and url.startswith("file:"):
    folder = urllib.request.url2pathname(urllib.parse.urlparse(url).path)
    editable = (direct_url["dir_info"] or {}).get("editable")
    return f"pip install {'-e ' if editable else ''}'{folder}[{extra}]'"
  return f"pip install '{DISTRIBUTION}[{extra}]'"


def pip_install(extra: str) -> str:
  """The pip command that adds `extra` to this installation of snt-zoo."""
  return hint(extra, _PACKAGE_DIR, _direct_url())
