"""Pictures of a model and a run, as library calls.

    from zoo import visualize
    visualize.write_all("runs/deep_mnist-...")    # every picture below
    visualize.write_activations(run_dir, num_images=2)
    visualize.write_filters(run_dir)
    visualize.write_curves(run_dir)
    visualize.write_confusion(run_dir)
    visualize.write_embeddings(run_dir)           # TensorBoard projector
    visualize.write_init_histograms("xception", "/tmp/out")
    text, _ = visualize.write_layers("deep_mnist_cnn")

Run-level functions take a `zoo.training.RunDir` or its path and write into
RUN_DIR/visualize/ (or `out`); each returns the paths it wrote.
"""

import os
from typing import List, Optional

from zoo.visualize._common import as_run
from zoo.visualize._common import out_dir
from zoo.visualize.activations import write_activations
from zoo.visualize.confusion import write_confusion
from zoo.visualize.curves import write_curves
from zoo.visualize.filters import write_filters
from zoo.visualize.histograms import write_init_histograms
from zoo.visualize.images import summary_grid
from zoo.visualize.layers import write_layers
from zoo.visualize.projector import write_embeddings


def write_all(run, num_images: int = 2, max_examples: Optional[int] = None,
              out: Optional[os.PathLike] = None) -> List[str]:
  """Every picture of a run, and its layer table."""
  run = as_run(run)
  directory = out_dir(run, out)
  config = run.config
  name = config["model"]["name"]
  model_kwargs = {k: v for k, v in config["model"].items()
                  if k not in ("name", "image_size")}
  image_size = run.image_size[0]
  _, layers_path = write_layers(name, image_size, directory, **model_kwargs)
  paths = [layers_path]
  paths += write_curves(run, out)
  paths += write_filters(run, out)
  paths += write_activations(run, num_images, out)
  paths += write_confusion(run, out)
  paths += write_embeddings(run, max_examples=max_examples)
  paths += write_init_histograms(name, directory, image_size, **model_kwargs)
  return paths


__all__ = [
    "summary_grid", "write_activations", "write_all", "write_confusion",
    "write_curves", "write_embeddings", "write_filters",
    "write_init_histograms", "write_layers",
]
