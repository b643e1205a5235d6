"""Training and inference throughput of a zoo model against Keras and PyTorch.

  snt-zoo benchmark --model deep_mnist_cnn --batch-size 50 \
      --compare keras,torch --json /tmp/bench.json
  # or: results = zoo.benchmark.run_benchmark(zoo.benchmark.Options(...))

The zoo side runs the same compiled train step as a training run (the
`Trainer`, Adam); the Keras side runs the same architecture built from Keras
layers, compiled with Adam and trained with `train_on_batch`; the PyTorch
side (Deep-MNIST CNN and softmax regression) the same architecture as a
`torch.nn.Sequential` with `torch.optim.Adam`, one forward, backward and
step per batch. All get the same synthetic in-memory batch. After warm-up,
each repetition times `--steps` training steps (the loss is fetched every
step, as the training loop does) and `--steps` inference steps; the sides'
repetitions alternate so background load hits them alike.

Precision: `--precision defaults` (the default) runs each side in its own
default (the zoo: `auto`; Keras and PyTorch: float32); any other value runs
every side in that precision (Keras: a mixed dtype policy; PyTorch: CPU
autocast). Reported: median and spread (min, max) of images/s, the zoo's
ratio to each other side, peak memory, the machine's measured matmul peak in
each precision used, and each side's training FLOP/s as a fraction of it.
"""

import dataclasses
import math
import os
import platform
import resource
import statistics
import sys
import time
from typing import Dict, Optional, Tuple

import numpy as np
import tensorflow as tf

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
TORCH_INSTALL = "pip install 'torch==2.13.0+cpu'"
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
                         f"{', '.join(known)}.")
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


def import_torch():
  """PyTorch, or a one-line `BenchmarkError` saying how to install it."""
  try:
    import torch  # pylint: disable=g-import-not-at-top
  except ImportError as e:
    raise BenchmarkError(
        f"--compare torch needs PyTorch, which is not installed: "
        f"{TORCH_INSTALL} (CPU build).") from e
  return torch


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
    raise BenchmarkError(f"--precision {precision!r} is not one of "
                         f"{', '.join(PRECISION_CHOICES)}.")
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


def measure_matmul_peak(dtype: tf.DType, size: int = 4096,
                        reps: int = 3) -> float:
  """The best GFLOP/s of a large `tf.matmul` in `dtype` on this machine.

  The machine's practical peak for dense math in that dtype (what oneDNN
  reaches), after one untimed call.
  """
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


# Memory ------------------------------------------------------------------


def _rss_mb() -> float:
  """Peak resident set size of this process so far, in MiB."""
  peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
  return peak / (1024 * 1024 if sys.platform == "darwin" else 1024)


def _gpu_peak_mb():
  if not tf.config.list_physical_devices("GPU"):
    return None
  return tf.config.experimental.get_memory_info("GPU:0")["peak"] / 2**20


def _reset_gpu_peak():
  if tf.config.list_physical_devices("GPU"):
    tf.config.experimental.reset_memory_stats("GPU:0")


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
    """Builds the variables; returns the batch in this side's format."""
    self.trainer.build(images)
    return images, labels

  def train(self, images, labels) -> float:
    return float(self.trainer.train_step(images, labels)["loss"])

  def infer(self, images):
    return self._infer(images).numpy()


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
    return images, labels

  def train(self, images, labels) -> float:
    return float(self.model.train_on_batch(images, labels))

  def infer(self, images):
    return self.model.predict_on_batch(images)


# PyTorch -----------------------------------------------------------------


def _torch_model(torch, model_name, num_classes, image_size):
  """The zoo's MNIST models as `torch.nn.Sequential` (NCHW input)."""
  nn = torch.nn
  if model_name == "softmax_regression":
    return nn.Sequential(nn.Flatten(), nn.Linear(image_size**2, num_classes))
  # deep_mnist_cnn: 5x5 SAME convolutions, 2x2 VALID max-pools.
  pooled = image_size // 2 // 2
  return nn.Sequential(
      nn.Conv2d(1, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
      nn.Conv2d(32, 64, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
      nn.Flatten(), nn.Linear(64 * pooled**2, 1024), nn.ReLU(),
      nn.Dropout(0.5), nn.Linear(1024, num_classes))


class TorchRunner:
  """The same architecture in PyTorch: forward, backward, Adam step.

  `mixed_bfloat16` runs the forward pass under CPU autocast to bfloat16
  (float32 parameters and optimizer, as in the zoo).
  """

  name = "torch"

  def __init__(self, model_name, num_classes, image_size, batch_size,
               precision="float32"):
    del batch_size
    if model_name not in SIDE_MODELS["torch"]:
      raise BenchmarkError(f"The torch side covers "
                           f"{', '.join(SIDE_MODELS['torch'])}, not "
                           f"{model_name}.")
    torch = import_torch()
    self._torch = torch
    self.model = _torch_model(torch, model_name, num_classes, image_size)
    self.optimizer = torch.optim.Adam(self.model.parameters(), lr=1e-3)
    self._bfloat16 = precision == "mixed_bfloat16"

  def _autocast(self):
    return self._torch.autocast("cpu", dtype=self._torch.bfloat16,
                                enabled=self._bfloat16)

  def setup(self, images, labels):
    """The batch as torch tensors: NCHW float32 images, int64 labels."""
    torch = self._torch
    images = torch.from_numpy(
        np.ascontiguousarray(np.transpose(images.numpy(), (0, 3, 1, 2))))
    labels = torch.from_numpy(labels.numpy().astype(np.int64))
    return images, labels

  def train(self, images, labels) -> float:
    self.model.train()
    self.optimizer.zero_grad(set_to_none=True)
    with self._autocast():
      loss = self._torch.nn.functional.cross_entropy(self.model(images),
                                                     labels)
    loss.backward()
    self.optimizer.step()
    return loss.detach().item()

  def infer(self, images):
    self.model.eval()
    with self._torch.inference_mode(), self._autocast():
      return self.model(images).float().numpy()


# Timing ------------------------------------------------------------------


def _time(fn, steps):
  start = time.perf_counter()
  for _ in range(steps):
    fn()
  return time.perf_counter() - start


def _summary(rates):
  return {"median": statistics.median(rates), "min": min(rates),
          "max": max(rates),
          "spread_pct": 100.0 * (max(rates) - min(rates)) /
                        statistics.median(rates),
          "reps": [round(r, 2) for r in rates]}


def _versions(sides) -> Dict[str, str]:
  versions = {"tensorflow": tf.__version__}
  if "keras" in sides:
    import keras  # pylint: disable=g-import-not-at-top
    versions["keras"] = keras.__version__
  if "torch" in sides:
    versions["torch"] = import_torch().__version__
  return versions


def _hardware_record(hardware: precision_lib.Hardware) -> dict:
  return {"cpu_model": hardware.cpu_model or platform.processor(),
          "cpu_bfloat16_flags": list(hardware.cpu_bfloat16_flags),
          "gpu_compute_capabilities": [
              list(c) for c in hardware.gpu_compute_capabilities],
          "tpus": hardware.num_tpus}


def run_benchmark(args: Options) -> dict:
  """Runs the benchmark `args` describe; returns the results.

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
    import_torch()  # Fail before anything is built.
  facts = _registry.create_model(model_name).data_config()
  batch_size = args.batch_size or DEFAULT_BATCH_SIZE
  image_size = args.image_size or facts["image_size"][0]
  num_classes = args.num_classes or facts["num_classes"]
  jit = {"on": True, "off": False}.get(args.jit, default_jit(model_name))
  channels = facts["channels"]
  rng = np.random.default_rng(0)
  images = tf.constant(rng.uniform(
      -1, 1, [batch_size, image_size, image_size, channels]).astype(
          np.float32))
  labels = tf.constant(rng.integers(0, num_classes, [batch_size]),
                       dtype=tf.int32)

  builders = {
      "zoo": lambda p: ZooRunner(model_name, num_classes, image_size,
                                 batch_size, jit, p),
      "keras": lambda p: KerasRunner(model_name, num_classes, image_size,
                                     batch_size, p),
      "torch": lambda p: TorchRunner(model_name, num_classes, image_size,
                                     batch_size, p),
  }
  runners, batches, memory = [], {}, {}
  for name in ("zoo",) + sides:
    before = _rss_mb()
    _reset_gpu_peak()
    try:
      runner = builders[name](precisions[name].precision)
    except ValueError as e:
      if name != "zoo" or isinstance(e, BenchmarkError):
        raise
      # The zoo model checks its sizes first (e.g. Xception needs 71x71).
      raise BenchmarkError(f"--model {model_name}: {e}") from e
    batch = runner.setup(images, labels)
    for _ in range(args.warmup + 1):  # The first call compiles.
      runner.train(*batch)
      if not args.no_inference:
        runner.infer(batch[0])
    after = _rss_mb()
    memory[name] = {"peak_rss_mb": round(after, 1),
                    "rss_increase_mb": round(after - before, 1),
                    "gpu_peak_mb": _gpu_peak_mb()}
    runners.append(runner)
    batches[name] = batch

  train_rates = {r.name: [] for r in runners}
  infer_rates = {r.name: [] for r in runners}
  for _ in range(args.reps):
    for runner in runners:  # Alternate so load drifts hit every side.
      batch = batches[runner.name]
      seconds = _time(lambda: runner.train(*batch), args.steps)
      train_rates[runner.name].append(args.steps * batch_size / seconds)
      if not args.no_inference:
        seconds = _time(lambda: runner.infer(batch[0]), args.steps)
        infer_rates[runner.name].append(args.steps * batch_size / seconds)

  forward = forward_flops(runners[0].model,
                          (image_size, image_size, channels))
  flops = {"forward": forward, "train": TRAIN_FLOPS_PER_FORWARD * forward}
  peaks = {}
  if args.matmul_size:
    for used in sorted({p.precision for p in precisions.values()}):
      dtype = precision_lib.compute_dtype(used)
      peaks[dtype.name] = measure_matmul_peak(dtype, args.matmul_size)

  results = {
      "model": model_name, "batch_size": batch_size,
      "image_size": image_size, "num_classes": num_classes,
      "jit_compile": jit, "precision": args.precision,
      "reps": args.reps, "steps": args.steps, "warmup": args.warmup,
      "versions": _versions(sides), "platform": platform.platform(),
      "hardware": _hardware_record(hardware),
      "cpu_count": os.cpu_count(),
      "load_average": list(os.getloadavg()),
      "flops_per_image": flops,
      "matmul_size": args.matmul_size,
      "matmul_peak_gflops": peaks,
      "frameworks": {},
  }
  for runner in runners:
    resolution = precisions[runner.name]
    entry = {"precision": resolution.precision,
             "precision_reason": resolution.reason,
             "train_images_per_sec": _summary(train_rates[runner.name]),
             "memory": memory[runner.name]}
    if not args.no_inference:
      entry["inference_images_per_sec"] = _summary(infer_rates[runner.name])
    peak = peaks.get(precision_lib.compute_dtype(resolution.precision).name)
    if peak:
      entry["train_fraction_of_peak"] = fraction_of_peak(
          entry["train_images_per_sec"]["median"], flops["train"], peak)
      if not args.no_inference:
        entry["inference_fraction_of_peak"] = fraction_of_peak(
            entry["inference_images_per_sec"]["median"], flops["forward"],
            peak)
    results["frameworks"][runner.name] = entry
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
  if results["matmul_peak_gflops"]:
    peaks = ", ".join(f"{dtype} {gflops:,.1f}" for dtype, gflops in
                      results["matmul_peak_gflops"].items())
    lines.append(f"Matmul peak ({results['matmul_size']}x"
                 f"{results['matmul_size']} tf.matmul), GFLOP/s: {peaks}")
  lines.append(f"{'framework':<10}{'precision':<16}"
               f"{'train img/s (median [min-max])':>32}{'% peak':>8}"
               f"{'infer img/s (median [min-max])':>32}{'peak RSS MiB':>14}")
  for name, entry in results["frameworks"].items():
    train = entry["train_images_per_sec"]
    cells = [f"{train['median']:.1f} [{train['min']:.1f}-{train['max']:.1f}]"]
    fraction = entry.get("train_fraction_of_peak")
    cells.append(f"{100 * fraction:.1f}" if fraction is not None else "-")
    infer = entry.get("inference_images_per_sec")
    cells.append(f"{infer['median']:.1f} [{infer['min']:.1f}-"
                 f"{infer['max']:.1f}]" if infer else "-")
    lines.append(f"{name:<10}{entry['precision']:<16}{cells[0]:>32}"
                 f"{cells[1]:>8}{cells[2]:>32}"
                 f"{entry['memory']['peak_rss_mb']:>14.0f}")
  for side, ratio in results["ratios"].items():
    text = f"zoo / {side}: train {ratio['train']:.2f}x"
    if "inference" in ratio:
      text += f", inference {ratio['inference']:.2f}x"
    lines.append(text)
  return "\n".join(lines)
