"""Training and inference throughput of a zoo model, optionally against Keras.

  snt-zoo benchmark --model deep_mnist_cnn --batch-size 50 \
      --compare keras --json /tmp/bench.json
  # or: results = zoo.benchmark.run_benchmark(zoo.benchmark.Options(...))

The zoo side runs the same compiled train step as a training run (the
`Trainer`, Adam); the Keras side runs the same architecture built from Keras
layers, compiled with Adam and trained with `train_on_batch`. Both get the
same synthetic in-memory batch. After warm-up, each repetition times
`--steps` training steps (the loss is fetched every step, as the training
loop does) and `--steps` inference steps; zoo and Keras repetitions alternate
so background load hits both alike. Reported: median and spread (min, max)
of images/s over the repetitions, the zoo/Keras ratio, and peak memory.
"""

import dataclasses
import os
import platform
import resource
import statistics
import sys
import time
from typing import Optional

import numpy as np
import tensorflow as tf

from zoo import _registry
from zoo.training import precision as precision_lib
from zoo.training.optimizers import Optimizer
from zoo.training.trainer import Trainer

MODELS = ("softmax_regression", "deep_mnist_cnn", "xception")
DEFAULT_IMAGE_SIZE = {"softmax_regression": 28, "deep_mnist_cnn": 28,
                      "xception": 149}
JIT_DEFAULT = "auto"


@dataclasses.dataclass
class Options:
  """What to benchmark (the `snt-zoo benchmark` flags).

  Attributes:
    model: One of `MODELS`.
    batch_size: Default 50 (MNIST models), 32 (Xception).
    image_size: Default 28 (MNIST models), 149 (Xception).
    num_classes: Default 10 (MNIST models), 17 (Xception).
    compare: "keras" or "none".
    reps: Timed repetitions (median and spread over them).
    steps: Steps per repetition.
    warmup: Untimed steps before timing (after compiling).
    jit: "auto" (the zoo's default for the model), "on" or "off".
    precision: One of `zoo.training.precision.PRECISIONS`.
    no_inference: Time training only.
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
  precision: str = "float32"
  no_inference: bool = False


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
  """Whether the zoo compiles the train step with XLA by default."""
  return precision_lib.default_jit_compile(model_name)


# Zoo ---------------------------------------------------------------------


class ZooRunner:
  """The zoo's own compiled train step, as a training run builds it."""

  name = "zoo"

  def __init__(self, model_name, num_classes, image_size, batch_size, jit,
               precision):
    if model_name == "xception":
      model = _registry.create_model(model_name, num_classes=num_classes,
                                     image_size=image_size)
      channels = 3
    else:
      model = _registry.create_model(
          model_name, num_classes=num_classes,
          image_shape=(image_size, image_size, 1))
      channels = 1
    self.model = model
    self.channels = channels
    learning_rate = tf.Variable(1e-3, trainable=False, name="learning_rate")
    rate = tf.constant(1e-3)
    self.trainer = Trainer(model, Optimizer("adam", learning_rate),
                           lambda step: rate, global_batch_size=batch_size,
                           jit_compile=jit, precision=precision)
    self._infer = tf.function(
        lambda x: self.trainer.predict(x), jit_compile=jit)

  def setup(self, images, labels):
    del labels
    self.trainer.build(images)

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
  """The same architecture in Keras: compile + train_on_batch."""

  name = "keras"

  def __init__(self, model_name, num_classes, image_size, batch_size):
    del batch_size
    import keras  # pylint: disable=g-import-not-at-top
    self.model = _keras_model(model_name, num_classes, image_size)
    self.model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        jit_compile=False)

  def setup(self, images, labels):
    del images, labels

  def train(self, images, labels) -> float:
    return float(self.model.train_on_batch(images, labels))

  def infer(self, images):
    return self.model.predict_on_batch(images)


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


def run_benchmark(args: Options) -> dict:
  """Runs the benchmark `args` describe; returns the results."""
  model_name = args.model
  batch_size = args.batch_size or (32 if model_name == "xception" else 50)
  image_size = args.image_size or DEFAULT_IMAGE_SIZE[model_name]
  num_classes = args.num_classes or (17 if model_name == "xception" else 10)
  jit = {"on": True, "off": False}.get(args.jit, default_jit(model_name))
  channels = 3 if model_name == "xception" else 1
  rng = np.random.default_rng(0)
  images = tf.constant(rng.uniform(
      -1, 1, [batch_size, image_size, image_size, channels]).astype(
          np.float32))
  labels = tf.constant(rng.integers(0, num_classes, [batch_size]),
                       dtype=tf.int32)

  runners = []
  memory = {}
  builders = [("zoo", lambda: ZooRunner(model_name, num_classes, image_size,
                                        batch_size, jit, args.precision))]
  if args.compare == "keras":
    builders.append(("keras", lambda: KerasRunner(
        model_name, num_classes, image_size, batch_size)))
  for name, build in builders:
    before = _rss_mb()
    _reset_gpu_peak()
    runner = build()
    runner.setup(images, labels)
    for _ in range(args.warmup + 1):  # The first call compiles.
      runner.train(images, labels)
      if not args.no_inference:
        runner.infer(images)
    after = _rss_mb()
    memory[name] = {"peak_rss_mb": round(after, 1),
                    "rss_increase_mb": round(after - before, 1),
                    "gpu_peak_mb": _gpu_peak_mb()}
    runners.append(runner)

  train_rates = {r.name: [] for r in runners}
  infer_rates = {r.name: [] for r in runners}
  for _ in range(args.reps):
    for runner in runners:  # Alternate so load drifts hit both sides.
      seconds = _time(lambda: runner.train(images, labels), args.steps)
      train_rates[runner.name].append(args.steps * batch_size / seconds)
      if not args.no_inference:
        seconds = _time(lambda: runner.infer(images), args.steps)
        infer_rates[runner.name].append(args.steps * batch_size / seconds)

  results = {
      "model": model_name, "batch_size": batch_size,
      "image_size": image_size, "num_classes": num_classes,
      "jit_compile": jit, "precision": args.precision,
      "reps": args.reps, "steps": args.steps, "warmup": args.warmup,
      "tensorflow": tf.__version__, "platform": platform.platform(),
      "cpu_count": os.cpu_count(),
      "load_average": list(os.getloadavg()),
      "frameworks": {},
  }
  for runner in runners:
    entry = {"train_images_per_sec": _summary(train_rates[runner.name]),
             "memory": memory[runner.name]}
    if not args.no_inference:
      entry["inference_images_per_sec"] = _summary(infer_rates[runner.name])
    results["frameworks"][runner.name] = entry
  if "keras" in results["frameworks"]:
    zoo, keras = (results["frameworks"][k] for k in ("zoo", "keras"))
    results["ratio"] = {"train": zoo["train_images_per_sec"]["median"] /
                                 keras["train_images_per_sec"]["median"]}
    if not args.no_inference:
      results["ratio"]["inference"] = (
          zoo["inference_images_per_sec"]["median"] /
          keras["inference_images_per_sec"]["median"])
  return results


def format_table(results: dict) -> str:
  """The results as a plain-text table."""
  lines = [
      f"{results['model']}: batch {results['batch_size']}, "
      f"{results['image_size']}x{results['image_size']}, "
      f"{results['reps']} reps x {results['steps']} steps, "
      f"XLA {'on' if results['jit_compile'] else 'off'} (zoo), "
      f"{results['precision']}",
      f"{'framework':<10}{'train img/s (median [min-max])':>34}"
      f"{'infer img/s (median [min-max])':>34}{'peak RSS MiB':>14}",
  ]
  for name, entry in results["frameworks"].items():
    train = entry["train_images_per_sec"]
    cells = [f"{train['median']:.1f} [{train['min']:.1f}-{train['max']:.1f}]"]
    infer = entry.get("inference_images_per_sec")
    cells.append(f"{infer['median']:.1f} [{infer['min']:.1f}-"
                 f"{infer['max']:.1f}]" if infer else "-")
    lines.append(f"{name:<10}{cells[0]:>34}{cells[1]:>34}"
                 f"{entry['memory']['peak_rss_mb']:>14.0f}")
  if "ratio" in results:
    ratio = results["ratio"]
    text = f"zoo / keras: train {ratio['train']:.2f}x"
    if "inference" in ratio:
      text += f", inference {ratio['inference']:.2f}x"
    lines.append(text)
  return "\n".join(lines)
