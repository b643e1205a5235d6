#!/usr/bin/env python
"""Downloads a dataset, verifies its checksums and installs it.

  python tools/fetch_data.py {mnist,fashion_mnist,flowers17} [--dir DIR]

The same as `snt-zoo fetch`; see `zoo/cli.py`.
"""

import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from zoo import cli  # pylint: disable=wrong-import-position

if __name__ == "__main__":
  sys.exit(cli.run_command("fetch", sys.argv[1:], prog="tools/fetch_data.py"))
