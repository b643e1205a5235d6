#!/usr/bin/env python
"""Training throughput against Keras and PyTorch, or input-pipeline throughput.

  python tools/benchmark.py --model deep_mnist_cnn --compare keras,torch
  python tools/benchmark.py --data --sizes 149 299

The same as `snt-zoo benchmark`; see `zoo/cli.py`.
"""

import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from zoo import cli  # pylint: disable=wrong-import-position

if __name__ == "__main__":
  sys.exit(cli.run_command("benchmark", sys.argv[1:], prog="tools/benchmark.py"))
