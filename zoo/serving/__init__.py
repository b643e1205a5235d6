"""Serving: a trained model as a file other programs run, and running it.

Floors, each importing only those below it (none imports `zoo.training`):

    artifact   what an export is on disk (formats, file names, description,
               `ExportError`, finding an export); TensorFlow-free
    graph      the serving graph: preprocessing, `ServingModule`, SavedModel
    formats    SavedModel / ONNX / TFLite / int8 writers
    runtimes   `Runtime`: one interface to run any export

    from zoo.serving import graph, formats, runtimes
    module = graph.ServingModule(model, class_names, image_size=(28, 28))
    formats.write(module, "/tmp/onnx", "onnx")
    runtimes.load_export("/tmp/onnx").probabilities(uint8_images)

Exporting a training run (its checkpoint, calibration and the atomic
replacement of an earlier export) is `zoo.run_serving`, the one module that
joins a run directory and this package.

The names below are imported on first use, so `zoo.serving.artifact` can be
used without starting TensorFlow.
"""

import importlib

_LAZY = {
    "ExportError": "artifact",
    "FORMATS": "artifact",
    "INFO_FILE": "artifact",
    "find_export": "artifact",
    "is_export": "artifact",
    "is_saved_model": "artifact",
    "read_export_info": "artifact",
    "ServingModule": "graph",
    "preprocess": "graph",
    "predict_probabilities": "graph",
    "Runtime": "runtimes",
    "load_export": "runtimes",
}
_SUBMODULES = ("artifact", "graph", "formats", "runtimes")

__all__ = sorted(_LAZY) + list(_SUBMODULES)


def __getattr__(name):
  if name in _LAZY:
    value = getattr(importlib.import_module(f"zoo.serving.{_LAZY[name]}"),
                    name)
    globals()[name] = value
    return value
  if name in _SUBMODULES:
    return importlib.import_module(f"zoo.serving.{name}")
  raise AttributeError(f"module 'zoo.serving' has no attribute {name!r}")


def __dir__():
  return sorted(set(globals()) | set(__all__))
