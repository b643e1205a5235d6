"""matplotlib's pyplot on the Agg backend: pictures to files, no display."""

import matplotlib

matplotlib.use("Agg")

from matplotlib import pyplot  # pylint: disable=g-import-not-at-top,wrong-import-position

__all__ = ["pyplot"]
