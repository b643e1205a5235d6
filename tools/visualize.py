#!/usr/bin/env python
"""Pictures of a model and a run: activations, filters, curves and more.

  python tools/visualize.py all RUN_DIR
  python tools/visualize.py activations RUN_DIR [--num-images 2]
  python tools/visualize.py embeddings RUN_DIR [--max-examples 1000]
  python tools/visualize.py layers --model xception [--image-size 71]

The same as `snt-zoo visualize`; see `zoo/cli.py` and `zoo/visualize/`.
"""

import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from zoo import cli  # pylint: disable=wrong-import-position

if __name__ == "__main__":
  sys.exit(cli.run_command("visualize", sys.argv[1:],
                           prog="tools/visualize.py"))
