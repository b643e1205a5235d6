"""Where a training run meets serving: load any model, export and calibrate a run.

    runtime = run_serving.load("runs/x")                 # a run's own model
    runtime = run_serving.load("runs/x/export-onnx")     # or any export
    runtime.probabilities(uint8_images)                  # [B, K]
    run_serving.export_run("runs/x", export_format="onnx", calibrate=True)

This is the only module that joins a run directory (`zoo.training.RunDir`)
and `zoo.serving`: `RunRuntime` runs a run's restored model behind the
`zoo.serving.runtimes.Runtime` interface, so evaluation, prediction, the
format comparison and a server all do `load(path) -> runtime`.
`export_run` writes a run's export in any of `zoo.serving.artifact.FORMATS`
(default RUN_DIR/export for the SavedModel, RUN_DIR/export-<format> for the
others), optionally with a fitted temperature, and never replaces an
existing export unasked.
"""

import os
import pathlib
import shutil
import tempfile
from typing import Any, Dict, Optional

import numpy as np

from zoo import calibration
from zoo.serving import artifact
from zoo.serving import runtimes
from zoo.serving import tfjs
from zoo.serving.artifact import ExportError
from zoo.training.run_dir import RESOLVED_PRECISION_KEY
from zoo.training.run_dir import RunDir

#: Training images that calibrate the int8 quantisation ranges.
REPRESENTATIVE_EXAMPLES = 300
#: Confidence bins of the expected calibration error.
_ECE_BINS = 15


class RunRuntime(runtimes.Runtime):
  """A training run's restored model behind the `Runtime` interface.

  `probabilities` runs the same preprocessing graph as every export;
  `logits` runs the model on batches in its own normalization, as training
  evaluated it.
  """

  format = "run"

  def __init__(self, run: RunDir, model, checkpoint: os.PathLike,
               kind: str = "run_dir"):
    import tensorflow as tf  # pylint: disable=g-import-not-at-top
    from zoo.serving import graph  # pylint: disable=g-import-not-at-top
    self.run = run
    self.model = model
    self.kind = kind
    self.data_normalization = model.input_normalization
    super().__init__(run.path, {
        "class_names": list(run.class_names),
        "image_size": list(run.image_size),
        "channels": int(model.channels),
        "normalization": model.input_normalization,
        "model": run.model_name,
        "checkpoint": str(checkpoint),
        "run_dir": str(run.path),
        "data_source": run.config.get("data_source"),
        "precision": run.resolved_precision,
        "config": run.config,
    })
    self._tf = tf
    self._graph = graph
    self._logits = tf.function(
        lambda images: tf.cast(model(images, is_training=False), tf.float32))

  @property
  def description(self) -> str:
    return f"run {self.path} ({self.checkpoint})"

  def probabilities(self, images: np.ndarray) -> np.ndarray:
    return self._graph.predict_probabilities(
        self.model, self._tf.constant(images, self._tf.uint8),
        self.image_size).numpy()

  def logits(self, images) -> np.ndarray:
    return self._logits(images).numpy().astype(np.float64)


def load_run(path: os.PathLike,
             checkpoint: Optional[os.PathLike] = None) -> RunRuntime:
  """A run directory (or a checkpoint inside one) as a runtime.

  Args:
    path: A run directory, or a checkpoint prefix / directory inside one.
    checkpoint: With a run directory: the checkpoint (default the best,
      else the latest).

  Raises:
    RunDirError: If `path` is no run, or holds no usable checkpoint.
  """
  path = pathlib.Path(path)
  if not path.exists() and not path.with_name(path.name + ".index").exists():
    raise FileNotFoundError(
        f"{path} does not exist; pass a run directory, a checkpoint in one "
        "or an export.")
  if path.is_dir() and RunDir(path).is_run():
    run = RunDir(path)
  else:
    run = RunDir.containing(path)
    if checkpoint is None:
      checkpoint = path
  kind = "run_dir" if checkpoint is None else "checkpoint"
  model, restored = run.restore_model(checkpoint)
  return RunRuntime(run, model, restored, kind)


def load(path: os.PathLike,
         checkpoint: Optional[os.PathLike] = None) -> runtimes.Runtime:
  """Any model you can run: an export of any format, a run or a checkpoint.

  Args:
    path: A SavedModel export, an ONNX or TFLite export (its directory or its
      `.onnx` / `.tflite` file), a run directory or a checkpoint inside one.
    checkpoint: With a run directory: the checkpoint to use.

  Raises:
    FileNotFoundError, RunDirError, ExportError: Saying what is wrong.
  """
  if artifact.is_export(path):
    if checkpoint is not None:
      raise ExportError(f"{path} is an export; --checkpoint applies to a run "
                        "directory only.")
    return runtimes.load_export(path)
  return load_run(path, checkpoint)


def run_of(runtime: runtimes.Runtime) -> Optional[RunDir]:
  """The training run behind a runtime: its own, or the one an export
  records (`run_dir` in its description) when it is still on disk, else
  the run directory holding the export (moved with it) when it trained
  the same model."""
  if isinstance(runtime, RunRuntime):
    return runtime.run
  recorded = runtime.info.get("run_dir")
  if recorded and RunDir(recorded).is_run():
    return RunDir(recorded)
  model = runtime.info.get("model")
  for folder in (runtime.path.parent, runtime.path.parent.parent):
    run = RunDir(folder)
    try:
      if model and run.is_run() and run.model_name == model:
        return run
    except Exception:  # pylint: disable=broad-except
      continue  # An unreadable config: not this run.
  return None


def recorded_evaluation(run: RunDir) -> Optional[Dict[str, Any]]:
  """The run's last evaluation record in metrics.jsonl (`split`, `step`,
  `accuracy`, `loss`), or None when it logged none."""
  evaluations = [record for record in run.read_metrics()
                 if record.get("split", "train") != "train"
                 and "accuracy" in record]
  return evaluations[-1] if evaluations else None


def model_card(runtime: runtimes.Runtime) -> Dict[str, Any]:
  """What is known of a loaded model, for a server or a report.

  Returns:
    `model`, `parameters` (trainable, when the model itself is loaded),
    `data_source`, `precision`, `format`, `kind`, `checkpoint`, `run_dir`
    (None when the run is not on disk), `evaluation` (the last recorded
    evaluation: `split`, `step`, `accuracy`), `class_names`, `image_size`,
    `channels`, `normalization` and `calibration` (exports baked with a
    temperature). Unknown values are None.
  """
  info = runtime.info
  config = runtime.config
  run = run_of(runtime)
  precision = run.resolved_precision if run else (
      config.get(RESOLVED_PRECISION_KEY)
      or (config.get("train") or {}).get("precision"))
  parameters = None
  if isinstance(runtime, RunRuntime):
    parameters = int(sum(int(np.prod(v.shape))
                         for v in runtime.model.trainable_variables))
  evaluation = recorded_evaluation(run) if run else None
  return {
      "model": info.get("model") or (config.get("model") or {}).get("name"),
      "parameters": parameters,
      "data_source": info.get("data_source"),
      "precision": precision,
      "format": runtime.format,
      "kind": runtime.kind,
      "checkpoint": (str(runtime.checkpoint) if runtime.checkpoint
                     else None),
      "run_dir": str(run.path) if run else None,
      "evaluation": ({key: evaluation.get(key)
                      for key in ("split", "step", "accuracy", "loss")}
                     if evaluation else None),
      "class_names": runtime.class_names,
      "image_size": list(runtime.image_size),
      "channels": runtime.channels,
      "normalization": runtime.normalization,
      "calibration": info.get("calibration"),
  }


# The splits a run's export and calibration read ------------------------------


def split_as_uint8(run: RunDir, split: str,
                   max_examples: Optional[int] = None,
                   data_dir: Optional[os.PathLike] = None,
                   shuffle: bool = False):
  """A split of a run's dataset as the uint8 images an export takes.

  Args:
    run: The run.
    split: "train", "validation" or "test".
    max_examples: Only the first N examples (in the split's order).
    data_dir: Read the data from here instead of the run's data.data_dir.
    shuffle: Take the examples in a random order seeded by the run's seed,
      not in the split's order.

  Returns:
    `(images uint8 [N, H, W, C], labels int64 [N])`.
  """
  batches = run.dataset(data_dir).load(split, normalize="unit",
                                       batch_size=500, shuffle=shuffle)
  if max_examples:
    batches = batches.unbatch().take(max_examples).batch(500)
  images, labels = [], []
  for batch_images, batch_labels in batches:
    images.append(runtimes.to_uint8(batch_images.numpy()))
    labels.append(batch_labels.numpy().astype(np.int64))
  return np.concatenate(images), np.concatenate(labels)


#: The split a temperature is fitted on unless another is named.
VALIDATION_SPLIT = "validation"


def calibration_split(run: RunDir, calibrate_on: str = VALIDATION_SPLIT
                      ) -> str:
  """The split a run calibrates on: its validation split, or the one named.

  Raises:
    ExportError: If the validation split is asked for and the run has none,
      saying how to carve one or name another split.
  """
  if calibrate_on != VALIDATION_SPLIT:
    return calibrate_on
  counts = run.dataset().info.num_examples
  if counts.get(VALIDATION_SPLIT):
    return VALIDATION_SPLIT
  raise ExportError(
      f"{run.path} has no validation split to fit the temperature on; train "
      "with data.validation_fraction=0.1 (the quick configs do), or pass "
      "--calibrate-on test to fit on the test split (optimistic: the "
      "figures are then measured on the data the temperature was fitted "
      "to).")


def calibrate_run(runtime: RunRuntime, split: Optional[str] = None,
                  batch_size: int = 500) -> Dict[str, Any]:
  """Fits a temperature for a run's model on held-out data.

  Args:
    runtime: The run's restored model (`load_run`).
    split: Default `calibration_split(run)` (the validation split). Any
      other split gives figures marked `optimistic`.
    batch_size: Examples per forward pass.

  Returns:
    `{"temperature", "split", "examples", "ece_before", "ece_after",
    "nll_before", "nll_after", "ece_bins", "optimistic"}`.
  """
  run = runtime.run
  split = split or calibration_split(run)
  batches = run.dataset().load(split, normalize=runtime.data_normalization,
                               batch_size=batch_size)
  all_logits, all_labels = [], []
  for images, labels in batches:
    all_logits.append(runtime.logits(images))
    all_labels.append(labels.numpy())
  if not all_logits:
    raise ExportError(f"Split {split!r} of the run's data is empty: nothing "
                      "to calibrate on.")
  logits, labels = np.concatenate(all_logits), np.concatenate(all_labels)
  temperature = calibration.fit_temperature(logits, labels)
  return {
      "temperature": temperature,
      "split": split,
      "examples": int(len(labels)),
      "ece_bins": _ECE_BINS,
      "ece_before": calibration.expected_calibration_error(logits, labels),
      "ece_after": calibration.expected_calibration_error(
          logits / temperature, labels),
      "nll_before": calibration.negative_log_likelihood(logits, labels),
      "nll_after": calibration.negative_log_likelihood(logits / temperature,
                                                       labels),
      # Fitted on data that also measures the model (test) or trained it.
      "optimistic": split != VALIDATION_SPLIT,
  }


# Exporting a run -------------------------------------------------------------


def _check_output(output: pathlib.Path, overwrite: bool,
                  run_path: Optional[pathlib.Path] = None) -> None:
  if output.is_symlink():
    raise ExportError(f"{output} is a symbolic link; an export is written "
                      "into a directory of its own, never through a link. "
                      "Choose another --output.")
  if output.exists() and not output.is_dir():
    raise ExportError(f"{output} exists and is not a directory; choose "
                      "another --output.")
  if run_path is not None:
    resolved, run_resolved = output.resolve(), run_path.resolve()
    if resolved == run_resolved or resolved in run_resolved.parents:
      raise ExportError(
          f"--output {output} is (or holds) the run directory {run_path}; "
          "choose a directory of its own, e.g. the default RUN_DIR/export.")
  if output.is_dir() and any(output.iterdir()):
    if not overwrite:
      raise ExportError(
          f"{output} already exists and is not empty; not overwriting it. "
          "Pass --overwrite to replace it, or choose another --output.")
    if not artifact.is_own_export(output):
      raise ExportError(
          f"{output} is not an export snt-zoo wrote (its "
          f"{artifact.INFO_FILE} does not list exactly the files there), so "
          "--overwrite will not replace it; choose another --output, or "
          "move your files out of it first.")


def _move_into_place(staging: pathlib.Path, output: pathlib.Path) -> None:
  """Renames `staging` to `output`, replacing what is there only at the end."""
  backup = None
  if output.is_dir():
    if any(output.iterdir()):
      backup = pathlib.Path(tempfile.mkdtemp(prefix=f".{output.name}.old-",
                                             dir=output.parent))
      backup.rmdir()
      os.rename(output, backup)
    else:
      output.rmdir()
  try:
    os.rename(staging, output)
  except OSError:
    if backup is not None:
      os.rename(backup, output)
    raise
  if backup is not None:
    if artifact.is_own_export(backup):
      shutil.rmtree(backup, ignore_errors=True)
    else:  # Changed since it was checked: keep it, and say where.
      raise ExportError(
          f"The export was written to {output}, but the earlier one changed "
          f"while exporting, so it was kept as {backup}; look through it and "
          "remove it yourself.")


def export_run(run_dir: os.PathLike, output: Optional[os.PathLike] = None,
               checkpoint: Optional[os.PathLike] = None,
               overwrite: bool = False, export_format: str = "savedmodel",
               calibrate: bool = False,
               dynamic_shape: bool = False,
               calibrate_on: str = VALIDATION_SPLIT,
               tfjs_converter: Optional[str] = None) -> pathlib.Path:
  """Exports a training run in one format (see `zoo.serving.formats`).

  The export is written to a temporary directory beside `output` and
  renamed into place, so a failure never leaves a half-written export.

  Args:
    run_dir: The run directory.
    output: Export directory (default RUN_DIR/export for a SavedModel,
      RUN_DIR/export-<format> otherwise).
    checkpoint: Checkpoint to export (default: the best, else the latest).
    overwrite: Replace an earlier export at `output`, only if it is one
      snt-zoo wrote (`artifact.is_own_export`: its `export_info.json` lists
      exactly the files there); any other non-empty directory, and the run
      directory, are refused.
    export_format: "savedmodel", "onnx", "tflite", "tflite-int8" or "tfjs"
      (the SavedModel converted by `tensorflowjs_converter`, see
      `zoo.serving.tfjs`).
    calibrate: Fit a temperature on the validation split (`calibrate_on`)
      and divide the logits by it; the fit and the expected calibration
      error before and after are recorded under "calibration" in
      `export_info.json` (`optimistic` when not fitted on validation).
    dynamic_shape: TFLite: any batch and image size instead of the fixed
      `[1, H, W, C]` input mobile tools expect.
    calibrate_on: The split the temperature is fitted on; a run without a
      validation split must name one (e.g. "test": figures marked
      optimistic).
    tfjs_converter: With "tfjs": the converter program (default
      `$SNT_ZOO_TFJS_CONVERTER`, else `tensorflowjs_converter` on the PATH).

  Returns:
    The export directory.

  Raises:
    ExportError: An unknown format, a missing optional dependency, an
      existing output without `overwrite`, or an output that is not an
      export or holds the run directory.
  """
  if export_format == tfjs.TFJS:
    program = tfjs.find_converter(tfjs_converter)
    if program is None:
      raise ExportError(tfjs.missing_converter_message(tfjs_converter))
    tfjs_converter = program
  else:
    artifact.check_dependencies(export_format)
  run = RunDir(run_dir)
  run.config  # pylint: disable=pointless-statement  # Not a run: say so now.
  output = (pathlib.Path(output) if output
            else run.export_dir_for(export_format))
  _check_output(output, overwrite, run.path)
  from zoo.serving import formats  # pylint: disable=g-import-not-at-top
  from zoo.serving import graph  # pylint: disable=g-import-not-at-top
  runtime = load_run(run.path, checkpoint)
  info = runtime.info
  extra_info = {key: info[key] for key in
                ("model", "checkpoint", "data_source", "config")}
  extra_info["run_dir"] = str(run.path.resolve())
  temperature = 1.0
  if calibrate:
    fit = calibrate_run(runtime, calibration_split(run, calibrate_on))
    temperature = fit["temperature"]
    extra_info["calibration"] = fit
  module = graph.ServingModule(runtime.model, run.class_names, run.image_size,
                               temperature)
  representative = None
  if export_format == artifact.TFLITE_INT8:
    # Shuffled: a split sorted by class (Flowers17, image folders) would
    # otherwise calibrate on its first classes only.
    representative, _ = split_as_uint8(
        run, "train", max_examples=REPRESENTATIVE_EXAMPLES, shuffle=True)
  output.parent.mkdir(parents=True, exist_ok=True)
  staging = pathlib.Path(tempfile.mkdtemp(prefix=f".{output.name}.tmp-",
                                          dir=output.parent))
  umask = os.umask(0)
  os.umask(umask)
  os.chmod(staging, 0o777 & ~umask)  # mkdtemp makes it private.
  try:
    if export_format == tfjs.TFJS:
      _write_tfjs(module, staging, extra_info, tfjs_converter)
    else:
      formats.write(module, staging, export_format, extra_info,
                    representative_images=representative,
                    dynamic_shape=dynamic_shape)
    # Again: it may have appeared since.
    _check_output(output, overwrite, run.path)
    _move_into_place(staging, output)
  finally:
    if staging.exists():
      shutil.rmtree(staging, ignore_errors=True)
  return output


def _write_tfjs(module, directory: pathlib.Path, extra_info: Dict[str, Any],
                converter: str) -> None:
  """A SavedModel in a scratch folder, converted into `directory`."""
  from zoo.serving import formats  # pylint: disable=g-import-not-at-top
  with tempfile.TemporaryDirectory(prefix=".savedmodel-",
                                   dir=directory.parent) as scratch:
    saved = pathlib.Path(scratch) / "savedmodel"
    saved.mkdir()
    formats.write(module, saved, artifact.SAVEDMODEL, extra_info)
    tfjs.convert(saved, directory, dict(module.info(), **extra_info),
                 converter)


def describe_export(output: os.PathLike) -> str:
  """Lines saying what an export directory holds and what it takes."""
  return artifact.describe(artifact.read_export_info(output), output)
