#!/usr/bin/env python
"""Trains (or resumes) a zoo model from a YAML config.

  python tools/train.py --config deep_mnist [train.steps=300 run_dir=/tmp/r]

The same as `snt-zoo train`; see `zoo/cli.py`.
"""

import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from zoo import cli  # pylint: disable=wrong-import-position

if __name__ == "__main__":
  sys.exit(cli.run_command("train", sys.argv[1:], prog="tools/train.py"))
