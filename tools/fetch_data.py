"""Downloads a dataset, verifies its checksums and installs it atomically.

    python tools/fetch_data.py {mnist,fashion_mnist,flowers17} [--dir DIR]

Without --dir the data goes to the cache, `$SNT_ZOO_CACHE/<name>` (default
`~/.cache/snt-zoo/<name>`), where `datasets.load` finds it. `--base-url` (or
`$SNT_ZOO_DATA_URL`) replaces the official mirrors.
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from datasets import download  # pylint: disable=g-import-not-at-top
from datasets.errors import DownloadError  # pylint: disable=g-import-not-at-top


def main(argv=None) -> int:
  parser = argparse.ArgumentParser(
      description="Download and verify a dataset for snt-zoo.")
  parser.add_argument("name", choices=sorted(download.REMOTE_DATASETS))
  parser.add_argument("--dir", type=Path, default=None,
                      help="destination (default: the snt-zoo cache)")
  parser.add_argument("--base-url", default=None,
                      help="mirror to use instead of the official URLs")
  parser.add_argument("--retries", type=int, default=3,
                      help="attempts per file after a dropped connection")
  parser.add_argument("--timeout", type=float, default=5.0,
                      help="socket timeout in seconds")
  parser.add_argument("--force", action="store_true",
                      help="download again even if the data is complete")
  args = parser.parse_args(argv)
  try:
    directory = download.fetch(args.name, args.dir, base_url=args.base_url,
                               retries=args.retries, timeout=args.timeout,
                               force=args.force)
  except DownloadError as e:
    print(f"error: {e}", file=sys.stderr)
    return 1
  print(f"{args.name}: verified and installed in {directory}")
  return 0


if __name__ == "__main__":
  sys.exit(main())
