#!/usr/bin/env python
"""Evaluates a run directory, a checkpoint or an export.

  python tools/evaluate.py RUN_DIR [--split test] [--output PATH]

The same as `snt-zoo evaluate`; see `zoo/cli.py`.
"""

import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from zoo import cli  # pylint: disable=wrong-import-position

if __name__ == "__main__":
  sys.exit(cli.run_command("evaluate", sys.argv[1:], prog="tools/evaluate.py"))
