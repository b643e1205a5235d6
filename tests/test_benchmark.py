"""zoo.benchmark and `snt-zoo benchmark`: well-formed figures end to end."""

import importlib.util
import json
import sys

import pytest
import tensorflow as tf

from zoo.models import _registry
from zoo import benchmark
from zoo import cli
from zoo.training import precision as precision_lib

_BFLOAT16_CPU = precision_lib.Hardware(
    cpu_model="Test CPU", cpu_flags=frozenset({"avx512f", "avx512_bf16"}))
_PLAIN_CPU = precision_lib.Hardware(cpu_model="Test CPU",
                                    cpu_flags=frozenset({"avx2"}))


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
      "--matmul-size", "64", "--json", str(path)]) == 0
  results = json.loads(path.read_text())
  assert results["jit_compile"] is True
  assert results["model"] == "softmax_regression"
  assert results["batch_size"] == 8 and results["image_size"] == 28
  assert set(results["frameworks"]) == {"zoo", "keras"}
  for entry in results["frameworks"].values():
    _check_summary(entry["train_images_per_sec"], 2)
    _check_summary(entry["inference_images_per_sec"], 2)
    assert entry["memory"]["peak_rss_mb"] > 0
  assert set(results["ratios"]["keras"]) == {"train", "inference"}
  _check_derived(results)
  table = capsys.readouterr().out
  assert "zoo / keras: train" in table
  assert "keras" in table and "softmax_regression" in table


def test_deep_mnist_zoo_only_training_only():
  results = benchmark.run_benchmark(benchmark.Options(
      model="deep_mnist_cnn", batch_size=4, reps=2, steps=1, warmup=0,
      no_inference=True, matmul_size=0))
  assert set(results["frameworks"]) == {"zoo"}
  assert results["ratios"] == {}
  zoo = results["frameworks"]["zoo"]
  _check_summary(zoo["train_images_per_sec"], 2)
  assert "inference_images_per_sec" not in zoo
  assert "zoo" in benchmark.format_table(results)


@pytest.mark.parametrize("flag", ["--jit", "--precision"])
def test_rejects_bad_choices(flag):
  with pytest.raises(SystemExit):
    cli.main(["benchmark", "--model", "softmax_regression", flag, "bogus"])


@pytest.mark.parametrize("text, sides", [
    ("none", ()), ("", ()), ("keras", ("keras",)), ("torch", ("torch",)),
    ("keras,torch", ("keras", "torch")), ("torch, keras", ("torch", "keras")),
    ("keras,keras", ("keras",)),
])
def test_parse_compare(text, sides):
  assert benchmark.parse_compare(text) == sides


def test_unknown_compare_side_is_a_one_line_usage_error(capsys):
  assert cli.main(["benchmark", "--model", "softmax_regression",
                   "--compare", "keras,jax"]) == 2
  error = capsys.readouterr().err.strip()
  assert "unknown side 'jax'" in error and "keras, torch" in error
  assert len(error.splitlines()) == 1


def test_missing_torch_names_the_install_command(monkeypatch, capsys):
  monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` fails.
  with pytest.raises(benchmark.BenchmarkError, match="pip install"):
    benchmark.require_torch()
  assert cli.main(["benchmark", "--model", "deep_mnist_cnn",
                   "--compare", "keras,torch"]) == 2
  error = capsys.readouterr().err.strip()
  assert len(error.splitlines()) == 1
  assert "pip install 'torch==2.14.1+cpu'" in error


def test_torch_side_covers_the_mnist_models_only(capsys):
  assert cli.main(["benchmark", "--model", "xception",
                   "--compare", "torch"]) == 2
  assert "deep_mnist_cnn" in capsys.readouterr().err


def _one_line_usage_error(capsys, argv):
  """Runs `snt-zoo benchmark argv`; returns its one-line error message."""
  assert cli.main(["benchmark", *argv]) == 2
  error = capsys.readouterr().err.strip()
  assert len(error.splitlines()) == 1 and "Traceback" not in error
  return error


@pytest.mark.parametrize("flag, value, message", [
    ("--reps", "0", "--reps must be at least 1, got 0"),
    ("--steps", "0", "--steps must be at least 1, got 0"),
    ("--batch-size", "0", "--batch-size must be at least 1, got 0"),
    ("--image-size", "0", "--image-size must be at least 1, got 0"),
    ("--num-classes", "0", "--num-classes must be at least 1, got 0"),
    ("--warmup", "-1", "--warmup must be at least 0, got -1"),
    ("--matmul-size", "-1", "--matmul-size must be at least 0, got -1"),
])
def test_counts_below_their_lowest_value_are_usage_errors(
    capsys, monkeypatch, flag, value, message):
  monkeypatch.delenv(cli.DEBUG_ENV, raising=False)
  built = []
  monkeypatch.setattr(benchmark, "ZooRunner",
                      lambda *a, **k: built.append(a))
  error = _one_line_usage_error(
      capsys, ["--model", "softmax_regression", flag, value])
  assert message in error
  assert not built  # Refused before any model is built.


def test_data_benchmark_sizes_below_1_are_usage_errors(capsys, monkeypatch):
  monkeypatch.delenv(cli.DEBUG_ENV, raising=False)
  assert "--batch-size must be at least 1, got 0" in _one_line_usage_error(
      capsys, ["--data", "--batch-size", "0"])
  assert "--sizes must be at least 1, got 0" in _one_line_usage_error(
      capsys, ["--data", "--sizes", "149", "0"])


def test_an_image_size_the_model_does_not_take_is_a_usage_error(
    capsys, monkeypatch):
  monkeypatch.delenv(cli.DEBUG_ENV, raising=False)
  error = _one_line_usage_error(capsys, [
      "--model", "xception", "--image-size", "10", "--reps", "1", "--steps",
      "1", "--warmup", "0", "--matmul-size", "0", "--no-inference"])
  assert "--model xception:" in error and "at least 71x71" in error


def test_float16_with_torch_is_refused_whether_or_not_torch_is_installed(
    capsys, monkeypatch):
  monkeypatch.delenv(cli.DEBUG_ENV, raising=False)
  monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` fails.
  error = _one_line_usage_error(capsys, [
      "--model", "softmax_regression", "--compare", "torch", "--precision",
      "mixed_float16"])
  assert "not mixed_float16" in error


@pytest.mark.parametrize("mode, hardware, expected", [
    ("defaults", _BFLOAT16_CPU, ("mixed_bfloat16", "float32", "float32")),
    ("defaults", _PLAIN_CPU, ("float32", "float32", "float32")),
    ("auto", _BFLOAT16_CPU, ("mixed_bfloat16",) * 3),
    ("auto", _PLAIN_CPU, ("float32",) * 3),
    ("mixed_bfloat16", _PLAIN_CPU, ("mixed_bfloat16",) * 3),
    ("float32", _BFLOAT16_CPU, ("float32",) * 3),
])
def test_defaults_of_each_side_or_equal_precision(mode, hardware, expected):
  resolved = benchmark.side_precisions(mode, ("keras", "torch"), hardware)
  assert tuple(resolved[s].precision for s in ("zoo", "keras", "torch")) == (
      expected)


def test_torch_is_not_timed_in_float16():
  with pytest.raises(benchmark.BenchmarkError, match="torch"):
    benchmark.side_precisions("mixed_float16", ("torch",), _PLAIN_CPU)
  assert benchmark.side_precisions("mixed_float16", ("keras",), _PLAIN_CPU)[
      "keras"].precision == "mixed_float16"


def test_peak_and_fraction_arithmetic():
  assert benchmark.matmul_gflops(1000, 0.5) == pytest.approx(4.0)
  # 1,000 images/s x 3 MFLOP = 3 GFLOP/s of a 10 GFLOP/s peak.
  assert benchmark.fraction_of_peak(1000, 3e6, 10.0) == pytest.approx(0.3)
  assert benchmark.measure_matmul_peak(tf.float32, size=64, reps=1) > 0


_EPYC = ("processor\t: 0\nmodel name\t: AMD EPYC 7763\ncpu MHz\t\t: 2450.000\n"
         "physical id\t: 0\ncore id\t\t: 0\nflags\t\t: avx avx2 fma\n\n"
         "processor\t: 1\nmodel name\t: AMD EPYC 7763\ncpu MHz\t\t: 2450.000\n"
         "physical id\t: 0\ncore id\t\t: 0\nflags\t\t: avx avx2 fma\n\n")


def test_theoretical_fma_peak(monkeypatch):
  monkeypatch.setattr(benchmark.os, "sched_getaffinity", lambda _: {0, 1, 2},
                      raising=False)
  # Two hyperthreads of one core: 1 core x 2.45 GHz x 32 FLOPs (2 AVX2 FMAs).
  gflops, how = benchmark.fma_peak_gflops("float32", _EPYC, max_freq_khz="")
  assert gflops == pytest.approx(1 * 2.45 * 32)
  assert "1 cores x 2.45 GHz" in how and "fma" in how
  # cpufreq's maximum clock wins; no bfloat16 units: the float32 rate.
  gflops, how = benchmark.fma_peak_gflops("bfloat16", _EPYC, "3500000")
  assert gflops == pytest.approx(3.5 * 32) and "cpufreq" in how
  amx = _EPYC.replace("fma\n", "fma avx512f avx512_bf16 amx_bf16\n").replace(
      "core id\t\t: 0\nflags", "core id\t\t: 1\nflags", 1)
  assert benchmark.fma_peak_gflops("float32", amx, "")[0] == pytest.approx(
      2 * 2.45 * 64)
  assert benchmark.fma_peak_gflops("bfloat16", amx, "")[0] == pytest.approx(
      2 * 2.45 * 1024)
  # The model name's clock where /proc/cpuinfo gives none, and the CPUs
  # this process may use where it lists no cores; else no peak.
  named = "model name\t: Intel(R) Xeon(R) CPU @ 2.00GHz\nflags\t: avx2 fma\n"
  assert benchmark.fma_peak_gflops("float32", named, "")[0] == pytest.approx(
      3 * 2.0 * 32)
  unknown = benchmark.fma_peak_gflops("float32", "flags\t: avx2 fma\n", "")
  assert unknown == (None, "CPU frequency unknown: no theoretical peak")
  assert benchmark.fma_peak_gflops("float32", "", "")[0] is None


def test_the_peak_is_the_best_implementation_or_the_theory():
  peak = benchmark.hardware_peak("float32", {"tensorflow": 92.0,
                                             "torch": 180.0}, None)
  assert (peak["gflops"], peak["source"]) == (180.0, "torch")
  peak = benchmark.hardware_peak("float32", {"tensorflow": 92.0}, 250.0)
  assert (peak["gflops"], peak["source"]) == (250.0, "theoretical")


def test_keras_runs_tensorflows_own_onednn_default_at_defaults():
  zoo_set = {"TF_ENABLE_ONEDNN_OPTS": "1", "SNT_ZOO_SET_ONEDNN_OPTS": "1"}
  assert benchmark.side_environment("keras", "defaults", zoo_set) == {}
  assert benchmark.side_environment("zoo", "defaults", zoo_set) == zoo_set
  assert benchmark.side_environment("keras", "float32", zoo_set) == zoo_set
  user = {"TF_ENABLE_ONEDNN_OPTS": "0"}
  assert benchmark.side_environment("keras", "defaults", user) == user


@pytest.mark.parametrize("name, shape, expected", [
    ("softmax_regression", (28, 28, 1), 2 * 784 * 10),
    # Two 5x5 SAME convolutions (28x28, then 14x14), 3136x1024, 1024x10.
    ("deep_mnist_cnn", (28, 28, 1),
     2 * (28 * 28 * 32 * 25 * 1 + 14 * 14 * 64 * 25 * 32 + 3136 * 1024 +
          1024 * 10)),
])
def test_forward_flops_from_layer_shapes(name, shape, expected):
  model = _registry.create_model(name, num_classes=10)
  model(tf.zeros([1, *shape]), is_training=False)
  assert benchmark.forward_flops(model, shape) == expected


_DTYPE_NAMES = {"float32": "float32", "mixed_bfloat16": "bfloat16",
                "mixed_float16": "float16"}


def _check_derived(results):
  """Fractions of peak and ratios follow from the measured medians."""
  flops, peaks = results["flops_per_image"], results["matmul_peak_gflops"]
  frameworks = results["frameworks"]
  for entry in frameworks.values():
    peak_flops = peaks[_DTYPE_NAMES[entry["precision"]]] * 1e9
    for kind, per_image in (("train", flops["train"]),
                            ("inference", flops["forward"])):
      if f"{kind}_fraction_of_peak" in entry:
        median = entry[f"{kind}_images_per_sec"]["median"]
        assert entry[f"{kind}_fraction_of_peak"] == pytest.approx(
            median * per_image / peak_flops)
  for dtype, peak in results["peaks"].items():
    assert peak["gflops"] == max([*peak["measured"].values(),
                                  peak["theoretical"] or 0])
    assert peak["measured"]["tensorflow"] > 0
  for entry in frameworks.values():  # The peak is the hardware's.
    for kind in ("train", "inference"):
      assert entry.get(f"{kind}_fraction_of_peak", 0) <= 1
  zoo = frameworks["zoo"]
  for side, ratio in results["ratios"].items():
    for kind, value in ratio.items():
      key = f"{kind}_images_per_sec"
      assert value == pytest.approx(
          zoo[key]["median"] / frameworks[side][key]["median"])


# PyTorch is optional (a CPU build: pip install 'torch==2.14.1+cpu'); the
# sides that need it run where it is installed.
_HAS_TORCH = importlib.util.find_spec("torch") is not None
_needs_torch = pytest.mark.skipif(
    not _HAS_TORCH, reason="PyTorch not installed (optional)")


def test_every_side_runs_in_equal_precision(monkeypatch):
  sides = ("keras", "torch") if _HAS_TORCH else ("keras",)
  monkeypatch.setattr(precision_lib, "detect_hardware",
                      lambda *_, **__: _BFLOAT16_CPU)
  results = benchmark.run_benchmark(benchmark.Options(
      model="softmax_regression", batch_size=4, compare=",".join(sides),
      reps=1, steps=1, warmup=0, precision="mixed_bfloat16",
      matmul_size=64))
  assert set(results["frameworks"]) == {"zoo", *sides}
  assert set(results["matmul_peak_gflops"]) == {"bfloat16"}
  for entry in results["frameworks"].values():
    assert entry["precision"] == "mixed_bfloat16"
    _check_summary(entry["train_images_per_sec"], 1)
  assert set(results["ratios"]) == set(sides)
  _check_derived(results)
  table = benchmark.format_table(results)
  for side in sides:
    assert f"zoo / {side}: train" in table
  assert "bfloat16 flags: avx512_bf16" in table and "Peak bfloat16" in table


@_needs_torch
def test_defaults_of_each_side_with_the_cnn(monkeypatch):
  monkeypatch.setattr(precision_lib, "detect_hardware",
                      lambda *_, **__: _BFLOAT16_CPU)
  results = benchmark.run_benchmark(benchmark.Options(
      model="deep_mnist_cnn", batch_size=4, compare="torch", reps=1,
      steps=1, warmup=0, matmul_size=64))
  frameworks = results["frameworks"]
  assert frameworks["zoo"]["precision"] == "mixed_bfloat16"
  assert frameworks["torch"]["precision"] == "float32"
  assert set(results["matmul_peak_gflops"]) == {"bfloat16", "float32"}
  assert results["flops_per_image"]["train"] == (
      3 * results["flops_per_image"]["forward"])
  assert all("inference_fraction_of_peak" in e for e in frameworks.values())
  _check_derived(results)
