#!/usr/bin/env python
"""Exports a training run as a SavedModel, ONNX or TensorFlow Lite model.

  python tools/export.py RUN_DIR [--format savedmodel|onnx|tflite|tflite-int8]
      [--calibrate] [--output DIR] [--overwrite]
  python tools/export.py RUN_DIR --compare-formats   # the formats table

The same as `snt-zoo export`; see `zoo/cli.py`.
"""

import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from zoo import cli  # pylint: disable=wrong-import-position

if __name__ == "__main__":
  sys.exit(cli.run_command("export", sys.argv[1:], prog="tools/export.py"))
