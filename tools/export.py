#!/usr/bin/env python
"""Exports a trained run as a self-contained SavedModel.

  python tools/export.py RUN_DIR [--output DIR] [--checkpoint CKPT]
                         [--overwrite]

The SavedModel loads with TensorFlow alone. Its `serving_default` signature
takes uint8 images `[B, H, W, C]` of any size (C = 1, 3 or 4), converts the
channels and resizes them as the model needs, and returns `probabilities`
`[B, K]`, `class_names` `[K]` and `classes` `[B]`:

  f = tf.saved_model.load(DIR).signatures["serving_default"]
  out = f(images=tf.constant(uint8_images))

The default output is RUN_DIR/export. An existing non-empty output directory
is kept unless --overwrite is given; the export is written to a temporary
directory beside it and renamed into place.
"""

import argparse
import os
import pathlib
import shutil
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import datasets  # pylint: disable=g-import-not-at-top,wrong-import-position
from zoo import serving  # pylint: disable=g-import-not-at-top,wrong-import-position
from zoo.training import run_dir as run_dir_lib  # pylint: disable=g-import-not-at-top,wrong-import-position


class ExportError(Exception):
  """The export cannot be written as asked."""


def _parse_args(argv):
  parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
  parser.add_argument("run_dir", help="A run directory of tools/train.py.")
  parser.add_argument("--output", help="Export directory (default "
                      "RUN_DIR/export).")
  parser.add_argument("--checkpoint", help="Checkpoint prefix or directory to "
                      "export (default: the best, else the latest).")
  parser.add_argument("--overwrite", action="store_true",
                      help="Replace an existing non-empty output directory.")
  return parser.parse_args(argv)


def class_names_for(config) -> list:
  """The class names of a run's dataset, as training saw them."""
  info = datasets.info(config["data"]["name"],
                       **run_dir_lib.dataset_options(config))
  return list(info.class_names)


def _check_output(output: pathlib.Path, overwrite: bool) -> None:
  if output.exists() and not output.is_dir():
    raise ExportError(f"{output} exists and is not a directory; choose "
                      "another --output.")
  if output.is_dir() and any(output.iterdir()) and not overwrite:
    raise ExportError(
        f"{output} already exists and is not empty; not overwriting it. Pass "
        "--overwrite to replace it, or choose another --output.")


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
    shutil.rmtree(backup, ignore_errors=True)


def export(run_dir, output=None, checkpoint=None, overwrite=False
           ) -> pathlib.Path:
  """Exports a run; returns the export directory."""
  run_dir = pathlib.Path(run_dir)
  output = pathlib.Path(output) if output else run_dir / "export"
  _check_output(output, overwrite)
  model, config, ckpt_path = run_dir_lib.restore_model(run_dir, checkpoint)
  class_names = class_names_for(config)
  image_size = serving.model_image_size(model, config)
  module = serving.ServingModule(model, class_names, image_size)
  output.parent.mkdir(parents=True, exist_ok=True)
  staging = pathlib.Path(tempfile.mkdtemp(prefix=f".{output.name}.tmp-",
                                          dir=output.parent))
  umask = os.umask(0)
  os.umask(umask)
  os.chmod(staging, 0o777 & ~umask)  # mkdtemp makes it private.
  try:
    serving.save(module, staging, extra_info={
        "model": config["model"]["name"],
        "checkpoint": str(ckpt_path),
        "run_dir": str(run_dir.resolve()),
        "data_source": config.get("data_source"),
        "config": config,
    })
    _check_output(output, overwrite)  # Again: it may have appeared since.
    _move_into_place(staging, output)
  finally:
    if staging.exists():
      shutil.rmtree(staging, ignore_errors=True)
  return output


def main(argv=None) -> int:
  args = _parse_args(argv)
  try:
    output = export(args.run_dir, args.output, args.checkpoint,
                    args.overwrite)
  except (ExportError, FileNotFoundError, datasets.DatasetError) as e:
    print(f"Error: {e}", file=sys.stderr)
    return 2
  info = serving.read_export_info(output)
  height, width = info["image_size"]
  print(f"Exported {info['model']} ({info['checkpoint']}) to {output}")
  print(f"  signature {serving.SIGNATURE_KEY}: images uint8 [B, H, W, C] -> "
        f"probabilities [B, {len(info['class_names'])}], class_names, "
        f"classes; resized to {height}x{width}, {info['channels']} "
        f"channel(s), {info['normalization']} normalization")
  return 0


if __name__ == "__main__":
  sys.exit(main())
