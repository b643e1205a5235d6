"""Input pipelines of snt-zoo: MNIST-format data, Flowers17 and synthetic.

    import datasets
    train = datasets.load("mnist", "train", batch_size=64, shuffle=True)
    print(datasets.info("mnist").source)

This package lives in the checkout and is never installed (a top-level
`datasets` in site-packages would shadow Hugging Face's).
"""

from datasets import augment
from datasets._pipeline import denormalize
from datasets._pipeline import normalize
from datasets._registry import COMMON_OPTIONS
from datasets._registry import info
from datasets._registry import list_datasets
from datasets._registry import load
from datasets.dataset_info import DatasetInfo
from datasets.download import cache_dir
from datasets.download import fetch
from datasets.errors import DatasetError
from datasets.errors import DownloadError

__all__ = [
    "COMMON_OPTIONS",
    "DatasetError",
    "DatasetInfo",
    "DownloadError",
    "augment",
    "cache_dir",
    "denormalize",
    "fetch",
    "info",
    "list_datasets",
    "load",
    "normalize",
]
