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
    grid = visualize.summary_grid(images, "symmetric")  # tf.summary.image
    training.run(config, actions=visualize.training_actions(config))

Run-level functions take a `zoo.training.RunDir` or its path and write into
RUN_DIR/visualize/ (or `out`); the embedding goes under RUN_DIR/tensorboard/.
Each returns the paths it wrote and prints nothing. Those that need the
trained model restore the run's best (else latest) checkpoint unless given
`model`. The modules hold the building blocks: `images` (grids, captions),
`sampling` (class-stratified samples), `activations`, `filters`, `curves`,
`confusion`, `projector`, `histograms`, `layers` and `actions` (what a
training run writes as it goes).
"""

import os
from typing import List, Optional

from zoo.training import run_dir as run_dir_lib
from zoo.visualize.actions import training_actions
from zoo.visualize._common import as_run
from zoo.visualize._common import out_dir
from zoo.visualize._common import RunLike
from zoo.visualize.activations import write_activations
from zoo.visualize.confusion import write_confusion
from zoo.visualize.curves import write_curves
from zoo.visualize.filters import write_filters
from zoo.visualize.histograms import write_init_histograms
from zoo.visualize.images import summary_grid
from zoo.visualize.layers import write_layers
from zoo.visualize.projector import write_embeddings


def write_all(run: RunLike, num_images: int = 2,
              max_examples: Optional[int] = None,
              out: Optional[os.PathLike] = None) -> List[str]:
  """Every picture of a run, its layer table and its projector embedding.

  The trained model is restored once for every picture that needs it.

  Args:
    run: The run directory (a `RunDir` or its path).
    num_images: Evaluation images of the activation pictures.
    max_examples: Examples of the embedding (default the config's
      `visualize.embedding_examples`).
    out: Output directory (default RUN_DIR/visualize); the embedding always
      goes to RUN_DIR/tensorboard/projector.

  Returns:
    The written paths.
  """
  run = as_run(run)
  directory = out_dir(run, out)
  name = run.model_name
  model_kwargs = {key: value for key, value in
                  run_dir_lib.model_kwargs(run.config["model"]).items()
                  if key != "image_size"}
  image_size = run.image_size[0]
  _, layers_path = write_layers(name, image_size, directory, **model_kwargs)
  paths = [layers_path]
  paths += write_curves(run, directory)
  model, checkpoint = run.restore_model()
  paths += write_filters(run, directory, model=model)
  paths += write_activations(run, num_images, directory, model=model)
  paths += write_confusion(run, directory, model=model, checkpoint=checkpoint)
  paths += write_embeddings(run, model=model, max_examples=max_examples)
  paths += write_init_histograms(name, directory, image_size, **model_kwargs)
  return paths


__all__ = [
    "summary_grid", "training_actions", "write_activations", "write_all", "write_confusion",
    "write_curves", "write_embeddings", "write_filters",
    "write_init_histograms", "write_layers",
]
