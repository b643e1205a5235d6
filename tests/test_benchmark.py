"""zoo.benchmark and `snt-zoo benchmark`: well-formed figures end to end."""

import json

import pytest

from zoo import benchmark
from zoo import cli


def _check_summary(summary, reps):
  assert set(summary) >= {"median", "min", "max", "spread_pct", "reps"}
  assert len(summary["reps"]) == reps
  assert 0 < summary["min"] <= summary["median"] <= summary["max"]
  assert summary["spread_pct"] >= 0


def test_softmax_against_keras_json_and_table(tmp_path, capsys):
  path = tmp_path / "bench.json"
  assert cli.main([
      "benchmark", "--model", "softmax_regression", "--batch-size", "8", "--compare",
      "keras", "--reps", "2", "--steps", "2", "--warmup", "1", "--jit", "on",
      "--json", str(path)]) == 0
  results = json.loads(path.read_text())
  assert results["jit_compile"] is True
  assert results["model"] == "softmax_regression"
  assert results["batch_size"] == 8 and results["image_size"] == 28
  assert set(results["frameworks"]) == {"zoo", "keras"}
  for entry in results["frameworks"].values():
    _check_summary(entry["train_images_per_sec"], 2)
    _check_summary(entry["inference_images_per_sec"], 2)
    assert entry["memory"]["peak_rss_mb"] > 0
  assert results["ratio"]["train"] > 0 and results["ratio"]["inference"] > 0
  table = capsys.readouterr().out
  assert "zoo / keras: train" in table
  assert "keras" in table and "softmax_regression" in table


def test_deep_mnist_zoo_only_training_only():
  results = benchmark.run_benchmark(benchmark.Options(
      model="deep_mnist_cnn", batch_size=4, reps=2, steps=1, warmup=0,
      no_inference=True))
  assert set(results["frameworks"]) == {"zoo"}
  assert "ratio" not in results
  zoo = results["frameworks"]["zoo"]
  _check_summary(zoo["train_images_per_sec"], 2)
  assert "inference_images_per_sec" not in zoo
  assert "zoo" in benchmark.format_table(results)


@pytest.mark.parametrize("flag", ["--jit", "--precision"])
def test_rejects_bad_choices(flag):
  with pytest.raises(SystemExit):
    cli.main(["benchmark", "--model", "softmax_regression", flag, "bogus"])
