"""Activations of every spatial endpoint, untrained beside trained."""

import os
from typing import Dict, List, Optional

import numpy as np
from PIL import Image
import tensorflow as tf

from zoo.datasets import safe_files
from zoo.visualize import _common
from zoo.visualize import images as image_lib
from zoo.visualize import sampling


def spatial_activations(model, images: np.ndarray) -> Dict[str, np.ndarray]:
  """The spatial endpoints of a model on a batch.

  Args:
    model: A zoo model (with `with_endpoints`).
    images: `[N, H, W, C]` model inputs.

  Returns:
    `{endpoint: [N, h, w, c] array}` for every rank-4 endpoint (ConvPools,
    Xception blocks and flows), in network order.
  """
  _, endpoints = model.with_endpoints(tf.convert_to_tensor(images),
                                      is_training=False)
  return {name: value.numpy() for name, value in endpoints.items()
          if value.shape.rank == 4}


def activation_picture(pixels: np.ndarray, title: str,
                       untrained: np.ndarray, trained: np.ndarray,
                       layer: str,
                       max_channels: Optional[int] = None) -> Image.Image:
  """Input | untrained channels | trained channels, captioned.

  Args:
    pixels: The input image as uint8 `[H, W, C]`.
    title: Caption of the input.
    untrained: `[h, w, c]` activation of the untrained model.
    trained: `[h, w, c]` activation of the trained model.
    layer: The endpoint's name, for the captions.
    max_channels: Show only the first this many channels.

  Returns:
    The picture.
  """
  trained_grid = image_lib.to_rgb(image_lib.channel_grid(
      trained, max_channels=max_channels))
  untrained_grid = image_lib.to_rgb(image_lib.channel_grid(
      untrained, max_channels=max_channels))
  scale = max(1, trained_grid.height // pixels.shape[0])
  enlarged = image_lib.to_rgb(pixels).resize(
      (pixels.shape[1] * scale, pixels.shape[0] * scale), Image.NEAREST)
  return image_lib.side_by_side([
      image_lib.caption(enlarged, title),
      image_lib.caption(untrained_grid, f"{layer} untrained"),
      image_lib.caption(trained_grid, f"{layer} trained"),
  ])


def write_activations(run: _common.RunLike, num_images: int = 2,
                      out: Optional[os.PathLike] = None,
                      max_channels: Optional[int] = None,
                      model=None, seed: int = 0) -> List[str]:
  """One PNG per image and spatial endpoint: input | untrained | trained.

  Args:
    run: The run directory (a `RunDir` or its path).
    num_images: How many evaluation images (a class-stratified sample).
    out: Output directory (default RUN_DIR/visualize); the pictures go to
      its `activations/` folder as `image<i>_<endpoint>.png`.
    max_channels: Show only the first this many channels of each endpoint.
    model: The trained model; default the run's best (else latest)
      checkpoint. The untrained one is freshly built from the run's config.
    seed: Seed of the image sample.

  Returns:
    The written paths.
  """
  run = _common.as_run(run)
  trained, _ = _common.trained_model(run, model)
  untrained = run.build_model()
  images, labels = sampling.eval_sample(run, num_images, seed)
  names = run.class_names
  before = spatial_activations(untrained, images)
  after = spatial_activations(trained, images)
  directory = _common.out_dir(run, out, "activations")
  pixels = image_lib.image_to_uint8(images, run.normalization)
  paths = []
  for index in range(images.shape[0]):
    title = f"input {index} ({names[labels[index]]})"
    for layer, trained_value in after.items():
      picture = activation_picture(pixels[index], title,
                                   before[layer][index], trained_value[index],
                                   layer, max_channels)
      path = directory / f"image{index}_{layer}.png"
      safe_files.write_with(path, picture.save)
      paths.append(str(path))
  return paths
