"""Every export format of one run, side by side: size, parity, accuracy, speed.

    rows = format_comparison.compare_formats("runs/tfjs_mnist-...")
    print(format_comparison.format_table(rows))

Each format is exported into a temporary directory (the run's own exports
are never touched), loaded in its runtime (`zoo.serving.runtimes`) and fed the same
uint8 images of the evaluation split. The SavedModel's probabilities are the
reference for the largest absolute difference; images/s is measured in this
process on the CPU, over the whole split after one warm-up batch.
"""

import os
import pathlib
import tempfile
import time
from typing import Any, Dict, List, Optional, Sequence

import numpy as np

from zoo import run_serving
from zoo.serving import artifact
from zoo.serving import runtimes
from zoo.training.run_dir import RunDir


def _export_size(directory: pathlib.Path) -> int:
  """Bytes of an export's model files (its export_info.json excluded)."""
  return sum(path.stat().st_size for path in directory.rglob("*")
             if path.is_file() and path.name != artifact.INFO_FILE)


def measure(runtime: runtimes.Runtime, images: np.ndarray,
            batch_size: int = 100) -> Dict[str, Any]:
  """Runs a runtime over `images` in batches, timing all but a warm-up.

  Returns:
    `{"probabilities": [N, K], "images_per_sec": float}`.
  """
  runtime.probabilities(images[:batch_size])  # Builds and allocates once.
  outputs = []
  start = time.perf_counter()
  for first in range(0, len(images), batch_size):
    outputs.append(runtime.probabilities(images[first:first + batch_size]))
  elapsed = time.perf_counter() - start
  return {"probabilities": np.concatenate(outputs),
          "images_per_sec": len(images) / max(elapsed, 1e-9)}


def compare_formats(run_dir: os.PathLike,
                    formats: Sequence[str] = artifact.FORMATS,
                    split: Optional[str] = None,
                    max_examples: Optional[int] = None,
                    batch_size: int = 100,
                    checkpoint: Optional[os.PathLike] = None,
                    calibrate: bool = False,
                    calibrate_on: str = run_serving.VALIDATION_SPLIT
                    ) -> List[Dict[str, Any]]:
  """Exports a run in each format and measures each export.

  Args:
    run_dir: The run directory.
    formats: Formats to compare; the SavedModel is always included (it is
      the reference).
    split: Default the run's `data.eval_split`.
    max_examples: Only the first N examples of the split.
    batch_size: Images per inference call.
    checkpoint: Default the best, else the latest.
    calibrate: Export with a fitted temperature (see `run_serving.export_run`).
    calibrate_on: The split it is fitted on (not validation: optimistic).

  Returns:
    One row per format: `format`, `file_bytes`, `max_abs_diff` (against the
    SavedModel's probabilities), `accuracy`, `images_per_sec`, `examples`,
    `split`, `temperature`.
  """
  run = RunDir(run_dir)
  split = split or run.config["data"].get("eval_split", "test")
  formats = [artifact.SAVEDMODEL] + [
      f for f in formats if f != artifact.SAVEDMODEL]
  for export_format in formats:
    artifact.check_dependencies(export_format)
  images, labels = run_serving.split_as_uint8(run, split, max_examples)
  rows, reference = [], None
  with tempfile.TemporaryDirectory(prefix="snt-zoo-formats-") as scratch:
    for export_format in formats:
      directory = run_serving.export_run(
          run.path, pathlib.Path(scratch) / export_format, checkpoint,
          export_format=export_format, calibrate=calibrate,
          calibrate_on=calibrate_on)
      runtime = runtimes.load_export(directory)
      measured = measure(runtime, images, batch_size)
      probabilities = measured["probabilities"]
      if reference is None:
        reference = probabilities
      rows.append({
          "format": export_format,
          "file_bytes": _export_size(directory),
          "max_abs_diff": float(np.abs(probabilities - reference).max()),
          "accuracy": float((probabilities.argmax(-1) == labels).mean()),
          "images_per_sec": measured["images_per_sec"],
          "examples": int(len(labels)),
          "split": split,
          "temperature": float(runtime.info.get("temperature", 1.0)),
          "calibration_split": calibrate_on if calibrate else None,
          "optimistic": bool(calibrate and
                             calibrate_on != run_serving.VALIDATION_SPLIT),
      })
  return rows


def format_table(rows: List[Dict[str, Any]]) -> str:
  """The comparison as a Markdown table (the README's)."""
  lines = [
      "| format | file size | max abs. difference vs SavedModel | accuracy "
      "| images/s (CPU, same process) |",
      "| --- | ---: | ---: | ---: | ---: |"]
  for row in rows:
    lines.append(
        f"| {row['format']} | {row['file_bytes'] / 1e6:,.2f} MB | "
        f"{row['max_abs_diff']:.1e} | {100 * row['accuracy']:.2f}% | "
        f"{row['images_per_sec']:,.0f} |")
  if rows:
    lines.append(f"\n{rows[0]['examples']} examples of the "
                 f"{rows[0]['split']} split.")
    if rows[0].get("calibration_split"):
      lines.append(
          f"Temperature {rows[0]['temperature']:.4f} fitted on the "
          f"{rows[0]['calibration_split']} split"
          + (" (optimistic: not a held-out validation split)."
             if rows[0].get("optimistic") else "."))
  return "\n".join(lines)
