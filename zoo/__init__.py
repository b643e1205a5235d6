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
(setup.cfg maps them there); in a checkout this package's search path is
extended to the checkout root so the same names resolve to the same files.
"""

import importlib
import pathlib

__version__ = "0.1.0"

_CHECKOUT_ROOT = pathlib.Path(__file__).resolve().parent.parent
if (not (pathlib.Path(__file__).parent / "datasets").is_dir() and
    (_CHECKOUT_ROOT / "datasets" / "__init__.py").is_file()):
  __path__.append(str(_CHECKOUT_ROOT))  # pylint: disable=undefined-variable

_LAZY = {
    "create_model": "zoo._registry",
    "list_models": "zoo._registry",
    "model_arguments": "zoo._registry",
    "register_model": "zoo._registry",
    "ConvPool": "zoo.conv_pool",
    "Dropout": "zoo.dropout",
    "EntryFlow": "zoo.flows",
    "ExitFlow": "zoo.flows",
    "MiddleFlow": "zoo.flows",
    "ClassifierHead": "zoo.head",
    "ConvPoolNet": "zoo.models",
    "ConvPoolSpec": "zoo.models",
    "ImageClassifier": "zoo.models",
    "SoftmaxRegression": "zoo.models",
    "Xception": "zoo.models",
    "SeparableConv2D": "zoo.separable_conv",
}
_SUBMODULES = ("datasets", "training", "visualize", "serving", "evaluation",
               "keras_port", "layer_summary", "models", "calibration",
               "export_formats", "runtimes", "format_comparison")

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
