"""Training and inference throughput of a zoo model against Keras and PyTorch.

  snt-zoo benchmark --model deep_mnist_cnn --batch-size 50 \
      --compare keras,torch --json /tmp/bench.json
  # or: results = zoo.benchmark.run_benchmark(zoo.benchmark.Options(...))

The zoo side runs the same compiled train step as a training run (the
`Trainer`, Adam); the Keras side runs the same architecture built from Keras
layers, compiled with Adam and trained with `train_on_batch`; the PyTorch
side (Deep-MNIST CNN and softmax regression) the same architecture as a
`torch.nn.Sequential` with `torch.optim.Adam`, one forward, backward and
step per batch. All get the same synthetic in-memory batch. Each side runs
in a process of its own (`zoo.benchmark_process`), so no two frameworks'
thread pools share a process. After warm-up, each repetition times
`--steps` training steps (the loss is fetched every step, as the training
loop does) and `--steps` inference steps; the sides' repetitions alternate
across the processes so background load hits them alike.

Precision: `--precision defaults` (the default) runs each side in its own
default (the zoo: `auto`; Keras and PyTorch: float32); any other value runs
every side in that precision (Keras: a mixed dtype policy; PyTorch: CPU
autocast). Reported: median and spread (min, max) of images/s, the zoo's
ratio to each other side, peak memory, whether each TensorFlow side ran
oneDNN, the hardware's peak in each precision used (the best of the
TensorFlow, NumPy and PyTorch matmuls and the CPU's theoretical FMA rate),
and each side's FLOP/s as a fraction of it. At each side's defaults Keras
runs with TensorFlow's own oneDNN choice, the zoo with its own
(`zoo.cpu_defaults`).
"""

import dataclasses
import importlib.util
import json
import math
import os
import pathlib
import platform
import re
import statistics
import subprocess
import sys
import time
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import tensorflow as tf

from zoo import cpu_defaults
from zoo import suggest
from zoo.models import _registry
from zoo.training import precision as precision_lib
from zoo.training.optimizers import Optimizer
from zoo.training.trainer import Trainer

#: The zoo models the peers implement too (any registered model runs alone).
MODELS = ("softmax_regression", "deep_mnist_cnn", "xception")
DEFAULT_BATCH_SIZE = 32
JIT_DEFAULT = "auto"
# Frameworks the zoo can be compared with, and the models each one covers.
SIDES = ("keras", "torch")
SIDE_MODELS = {"keras": MODELS,
               "torch": ("softmax_regression", "deep_mnist_cnn")}
# Each side in its own default precision, or one precision for every side.
DEFAULTS = "defaults"
PRECISION_CHOICES = (DEFAULTS,) + precision_lib.PRECISIONS
TORCH_PRECISIONS = ("float32", "mixed_bfloat16")
TORCH_INSTALL = "pip install 'torch==2.14.1+cpu'"
# A training step costs about three forward passes (the forward pass, then
# gradients with respect to activations and to weights).
TRAIN_FLOPS_PER_FORWARD = 3
_MULTIPLY_ADD_OPS = ("Conv2D", "DepthwiseConv2dNative", "MatMul")


class BenchmarkError(ValueError):
  """Options that cannot be benchmarked; the message says what to change."""


@dataclasses.dataclass
class Options:
  """What to benchmark (the `snt-zoo benchmark` flags).

  Attributes:
    model: A registered model (`zoo.list_models()`).
    batch_size: Default `DEFAULT_BATCH_SIZE`.
    image_size: Default the model's own (`model.data_config()`).
    num_classes: Default the model's own.
    compare: "none", or sides of `SIDES` separated by commas ("keras,torch").
    reps: Timed repetitions (median and spread over them).
    steps: Steps per repetition.
    warmup: Untimed steps before timing (after compiling).
    jit: "auto" (the zoo's default for the model), "on" or "off".
    precision: One of `PRECISION_CHOICES`: "defaults" (each side its own
      default), or a precision for every side ("auto": the zoo's choice).
    no_inference: Time training only.
    matmul_size: Side of the square matmul that measures the peak FLOP/s;
      0 skips the measurement.
  """
  model: str
  batch_size: Optional[int] = None
  image_size: Optional[int] = None
  num_classes: Optional[int] = None
  compare: str = "none"
  reps: int = 5
  steps: int = 20
  warmup: int = 3
  jit: str = JIT_DEFAULT
  precision: str = DEFAULTS
  no_inference: bool = False
  matmul_size: int = 4096


# Options that count something: field -> (lowest allowed value, its flag).
_COUNTS = {"batch_size": (1, "--batch-size"), "image_size": (1, "--image-size"),
           "num_classes": (1, "--num-classes"), "reps": (1, "--reps"),
           "steps": (1, "--steps"), "warmup": (0, "--warmup"),
           "matmul_size": (0, "--matmul-size")}


def check_options(args: Options) -> None:
  """Checks the model name and the counts before anything is built.

  Raises:
    BenchmarkError: On an unknown model, or a count below its lowest value
      (`--reps`, `--steps`, `--batch-size`, `--image-size` and
      `--num-classes` must be at least 1; `--warmup` and `--matmul-size` at
      least 0; unset sizes take the model's defaults).
  """
  known = _registry.list_models()
  if args.model not in known:
    raise BenchmarkError(f"--model {args.model!r} is not one of "
                         f"{', '.join(known)}."
                         f"{suggest.did_you_mean(args.model, known)}")
  for field, (lowest, flag) in _COUNTS.items():
    value = getattr(args, field)
    if value is None:
      continue
    if isinstance(value, bool) or not isinstance(value, int):
      raise BenchmarkError(f"{flag} must be an integer, got {value!r}.")
    if value < lowest:
      raise BenchmarkError(f"{flag} must be at least {lowest}, got {value}.")


def parse_compare(text: str) -> Tuple[str, ...]:
  """`"keras,torch"` -> `("keras", "torch")`; `"none"` or `""` -> `()`.

  Raises:
    BenchmarkError: On a name not in `SIDES`.
  """
  sides = []
  for name in (part.strip() for part in (text or "").split(",")):
    if name in ("", "none"):
      continue
    if name not in SIDES:
      raise BenchmarkError(f"--compare: unknown side {name!r}; use none or "
                           f"one or more of {', '.join(SIDES)} separated by "
                           "commas (e.g. keras,torch).")
    if name not in sides:
      sides.append(name)
  return tuple(sides)


def torch_installed() -> bool:
  """Whether PyTorch can be imported (checked without importing it)."""
  if "torch" in sys.modules:
    return sys.modules["torch"] is not None
  return importlib.util.find_spec("torch") is not None


def require_torch() -> None:
  """Raises a one-line `BenchmarkError` saying how to install PyTorch where
  it is missing. PyTorch itself is imported only in its side's process."""
  if not torch_installed():
    raise BenchmarkError(
        f"--compare torch needs PyTorch, which is not installed: "
        f"{TORCH_INSTALL} (CPU build).")


def side_precisions(precision: str, sides: Tuple[str, ...],
                    hardware: Optional[precision_lib.Hardware] = None
                    ) -> Dict[str, precision_lib.Resolution]:
  """The precision each side runs in.

  Args:
    precision: One of `PRECISION_CHOICES`.
    sides: The other sides (of `SIDES`).
    hardware: Decides `auto` (default: this machine's).

  Returns:
    `{"zoo": ..., side: ...}`: with "defaults" the zoo resolves `auto` and
    the others run float32 (Keras' and PyTorch's default); otherwise every
    side runs the zoo's resolution of `precision`.

  Raises:
    BenchmarkError: On an unknown precision, or one PyTorch is not timed in.
  """
  if precision not in PRECISION_CHOICES:
    raise BenchmarkError(
        f"--precision {precision!r} is not one of "
        f"{', '.join(PRECISION_CHOICES)}."
        f"{suggest.did_you_mean(precision, PRECISION_CHOICES)}")
  zoo_precision = precision_lib.AUTO if precision == DEFAULTS else precision
  zoo = precision_lib.resolve(zoo_precision, hardware)
  resolved = {"zoo": zoo}
  for side in sides:
    if precision == DEFAULTS:
      resolved[side] = precision_lib.Resolution("float32",
                                                f"{side}'s default")
    else:
      resolved[side] = precision_lib.Resolution(zoo.precision,
                                                "the same for every side")
  torch = resolved.get("torch")
  if torch and torch.precision not in TORCH_PRECISIONS:
    raise BenchmarkError(f"The torch side runs {' or '.join(TORCH_PRECISIONS)}"
                         f", not {torch.precision}.")
  return resolved


# FLOPs and the matmul peak -------------------------------------------------


def forward_flops(model, image_shape: Tuple[int, int, int]) -> int:
  """Multiply-add FLOPs (2 per multiply-add) of one image's forward pass.

  Counted from the shapes of the convolutions and matmuls in the traced
  inference-mode graph; elementwise ops, pooling and normalisation are left
  out (they are a small share and do not run on matmul units).

  Args:
    model: A zoo model whose variables exist.
    image_shape: `(height, width, channels)` of one image.
  """
  forward = tf.function(lambda x: model(x, is_training=False))
  graph = forward.get_concrete_function(
      tf.TensorSpec([1, *image_shape], tf.float32)).graph
  total = 0
  for op in graph.get_operations():
    if op.type not in _MULTIPLY_ADD_OPS:
      continue
    outputs = op.outputs[0].shape.num_elements()
    kernel = op.inputs[1].shape
    if op.type == "Conv2D":
      total += 2 * outputs * kernel[0] * kernel[1] * kernel[2]
    elif op.type == "DepthwiseConv2dNative":
      total += 2 * outputs * kernel[0] * kernel[1]
    else:
      inner = op.inputs[0].shape[0 if op.get_attr("transpose_a") else 1]
      total += 2 * outputs * inner
  return total


def matmul_gflops(size: int, seconds: float) -> float:
  """GFLOP/s of one `size` x `size` by `size` x `size` matmul."""
  return 2.0 * size**3 / seconds / 1e9


def measure_matmul_peak(dtype, size: int = 4096, reps: int = 3) -> float:
  """The best GFLOP/s of a `size`-square `tf.matmul` in `dtype` (a `tf.DType`
  or its name), after one untimed call: TensorFlow's kernels (oneDNN's
  where on), one of the implementations the peak is the best of."""
  dtype = tf.as_dtype(dtype)
  a = tf.cast(tf.random.stateless_uniform([size, size], [1, 2]), dtype)
  b = tf.cast(tf.random.stateless_uniform([size, size], [3, 4]), dtype)
  matmul = tf.function(tf.matmul)
  matmul(a, b).numpy()
  best = math.inf
  for _ in range(reps):
    start = time.perf_counter()
    matmul(a, b).numpy()
    best = min(best, time.perf_counter() - start)
  return matmul_gflops(size, best)


def fraction_of_peak(images_per_sec: float, flops_per_image: float,
                     peak_gflops: float) -> float:
  """Achieved FLOP/s (images/s x FLOPs per image) over the peak FLOP/s."""
  return images_per_sec * flops_per_image / (peak_gflops * 1e9)


# The CPU's theoretical peak -------------------------------------------------

# FLOPs per cycle per core by the widest vector unit the CPU's flags name,
# counting two fused multiply-add units (2 FLOPs per lane each): an upper
# bound, as some CPUs have one unit or split 512-bit operations in two (AMD
# Zen 4, some Xeon Silver/Bronze), so the fraction of it is a lower bound.
_FLOAT32_FLOPS_PER_CYCLE = (("avx512f", 64), ("fma", 32), ("avx", 16))
# Units that compute 16-bit floats natively, by dtype: (flag, FLOPs/cycle).
_NARROW_FLOPS_PER_CYCLE = {
    "bfloat16": (("amx_bf16", 1024), ("avx512_bf16", 128)),
    "float16": (("amx_fp16", 1024), ("avx512_fp16", 128)),
}
_CPUFREQ_MAX = pathlib.Path(
    "/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq")


def cpu_cores(cpuinfo: str) -> int:
  """Physical cores in `/proc/cpuinfo` text (distinct physical and core
  ids; the processors listed where those are missing), capped by the CPUs
  this process may run on."""
  cores, processors, physical = set(), 0, ""
  for line in cpuinfo.splitlines():
    key, _, value = (part.strip() for part in line.partition(":"))
    if key == "processor":
      processors += 1
    elif key == "physical id":
      physical = value
    elif key == "core id":
      cores.add((physical, value))
  count = len(cores) or processors
  if hasattr(os, "sched_getaffinity"):
    count = min(count, len(os.sched_getaffinity(0))) if count else len(
        os.sched_getaffinity(0))
  return count or os.cpu_count() or 1


def cpu_clock_ghz(cpuinfo: str, max_freq_khz: Optional[str] = None
                  ) -> Tuple[Optional[float], str]:
  """The CPU clock the theoretical peak uses, and where it came from.

  The maximum clock of cpufreq where the system gives it, else the clock
  `/proc/cpuinfo` reports ("cpu MHz"), else the one in the model name
  ("@ 2.00GHz"); `(None, why)` where none is known.
  """
  if max_freq_khz is None:
    try:
      max_freq_khz = _CPUFREQ_MAX.read_text()
    except OSError:
      max_freq_khz = ""
  if max_freq_khz.strip().isdigit():
    return int(max_freq_khz) / 1e6, "cpufreq maximum clock"
  for line in cpuinfo.splitlines():
    key, _, value = (part.strip() for part in line.partition(":"))
    if key == "cpu MHz":
      try:
        return float(value) / 1000, ("clock /proc/cpuinfo reports (a boost "
                                     "clock may be higher)")
      except ValueError:
        break
  model, _ = cpu_defaults.parse_cpuinfo(cpuinfo)
  found = re.search(r"@\s*([0-9.]+)\s*GHz", model)
  if found:
    return float(found.group(1)), "base clock in the model name"
  return None, "CPU frequency unknown: no theoretical peak"


def fma_peak_gflops(dtype: str, cpuinfo: str,
                    max_freq_khz: Optional[str] = None
                    ) -> Tuple[Optional[float], str]:
  """The CPU's theoretical GFLOP/s in `dtype`: cores x clock x FLOPs per
  cycle of its widest FMA units (see `_FLOAT32_FLOPS_PER_CYCLE`).

  Returns:
    `(GFLOP/s, how it was computed)`; `(None, why)` where the CPU's flags
    or clock are unknown.
  """
  _, flags = cpu_defaults.parse_cpuinfo(cpuinfo)
  per_cycle = next((n for flag, n in _FLOAT32_FLOPS_PER_CYCLE
                    if flag in flags), 0)
  unit = next((flag for flag, _ in _FLOAT32_FLOPS_PER_CYCLE
               if flag in flags), "")
  for flag, n in _NARROW_FLOPS_PER_CYCLE.get(dtype, ()):
    if flag in flags:
      per_cycle, unit = n, flag
      break
  if not per_cycle:
    return None, "CPU flags unknown: no theoretical peak"
  ghz, clock = cpu_clock_ghz(cpuinfo, max_freq_khz)
  if ghz is None:
    return None, clock
  cores = cpu_cores(cpuinfo)
  return cores * ghz * per_cycle, (
      f"{cores} cores x {ghz:.2f} GHz ({clock}) x {per_cycle} FLOPs/cycle "
      f"({unit})")


def hardware_peak(dtype: str, measured: Dict[str, float],
                  theoretical: Optional[float]) -> Dict[str, Any]:
  """The peak a fraction is taken of: the best of the matmul GFLOP/s
  `measured` by each implementation and the theoretical one."""
  candidates = dict(measured)
  if theoretical:
    candidates["theoretical"] = theoretical
  if not candidates:
    return {"gflops": None, "source": None, "dtype": dtype}
  source = max(candidates, key=candidates.get)
  return {"gflops": candidates[source], "source": source, "dtype": dtype}


# Memory ------------------------------------------------------------------


def gpu_peak_mb():
  """Peak memory of the first GPU so far in MiB (None without a GPU)."""
  if not tf.config.list_physical_devices("GPU"):
    return None
  return tf.config.experimental.get_memory_info("GPU:0")["peak"] / 2**20


def default_jit(model_name: str) -> bool:
  """Whether the zoo compiles the train step with XLA by default.

  The model says (`jit_compile_default`: the measured-fastest setting on a
  CPU, docs/benchmark.md).
  """
  return bool(_registry.create_model(model_name).jit_compile_default)


# Zoo ---------------------------------------------------------------------


class ZooRunner:
  """The zoo's own compiled train step, as a training run builds it."""

  name = "zoo"

  def __init__(self, model_name, num_classes, image_size, batch_size, jit,
               precision):
    model = _registry.create_model(model_name, num_classes=num_classes,
                                   image_size=image_size)
    self.model = model
    self.channels = int(model.channels)
    learning_rate = tf.Variable(1e-3, trainable=False, name="learning_rate")
    rate = tf.constant(1e-3)
    self.trainer = Trainer(model, Optimizer("adam", learning_rate),
                           lambda step: rate, global_batch_size=batch_size,
                           jit_compile=jit, precision=precision)
    self._infer = tf.function(
        lambda x: self.trainer.predict(x), jit_compile=jit)

  def setup(self, images, labels):
    """Builds the variables; returns the batch as tensors."""
    images, labels = tensor_batch(images, labels)
    self.trainer.build(images)
    return images, labels

  def train(self, images, labels) -> float:
    return float(self.trainer.train_step(images, labels)["loss"])

  def infer(self, images):
    return self._infer(images).numpy()


def tensor_batch(images: np.ndarray, labels: np.ndarray):
  """The synthetic batch as TensorFlow tensors (int32 labels)."""
  return tf.constant(images), tf.constant(labels, dtype=tf.int32)


# Keras -------------------------------------------------------------------


def _keras_model(model_name, num_classes, image_size):
  import keras  # pylint: disable=g-import-not-at-top
  layers = keras.layers
  if model_name == "xception":
    return keras.applications.Xception(
        weights=None, input_shape=(image_size, image_size, 3),
        classes=num_classes, classifier_activation=None)
  inputs = keras.Input((image_size, image_size, 1))
  if model_name == "softmax_regression":
    outputs = layers.Dense(num_classes)(layers.Flatten()(inputs))
  else:  # deep_mnist_cnn
    x = inputs
    for filters in (32, 64):
      x = layers.Conv2D(filters, 5, padding="same", activation="relu")(x)
      x = layers.MaxPooling2D(2)(x)
    x = layers.Dense(1024, activation="relu")(layers.Flatten()(x))
    x = layers.Dropout(0.5)(x)
    outputs = layers.Dense(num_classes)(x)
  return keras.Model(inputs, outputs)


class KerasRunner:
  """The same architecture in Keras: compile + train_on_batch.

  A precision other than float32 is Keras' mixed dtype policy of that name
  (float32 variables, 16-bit compute; `mixed_float16` also scales the loss),
  set while the model is built.
  """

  name = "keras"

  def __init__(self, model_name, num_classes, image_size, batch_size,
               precision="float32"):
    del batch_size
    import keras  # pylint: disable=g-import-not-at-top
    previous = keras.mixed_precision.dtype_policy()
    keras.mixed_precision.set_dtype_policy(precision)
    try:
      self.model = _keras_model(model_name, num_classes, image_size)
    finally:
      keras.mixed_precision.set_dtype_policy(previous)
    self.model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        jit_compile=False)

  def setup(self, images, labels):
    return tensor_batch(images, labels)

  def train(self, images, labels) -> float:
    return float(self.model.train_on_batch(images, labels))

  def infer(self, images):
    return self.model.predict_on_batch(images)


# Side processes ----------------------------------------------------------


def _own_model_modules(model_name: str) -> List[str]:
  """The module a side's process imports to know `model_name` ([] for the
  zoo's own models)."""
  module = _registry.defining_module(model_name)
  return [] if module.startswith("zoo.") else [module]

_PROCESS_MODULE = "zoo.benchmark_process"
_PACKAGE_ROOT = pathlib.Path(__file__).resolve().parents[1]


class _SideProcess:
  """A side running in its own process (`zoo.benchmark_process`)."""

  def __init__(self, spec: Dict[str, Any], environ: Dict[str, str]):
    self.name = spec["side"]
    environ = dict(environ)
    path = environ.get("PYTHONPATH")
    environ["PYTHONPATH"] = os.pathsep.join(
        [str(_PACKAGE_ROOT)] + ([path] if path else []))
    self._process = subprocess.Popen(
        [sys.executable, "-m", _PROCESS_MODULE, json.dumps(spec)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=environ,
        text=True)
    self.facts: Dict[str, Any] = {}

  def wait_ready(self) -> None:
    """Waits until the side is built and warmed up (its facts then set)."""
    self.facts = self._read()

  def _read(self) -> Dict[str, Any]:
    line = self._process.stdout.readline()
    if not line:
      code = self._process.wait()
      raise RuntimeError(f"The {self.name} side's process exited with code "
                         f"{code} (its messages are above).")
    message = json.loads(line)
    if "error" in message:
      self.close()
      if message["usage"]:
        raise BenchmarkError(message["error"])
      raise RuntimeError(f"The {self.name} side failed: {message['kind']}: "
                         f"{message['error']}")
    return message

  def ask(self, what: str, **details) -> Dict[str, Any]:
    self._process.stdin.write(json.dumps(dict(details, do=what)) + "\n")
    self._process.stdin.flush()
    return self._read()

  def close(self) -> None:
    if self._process.poll() is None:
      try:
        self._process.stdin.write(json.dumps({"do": "quit"}) + "\n")
        self._process.stdin.close()
      except OSError:
        pass
      try:
        self._process.wait(timeout=60)
      except subprocess.TimeoutExpired:
        self._process.kill()
        self._process.wait()


def side_environment(side: str, precision: str,
                     environ: Optional[Dict[str, str]] = None
                     ) -> Dict[str, str]:
  """The environment a side's process runs in.

  At each side's defaults (`precision` "defaults") Keras runs with
  TensorFlow's own oneDNN default (what a Keras user gets); otherwise, and
  for the zoo, with the zoo's (`zoo.cpu_defaults`). A user's
  TF_ENABLE_ONEDNN_OPTS holds for every side.
  """
  environ = dict(os.environ if environ is None else environ)
  if side == "keras" and precision == DEFAULTS:
    return cpu_defaults.without_zoo_choice(environ)
  return environ


# Timing ------------------------------------------------------------------


def _summary(rates):
  return {"median": statistics.median(rates), "min": min(rates),
          "max": max(rates),
          "spread_pct": 100.0 * (max(rates) - min(rates)) /
                        statistics.median(rates),
          "reps": [round(r, 2) for r in rates]}


def framework_versions(side: str) -> Dict[str, str]:
  """The versions a TensorFlow side runs ("zoo" or "keras")."""
  versions = {"tensorflow": tf.__version__}
  if side == "keras":
    import keras  # pylint: disable=g-import-not-at-top
    versions["keras"] = keras.__version__
  return versions


def _hardware_record(hardware: precision_lib.Hardware) -> dict:
  return {"cpu_model": hardware.cpu_model or platform.processor(),
          "cpu_bfloat16_flags": list(hardware.cpu_bfloat16_flags),
          "gpu_compute_capabilities": [
              list(c) for c in hardware.gpu_compute_capabilities],
          "tpus": hardware.num_tpus}


def run_benchmark(args: Options) -> dict:
  """Runs the benchmark `args` describe; returns the results.

  Each side runs in a process of its own (`zoo.benchmark_process`), built
  and warmed up one after the other; the timed repetitions then alternate
  across the processes, so background load hits every side alike and no
  two frameworks' thread pools share a process.

  Raises:
    BenchmarkError: On options that cannot run (an unknown model or side, a
      count below 1, an image size the model does not take, a side that
      does not cover the model, PyTorch missing).
  """
  check_options(args)
  model_name = args.model
  sides = parse_compare(args.compare)
  for side in sides:
    if model_name not in SIDE_MODELS[side]:
      raise BenchmarkError(f"--compare {side} covers "
                           f"{', '.join(SIDE_MODELS[side])}, not "
                           f"{model_name}.")
  hardware = precision_lib.detect_hardware()
  precisions = side_precisions(args.precision, sides, hardware)
  if "torch" in sides:
    require_torch()  # Fail before anything is built.
  facts = _registry.create_model(model_name).data_config()
  batch_size = args.batch_size or DEFAULT_BATCH_SIZE
  spec = {"model": model_name, "batch_size": batch_size,
          "image_size": args.image_size or facts["image_size"][0],
          "num_classes": args.num_classes or facts["num_classes"],
          "channels": facts["channels"],
          "jit": {"on": True, "off": False}.get(args.jit,
                                                default_jit(model_name)),
          "steps": args.steps, "warmup": args.warmup,
          "no_inference": args.no_inference,
          # A model of one's own (--import) is known in each side's process.
          "imports": _own_model_modules(model_name)}

  processes = []
  try:
    # Started together (imports and compiling overlap); timed in turn.
    for name in ("zoo",) + sides:
      processes.append(_SideProcess(
          dict(spec, side=name, precision=precisions[name].precision),
          side_environment(name, args.precision)))
    for process in processes:
      process.wait_ready()
    train_rates = {p.name: [] for p in processes}
    infer_rates = {p.name: [] for p in processes}
    for _ in range(args.reps):
      for process in processes:  # Alternate so load drifts hit every side.
        seconds = process.ask("train")["seconds"]
        train_rates[process.name].append(args.steps * batch_size / seconds)
        if not args.no_inference:
          seconds = process.ask("infer")["seconds"]
          infer_rates[process.name].append(args.steps * batch_size / seconds)
    forward = processes[0].ask("flops")["forward"]
    peaks = _measure_peaks(args.matmul_size, precisions, processes)
  finally:
    for process in processes:
      process.close()

  flops = {"forward": forward, "train": TRAIN_FLOPS_PER_FORWARD * forward}
  versions = {}
  for process in processes:
    versions.update(process.facts["versions"])
  results = {
      "model": model_name, "batch_size": batch_size,
      "image_size": spec["image_size"], "num_classes": spec["num_classes"],
      "jit_compile": spec["jit"], "precision": args.precision,
      "reps": args.reps, "steps": args.steps, "warmup": args.warmup,
      "versions": versions, "platform": platform.platform(),
      "hardware": _hardware_record(hardware),
      "cpu_count": os.cpu_count(),
      "load_average": list(os.getloadavg()),
      "processes": "one per side, repetitions alternating",
      "flops_per_image": flops,
      "matmul_size": args.matmul_size,
      "matmul_peak_gflops": {d: p["gflops"] for d, p in peaks.items()
                             if p["gflops"]},
      "peaks": peaks,
      "frameworks": {},
  }
  for process in processes:
    resolution = precisions[process.name]
    entry = {"precision": resolution.precision,
             "precision_reason": resolution.reason,
             "onednn": process.facts.get("onednn", "-"),
             "train_images_per_sec": _summary(train_rates[process.name]),
             "memory": process.facts["memory"]}
    if not args.no_inference:
      entry["inference_images_per_sec"] = _summary(infer_rates[process.name])
    peak = results["matmul_peak_gflops"].get(
        precision_lib.compute_dtype(resolution.precision).name)
    if peak:
      entry["train_fraction_of_peak"] = fraction_of_peak(
          entry["train_images_per_sec"]["median"], flops["train"], peak)
      if not args.no_inference:
        entry["inference_fraction_of_peak"] = fraction_of_peak(
            entry["inference_images_per_sec"]["median"], flops["forward"],
            peak)
    results["frameworks"][process.name] = entry
  zoo = results["frameworks"]["zoo"]
  results["ratios"] = {}
  for side in sides:
    other = results["frameworks"][side]
    ratio = {"train": zoo["train_images_per_sec"]["median"] /
                      other["train_images_per_sec"]["median"]}
    if not args.no_inference:
      ratio["inference"] = (zoo["inference_images_per_sec"]["median"] /
                            other["inference_images_per_sec"]["median"])
    results["ratios"][side] = ratio
  return results


def _measure_peaks(size: int, precisions, processes) -> Dict[str, Any]:
  """`{dtype: hardware_peak(...) + the implementations' GFLOP/s}` for each
  compute dtype the sides use: TensorFlow and NumPy (in the zoo's
  process), PyTorch (in its side's process, with `--compare torch`), and
  the theoretical FMA peak."""
  if not size:
    return {}
  cpuinfo = cpu_defaults.read_cpuinfo()
  peaks = {}
  for used in sorted({p.precision for p in precisions.values()}):
    dtype = precision_lib.compute_dtype(used).name
    measured = {}
    for process in processes:
      if process.name != "keras":  # Keras' matmul is TensorFlow's.
        measured.update(process.ask("peak", dtype=dtype, size=size)["peaks"])
    theoretical, how = fma_peak_gflops(dtype, cpuinfo)
    peaks[dtype] = dict(hardware_peak(dtype, measured, theoretical),
                        measured=measured, theoretical=theoretical,
                        theoretical_note=how)
  return peaks


def _si(value: float) -> str:
  """`3.85e9` -> "3.85 G"."""
  for factor, prefix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
    if value >= factor:
      return f"{value / factor:.3g} {prefix}"
  return f"{value:.3g}"


def format_table(results: dict) -> str:
  """The results as a plain-text table, with the machine in its header."""
  hardware = results["hardware"]
  flags = ", ".join(hardware["cpu_bfloat16_flags"]) or "none"
  mode = ("each side's default" if results["precision"] == DEFAULTS
          else f"{results['precision']} on every side")
  versions = ", ".join(f"{k} {v}" for k, v in results["versions"].items())
  lines = [
      f"{results['model']}: batch {results['batch_size']}, "
      f"{results['image_size']}x{results['image_size']}, "
      f"{results['reps']} reps x {results['steps']} steps, "
      f"XLA {'on' if results['jit_compile'] else 'off'} (zoo), "
      f"precision: {mode}",
      f"CPU: {hardware['cpu_model'] or 'unknown'} ({results['cpu_count']} "
      f"cores), bfloat16 flags: {flags}; {versions}",
  ]
  if hardware["gpu_compute_capabilities"] or hardware["tpus"]:
    lines.append(f"Accelerators: GPU compute capabilities "
                 f"{hardware['gpu_compute_capabilities']}, "
                 f"{hardware['tpus']} TPU core(s)")
  flops = results["flops_per_image"]
  lines.append(f"FLOPs per image: {_si(flops['forward'])} forward, "
               f"{_si(flops['train'])} training "
               f"({TRAIN_FLOPS_PER_FORWARD}x forward; convolutions and "
               "matmuls)")
  for dtype, peak in results.get("peaks", {}).items():
    measured = ", ".join(f"{name} {gflops:,.1f}" for name, gflops in
                         peak["measured"].items())
    theoretical = (f"theoretical {peak['theoretical']:,.1f} "
                   f"({peak['theoretical_note']})" if peak["theoretical"]
                   else peak["theoretical_note"])
    lines.append(f"Peak {dtype}: {peak['gflops']:,.1f} GFLOP/s "
                 f"({peak['source']}); {results['matmul_size']}-square "
                 f"matmuls: {measured}; {theoretical}")
  lines.append(f"{'framework':<10}{'precision':<16}{'oneDNN':<8}"
               f"{'train img/s (median [min-max])':>32}{'% peak':>8}"
               f"{'infer img/s (median [min-max])':>32}{'% peak':>8}"
               f"{'peak RSS MiB':>14}")
  for name, entry in results["frameworks"].items():
    train = entry["train_images_per_sec"]
    cells = [f"{train['median']:.1f} [{train['min']:.1f}-{train['max']:.1f}]"]
    fraction = entry.get("train_fraction_of_peak")
    cells.append(f"{100 * fraction:.1f}" if fraction is not None else "-")
    infer = entry.get("inference_images_per_sec")
    cells.append(f"{infer['median']:.1f} [{infer['min']:.1f}-"
                 f"{infer['max']:.1f}]" if infer else "-")
    fraction = entry.get("inference_fraction_of_peak")
    cells.append(f"{100 * fraction:.1f}" if fraction is not None else "-")
    lines.append(f"{name:<10}{entry['precision']:<16}"
                 f"{entry.get('onednn', '-'):<8}{cells[0]:>32}"
                 f"{cells[1]:>8}{cells[2]:>32}{cells[3]:>8}"
                 f"{entry['memory']['peak_rss_mb']:>14.0f}")
  for side, ratio in results["ratios"].items():
    text = f"zoo / {side}: train {ratio['train']:.2f}x"
    if "inference" in ratio:
      text += f", inference {ratio['inference']:.2f}x"
    lines.append(text)
  return "\n".join(lines)
