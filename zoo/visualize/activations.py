"""Activations of every spatial endpoint, untrained beside trained."""

import os
from typing import Dict, List, Optional

import numpy as np
from PIL import Image
import tensorflow as tf

from zoo.visualize import _common
from zoo.visualize import images as image_lib


def spatial_activations(model, images: np.ndarray) -> Dict[str, np.ndarray]:
  """The `[N, H, W, C]` endpoints (ConvPools, blocks, flows) of a batch."""
  _, endpoints = model.with_endpoints(tf.convert_to_tensor(images),
                                      is_training=False)
  return {name: value.numpy() for name, value in endpoints.items()
          if value.shape.rank == 4}


def write_activations(run: _common.RunLike, num_images: int = 2,
                      out: Optional[os.PathLike] = None,
                      max_channels: Optional[int] = None) -> List[str]:
  """One PNG per image and layer: input | untrained | trained channels."""
  run = _common.as_run(run)
  trained, _ = run.restore_model()
  untrained = run.build_model()
  images, labels = _common.eval_sample(run, num_images)
  names = run.class_names
  before = spatial_activations(untrained, images)
  after = spatial_activations(trained, images)
  directory = _common.out_dir(run, out, "activations")
  paths = []
  for index in range(images.shape[0]):
    pixels = image_lib.image_to_uint8(images[index], run.normalization)
    for layer, trained_value in after.items():
      trained_grid = image_lib.to_rgb(image_lib.channel_grid(
          trained_value[index], max_channels=max_channels))
      untrained_grid = image_lib.to_rgb(image_lib.channel_grid(
          before[layer][index], max_channels=max_channels))
      scale = max(1, trained_grid.height // pixels.shape[0])
      enlarged = image_lib.to_rgb(pixels).resize(
          (pixels.shape[1] * scale, pixels.shape[0] * scale), Image.NEAREST)
      picture = image_lib.side_by_side([
          image_lib.caption(enlarged,
                            f"input {index} ({names[labels[index]]})"),
          image_lib.caption(untrained_grid, f"{layer} untrained"),
          image_lib.caption(trained_grid, f"{layer} trained"),
      ])
      path = directory / f"image{index}_{layer}.png"
      picture.save(path)
      paths.append(str(path))
  return paths
