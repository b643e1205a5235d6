#!/usr/bin/env python
"""Lists the registered models: parameters, input, pretrained weights.

  python tools/models.py [NAME ...] [--json] [--import MODULE]

The same as `snt-zoo models`; see `zoo/cli.py`.
"""

import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from zoo import cli  # pylint: disable=wrong-import-position

if __name__ == "__main__":
  sys.exit(cli.run_command("models", sys.argv[1:], prog="tools/models.py"))
