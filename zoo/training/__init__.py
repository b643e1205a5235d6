"""Training: configs, the run, the train step, schedules and optimizers.

    from zoo import training
    config = training.load_config("softmax_mnist_quick", ["train.steps=50"])
    result = training.run(config)          # a RunResult
    run = training.RunDir(result.run_dir)  # its files and facts
"""

from zoo.training.config import ConfigError
from zoo.training.config import load_config
from zoo.training.run import Run
from zoo.training.run import RunResult
from zoo.training.run import TrainingStopped
from zoo.training.run import run
from zoo.training.run_dir import RunDir
from zoo.training.run_dir import RunDirError
from zoo.training.trainer import Trainer

__all__ = [
    "ConfigError", "Run", "RunDir", "RunDirError", "RunResult", "Trainer",
    "TrainingStopped", "load_config", "run",
]
