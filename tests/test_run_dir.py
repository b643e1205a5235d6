"""Tests for zoo.training.run_dir."""

import pytest

import zoo
from zoo.training import run_dir as run_dir_lib


def test_dataset_options_follow_the_config_and_the_model():
  config = {"seed": 3, "data": {"name": "mnist", "data_dir": "/d",
                                "validation_fraction": 0.1,
                                "image_size": None}}
  assert run_dir_lib.dataset_options(config) == {
      "data_dir": "/d", "seed": 3, "validation_fraction": 0.1}
  assert run_dir_lib.dataset_options(
      config, data_dir="/other")["data_dir"] == "/other"
  model = zoo.create_model("xception", image_size=149)
  options = run_dir_lib.dataset_options(config, model)
  assert options["image_size"] == 149
  assert options["normalize"] == "symmetric"


def test_flowers17_options():
  config = {"seed": 0, "data": {"name": "flowers17", "data_dir": None,
                                "split_ratio": 0.8, "split_index": 0,
                                "on_corrupt": "skip"}}
  options = run_dir_lib.dataset_options(config)
  assert options["split_index"] == 0 and options["on_corrupt"] == "skip"


def test_not_a_run_directory(tmp_path):
  with pytest.raises(FileNotFoundError, match="not a run directory"):
    run_dir_lib.read_config(tmp_path)
  with pytest.raises(FileNotFoundError, match="No checkpoint found"):
    run_dir_lib.find_checkpoint(tmp_path)
