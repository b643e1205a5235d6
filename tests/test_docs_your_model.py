"""docs/your_model.md runs as written.

Fenced blocks whose first line is `# file: PATH` are written to PATH in a
temporary working directory; the other Python blocks run there, in order, in
one fresh interpreter (offline, on the bundled MNIST sample).
"""

import os
import re
import subprocess
import sys
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[1]
_DOC = _ROOT / "docs" / "your_model.md"
_BLOCK = re.compile(r"^```(\w+)\n(.*?)^```", re.MULTILINE | re.DOTALL)
_FILE = re.compile(r"^# file: (\S+)\n?")


def _blocks():
  """`(language, text)` of every fenced block of the page."""
  return _BLOCK.findall(_DOC.read_text())


def test_the_page_has_files_and_code():
  blocks = _blocks()
  files = [_FILE.match(text).group(1) for _, text in blocks
           if _FILE.match(text)]
  assert "my_project/my_models.py" in files
  assert "separable_mnist.yaml" in files
  assert sum(1 for lang, text in blocks
             if lang == "python" and not _FILE.match(text)) >= 3


def test_the_code_on_the_page_runs(tmp_path):
  script = []
  for language, text in _blocks():
    match = _FILE.match(text)
    if match:
      path = tmp_path / match.group(1)
      path.parent.mkdir(parents=True, exist_ok=True)
      path.write_text(text[match.end():])
    elif language == "python":
      script.append(text)
  env = dict(os.environ, PYTHONPATH=f"{_ROOT}{os.pathsep}{tmp_path}",
             SNT_ZOO_OFFLINE="1", SNT_ZOO_CACHE=str(tmp_path / "cache"),
             TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
  result = subprocess.run([sys.executable, "-c", "\n".join(script)],
                          cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=400, check=False)
  assert result.returncode == 0, result.stderr[-3000:]
  lines = result.stdout.splitlines()
  assert lines[0].startswith("(2, 10) ['stem', 'separable_0', 'separable_1'")
  assert lines[-1] == "(1, 10)"
  assert (tmp_path / "runs" / "separable" / "export" /
          "saved_model.pb").is_file()
  assert "my_project.my_models" in (
      tmp_path / "runs" / "separable" / "config.yaml").read_text()
