"""The pictures a training run writes as it goes, as run actions.

    training.run(config, actions=visualize.training_actions(config))

`InputGridAction` writes a grid of the first augmented training batch to
TensorBoard; `EmbeddingAction` writes the projector embedding when the run
ends. `training_actions(config)` is what `snt-zoo train` passes: the grid
always, the embedding when `visualize.embeddings` is true, and when it is
null (the default) for runs whose embedding is cheap: images of at most
`CHEAP_EMBEDDING_PIXELS` (the MNIST-sized configs).
"""

from typing import Any, Dict, List

import tensorflow as tf

from zoo.training.actions import RunAction
from zoo.visualize import images as image_lib
from zoo.visualize import projector


class InputGridAction(RunAction):
  """TensorBoard image `augmented_inputs`: the first batch the model sees."""

  def on_first_batch(self, run, images) -> None:
    if not run.is_chief or run.strategy.num_replicas_in_sync > 1:
      return
    with run.summary_writer("train").as_default(step=run.step):
      tf.summary.image("augmented_inputs",
                       image_lib.summary_grid(images, run.normalization))


#: Images up to this many pixels (32x32) make an embedding cheap enough to
#: write by default.
CHEAP_EMBEDDING_PIXELS = 32 * 32


class EmbeddingAction(RunAction):
  """The TensorBoard projector embedding of the trained model, at the end."""

  config_keys = ("visualize.embeddings",)

  def __init__(self, max_examples: int = projector.DEFAULT_EXAMPLES,
               only_if_cheap: bool = False):
    self.max_examples = max_examples
    self.only_if_cheap = only_if_cheap

  def on_finish(self, run, result) -> None:
    height, width = run.image_size
    if self.only_if_cheap and height * width > CHEAP_EMBEDDING_PIXELS:
      return
    if run.is_chief:
      projector.write_embeddings(run.run_dir, model=run.model,
                                 max_examples=self.max_examples)


def training_actions(config: Dict[str, Any]) -> List[RunAction]:
  """The actions a config asks for (its `visualize` section)."""
  actions: List[RunAction] = [InputGridAction()]
  settings = config.get("visualize") or {}
  if settings.get("embeddings") is not False:
    actions.append(EmbeddingAction(
        settings.get("embedding_examples") or projector.DEFAULT_EXAMPLES,
        only_if_cheap=settings.get("embeddings") is None))
  return actions
