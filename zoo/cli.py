"""The `snt-zoo` command: train, evaluate, predict, export, visualize,
benchmark, fetch and serve.

    snt-zoo train --config softmax_mnist_quick [train.steps=300 run_dir=/tmp/r]
    snt-zoo evaluate RUN_DIR [--split test]
    snt-zoo export RUN_DIR [--format onnx] [--calibrate] [--output DIR]
    snt-zoo predict a.png b.jpg --model RUN_DIR/export
    snt-zoo serve RUN_DIR [--port 8501] [--model name=PATH ...]
    snt-zoo visualize all RUN_DIR
    snt-zoo benchmark --model deep_mnist_cnn --compare keras
    snt-zoo fetch mnist
    snt-zoo models [--json]
    snt-zoo train --import mypkg.models --config c.yaml model.name=mine

Each subcommand only parses its arguments and calls the library
(`zoo.training.run`, `zoo.evaluation.evaluate`, ...); `tools/<name>.py` in a
checkout runs the same subcommand. TensorFlow is imported only when a
command runs, so `--help` is instant.

Exit codes: 0 done; 1 failed (diverged training, unreadable inputs, an
unexpected error); 2 bad input (config, arguments, data, run directory);
130 / 143 stopped by SIGINT / SIGTERM after saving a checkpoint. Errors are
one line; set SNT_ZOO_DEBUG=1 (or pass --debug) for the traceback.
"""

import argparse
import os
import sys
from typing import Callable, Dict, List, Optional, Sequence

from zoo import cpu_defaults  # No TensorFlow.
from zoo import startup  # No TensorFlow.
from zoo import suggest  # No TensorFlow.

DEBUG_ENV = startup.DEBUG_ENV
EXIT_SIGNAL = {"SIGINT": 130, "SIGTERM": 143}


def _number(parse: Callable[[str], float], what: str, lowest: float,
            highest: Optional[float] = None, above: bool = False
            ) -> Callable[[str], float]:
  """An argparse type: a number from `lowest` (or `above` it) to `highest`."""

  def check(text: str) -> float:
    try:
      value = parse(text)
    except ValueError:
      raise argparse.ArgumentTypeError(
          f"expected {what}, got {text!r}") from None
    if not value >= lowest or (above and value == lowest):  # NaN too.
      raise argparse.ArgumentTypeError(
          f"must be {'more than' if above else 'at least'} {lowest}, got "
          f"{text}")
    if highest is not None and value > highest:
      raise argparse.ArgumentTypeError(f"must be at most {highest}, got "
                                       f"{text}")
    return value

  check.__name__ = what  # Named in argparse's messages.
  return check


def _count(lowest: int = 1, highest: Optional[int] = None
           ) -> Callable[[str], int]:
  """An argparse type: a whole number from `lowest` to `highest`."""
  return _number(int, "a whole number", lowest, highest)


#: An argparse type: a finite number of seconds above 0.
_seconds = _number(float, "a number of seconds", 0, highest=10 ** 6,
                   above=True)


# train ----------------------------------------------------------------------

def _train_arguments(parser: argparse.ArgumentParser) -> None:
  parser.add_argument("--config", required=True,
                      help="A config name (see configs/) or a YAML path.")
  parser.add_argument("overrides", nargs="*",
                      help="Dotted overrides, e.g. train.steps=300 "
                      "run_dir=/tmp/run.")


def _train(args) -> int:
  # Config and data are checked before TensorFlow loads: a mistake is
  # reported at once, and nothing is created on disk.
  from zoo.training import config as config_lib  # pylint: disable=g-import-not-at-top
  config = config_lib.load_config(args.config, args.overrides,
                                  build_model=False)
  # The run records the --import modules, so its later commands need none.
  config["imports"] = list(dict.fromkeys(
      [*(config.get("imports") or []), *(getattr(args, "imports", None) or [])]))
  config_lib.check_data(config)
  from zoo import training  # pylint: disable=g-import-not-at-top
  config_lib.check_model(config)
  from zoo import visualize  # pylint: disable=g-import-not-at-top
  try:
    training.run(config, actions=visualize.training_actions(config))
  except training.TrainingStopped as stopped:
    print(stopped, file=sys.stderr)
    return EXIT_SIGNAL.get(stopped.signal_name, 1)
  return 0


# evaluate -------------------------------------------------------------------

def _evaluate_arguments(parser: argparse.ArgumentParser) -> None:
  parser.add_argument("model", help="Run directory, a checkpoint inside one, "
                      "or an export.")
  parser.add_argument("--split", help="Split to evaluate (default the run's "
                      "data.eval_split).")
  parser.add_argument("--data-dir", help="Read the data from here instead of "
                      "the run's data.data_dir.")
  parser.add_argument("--checkpoint", help="With a run directory: the "
                      "checkpoint to evaluate.")
  parser.add_argument("--max-examples", type=_count(),
                      help="Evaluate only the first N examples of the split.")
  parser.add_argument("--batch-size", type=_count(),
                      help="Default the run's data.eval_batch_size.")
  parser.add_argument("--num-bins", type=_count(1, 1000), default=15,
                      help="Bins of the expected calibration error.")
  parser.add_argument("--output", help="JSON path (default "
                      "RUN_DIR/evaluation-<split>[-<checkpoint>].json).")
  parser.add_argument("--quiet", action="store_true",
                      help="Do not print the table.")


def _evaluate(args) -> int:
  from zoo import evaluation  # pylint: disable=g-import-not-at-top
  result = evaluation.evaluate(
      args.model, split=args.split, data_dir=args.data_dir,
      checkpoint=args.checkpoint, max_examples=args.max_examples,
      batch_size=args.batch_size, num_bins=args.num_bins)
  output = evaluation.write_result(result, args.output)
  if not args.quiet:
    print(evaluation.format_table(result))
  print(f"Wrote {output}")
  return 0


# export ---------------------------------------------------------------------

from zoo.serving.artifact import FORMATS as EXPORT_FORMATS  # No TensorFlow.


def _export_arguments(parser: argparse.ArgumentParser) -> None:
  parser.add_argument("run_dir", help="A training run directory.")
  parser.add_argument("--format", dest="export_format", default="savedmodel",
                      choices=EXPORT_FORMATS + ("tfjs",),
                      help="savedmodel (default), onnx (tf2onnx), tflite, "
                      "tflite-int8 (int8 calibrated on 300 training images) "
                      "or tfjs (TensorFlow.js, with --tfjs-converter).")
  parser.add_argument("--tfjs-converter", metavar="PATH",
                      help="With --format tfjs: the tensorflowjs_converter "
                      "to run (default $SNT_ZOO_TFJS_CONVERTER, else the "
                      "one on the PATH).")
  parser.add_argument("--output", help="Export directory (default "
                      "RUN_DIR/export, RUN_DIR/export-<format> for the "
                      "others).")
  parser.add_argument("--checkpoint", help="Checkpoint to export (default: "
                      "the best, else the latest).")
  parser.add_argument("--overwrite", action="store_true",
                      help="Replace an earlier export in the output "
                      "directory (never a folder that is not an export, nor "
                      "the run directory).")
  parser.add_argument("--calibrate", action="store_true",
                      help="Fit a temperature on the validation split and "
                      "bake it into the probabilities.")
  parser.add_argument("--calibrate-on", metavar="SPLIT",
                      help="Calibrate (implies --calibrate) on this split "
                      "instead; any split but validation gives optimistic "
                      "figures, marked so.")
  parser.add_argument("--dynamic-shape", action="store_true",
                      help="tflite, tflite-int8: take any batch and image "
                      "size (default: the fixed [1, H, W, C] input, named "
                      "tensors and standard metadata that mobile tools "
                      "read).")
  parser.add_argument("--compare-formats", action="store_true",
                      help="Write nothing: export every format to a "
                      "temporary directory and print size, max difference "
                      "from the SavedModel, accuracy and images/s.")
  parser.add_argument("--split", help="With --compare-formats: the split "
                      "(default the run's data.eval_split).")
  parser.add_argument("--max-examples", type=_count(), help="With "
                      "--compare-formats: only the first N examples.")
  parser.add_argument("--json", help="With --compare-formats: also write the "
                      "rows here.")


def _export(args) -> int:
  if args.compare_formats:
    if args.output or args.overwrite:
      raise _UsageError("--compare-formats writes no export; drop --output "
                        "and --overwrite.")
    import json  # pylint: disable=g-import-not-at-top
    import pathlib  # pylint: disable=g-import-not-at-top
    from zoo import format_comparison  # pylint: disable=g-import-not-at-top
    rows = format_comparison.compare_formats(
        args.run_dir, split=args.split, max_examples=args.max_examples,
        checkpoint=args.checkpoint,
        calibrate=args.calibrate or bool(args.calibrate_on),
        calibrate_on=args.calibrate_on or "validation")
    print(format_comparison.format_table(rows))
    if args.json:
      pathlib.Path(args.json).write_text(json.dumps(rows, indent=2) + "\n")
      print(f"Wrote {args.json}")
    return 0
  from zoo import run_serving  # pylint: disable=g-import-not-at-top
  output = run_serving.export_run(
      args.run_dir, args.output, args.checkpoint, args.overwrite,
      export_format=args.export_format,
      calibrate=args.calibrate or bool(args.calibrate_on),
      dynamic_shape=args.dynamic_shape,
      calibrate_on=args.calibrate_on or "validation",
      tfjs_converter=args.tfjs_converter)
  print(run_serving.describe_export(output))
  return 0


# predict --------------------------------------------------------------------

def _predict_arguments(parser: argparse.ArgumentParser) -> None:
  parser.add_argument("images", nargs="+", help="Image files.")
  parser.add_argument("--model", required=True,
                      help="An export or a run directory.")
  parser.add_argument("--checkpoint", help="With a run directory: the "
                      "checkpoint to use.")
  parser.add_argument("--top-k", type=_count(), default=3,
                      help="Classes to show per image (default 3).")


def _predict(args) -> int:
  from zoo import predict  # pylint: disable=g-import-not-at-top
  from zoo import run_serving  # pylint: disable=g-import-not-at-top
  runtime = run_serving.load(args.model, args.checkpoint)
  failed = 0
  for result in predict.classify_files(args.images, runtime, args.top_k):
    if result.error:
      print(f"Error: {result.path}: {result.error}", file=sys.stderr)
      failed += 1
    else:
      print("\n".join(predict.format_prediction(result)))
  if failed:
    print(f"{failed} of {len(args.images)} file(s) could not be read.",
          file=sys.stderr)
    return 1
  return 0


# benchmark ------------------------------------------------------------------

def _benchmark_arguments(parser: argparse.ArgumentParser) -> None:
  parser.add_argument("--model", help="A registered model (training "
                      "throughput); --compare covers deep_mnist_cnn, "
                      "softmax_regression and xception.")
  parser.add_argument("--data", action="store_true",
                      help="Time the input pipelines instead of a model.")
  parser.add_argument("--batch-size", type=int, default=None,
                      help="Default 32.")
  parser.add_argument("--image-size", type=int, default=None,
                      help="Default: the model's own (28 for the MNIST "
                      "models, 299 for Xception).")
  parser.add_argument("--num-classes", type=int, default=None,
                      help="Default: the model's own.")
  parser.add_argument("--compare", default="none",
                      help="none, keras, torch or keras,torch: time the same "
                      "architecture in those frameworks too (torch: "
                      "deep_mnist_cnn and softmax_regression).")
  parser.add_argument("--reps", type=int, default=5,
                      help="Timed repetitions (median and spread over them).")
  parser.add_argument("--steps", type=int, default=20,
                      help="Steps per repetition.")
  parser.add_argument("--warmup", type=int, default=3,
                      help="Untimed steps before timing (after compiling).")
  parser.add_argument("--jit", choices=("auto", "on", "off"), default="auto",
                      help="XLA for the zoo train step; auto: the zoo's "
                      "default for the model (see docs/benchmark.md).")
  parser.add_argument("--precision", default="defaults",
                      choices=("defaults", "auto", "float32", "mixed_float16",
                               "mixed_bfloat16"),
                      help="defaults: each side its own default (zoo auto, "
                      "Keras and PyTorch float32); otherwise this precision "
                      "on every side.")
  parser.add_argument("--matmul-size", type=int, default=4096,
                      help="Side of the matmul that measures the peak "
                      "GFLOP/s (0: skip).")
  parser.add_argument("--no-inference", action="store_true",
                      help="Time training only.")
  parser.add_argument("--json", default=None, help="Write results here.")
  parser.add_argument("--flowers-images", type=int, default=680,
                      help="With --data: generated Flowers17 JPEGs.")
  parser.add_argument("--sizes", type=int, nargs="+", default=[149, 299],
                      help="With --data: Flowers17 image sizes.")


def _benchmark(args) -> int:
  if args.data:
    for flag, values in (("--batch-size", [args.batch_size]),
                         ("--flowers-images", [args.flowers_images]),
                         ("--sizes", args.sizes)):
      bad = [v for v in values if v is not None and v < 1]
      if bad:
        raise _UsageError(f"{flag} must be at least 1, got {bad[0]}.")
    os.environ.setdefault("SNT_ZOO_OFFLINE", "1")
    from zoo.datasets import throughput  # pylint: disable=g-import-not-at-top
    throughput.run(args.flowers_images, args.sizes, args.batch_size or 32)
    return 0
  if not args.model:
    raise _UsageError("Pass --model NAME (or --data for the input "
                      "pipelines).")
  _check_registered_model(args.model, "--model")
  import json  # pylint: disable=g-import-not-at-top
  import pathlib  # pylint: disable=g-import-not-at-top
  from zoo import benchmark  # pylint: disable=g-import-not-at-top
  options = benchmark.Options(
      model=args.model, batch_size=args.batch_size,
      image_size=args.image_size, num_classes=args.num_classes,
      compare=args.compare, reps=args.reps, steps=args.steps,
      warmup=args.warmup, jit=args.jit, precision=args.precision,
      no_inference=args.no_inference, matmul_size=args.matmul_size)
  try:
    results = benchmark.run_benchmark(options)
  except benchmark.BenchmarkError as e:
    raise _UsageError(str(e)) from e
  print(benchmark.format_table(results))
  if args.json:
    pathlib.Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    print(f"Wrote {args.json}")
  return 0


# fetch ----------------------------------------------------------------------

def _fetch_arguments(parser: argparse.ArgumentParser) -> None:
  parser.add_argument("name", help="mnist, fashion_mnist or flowers17.")
  parser.add_argument("--dir", default=None,
                      help="Destination (default: the snt-zoo cache, "
                      "$SNT_ZOO_CACHE/<name>).")
  parser.add_argument("--base-url", default=None,
                      help="Mirror to use instead of the official URLs "
                      "(or $SNT_ZOO_DATA_URL).")
  parser.add_argument("--retries", type=_count(), default=3,
                      help="Attempts per file after a dropped connection.")
  parser.add_argument("--timeout", type=_seconds, default=5.0,
                      help="Socket timeout in seconds.")
  parser.add_argument("--force", action="store_true",
                      help="Download again even if the data is complete.")


def _fetch(args) -> int:
  from zoo.datasets import download  # pylint: disable=g-import-not-at-top
  if args.name not in download.REMOTE_DATASETS:
    raise _UsageError(
        f"Unknown dataset {args.name!r}; fetch one of "
        f"{', '.join(sorted(download.REMOTE_DATASETS))}."
        f"{suggest.did_you_mean(args.name, download.REMOTE_DATASETS)}")
  directory = download.fetch(args.name, args.dir, base_url=args.base_url,
                             retries=args.retries, timeout=args.timeout,
                             force=args.force)
  print(f"{args.name}: verified and installed in {directory}")
  return 0


# models ---------------------------------------------------------------------

def _models_arguments(parser: argparse.ArgumentParser) -> None:
  parser.add_argument("names", nargs="*", help="Models to list (default: "
                      "every registered model).")
  parser.add_argument("--json", action="store_true",
                      help="Print the rows as JSON.")
  parser.add_argument("--no-parameters", action="store_true",
                      help="Skip building the models to count parameters.")


def _check_registered_model(name: str, flag: str = "") -> None:
  """A usage error for an unknown model, before TensorFlow loads."""
  from zoo.training import config as config_lib  # pylint: disable=g-import-not-at-top
  try:
    config_lib.check_model_name(name)
  except ValueError as e:
    raise _UsageError(f"{flag}: {e}" if flag else str(e)) from e


def _models(args) -> int:
  for name in args.names:
    _check_registered_model(name)
  from zoo.models import listing  # pylint: disable=g-import-not-at-top
  rows = listing.describe_models(args.names,
                                 count_parameters=not args.no_parameters)
  if args.json:
    import json  # pylint: disable=g-import-not-at-top
    print(json.dumps(rows, indent=2))
  else:
    print(listing.format_table(rows))
  return 0


# visualize ------------------------------------------------------------------

def _visualize_arguments(parser: argparse.ArgumentParser) -> None:
  commands = parser.add_subparsers(dest="picture", required=True,
                                   metavar="PICTURE")

  def for_run(name, help_text):
    sub = commands.add_parser(name, help=help_text, description=help_text)
    sub.add_argument("run_dir", help="A training run directory.")
    sub.add_argument("--out", help="Output directory (default "
                     "RUN_DIR/visualize).")
    return sub

  sub = for_run("all", "Every picture of a run.")
  sub.add_argument("--num-images", type=_count(), default=2)
  sub.add_argument("--max-examples", type=_count(), default=None)
  sub = for_run("activations", "Per-channel activations, untrained beside "
                "trained.")
  sub.add_argument("--num-images", type=_count(), default=2)
  sub.add_argument("--max-channels", type=_count(), default=None)
  for_run("filters", "First-layer filters.")
  for_run("curves", "Learning curves from metrics.jsonl.")
  for_run("confusion", "Confusion matrix on the evaluation split.")
  sub = commands.add_parser(
      "embeddings", help="TensorBoard projector embedding (written under "
      "RUN_DIR/tensorboard).")
  sub.add_argument("run_dir", help="A training run directory.")
  sub.add_argument("--max-examples", type=_count(), default=None)
  for name, help_text in (("layers", "Layer table of a registered model."),
                          ("init-histograms",
                           "Histograms of a fresh model's weights.")):
    sub = commands.add_parser(name, help=help_text, description=help_text)
    sub.add_argument("--model", required=True, help="A registered model.")
    sub.add_argument("--image-size", type=int, default=None)
    sub.add_argument("--num-classes", type=int, default=None)
    if name == "layers":
      sub.add_argument("--out", default=None,
                       help="Also write layers_<model>.txt here.")
      sub.add_argument("--non-trainable", action="store_true",
                       help="Also list BatchNorm moving statistics.")
    else:
      sub.add_argument("--out", default="visualize",
                       help="Output directory.")
      sub.add_argument("--max-variables", type=int, default=12)
  for sub in commands.choices.values():
    _add_import(sub, default=argparse.SUPPRESS)


def _visualize(args) -> int:
  # What was named is checked before TensorFlow loads.
  if getattr(args, "run_dir", None) is not None:
    from zoo.training.run_dir import RunDir  # pylint: disable=g-import-not-at-top
    RunDir(args.run_dir).config  # pylint: disable=expression-not-assigned
  if getattr(args, "model", None) is not None:
    _check_registered_model(args.model, "--model")
  out = getattr(args, "out", None)
  if out and os.path.lexists(out) and not os.path.isdir(out):
    raise _UsageError(f"--out {out} is not a directory; pass a directory "
                      "(new or existing).")
  from zoo import visualize  # pylint: disable=g-import-not-at-top
  picture = args.picture
  model_kwargs = {}
  if picture in ("layers", "init-histograms") and args.num_classes:
    model_kwargs["num_classes"] = args.num_classes
  if picture == "layers":
    text, path = visualize.write_layers(args.model, args.image_size,
                                        args.out, args.non_trainable,
                                        **model_kwargs)
    print(text)
    paths = [path] if path else []
  elif picture == "init-histograms":
    paths = visualize.write_init_histograms(
        args.model, args.out, args.image_size, args.max_variables,
        **model_kwargs)
  elif picture == "activations":
    paths = visualize.write_activations(args.run_dir, args.num_images,
                                        args.out, args.max_channels)
  elif picture == "embeddings":
    paths = visualize.write_embeddings(args.run_dir,
                                       max_examples=args.max_examples)
  elif picture == "all":
    paths = visualize.write_all(args.run_dir, args.num_images,
                                args.max_examples, args.out)
  else:
    write = {"filters": visualize.write_filters,
             "curves": visualize.write_curves,
             "confusion": visualize.write_confusion}[picture]
    paths = write(args.run_dir, args.out)
  for path in paths:
    print(path)
  return 0


# serve ----------------------------------------------------------------------

def _serve_arguments(parser: argparse.ArgumentParser) -> None:
  parser.add_argument("path", nargs="?", help="A run directory, a "
                      "checkpoint in one, an export folder or a .onnx / "
                      ".tflite file, as predict takes.")
  parser.add_argument("--name", help="URL name of PATH (default its model's "
                      "registered name, e.g. deep_mnist_cnn).")
  parser.add_argument("--model", action="append", default=[],
                      metavar="NAME=PATH", help="Serve another model under "
                      "NAME (repeatable).")
  parser.add_argument("--checkpoint", help="With a run directory: the "
                      "checkpoint to serve.")
  parser.add_argument("--host", default="127.0.0.1",
                      help="Interface (default 127.0.0.1, this machine "
                      "only; 0.0.0.0 for every interface).")
  parser.add_argument("--port", type=int, default=8501,
                      help="TCP port (default 8501, TensorFlow Serving's "
                      "REST port).")
  parser.add_argument("--workers", type=int, default=1,
                      help="Server processes, each with its own models.")
  parser.add_argument("--max-batch-size", type=int, default=32,
                      help="Images per model call at most (1: no "
                      "batching).")
  parser.add_argument("--max-wait-ms", type=float, default=0.0,
                      help="How long a request waits for others to join its "
                      "batch (default 0: a batch holds the requests that "
                      "queued while the model ran).")
  parser.add_argument("--max-upload-mb", type=float, default=10.0,
                      help="Largest request body in MiB (default 10).")
  parser.add_argument("--top-k", type=int, default=5,
                      help="Classes listed per prediction (default 5).")
  parser.add_argument("--log-level", default="info",
                      choices=("critical", "error", "warning", "info",
                               "debug"))
  parser.add_argument("--load-test", action="store_true",
                      help="Serve nothing: start the server on a free port "
                      "with and without batching, load it from --clients "
                      "concurrent clients and print requests/s, latency and "
                      "memory against in-process predict.")
  parser.add_argument("--clients", type=int, nargs="+", default=[1, 8, 32],
                      help="With --load-test: client counts.")
  parser.add_argument("--requests", type=int, default=400,
                      help="With --load-test: requests per client count.")
  parser.add_argument("--repeats", type=int, default=3,
                      help="With --load-test: rounds per row (the median is "
                      "shown).")
  parser.add_argument("--json", help="With --load-test: also write the rows "
                      "here.")


def _check_model_name(name: str) -> None:
  from zoo.serve import app  # pylint: disable=g-import-not-at-top
  try:
    app.check_model_name(name)
  except ValueError as e:
    raise _UsageError(str(e)) from e


def _serve_paths(args) -> Dict[str, str]:
  """`{name: path}` of PATH (named later) and each --model NAME=PATH."""
  paths = {}
  for spec in args.model:
    name, equals, path = spec.partition("=")
    if not equals or not name or not path:
      raise _UsageError(f"--model {spec!r}: write NAME=PATH, e.g. "
                        "--model mnist=runs/x/export.")
    if name in paths:
      raise _UsageError(f"--model names {name!r} twice; give each model "
                        "its own name.")
    _check_model_name(name)
    paths[name] = path
  return paths


def _serve(args) -> int:
  named = _serve_paths(args)
  if args.name and args.path is None:
    raise _UsageError("--name names PATH; pass PATH too, or use --model "
                      "NAME=PATH.")
  if args.path is None and not named:
    raise _UsageError("Pass a model: snt-zoo serve PATH, or --model "
                      "NAME=PATH.")
  if args.max_upload_mb <= 0:
    raise _UsageError("--max-upload-mb must be more than 0.")
  from zoo import serve  # pylint: disable=g-import-not-at-top
  try:
    options = serve.ServeOptions(
        max_batch_size=args.max_batch_size, max_wait_ms=args.max_wait_ms,
        max_upload_bytes=int(args.max_upload_mb * 1024 * 1024),
        top_k=args.top_k)
  except ValueError as e:
    import re  # pylint: disable=g-import-not-at-top
    raise _UsageError(re.sub(r"\bmax_\w+", lambda m: "--" + m.group().replace(
        "_", "-"), str(e))) from e
  if args.load_test:
    if args.path is None or named:
      raise _UsageError("--load-test measures one model: pass PATH only.")
    if min(args.clients) < 1 or min(args.requests, args.repeats) < 1:
      raise _UsageError("--clients, --requests and --repeats must be at "
                        "least 1.")
    import json  # pylint: disable=g-import-not-at-top
    import pathlib  # pylint: disable=g-import-not-at-top
    from zoo.serve import load_test  # pylint: disable=g-import-not-at-top
    rows = load_test.measure(args.path, args.clients, args.requests,
                             options.max_batch_size, options.max_wait_ms,
                             args.repeats)
    print(load_test.format_table(rows))
    if args.json:
      pathlib.Path(args.json).write_text(json.dumps(rows, indent=2) + "\n")
      print(f"Wrote {args.json}")
    return 0
  if args.workers < 1:
    raise _UsageError("--workers must be at least 1.")
  from zoo.serve import server  # pylint: disable=g-import-not-at-top
  try:
    server.check_address(args.host, args.port)
  except ValueError as e:
    raise _UsageError(str(e)) from None
  models = serve.load_models(named, args.checkpoint)
  paths = dict(named)
  if args.path is not None:
    runtime = serve.load_models({"": args.path}, args.checkpoint)[""]
    name = args.name or server.default_name(runtime)
    _check_model_name(name)
    if name in paths:
      raise _UsageError(f"PATH and --model are both named {name!r}; pass "
                        "--name.")
    paths = {name: args.path, **paths}
    models = {name: runtime, **models}
  for name, runtime in models.items():
    print(f"Serving {name}: {runtime.description} at "
          f"http://{args.host}:{args.port}/v1/models/{name}", flush=True)
  print(f"Page: http://{args.host}:{args.port}/  OpenAPI: "
        f"http://{args.host}:{args.port}/openapi.json", flush=True)
  try:
    serve.serve(paths, options, args.host, args.port, args.workers,
                args.checkpoint, args.log_level,
                models=models if args.workers == 1 else None)
  except ValueError as e:
    raise _UsageError(str(e)) from e
  return 0


# The command ----------------------------------------------------------------

_COMMANDS: Dict[str, tuple] = {
    "train": (_train_arguments, _train, "Train (or resume) a config."),
    "evaluate": (_evaluate_arguments, _evaluate,
                 "Evaluate a run, a checkpoint or an export."),
    "predict": (_predict_arguments, _predict, "Classify image files."),
    "export": (_export_arguments, _export,
               "Export a run as a SavedModel, ONNX or TensorFlow Lite model."),
    "visualize": (_visualize_arguments, _visualize,
                  "Pictures of a model and a run."),
    "benchmark": (_benchmark_arguments, _benchmark,
                  "Training throughput against Keras and PyTorch, or data "
                  "throughput."),
    "fetch": (_fetch_arguments, _fetch,
              "Download and verify a dataset into the cache."),
    "models": (_models_arguments, _models,
               "List the registered models: parameters, input, pretrained "
               "weights, reference."),
    "serve": (_serve_arguments, _serve,
              "Serve runs and exports: TensorFlow Serving's REST API and a "
              "page to try them."),
}
COMMANDS = tuple(_COMMANDS)


class _UsageError(ValueError):
  """Arguments that parse but do not make sense together."""


def build_parser(prog: str = "snt-zoo",
                 command: Optional[str] = None) -> argparse.ArgumentParser:
  """The parser of `snt-zoo`, or of one subcommand as its own program."""
  if command is not None:
    add_arguments, _, help_text = _COMMANDS[command]
    parser = argparse.ArgumentParser(prog=prog, description=help_text)
    add_arguments(parser)
    _add_debug(parser)
    _add_import(parser)
    return parser
  parser = argparse.ArgumentParser(
      prog=prog, description=__doc__.split("\n\n")[0].replace("\n", " "),
      formatter_class=argparse.RawDescriptionHelpFormatter,
      epilog=__doc__.split("\n\n", 1)[1])
  subparsers = parser.add_subparsers(dest="command", required=True,
                                     metavar="COMMAND")
  for name, (add_arguments, _, help_text) in _COMMANDS.items():
    sub = subparsers.add_parser(name, help=help_text, description=help_text)
    add_arguments(sub)
    _add_debug(sub)
    _add_import(sub)
  return parser


def _add_debug(parser: argparse.ArgumentParser) -> None:
  parser.add_argument("--debug", action="store_true",
                      help=f"Show tracebacks (or set {DEBUG_ENV}=1).")


def _add_import(parser: argparse.ArgumentParser, default=None) -> None:
  parser.add_argument("--import", dest="imports", action="append",
                      metavar="MODULE",
                      default=[] if default is None else default,
                      help="Import MODULE first, so the models it registers "
                      "can be named (repeatable; a config can say imports: "
                      "[MODULE]).")


def _import_models(args) -> None:
  """Imports the `--import` modules before the command runs."""
  modules = getattr(args, "imports", None)
  if modules:
    from zoo.models import _registry  # pylint: disable=g-import-not-at-top
    _registry.import_models(modules)


def _user_errors() -> tuple:
  """Exceptions that mean bad input: one line, exit code 2."""
  from zoo.datasets import errors  # pylint: disable=g-import-not-at-top
  from zoo.training import config  # pylint: disable=g-import-not-at-top
  from zoo.training import run_dir  # pylint: disable=g-import-not-at-top
  from zoo.datasets import safe_files  # pylint: disable=g-import-not-at-top
  errors_ = [_UsageError, config.ConfigError, errors.DatasetError,
             run_dir.RunDirError, FileNotFoundError,
             safe_files.UnsafePathError]
  for module, name in (("zoo.evaluation", "EvaluationError"),
                       ("zoo.serving.artifact", "ExportError"),
                       ("zoo.models._registry", "ModelImportError"),
                       ("zoo.models.pretrained", "PretrainedError")):
    if module in sys.modules:
      errors_.append(getattr(sys.modules[module], name))
  return tuple(errors_)


def run_command(command: str, argv: Sequence[str],
                prog: Optional[str] = None) -> int:
  """Parses `argv` for one subcommand and runs it; returns the exit code."""
  cpu_defaults.apply()  # Before TensorFlow is imported.
  args = build_parser(prog or f"snt-zoo {command}", command).parse_args(argv)
  return _dispatch(command, args)


class _Signalled(BaseException):
  """SIGINT or SIGTERM arrived outside the training loop's own handling."""

  def __init__(self, name: str):
    super().__init__(name)
    self.name = name


def _stop_on_signals() -> Callable[[], None]:
  """Turns SIGINT/SIGTERM into `_Signalled` (exit 130/143, no traceback).

  Returns:
    A function that puts the earlier handlers back.
  """
  import signal  # pylint: disable=g-import-not-at-top
  import threading  # pylint: disable=g-import-not-at-top
  if threading.current_thread() is not threading.main_thread():
    return lambda: None

  def handle(signum, _frame):
    raise _Signalled(signal.Signals(signum).name)

  previous = {sig: signal.signal(sig, handle)
              for sig in (signal.SIGINT, signal.SIGTERM)}

  def restore():
    for sig, handler in previous.items():
      signal.signal(sig, handler)

  return restore


def _dispatch(command: str, args) -> int:
  debug = getattr(args, "debug", False) or os.environ.get(DEBUG_ENV) == "1"
  startup.quiet_tensorflow(debug)
  if not debug:
    startup.one_line_warnings()
  run: Callable = _COMMANDS[command][1]
  restore_signals = _stop_on_signals()
  try:
    _import_models(args)
    return run(args)
  except (_Signalled, KeyboardInterrupt) as e:
    name = e.name if isinstance(e, _Signalled) else "SIGINT"
    print(f"Stopped by {name} (nothing more was written); run the same "
          "command again.", file=sys.stderr)
    return EXIT_SIGNAL[name]
  except Exception as e:  # pylint: disable=broad-except
    if debug:
      raise
    from zoo.download import DownloadError  # pylint: disable=g-import-not-at-top
    # A download that fails is the network's fault, not the input's; a
    # fetch that refuses to touch a directory is the input's.
    from zoo.datasets.errors import FetchRefused  # pylint: disable=g-import-not-at-top
    user_error = (isinstance(e, _user_errors()) and
                  (not isinstance(e, DownloadError) or
                   isinstance(e, FetchRefused)))
    from zoo.training.run_dir import RunDirBusy  # pylint: disable=g-import-not-at-top
    known = user_error or isinstance(e, (DownloadError, OSError, RunDirBusy))
    kind = "Error" if known else f"Error ({type(e).__name__})"
    message = str(e).strip().replace("\n", " ") or type(e).__name__
    print(f"{kind}: {message}", file=sys.stderr)
    if not known:
      print(f"(set {DEBUG_ENV}=1 for the traceback)", file=sys.stderr)
    return 2 if user_error else 1
  finally:
    restore_signals()


def _suggest_command(argv: Sequence[str]) -> None:
  """Exits with a did-you-mean line for a mistyped subcommand."""
  if not argv or argv[0].startswith("-") or argv[0] in _COMMANDS:
    return
  hint = suggest.did_you_mean(argv[0], COMMANDS)
  print(f"snt-zoo: unknown command {argv[0]!r}.{hint} Commands: "
        f"{', '.join(COMMANDS)}.", file=sys.stderr)
  raise SystemExit(2)


def main(argv: Optional[List[str]] = None) -> int:
  """Entry point of the `snt-zoo` console command."""
  cpu_defaults.apply()  # Before TensorFlow is imported.
  argv = sys.argv[1:] if argv is None else list(argv)
  _suggest_command(argv)
  args = build_parser().parse_args(argv)
  return _dispatch(args.command, args)


if __name__ == "__main__":
  sys.exit(main())
