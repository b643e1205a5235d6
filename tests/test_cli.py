"""zoo.cli: the `snt-zoo` command and the thin tools that run it."""

import os
import pathlib
import subprocess
import sys

import pytest

from zoo import cli

_ROOT = pathlib.Path(__file__).resolve().parents[1]
_TOOLS = sorted(p for p in (_ROOT / "tools").glob("*.py"))


@pytest.mark.parametrize("tool", _TOOLS, ids=lambda p: p.name)
def test_every_tool_answers_help_without_tensorflow(tool):
  code = ("import runpy, sys\n"
          f"sys.argv = [{str(tool)!r}, '--help']\n"
          "try:\n"
          f"  runpy.run_path({str(tool)!r}, run_name='__main__')\n"
          "except SystemExit as e:\n"
          "  assert e.code == 0, e.code\n"
          "loaded = [m for m in ('tensorflow', 'sonnet') if m in sys.modules]\n"
          "assert not loaded, loaded\n")
  result = subprocess.run([sys.executable, "-c", code], capture_output=True,
                          text=True, check=False, cwd=_ROOT)
  assert result.returncode == 0, result.stderr[-2000:]
  assert "usage:" in result.stdout


def test_tools_are_thin_and_import_no_other_tool():
  for tool in _TOOLS:
    text = tool.read_text()
    assert len(text.splitlines()) < 100, tool.name
    assert "from tools" not in text and "import tools" not in text, tool.name


def test_the_command_lists_every_subcommand(capsys):
  with pytest.raises(SystemExit) as exit_info:
    cli.main(["--help"])
  assert exit_info.value.code == 0
  out = capsys.readouterr().out
  for name in cli.COMMANDS:
    assert name in out
  assert set(cli.COMMANDS) == {"train", "evaluate", "predict", "export",
                               "visualize", "benchmark", "fetch", "models",
                               "serve"}


def test_config_errors_are_one_line_with_exit_code_2(capsys, monkeypatch):
  monkeypatch.delenv(cli.DEBUG_ENV, raising=False)
  assert cli.main(["train", "--config", "softmax_mnist_quick",
                   "train.stpes=3"]) == 2
  err = capsys.readouterr().err
  assert "Unknown config key 'train.stpes'" in err
  assert "Did you mean 'train.steps'?" in err
  assert "Traceback" not in err and len(err.strip().splitlines()) == 1
  assert cli.main(["train", "--config", "no_such_config"]) == 2
  assert "No config 'no_such_config'" in capsys.readouterr().err


@pytest.mark.parametrize("value", ["bf16", "'auto '", "null"])
def test_bad_precisions_are_one_line_with_exit_code_2(capsys, monkeypatch,
                                                      value):
  monkeypatch.delenv(cli.DEBUG_ENV, raising=False)
  assert cli.main(["train", "--config", "softmax_mnist_quick",
                   f"train.precision={value}"]) == 2
  err = capsys.readouterr().err
  assert "train.precision" in err and "auto, float32" in err
  assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_a_mistyped_command_gets_a_suggestion(capsys):
  with pytest.raises(SystemExit) as stopped:
    cli.main(["evalute", "runs/x"])
  assert stopped.value.code == 2
  err = capsys.readouterr().err.strip()
  assert err.startswith("snt-zoo: unknown command 'evalute'.")
  assert "Did you mean 'evaluate'?" in err and len(err.splitlines()) == 1


def test_debug_shows_the_traceback(monkeypatch):
  monkeypatch.setenv(cli.DEBUG_ENV, "1")
  with pytest.raises(ValueError, match="train.stpes"):
    cli.main(["train", "--config", "softmax_mnist_quick", "train.stpes=3"])


def test_the_train_tool_runs_the_same_command(tmp_path):
  env = dict(os.environ, SNT_ZOO_OFFLINE="1",
             SNT_ZOO_CACHE=str(tmp_path / "cache"), TF_CPP_MIN_LOG_LEVEL="3")
  result = subprocess.run(
      [sys.executable, str(_ROOT / "tools" / "train.py"), "--config",
       "softmax_mnist_quick", f"run_dir={tmp_path / 'run'}",
       "train.steps=10", "train.eval_every=10",
       "visualize.embedding_examples=20"],
      capture_output=True, text=True, check=False, env=env)
  assert result.returncode == 0, result.stderr[-2000:]
  assert "Final test accuracy" in result.stdout
  assert (tmp_path / "run" / "config.yaml").is_file()
  # MNIST-sized: the projector is written by default.
  assert (tmp_path / "run" / "tensorboard" / "projector" /
          "projector_config.pbtxt").is_file()


def test_wrong_starts_answer_before_tensorflow_and_create_nothing(tmp_path):
  """Config, override, model, data and path mistakes: exit 2, one line each,
  no TensorFlow imported and no run directory left behind."""
  run_dir = tmp_path / "run"
  invocations = [
      ["train", "--config", "softmax_mnist_quik"],
      ["train", "--config", "softmax_mnist_quick", "train.stpes=3",
       f"run_dir={run_dir}"],
      ["train", "--config", "deep_mnist_quick", "model.hiden_size=3",
       f"run_dir={run_dir}"],
      ["train", "--config", "softmax_mnist_quick",
       f"data.data_dir={tmp_path / 'no-data'}", f"run_dir={run_dir}"],
      ["train", "--config", "softmax_mnist_quick", "data.name=fashion_mnist",
       f"run_dir={run_dir}"],
      ["evaluate", str(tmp_path / "no-run")],
      ["predict", "x.png", "--model", str(tmp_path / "no-run")],
      ["export", str(tmp_path / "no-run")],
      ["visualize", "all", str(tmp_path / "no-run")],
      ["visualize", "curves", str(tmp_path / "no-run")],
      ["visualize", "layers", "--model", "xceptoin"],
      ["serve", str(tmp_path / "no-run")],
      ["benchmark", "--model", "xceptoin"],
      ["models", "xceptoin"],
      ["fetch", "mnsit"],
  ]
  code = ("import sys\n"
          "from zoo import cli\n"
          f"for argv in {invocations!r}:\n"
          "  print(cli.main(argv))\n"
          "print('tensorflow' in sys.modules)\n")
  env = dict(os.environ, SNT_ZOO_OFFLINE="1",
             SNT_ZOO_CACHE=str(tmp_path / "cache"))
  result = subprocess.run([sys.executable, "-c", code], capture_output=True,
                          text=True, check=False, cwd=tmp_path, env=env)
  assert result.stdout.split() == ["2"] * len(invocations) + ["False"], (
      result.stdout, result.stderr[-2000:])
  errors = [line for line in result.stderr.splitlines()
            if line.startswith("Error: ")]
  assert len(errors) == len(invocations), result.stderr
  assert "Did you mean 'model.hidden_size'?" in errors[2]
  assert "does not exist" in errors[3] and "fashion_mnist" in errors[4]
  for line in errors[5:10] + errors[11:12]:
    assert "no-run does not exist" in line, line
  for line in errors[10:11] + errors[12:14]:
    assert "Did you mean 'xception'?" in line, line
  assert "Did you mean 'mnist'?" in errors[14]
  assert sorted(p.name for p in tmp_path.iterdir()) == [], list(
      tmp_path.iterdir())


@pytest.mark.parametrize("argv", [
    ["evaluate", "RUN", "--max-examples", "0"],
    ["evaluate", "RUN", "--batch-size", "-2"],
    ["evaluate", "RUN", "--num-bins", "0"],
    ["export", "RUN", "--compare-formats", "--max-examples", "0"],
    ["predict", "a.png", "--model", "M", "--top-k", "0"],
    ["visualize", "all", "RUN", "--num-images", "0"],
    ["visualize", "embeddings", "RUN", "--max-examples", "-1"],
    ["fetch", "mnist", "--retries", "0"],
    ["evaluate", "RUN", "--max-examples", "many"],
    ["evaluate", "RUN", "--num-bins", "100000000"],
    ["fetch", "mnist", "--timeout", "-1"],
    ["fetch", "mnist", "--timeout", "nan"],
])
def test_counts_below_one_are_usage_errors(argv, capsys):
  with pytest.raises(SystemExit) as stopped:
    cli.main(argv)
  assert stopped.value.code == 2
  error = capsys.readouterr().err.strip().splitlines()[-1]
  assert argv[-2] in error
  assert any(words in error for words in (
      "must be at least 1", "whole number", "must be at most 1000",
      "must be more than 0"))


def test_evaluate_refuses_counts_below_one_as_a_library():
  from zoo import evaluation  # pylint: disable=g-import-not-at-top
  for options in ({"max_examples": 0}, {"batch_size": -1}, {"num_bins": 0},
                  {"max_examples": 2.5}, {"max_examples": 2.0}):
    with pytest.raises(evaluation.EvaluationError, match="at least 1"):
      evaluation.evaluate("nowhere", **options)
