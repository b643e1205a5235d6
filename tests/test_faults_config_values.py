"""Hostile config values: every one is refused in one line naming its key.

NaN and infinities wherever a number goes, values of keys whose default is
null, integers no counter holds, repeated YAML keys, alias bombs and deep
nesting; and the finite-only rule of checkpoints covering the EMA and
every other saved variable.
"""

import numpy as np
import pytest

from zoo import cli
from zoo import training
from zoo.training import config as config_lib

_BASE = "softmax_mnist_quick"


@pytest.mark.parametrize("override,key", [
    ("train.ema_decay=.nan", "train.ema_decay"),
    ("train.ema_decay=.inf", "train.ema_decay"),
    ("train.optimizer.learning_rate=.nan", "train.optimizer.learning_rate"),
    ("train.optimizer.learning_rate=-.inf", "train.optimizer.learning_rate"),
    ("train.optimizer.learning_rate=1e400", "train.optimizer.learning_rate"),
    ("train.weight_decay=.nan", "train.weight_decay"),
    ("train.clip_grad_norm=.inf", "train.clip_grad_norm"),
    ("train.schedule.final_fraction=.nan", "train.schedule.final_fraction"),
    ("data.validation_fraction=.nan", "data.validation_fraction"),
    ("data.augment.brightness=.nan", "data.augment.brightness"),
    ("data.augment.contrast=[.nan, 1.0]", "data.augment.contrast"),
    ("train.epochs=.inf", "train.epochs"),
    ("finetune.head_learning_rate=.nan", "finetune.head_learning_rate"),
    ("train.epochs=abc", "train.epochs"),
    ("train.epochs=[1]", "train.epochs"),
    ("train.epochs=true", "train.epochs"),
    ("train.clip_grad_norm=abc", "train.clip_grad_norm"),
    ("train.ema_decay={a: 1}", "train.ema_decay"),
    ("finetune.head_learning_rate=fast", "finetune.head_learning_rate"),
    ("run_dir=5", "run_dir"),
    ("run_dir=[a, b]", "run_dir"),
    ("finetune.checkpoint=7", "finetune.checkpoint"),
    ("finetune.keras_weights=true", "finetune.keras_weights"),
    ("train.steps=99999999999999999999", "train.steps"),
    ("data.batch_size=4294967296", "data.batch_size"),
    ("seed=-1", "seed"),
    ("model.name=5", "model.name"),
    ("data.data_dir=5", "data.data_dir"),
    ("data.image_size=[99999999999, 5]", "data.image_size"),
    ("model.num_classes=.inf", "model.num_classes"),
    ("seed=99999999999", "seed"),
    ("train.steps=1e400", "train.steps"),
])
def test_a_bad_value_is_one_line_naming_its_key(override, key):
  with pytest.raises(config_lib.ConfigError) as error:
    training.load_config(_BASE, [override])
  message = str(error.value)
  assert "\n" not in message and message.startswith(key), message


def test_epochs_that_overflow_a_step_counter_are_one_line():
  import importlib  # pylint: disable=g-import-not-at-top
  run_lib = importlib.import_module("zoo.training.run")
  config = training.load_config(_BASE, ["train.epochs=1e12"])
  with pytest.raises(config_lib.ConfigError, match="^train.epochs=.*fewer"):
    run_lib.steps_of(config, 60000)


def test_a_partial_section_override_keeps_the_other_keys():
  config = training.load_config(_BASE, ["train.optimizer={name: sgd}"])
  assert config["train"]["optimizer"]["name"] == "sgd"
  assert config["train"]["optimizer"]["learning_rate"] > 0
  config = training.load_config(_BASE, ["train.schedule={warmup_steps: 3}"])
  assert config["train"]["schedule"]["name"] == "constant"
  assert training.load_config(_BASE, ["train.epochs=1e-1"])["train"][
      "epochs"] == pytest.approx(0.1)


def _billion_laughs() -> str:
  lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
  previous = "a"
  for name in "bcdefghij":
    lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
    previous = name
  return "\n".join(lines) + "\n"


@pytest.mark.parametrize("text,match", [
    ("train:\n  steps: 5\n  steps: 6\n", "repeats the key 'steps'"),
    ("model: {name: softmax_regression}\nmodel: {name: deep_mnist_cnn}\n",
     "repeats the key 'model'"),
    (_billion_laughs(), "aliases"),
    ("train: " + "[" * 200 + "]" * 200 + "\n", "nests deeper"),
    ("train: " + "{a: " * 60 + "1" + "}" * 60 + "\n", "nests deeper"),
    ("train:\n  weight_decay: .nan\n", "not a finite number"),
])
def test_a_hostile_yaml_file_is_one_line(tmp_path, text, match):
  path = tmp_path / "bad.yaml"
  path.write_text(text)
  with pytest.raises(config_lib.ConfigError, match=match) as error:
    training.load_config(str(path))
  assert "\n" not in str(error.value)


def test_the_command_exits_2_with_one_line(capsys, tmp_path):
  path = tmp_path / "bad.yaml"
  path.write_text(_billion_laughs())
  for argv in (["train", "--config", _BASE, "train.ema_decay=.nan"],
               ["train", "--config", _BASE, "train.epochs=abc"],
               ["train", "--config", str(path)]):
    assert cli.main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith("Error: "), err
  assert not (tmp_path / "runs").exists()


@pytest.fixture(scope="module")
def ema_run(tmp_path_factory):
  root = tmp_path_factory.mktemp("ema")
  with pytest.MonkeyPatch.context() as patch:
    patch.setenv("SNT_ZOO_OFFLINE", "1")
    patch.setenv("SNT_ZOO_CACHE", str(root / "cache"))
    run = training.Run(training.load_config(
        _BASE, [f"run_dir={root / 'run'}", "train.steps=2",
                "train.ema_decay=0.5"]), verbose=False)
    yield run
    run.close()


@pytest.mark.parametrize("where", ["ema", "optimizer"])
def test_no_checkpoint_is_saved_with_a_non_finite_variable(ema_run, where):
  trainer = ema_run.trainer
  if where == "ema":
    variable = trainer.ema.averages[0]
  else:
    variable = next(v for v in trainer.saved_variables()
                    if v.dtype.is_floating and not any(
                        v is w for w in trainer.model.variables) and not any(
                            v is a for a in trainer.ema.averages))
  kept = variable.numpy()
  assert trainer.weights_are_finite()
  variable.assign(np.full(kept.shape, np.nan, kept.dtype))
  try:
    assert not trainer.weights_are_finite()
    with pytest.raises(training.TrainingStopped, match="not finite") as e:
      ema_run.save()
    assert "\n" not in str(e.value)
    assert not list(ema_run.run_dir.checkpoint_dir.glob("ckpt-*"))
  finally:
    variable.assign(kept)
