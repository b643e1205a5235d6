"""Input pipelines of snt-zoo: MNIST-format data, Flowers17, folders of class
folders (`image_folder`), the TensorFlow Datasets catalog (`tfds:<name>`)
and synthetic.

    from zoo import datasets        # installed, or from a checkout
    mnist = datasets.prepare("mnist", validation_fraction=0.1)
    mnist.info.source               # record this with every result
    train = mnist.load("train", batch_size=64, shuffle=True)
    test = datasets.load("mnist", "test", batch_size=500)   # one call
    for images, labels in mnist.arrays("test"):   # uint8 NumPy, no tf.data
      ...

The code lives in the checkout's top-level `datasets/` and is installed as
`zoo.datasets` (never as a top-level `datasets`, which would shadow Hugging
Face's). Its imports are relative, so `import datasets` also works from a
checkout. Public names are imported on first use, and TensorFlow only by
what builds tf.data: `prepare` (MNIST-format data, Flowers17, folders with
`decoder="pillow"`), `arrays` and the options schema load without it.
"""

import importlib

_LAZY = {
    "COMMON_OPTIONS": "._registry",
    "Dataset": "._registry",
    "info": "._registry",
    "is_dataset_name": "._registry",
    "list_datasets": "._registry",
    "load": "._registry",
    "prepare": "._registry",
    "convert_channels": "._pipeline",
    "denormalize": "._pipeline",
    "normalize": "._pipeline",
    "DatasetInfo": ".dataset_info",
    "cache_dir": ".download",
    "fetch": ".download",
    "DatasetError": ".errors",
    "DownloadError": ".errors",
}
_SUBMODULES = ("arrays", "augment", "availability", "download", "errors",
               "options", "flowers17", "image_decode", "image_files",
               "image_folder", "mnist", "synthetic", "tfds_catalog", "idx",
               "splits")

__all__ = sorted(_LAZY) + ["augment", "options"]


def __getattr__(name):
  if name in _LAZY:
    value = getattr(importlib.import_module(_LAZY[name], __name__), name)
    globals()[name] = value
    return value
  if name in _SUBMODULES:
    return importlib.import_module(f".{name}", __name__)
  raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
  return sorted(set(globals()) | set(__all__))
