#!/usr/bin/env python
"""Serves runs and exports over HTTP, with a page to try them.

  python tools/serve.py RUN_DIR [--port 8501] [--model name=PATH ...]

The same as `snt-zoo serve`; see `zoo/cli.py`.
"""

import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from zoo import cli  # pylint: disable=wrong-import-position

if __name__ == "__main__":
  sys.exit(cli.run_command("serve", sys.argv[1:], prog="tools/serve.py"))
