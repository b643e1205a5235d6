"""A Keras-style layer table of a registered model."""

import os
import pathlib
from typing import Optional, Tuple

from zoo.datasets import safe_files
from zoo import layer_summary


def write_layers(model_name: str, image_size: Optional[int] = None,
                 out: Optional[os.PathLike] = None,
                 show_non_trainable: bool = False, **model_kwargs
                 ) -> Tuple[str, Optional[str]]:
  """The Keras-style layer table of a registered model (`zoo.layer_summary`).

  Args:
    model_name: A registered model, e.g. "xception".
    image_size: Input size, for models that take one.
    out: If given, also write layers_<model>.txt in this directory.
    show_non_trainable: Also list non-trainable variables (BatchNorm moving
      statistics).
    **model_kwargs: More constructor arguments, e.g. `num_classes`.

  Returns:
    `(text, path)`: the table, and the written path (None without `out`).
  """
  text = layer_summary.summarize(model_name, image_size, **model_kwargs
                                 ).format(show_non_trainable=show_non_trainable)
  path = None
  if out:
    directory = pathlib.Path(out)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"layers_{model_name}.txt"
    safe_files.write_text(path, text + "\n")
  return text, path and str(path)
