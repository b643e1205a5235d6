"""First-layer convolution filters, untrained beside trained."""

import os
from typing import Dict, List, Optional

import numpy as np
import tensorflow as tf

from zoo.datasets import safe_files
from zoo import layer_summary
from zoo.visualize import _common
from zoo.visualize import images as image_lib


def variables_by_name(model) -> Dict[str, tf.Variable]:
  """A model's variables keyed by their name inside the model (as in the
  layer table: without the model's scope and the `:0`)."""
  result = {}
  for variable in model.variables:
    name = variable.name[:-2] if variable.name.endswith(":0") else variable.name
    if name.startswith(model.name + "/"):
      name = name[len(model.name) + 1:]
    result[name] = variable
  return result


def first_layer_kernel(model) -> tf.Variable:
  """The first convolution kernel `[kh, kw, in, out]` in network order.

  Raises:
    ValueError: If the model has no rank-4 variable.
  """
  summary = layer_summary.summarize_model(model)
  by_name = variables_by_name(model)
  for layer in summary.layers:
    for row in layer.variables:
      if len(row.shape) == 4 and row.name in by_name:
        return by_name[row.name]
  raise ValueError(f"{model.name} has no convolution kernel.")


def filter_grid(kernel: np.ndarray, scale: int = 8) -> np.ndarray:
  """Each output filter of a kernel as a tile.

  Args:
    kernel: `[kh, kw, in, out]` weights.
    scale: Enlarges each tile this many times.

  Returns:
    uint8 grid (see `images.tile_grid`): RGB tiles for 3 input channels,
    else greyscale ones (the mean over the input channels).
  """
  kernel = np.asarray(kernel)
  tiles = []
  for out_channel in range(kernel.shape[3]):
    weights = kernel[:, :, :, out_channel]
    if weights.shape[2] == 3:
      tiles.append(image_lib.normalize_tile(weights))
    else:
      tiles.append(image_lib.normalize_tile(weights.mean(axis=2)))
  return image_lib.tile_grid(np.stack(tiles), scale=scale, pad=2)


def write_filters(run: _common.RunLike, out: Optional[os.PathLike] = None,
                  model=None) -> List[str]:
  """filters.png: first-layer filters of the untrained and the trained model.

  Args:
    run: The run directory (a `RunDir` or its path).
    out: Output directory (default RUN_DIR/visualize).
    model: The trained model; default the run's best (else latest)
      checkpoint.

  Returns:
    The written path, in a list.
  """
  run = _common.as_run(run)
  trained, _ = _common.trained_model(run, model)
  untrained = run.build_model()
  kernel = first_layer_kernel(trained)
  scale = max(2, 40 // kernel.shape[0])
  before = image_lib.to_rgb(filter_grid(
      first_layer_kernel(untrained).numpy(), scale))
  after = image_lib.to_rgb(filter_grid(kernel.numpy(), scale))
  name = kernel.name.split(":")[0]
  picture = image_lib.side_by_side([
      image_lib.caption(before, f"untrained {name}"),
      image_lib.caption(after, "trained")], gap=16)
  path = _common.out_dir(run, out) / "filters.png"
  safe_files.write_with(path, picture.save)
  return [str(path)]
