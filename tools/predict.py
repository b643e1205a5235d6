#!/usr/bin/env python
"""Classifies image files with an export or a run directory.

  python tools/predict.py a.png b.jpg --model RUN_DIR/export [--top-k 3]

The same as `snt-zoo predict`; see `zoo/cli.py`.
"""

import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from zoo import cli  # pylint: disable=wrong-import-position

if __name__ == "__main__":
  sys.exit(cli.run_command("predict", sys.argv[1:], prog="tools/predict.py"))
