"""snt-zoo: Sonnet 2 blocks and models, created by name, and their training.

>>> import zoo
>>> model = zoo.create_model("deep_mnist_cnn")
>>> logits = model(images, is_training=False)
>>> logits, endpoints = model.with_endpoints(images, is_training=False)
>>> from zoo import datasets, training
>>> result = training.run(training.load_config("softmax_mnist_quick"))

Public names are imported on first use, so `import zoo` (and the `snt-zoo`
command's `--help`) does not start TensorFlow.

`zoo.datasets` and `zoo.configs` are the checkout's top-level `datasets/` and
`configs/` folders: an installed distribution holds them inside the package
(setup.cfg maps them there); in a checkout a finder resolves exactly those
two names to the top-level folders (nothing else of the checkout root, such
as `tools/`, becomes part of the package).

Layers, each importing only those below it (tests/test_layering.py):
`blocks` < `models` (and the weight ports) < `serving`, `training` (which
never import each other) < `run_serving`, `evaluation`, `predict`,
`format_comparison`, `visualize`, `benchmark` < `cli`; `datasets` and
`calibration` sit beside the bottom.
"""

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import pathlib
import sys

__version__ = "0.1.0"

_PACKAGE_DIR = pathlib.Path(__file__).resolve().parent
_CHECKOUT_ROOT = _PACKAGE_DIR.parent
#: Top-level checkout folders that are `zoo.<name>` (installed: inside zoo/).
_CHECKOUT_PACKAGES = ("datasets", "configs")


class _CheckoutFinder(importlib.abc.MetaPathFinder):
  """Finds `zoo.datasets` / `zoo.configs` in a checkout's top-level folders."""

  def find_spec(self, fullname, path=None, target=None):  # pylint: disable=unused-argument
    prefix, _, name = fullname.partition(".")
    if prefix != "zoo" or name not in _CHECKOUT_PACKAGES:
      return None
    folder = _CHECKOUT_ROOT / name
    if (_PACKAGE_DIR / name).is_dir() or not folder.is_dir():
      return None
    init = folder / "__init__.py"
    if init.is_file():
      return importlib.util.spec_from_file_location(
          fullname, init, submodule_search_locations=[str(folder)])
    spec = importlib.machinery.ModuleSpec(fullname, None, is_package=True)
    spec.submodule_search_locations = [str(folder)]  # A namespace package.
    return spec


if (not (_PACKAGE_DIR / "datasets").is_dir() and
    (_CHECKOUT_ROOT / "datasets" / "__init__.py").is_file() and
    not any(isinstance(f, _CheckoutFinder) for f in sys.meta_path)):
  sys.meta_path.insert(0, _CheckoutFinder())

_LAZY = {
    "create_model": "zoo.models",
    "list_models": "zoo.models",
    "model_arguments": "zoo.models",
    "register_model": "zoo.models",
    "ConvPool": "zoo.blocks",
    "Dropout": "zoo.blocks",
    "Endpoints": "zoo.blocks",
    "EntryFlow": "zoo.blocks",
    "ExitFlow": "zoo.blocks",
    "MiddleFlow": "zoo.blocks",
    "ClassifierHead": "zoo.blocks",
    "SeparableConv2D": "zoo.blocks",
    "ConvPoolNet": "zoo.models",
    "ConvPoolSpec": "zoo.models",
    "ImageClassifier": "zoo.models",
    "SoftmaxRegression": "zoo.models",
    "Xception": "zoo.models",
    "load": "zoo.run_serving",
}
_SUBMODULES = ("blocks", "models", "datasets", "training", "serving",
               "run_serving", "evaluation", "predict", "calibration",
               "format_comparison", "visualize", "keras_port", "timm_port",
               "layer_summary", "benchmark")

__all__ = sorted(_LAZY) + list(_SUBMODULES)


def __getattr__(name):
  if name in _LAZY:
    module = importlib.import_module(_LAZY[name])
    value = getattr(module, name)
    globals()[name] = value
    return value
  if name in _SUBMODULES:
    return importlib.import_module(f"zoo.{name}")
  raise AttributeError(f"module 'zoo' has no attribute {name!r}")


def __dir__():
  return sorted(set(globals()) | set(__all__))
