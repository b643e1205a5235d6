#!/usr/bin/env python
"""Training and inference throughput of a zoo model, optionally against Keras.

  python tools/benchmark.py --model deep_mnist_cnn --batch-size 50 \
      --compare keras --json /tmp/bench.json

The zoo side runs the same compiled train step as `tools/train.py` (the
`Trainer`, Adam); the Keras side runs the same architecture built from Keras
layers, compiled with Adam and trained with `train_on_batch`. Both get the
same synthetic in-memory batch. After warm-up, each repetition times
`--steps` training steps (the loss is fetched every step, as the training
loop does) and `--steps` inference steps; zoo and Keras repetitions alternate
so background load hits both alike. Reported: median and spread (min, max)
of images/s over the repetitions, the zoo/Keras ratio, and peak memory.
"""

import argparse
import json
import os
import pathlib
import platform
import resource
import statistics
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # pylint: disable=g-import-not-at-top,wrong-import-position
import tensorflow as tf  # pylint: disable=g-import-not-at-top,wrong-import-position

from zoo import _registry  # pylint: disable=g-import-not-at-top,wrong-import-position
from zoo.training import precision as precision_lib  # pylint: disable=g-import-not-at-top,wrong-import-position
from zoo.training.optimizers import Optimizer  # pylint: disable=g-import-not-at-top,wrong-import-position
from zoo.training.trainer import Trainer  # pylint: disable=g-import-not-at-top,wrong-import-position

MODELS = ("softmax_regression", "deep_mnist_cnn", "xception")
DEFAULT_IMAGE_SIZE = {"softmax_regression": 28, "deep_mnist_cnn": 28,
                      "xception": 149}
JIT_DEFAULT = "auto"


def _parse_args(argv):
  parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
  parser.add_argument("--model", required=True, choices=MODELS)
  parser.add_argument("--batch-size", type=int, default=None,
                      help="Default: 50 (MNIST models), 32 (Xception).")
  parser.add_argument("--image-size", type=int, default=None,
                      help="Default: 28 (MNIST models), 149 (Xception).")
  parser.add_argument("--num-classes", type=int, default=None,
                      help="Default: 10 (MNIST models), 17 (Xception).")
  parser.add_argument("--compare", choices=("keras", "none"), default="none")
  parser.add_argument("--reps", type=int, default=5,
                      help="Timed repetitions (median and spread over them).")
  parser.add_argument("--steps", type=int, default=20,
                      help="Steps per repetition.")
  parser.add_argument("--warmup", type=int, default=3,
                      help="Untimed steps before timing (after compiling).")
  parser.add_argument("--jit", choices=("auto", "on", "off"),
                      default=JIT_DEFAULT,
                      help="XLA for the zoo train step; auto: the zoo's "
                      "default for the model (see docs/benchmark.md).")
  parser.add_argument("--precision", default="float32",
                      choices=precision_lib.PRECISIONS)
  parser.add_argument("--no-inference", action="store_true",
                      help="Time training only.")
  parser.add_argument("--json", default=None, help="Write results here.")
  return parser.parse_args(argv)


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
  """The zoo's own compiled train step, as tools/train.py builds it."""

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


def run_benchmark(args) -> dict:
  """Runs the benchmark the parsed `args` describe; returns the results."""
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


def main(argv=None) -> int:
  args = _parse_args(argv)
  results = run_benchmark(args)
  print(format_table(results))
  if args.json:
    pathlib.Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    print(f"Wrote {args.json}")
  return 0


if __name__ == "__main__":
  sys.exit(main())
