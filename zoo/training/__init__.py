"""Training: configs, the run, the train step, schedules and optimizers.

    from zoo import training
    config = training.load_config("softmax_mnist_quick", ["train.steps=50"])
    result = training.run(config)          # a RunResult
    run = training.RunDir(result.run_dir)  # its files and facts

Public names are imported on first use, so loading and checking a config
(`zoo.training.config`) does not start TensorFlow: a wrong config is
reported before the seconds TensorFlow takes to import.
"""

import importlib
import sys
import types

_LAZY = {
    "ConfigError": "zoo.training.config",
    "load_config": "zoo.training.config",
    "Run": "zoo.training.run",
    "RunResult": "zoo.training.run",
    "TrainingStopped": "zoo.training.run",
    "run": "zoo.training.run",
    "RunDir": "zoo.training.run_dir",
    "RunDirError": "zoo.training.run_dir",
    "Trainer": "zoo.training.trainer",
}

__all__ = sorted(_LAZY)


class _Package(types.ModuleType):
  """Keeps `zoo.training.run` the function when its module is imported.

  Importing a submodule binds its name in the package; `run` is both a
  module and the function it defines, and the public name is the function.
  """

  def __setattr__(self, name, value):
    if name == "run" and isinstance(value, types.ModuleType):
      value = value.run
    super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def __getattr__(name):
  if name in _LAZY:
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value
  raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
  return sorted(set(globals()) | set(__all__))
