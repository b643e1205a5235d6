"""What the page shows beside the answer: the run's card and what the
network sees.

    card = RunCard(runtime, "/tmp/cache")
    card.describe()             # model, parameters, data, precision, ...
    card.picture("curves")      # a PNG path, drawn by zoo.visualize
    activation_grids(runtime, image)   # per block: a channel grid PNG

The pictures are drawn once, on first request, by `zoo.visualize`
(`write_curves`, `write_confusion`) into the server's own cache folder,
never into the run directory. Activations need the model's endpoints
(`with_endpoints`), which only a served run (or checkpoint) has; an export
holds the probabilities alone.
"""

import base64
import io
import pathlib
import threading
from typing import Any, Dict, List, Optional

import numpy as np

from zoo import run_serving
from zoo.serving import runtimes

#: The card's pictures, as `zoo.visualize` names them.
PICTURES = ("curves", "confusion")


class Unavailable(Exception):
  """What was asked for does not exist for this model; says why."""


def has_endpoints(runtime: runtimes.Runtime) -> bool:
  """Whether the runtime holds a model with `with_endpoints`."""
  return hasattr(getattr(runtime, "model", None), "with_endpoints")


def require_endpoints(runtime: runtimes.Runtime) -> None:
  """Raises `Unavailable`, saying why, for a runtime without endpoints."""
  if not has_endpoints(runtime):
    raise Unavailable(
        f"{runtime.description} holds no endpoints (an export keeps only "
        "the probabilities); serve the run directory to see the "
        "activations.")


def activation_grids(runtime: runtimes.Runtime, image: np.ndarray,
                     max_channels: int = 32) -> List[Dict[str, Any]]:
  """The activations of one image at each spatial endpoint, as grids.

  Args:
    runtime: A run's runtime (`has_endpoints`).
    image: uint8 `[H, W, C]`, preprocessed as the exports do.
    max_channels: Channels shown per endpoint at most.

  Returns:
    One `{"name", "shape" [h, w, c], "channels_shown", "png" (base64)}` per
    endpoint, in network order.

  Raises:
    Unavailable: For a runtime without endpoints.
  """
  require_endpoints(runtime)
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from zoo.serving import graph  # pylint: disable=g-import-not-at-top
  from zoo.visualize import activations  # pylint: disable=g-import-not-at-top
  from zoo.visualize import images as image_lib  # pylint: disable=g-import-not-at-top
  inputs = graph.preprocess(tf.constant(image[np.newaxis], tf.uint8),
                            runtime.image_size, runtime.channels,
                            runtime.normalization)
  grids = []
  for name, value in activations.spatial_activations(
      runtime.model, inputs.numpy()).items():
    grid = image_lib.to_rgb(image_lib.channel_grid(
        value[0], max_channels=max_channels))
    buffer = io.BytesIO()
    grid.save(buffer, format="PNG")
    grids.append({
        "name": name,
        "shape": [int(s) for s in value.shape[1:]],
        "channels_shown": min(int(value.shape[-1]), max_channels),
        "png": base64.b64encode(buffer.getvalue()).decode("ascii"),
    })
  return grids


class RunCard:
  """A served model's card and its pictures (drawn once, then cached)."""

  def __init__(self, runtime: runtimes.Runtime, cache_dir: pathlib.Path):
    self.runtime = runtime
    self.cache_dir = pathlib.Path(cache_dir)
    self._card = run_serving.model_card(runtime)
    self._run = run_serving.run_of(runtime)
    self._lock = threading.Lock()
    self._pictures: Dict[str, pathlib.Path] = {}

  def describe(self) -> Dict[str, Any]:
    """The model card plus `endpoints` and the pictures that can be drawn."""
    return dict(self._card, endpoints=has_endpoints(self.runtime),
                pictures=list(PICTURES) if self._run else [])

  def picture(self, name: str) -> pathlib.Path:
    """The path of picture `name` (see `PICTURES`), drawn on first call.

    Raises:
      Unavailable: An unknown picture, or a model whose run is not on disk.
    """
    if name not in PICTURES:
      raise Unavailable(f"Unknown picture {name!r}; the card has "
                        f"{', '.join(PICTURES)}.")
    if self._run is None:
      raise Unavailable(f"{self.runtime.description} names no training run "
                        "on this machine, so there are no learning curves "
                        "or confusion matrix to draw.")
    with self._lock:
      if name not in self._pictures:
        self._pictures[name] = self._draw(name)
      return self._pictures[name]

  def _draw(self, name: str) -> pathlib.Path:
    from zoo import visualize  # pylint: disable=g-import-not-at-top
    out = self.cache_dir / name
    try:
      if name == "curves":
        paths = visualize.write_curves(self._run, out)
      else:
        model = getattr(self.runtime, "model", None)
        paths = visualize.write_confusion(
            self._run, out, model=model,
            checkpoint=self.runtime.checkpoint if model is not None
            else None)
    except Exception as e:  # pylint: disable=broad-except
      message = str(e).strip().splitlines()[0] if str(e).strip() else (
          type(e).__name__)
      raise Unavailable(f"The {name} picture cannot be drawn: {message}") \
          from None
    return pathlib.Path(paths[0])
