"""Histograms of a freshly initialised model's weights."""

import math
import os
import pathlib
from typing import List, Optional

from zoo.datasets import safe_files
from zoo.models import _registry
from zoo import layer_summary
from zoo.visualize._plotting import pyplot as plt
from zoo.visualize.filters import variables_by_name


def init_histograms(model, path: os.PathLike, image_size=None,
                    max_variables: int = 12, bins: int = 60) -> None:
  """Draws histograms of a model's trainable weights (rank >= 2) as a PNG.

  Args:
    model: A zoo model (its variables are created here if needed).
    path: Where to save the picture.
    image_size: Input size used to build the model (default the model's).
    max_variables: Draw at most the first this many weights, network order.
    bins: Histogram bins.
  """
  summary = layer_summary.summarize_model(model, image_size)
  by_name = variables_by_name(model)
  weights = []
  for layer in summary.layers:
    for row in layer.variables:
      variable = by_name.get(row.name)
      if variable is not None and row.trainable and len(row.shape) >= 2:
        weights.append((row.name, variable.numpy().ravel()))
  shown = weights[:max_variables]
  columns = min(4, len(shown))
  rows = int(math.ceil(len(shown) / columns))
  figure, axes = plt.subplots(rows, columns, figsize=(3.6 * columns,
                                                      2.8 * rows),
                              squeeze=False)
  for axis in axes.ravel()[len(shown):]:
    axis.axis("off")
  for axis, (name, values) in zip(axes.ravel(), shown):
    axis.hist(values, bins=bins, color="tab:blue")
    for x in (values.min(), values.max()):
      axis.axvline(x, color="tab:red", linestyle="--", linewidth=0.8)
    axis.set_title(f"{name}\n{values.size:,} values, std {values.std():.3g}, "
                   f"range [{values.min():.3g}, {values.max():.3g}]",
                   fontsize=7)
    axis.tick_params(labelsize=7)
  more = (f" (first {len(shown)} of {len(weights)} weights)"
          if len(weights) > len(shown) else "")
  figure.suptitle(f"{model.name}: initial weights{more}", fontsize=9)
  figure.tight_layout()
  safe_files.write_with(path, lambda p: figure.savefig(p, dpi=100))
  plt.close(figure)


def write_init_histograms(model_name: str, out: os.PathLike,
                          image_size: Optional[int] = None,
                          max_variables: int = 12, **model_kwargs
                          ) -> List[str]:
  """init_histograms_<model>.png of a freshly built registered model.

  Args:
    model_name: A registered model, e.g. "deep_mnist_cnn".
    out: Output directory.
    image_size: Input size, for models that take one.
    max_variables: Draw at most the first this many weights.
    **model_kwargs: More constructor arguments, e.g. `num_classes`.

  Returns:
    The written path, in a list.
  """
  kwargs = dict(model_kwargs)
  if image_size and "image_size" in _registry.model_arguments(model_name):
    kwargs["image_size"] = image_size
  model = _registry.create_model(model_name, **kwargs)
  directory = pathlib.Path(out)
  directory.mkdir(parents=True, exist_ok=True)
  path = directory / f"init_histograms_{model_name}.png"
  init_histograms(model, path, image_size, max_variables)
  return [str(path)]
