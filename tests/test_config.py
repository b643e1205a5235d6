"""Tests for zoo.training.config."""

import pathlib

import pytest
import yaml

from zoo.training import config as config_lib

_CONFIGS = sorted(p.stem for p in config_lib.default_config_dir().glob("*.yaml"))


@pytest.mark.parametrize("name", _CONFIGS)
def test_every_shipped_config_is_valid_and_documents_its_command(name):
  header = (config_lib.default_config_dir() / f"{name}.yaml").read_text()
  # A config for the user's own data needs data.data_dir on the command line.
  own_data = yaml.safe_load(header)["data"]["name"] == "image_folder"
  config = config_lib.load_config(
      name, ["data.data_dir=/data"] if own_data else [])
  assert f"python tools/train.py --config {name}" in header
  assert "Reproduces:" in header and "Expect:" in header
  assert config["_name"] == name


def test_name_resolves_with_or_without_yaml_and_by_path():
  by_name = config_lib.load_config("deep_mnist")
  assert config_lib.load_config("deep_mnist.yaml") == by_name
  path = str(config_lib.default_config_dir() / "deep_mnist.yaml")
  assert config_lib.load_config(path)["train"] == by_name["train"]


def test_overrides_win_and_are_typed():
  config = config_lib.load_config("deep_mnist", [
      "train.steps=300", "data.batch_size=64", "run_dir=/tmp/run",
      "train.optimizer.learning_rate=1e-3", "data.augment.contrast=[0.5, 1.5]"])
  assert config["train"]["steps"] == 300
  assert config["data"]["batch_size"] == 64
  assert config["run_dir"] == "/tmp/run"
  assert config["train"]["optimizer"]["learning_rate"] == 1e-3
  assert config["data"]["augment"]["contrast"] == [0.5, 1.5]


@pytest.mark.parametrize("override, message", [
    ("train.stpes=3", r"Unknown config key 'train.stpes'.*'train.steps'"),
    ("trian.steps=3", r"Unknown config key 'trian'.*'train'"),
    ("train.steps=many", r"train.steps must be an integer, got 'many'"),
    ("train.jit_compile=1", r"train.jit_compile must be true or false"),
    ("model.dropout=0.1", r"Unknown config key 'model.dropout'.*'model.dropout_rate'"),
    ("model.name=resnet", r"model.name: Unknown model 'resnet'"),
    ("model.image_shape=[28,28,1]",
     r"model.image_shape is now two keys: model.image_size=\[H, W\] and "
     r"model.channels=C"),
    ("steps", r"not key=value"),
])
def test_bad_overrides_name_the_key_and_the_fix(override, message):
  with pytest.raises(config_lib.ConfigError, match=message):
    config_lib.load_config("deep_mnist", [override])


@pytest.mark.parametrize("key", [
    "train.precision", "train.optimizer.name", "train.schedule.name",
    "distribute.strategy", "data.on_corrupt", "data.name"])
def test_a_null_name_is_refused_with_its_choices_and_default(key):
  default = config_lib._get(config_lib.DEFAULTS, key)  # pylint: disable=protected-access
  with pytest.raises(config_lib.ConfigError,
                     match=rf"{key} is null; set one of .*{default!r}"):
    config_lib.load_config("softmax_mnist_quick", [f"{key}=null"])


def test_missing_config_lists_known_ones():
  with pytest.raises(config_lib.ConfigError,
                     match=r"No config 'deep_mnst'.*Did you mean 'deep_mnist'"):
    config_lib.load_config("deep_mnst")


def test_bad_yaml_and_bad_keys_in_a_file(tmp_path):
  bad = tmp_path / "bad.yaml"
  bad.write_text("train: [unclosed\n")
  with pytest.raises(config_lib.ConfigError, match="not valid YAML"):
    config_lib.load_config(str(bad))
  typo = tmp_path / "typo.yaml"
  typo.write_text("model: {name: deep_mnist_cnn}\ndata: {batchsize: 3}\n")
  with pytest.raises(config_lib.ConfigError,
                     match=r"'data.batchsize'.*'data.batch_size'"):
    config_lib.load_config(str(typo))


def test_a_runs_saved_config_loads_again(tmp_path):
  config = config_lib.load_config("softmax_mnist")
  saved = dict(config, data_source="somewhere", steps_total=5)
  path = tmp_path / "config.yaml"
  config_lib.dump_config(saved, path)
  assert config_lib.load_config(str(path))["train"] == config["train"]


def test_data_names_tfds_and_image_folder_need_what_they_read():
  config = config_lib.load_config(
      "deep_mnist", ["data.name=tfds:some_catalog_dataset"])
  assert config["data"]["name"] == "tfds:some_catalog_dataset"
  with pytest.raises(config_lib.ConfigError,
                     match=r"data.name='tfds:' is not one of.*tfds:<name>"):
    config_lib.load_config("deep_mnist", ["data.name='tfds:'"])
  with pytest.raises(config_lib.ConfigError,
                     match=r"data.data_dir is required.*image_folder"):
    config_lib.load_config("xception_folder")
  with pytest.raises(config_lib.ConfigError, match=r"Unknown config key"):
    config_lib.load_config("deep_mnist", ["data.channels=3"])  # The model's.
  config = config_lib.load_config("xception_folder",
                                  ["data.data_dir=/photos"])
  assert config["data"]["data_dir"] == "/photos"
  assert config["model"].get("num_classes") is None  # From the data.


def test_the_declared_model_arguments_are_the_registry_s():
  """The arguments read from the models' source (before TensorFlow) are the
  registered functions' own; a default that is no literal reads as None."""
  from zoo.models import _registry  # pylint: disable=g-import-not-at-top
  declared = config_lib._declared_models()  # pylint: disable=protected-access
  assert sorted(declared) == _registry.list_models()
  for name, arguments in declared.items():
    registered = _registry.model_arguments(name)
    assert list(arguments) == list(registered)
    for key, default in arguments.items():
      assert default is None or default == registered[key], (name, key)


def test_the_dataset_names_are_the_registry_s():
  from zoo import datasets  # pylint: disable=g-import-not-at-top
  from zoo.datasets import options  # pylint: disable=g-import-not-at-top
  assert list(options.DATASET_NAMES) == datasets.list_datasets()


def test_a_model_image_size_is_an_int_or_height_width():
  config = config_lib.load_config("deep_mnist_quick",
                                  ["model.image_size=[32,64]"])
  assert config["model"]["image_size"] == [32, 64]
  for bad in ("[0,64]", "[32,64,3]", "[true,2]", "abc"):
    with pytest.raises(config_lib.ConfigError, match="model.image_size"):
      config_lib.load_config("deep_mnist_quick", [f"model.image_size={bad}"])
