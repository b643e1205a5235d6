"""Mixed precision in the Trainer, `auto` (hardware mocked), and the
fused-update / fast-BN paths."""

import json
import sys

import numpy as np
import pytest
import sonnet as snt
import tensorflow as tf
import yaml

from zoo.models import _registry
from zoo.blocks import flows
from zoo import training
from zoo.training import config as config_lib
from zoo.training import precision
from zoo.training.optimizers import Optimizer
from zoo.training.trainer import Trainer


def _batch(n=16):
  rng = np.random.default_rng(0)
  return (tf.constant(rng.uniform(0, 1, [n, 28, 28, 1]), tf.float32),
          tf.constant(np.arange(n) % 10, tf.int32))


def _trainer(model, **kwargs):
  rate = tf.Variable(3e-3, trainable=False)
  return Trainer(model, Optimizer("adam", rate), lambda step: rate,
                 global_batch_size=16, **kwargs)


@pytest.mark.parametrize("mode", ["mixed_bfloat16", "mixed_float16"])
def test_mixed_precision_trains_with_float32_variables(mode):
  images, labels = _batch()
  tf.random.set_seed(0)
  model = _registry.create_model("tfjs_mnist_convnet")
  trainer = _trainer(model, precision=mode)
  trainer.build(images)
  losses = [float(trainer.train_step(images, labels)["loss"])
            for _ in range(8)]
  assert all(np.isfinite(losses))
  assert min(losses[-3:]) < losses[0]
  assert {v.dtype for v in model.variables} == {tf.float32}
  assert trainer.predict(images).dtype == tf.float32
  if mode == "mixed_float16":
    assert float(trainer.loss_scale.scale) >= 1.0
    assert "loss_scale" in trainer.checkpoint_objects()


def test_compute_in_casts_kernels_not_batch_norm():
  class Net(snt.Module):

    def __init__(self):
      super().__init__()
      self.conv = snt.Conv2D(4, 3, with_bias=False)
      self.bn = flows.batch_norm("bn", 0.99, 1e-3)

    def __call__(self, x, is_training):
      return self.bn(self.conv(x), is_training)

  net = Net()
  images, _ = _batch(4)
  net(images, False)
  with precision.compute_in(tf.bfloat16):
    out = net(tf.cast(images, tf.bfloat16), True)
  assert out.dtype == tf.bfloat16
  assert net.bn.moving_mean.value.dtype == tf.float32
  assert np.all(np.isfinite(net.bn.moving_mean.value.numpy()))


def test_unknown_precision():
  with pytest.raises(ValueError, match="train.precision"):
    precision.compute_dtype("float8")


def test_fused_update_matches_unfused():
  images, labels = _batch()
  results = []
  for fuse in (True, False):
    tf.random.set_seed(1)
    model = _registry.create_model("tfjs_mnist_convnet")
    trainer = _trainer(model, fuse_optimizer_update=fuse, weight_decay=1e-3,
                       clip_grad_norm=1.0)
    trainer.build(images)
    for _ in range(3):
      trainer.train_step(images, labels)
    results.append([v.numpy() for v in model.trainable_variables])
  for fused, plain in zip(*results):
    # XLA may fuse multiply-adds: last-bit differences, nothing more.
    np.testing.assert_allclose(fused, plain, rtol=1e-5, atol=5e-6)


def test_fast_batch_norm_matches_sonnet():
  rng = np.random.default_rng(0)
  x = tf.constant(rng.normal(1, 2, [4, 6, 6, 3]), tf.float32)
  fast = flows.batch_norm("bn", 0.9, 1e-3)
  plain = snt.BatchNorm(True, True, decay_rate=0.9, eps=1e-3, name="bn")
  for training in (True, True, False):
    with tf.GradientTape(persistent=True) as tape:
      tape.watch(x)
      a, b = fast(x, training), plain(x, training)
    np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-5)
    np.testing.assert_allclose(tape.gradient(a, x).numpy(),
                               tape.gradient(b, x).numpy(), atol=1e-5)
  np.testing.assert_allclose(fast.moving_variance.value.numpy(),
                             plain.moving_variance.value.numpy(), rtol=1e-6)
  assert [v.name for v in fast.variables] == [v.name for v in plain.variables]


# `auto`: hardware mocked ------------------------------------------------------

_XEON_AMX = """processor	: 0
vendor_id	: GenuineIntel
model name	: Intel(R) Xeon(R) Platinum 8480+
flags		: fpu vme sse sse2 avx avx2 avx512f avx512bw avx512_bf16 amx_bf16 amx_tile amx_int8
bugs		: spectre_v1

processor	: 1
model name	: Intel(R) Xeon(R) Platinum 8480+
flags		: fpu vme sse sse2 avx avx2 avx512f avx512bw avx512_bf16 amx_bf16 amx_tile amx_int8
"""
_EPYC_ZEN4 = """processor	: 0
vendor_id	: AuthenticAMD
model name	: AMD EPYC 9B14
flags		: fpu sse2 avx avx2 avx512f avx512_bf16 avx512_vnni
"""
_SKYLAKE = """processor	: 0
model name	: Intel(R) Xeon(R) CPU @ 2.00GHz
flags		: fpu sse2 avx avx2 avx512f avx512bw avx512_vnni
"""


@pytest.mark.parametrize("text, model, expected_flags", [
    (_XEON_AMX, "Intel(R) Xeon(R) Platinum 8480+",
     ("avx512_bf16", "amx_bf16")),
    (_EPYC_ZEN4, "AMD EPYC 9B14", ("avx512_bf16",)),
    (_SKYLAKE, "Intel(R) Xeon(R) CPU @ 2.00GHz", ()),
    ("", "", ()),
])
def test_parse_cpuinfo(text, model, expected_flags):
  parsed_model, flags = precision.parse_cpuinfo(text)
  assert parsed_model == model
  hardware = precision.Hardware(cpu_model=parsed_model, cpu_flags=flags)
  assert hardware.cpu_bfloat16_flags == expected_flags
  assert ("avx2" in flags) == bool(text)


@pytest.mark.parametrize("cpuinfo, expected", [
    (_XEON_AMX, "mixed_bfloat16"),
    (_EPYC_ZEN4, "mixed_bfloat16"),
    (_SKYLAKE, "float32"),
    ("", "float32"),  # Not Linux, or /proc/cpuinfo unreadable.
])
def test_auto_on_a_cpu_follows_its_bfloat16_flags(cpuinfo, expected):
  _, flags = precision.parse_cpuinfo(cpuinfo)
  resolution = precision.resolve("auto", precision.Hardware(cpu_flags=flags))
  assert resolution.precision == expected
  assert resolution.reason.startswith("auto: ")


@pytest.mark.parametrize("capabilities, cpuinfo, expected", [
    (((8, 0),), _SKYLAKE, "mixed_bfloat16"),           # A100.
    (((9, 0), (8, 6)), _SKYLAKE, "mixed_bfloat16"),
    (((7, 5),), _XEON_AMX, "float32"),                 # T4: the GPU decides.
    (((8, 0), (7, 0)), _XEON_AMX, "float32"),          # Every GPU must have it.
])
def test_auto_with_gpus_follows_their_compute_capability(
    capabilities, cpuinfo, expected):
  _, flags = precision.parse_cpuinfo(cpuinfo)
  hardware = precision.Hardware(cpu_flags=flags,
                                gpu_compute_capabilities=capabilities)
  assert precision.resolve("auto", hardware).precision == expected


def test_auto_on_tpus_is_bfloat16():
  _, flags = precision.parse_cpuinfo(_SKYLAKE)
  hardware = precision.Hardware(cpu_flags=flags, num_tpus=8,
                                gpu_compute_capabilities=((7, 0),))
  resolution = precision.resolve("auto", hardware)
  assert resolution.precision == "mixed_bfloat16"
  assert "TPU" in resolution.reason


@pytest.mark.parametrize("name", precision.COMPUTE_PRECISIONS)
def test_explicit_precision_is_kept_without_looking_at_hardware(
    name, monkeypatch):
  def fail(*_):
    raise AssertionError("hardware detected for an explicit precision")
  monkeypatch.setattr(precision, "detect_hardware", fail)
  assert precision.resolve(name).precision == name
  with pytest.raises(ValueError, match="train.precision"):
    precision.resolve("float8")


def test_detect_hardware_reads_gpu_details_and_cpuinfo(monkeypatch):
  gpus = [tf.config.PhysicalDevice("/physical_device:GPU:0", "GPU"),
          tf.config.PhysicalDevice("/physical_device:GPU:1", "GPU")]
  details = {gpus[0].name: {"compute_capability": (8, 0)},
             gpus[1].name: {"compute_capability": (8, 9)}}
  monkeypatch.setattr(tf.config, "list_physical_devices",
                      lambda kind=None: gpus if kind == "GPU" else [])
  monkeypatch.setattr(tf.config.experimental, "get_device_details",
                      lambda device: details[device.name])
  hardware = precision.detect_hardware(cpuinfo=_SKYLAKE)
  assert hardware.gpu_compute_capabilities == ((8, 0), (8, 9))
  assert hardware.cpu_model == "Intel(R) Xeon(R) CPU @ 2.00GHz"
  assert hardware.num_tpus == 0
  assert precision.resolve("auto", hardware).precision == "mixed_bfloat16"


def test_cpuinfo_is_not_read_off_linux(monkeypatch, tmp_path):
  path = tmp_path / "cpuinfo"
  path.write_text(_XEON_AMX)
  assert precision.read_cpuinfo(path) == _XEON_AMX
  monkeypatch.setattr(sys, "platform", "darwin")
  assert precision.read_cpuinfo(path) == ""
  assert precision.read_cpuinfo(tmp_path / "missing") == ""


@pytest.mark.parametrize("cpuinfo, dtype", [(_XEON_AMX, tf.bfloat16),
                                            (_SKYLAKE, tf.float32)])
def test_trainer_resolves_auto(cpuinfo, dtype, monkeypatch):
  _, flags = precision.parse_cpuinfo(cpuinfo)
  monkeypatch.setattr(precision, "detect_hardware",
                      lambda *_, **__: precision.Hardware(cpu_flags=flags))
  trainer = _trainer(_registry.create_model("softmax_regression"),
                     precision="auto")
  assert trainer.compute_dtype == dtype
  assert trainer.precision in precision.COMPUTE_PRECISIONS
  with pytest.raises(ValueError, match="resolved"):
    precision.compute_dtype("auto")


def _quick_config(run_dir, *overrides):
  return config_lib.load_config("softmax_mnist_quick", [
      f"run_dir={run_dir}", "train.steps=2", "train.log_every=1",
      "train.eval_every=100", "data.eval_batch_size=1500", *overrides])


def _pretend(monkeypatch, cpuinfo):
  _, flags = precision.parse_cpuinfo(cpuinfo)
  monkeypatch.setattr(precision, "detect_hardware",
                      lambda *_, **__: precision.Hardware(cpu_flags=flags))


def test_a_run_records_auto_and_what_it_resolved_to_and_keeps_it(
    tmp_path, monkeypatch, capsys):
  monkeypatch.setenv("SNT_ZOO_OFFLINE", "1")
  monkeypatch.setenv("SNT_ZOO_CACHE", str(tmp_path / "cache"))
  run_dir = tmp_path / "run"
  _pretend(monkeypatch, _XEON_AMX)
  training.run(_quick_config(run_dir))
  printed = capsys.readouterr().out
  assert printed.count("Precision: mixed_bfloat16 (auto: CPU flags "
                       "avx512_bf16, amx_bf16)") == 1
  saved = yaml.safe_load((run_dir / "config.yaml").read_text())
  assert saved["train"]["precision"] == "auto"
  assert saved["resolved_precision"] == "mixed_bfloat16"
  records = [json.loads(line) for line in
             (run_dir / "metrics.jsonl").read_text().splitlines()]
  assert records and {r["precision"] for r in records} == {"mixed_bfloat16"}

  # Resumed on a machine without bfloat16 units, `auto` keeps the run's.
  _pretend(monkeypatch, _SKYLAKE)
  training.run(_quick_config(run_dir, "train.steps=3"))
  assert "Precision: mixed_bfloat16 (auto, as recorded" in (
      capsys.readouterr().out)
  assert training.RunDir(run_dir).resolved_precision == "mixed_bfloat16"
  # An explicit precision the checkpoints were not trained in is refused.
  with pytest.raises(training.ConfigError,
                     match="resolved_precision: 'mixed_bfloat16' -> "
                     "'float32'"):
    training.run(_quick_config(run_dir, "train.steps=4",
                               "train.precision=float32"))
  # Naming the precision the run has is the same as `auto`.
  training.run(_quick_config(run_dir, "train.steps=4",
                             "train.precision=mixed_bfloat16"))
  # allow_config_change=true continues in the new precision and records it.
  training.run(_quick_config(run_dir, "train.steps=5",
                             "train.precision=float32",
                             "allow_config_change=true"))
  assert "Precision: float32 (set in the config)" in capsys.readouterr().out
  assert training.RunDir(run_dir).resolved_precision == "float32"


def test_runs_recorded_before_auto_resume_in_their_precision(tmp_path):
  old = {"model": {"name": "softmax_regression"},
         "train": {"precision": "float32"}}
  (tmp_path / "config.yaml").write_text(yaml.safe_dump(old))
  assert training.RunDir(tmp_path).resolved_precision == "float32"
  (tmp_path / "config.yaml").write_text(yaml.safe_dump(
      dict(old, train={"precision": "auto"})))
  assert training.RunDir(tmp_path).resolved_precision is None


def test_config_default_is_auto_and_an_override_forces_float32():
  assert config_lib.load_config("deep_mnist_quick")["train"]["precision"] == (
      "auto")
  forced = config_lib.load_config("deep_mnist_quick",
                                  ["train.precision=float32"])
  assert precision.resolve(forced["train"]["precision"]).precision == (
      "float32")
  with pytest.raises(config_lib.ConfigError,
                     match="Did you mean 'mixed_bfloat16'"):
    config_lib.load_config("deep_mnist_quick", ["train.precision=bfloat16"])


@pytest.mark.parametrize("value, message", [
    ("bf16", r"train.precision='bf16' is not one of auto, float32"),
    ("'auto '", r"train.precision='auto ' is not one of .*Did you mean "
     r"'auto'"),
    ("FLOAT32", r"train.precision='FLOAT32' is not one of"),
    ("null", r"train.precision is null; set one of auto, .*default 'auto'"),
    ("", r"train.precision is null"),
    ("1", r"train.precision must be a string, got 1"),
])
def test_bad_precisions_are_config_errors(value, message):
  with pytest.raises(config_lib.ConfigError, match=message):
    config_lib.load_config("softmax_mnist_quick",
                           [f"train.precision={value}"])
