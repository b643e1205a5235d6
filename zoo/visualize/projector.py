"""A TensorBoard projector embedding of a run's evaluation split.

Written under the run's TensorBoard directory (`tensorboard/projector/`),
so `tensorboard --logdir RUN_DIR` shows it beside the scalars and images.
The examples are a seeded sample with every class in it. The embedded
features are, by default, what the classifier sees: the activations that
enter the logits layer (Keras' and timm's "pre-logits": the last hidden
layer of the head, or the pooled / flattened features when the head has
none), under the endpoint's own name (`hidden_0`, `pre_logits`).
"""

import math
import os
import pathlib
import re
from typing import List, Optional, Sequence

import numpy as np
from PIL import Image
import tensorflow as tf
from tensorboard.plugins import projector

from zoo.datasets import safe_files
from zoo import evaluation
from zoo.visualize import _common
from zoo.visualize import images as image_lib
from zoo.visualize import sampling

SPRITE_THUMB = 64
# TensorBoard's projector accepts sprites up to 8192 pixels a side.
MAX_SPRITE_EXAMPLES = (8192 // SPRITE_THUMB) ** 2
DEFAULT_EXAMPLES = 1000
PROJECTOR_DIR = "projector"
CHECKPOINT_NAME = "embedding"
# The checkpoint key of the variable `name` (`tf.train.Checkpoint(name=...)`).
TENSOR_NAME = "{}/.ATTRIBUTES/VARIABLE_VALUE"
METADATA_FILE = "metadata.tsv"
SPRITE_FILE = "sprite.png"
CONFIG_FILE = "projector_config.pbtxt"  # Written by visualize_embeddings.


def sprite_image(images_uint8: np.ndarray, thumb: int = SPRITE_THUMB
                 ) -> Image.Image:
  """The sprite TensorBoard's projector shows for each point.

  Args:
    images_uint8: `[N, H, W, C]` uint8 images (C 1 or 3).
    thumb: Side of each thumbnail.

  Returns:
    A square RGB image of `ceil(sqrt(N))` thumbnails a side, row-major (the
    last row padded with white).
  """
  count = images_uint8.shape[0]
  side = max(1, int(math.ceil(math.sqrt(count))))
  sprite = Image.new("RGB", (side * thumb, side * thumb), (255, 255, 255))
  for index in range(count):
    thumbnail = image_lib.to_rgb(images_uint8[index]).resize(
        (thumb, thumb), Image.BILINEAR)
    row, column = divmod(index, side)
    sprite.paste(thumbnail, (column * thumb, row * thumb))
  return sprite


def metadata_tsv(labels: Sequence[int], predictions: Sequence[int],
                 class_names: Sequence[str]) -> str:
  """The projector's metadata: a header, then `label<TAB>prediction` rows."""
  rows = ["label\tprediction"]
  rows += [f"{class_names[label]}\t{class_names[prediction]}"
           for label, prediction in zip(labels, predictions)]
  return "\n".join(rows) + "\n"


def classifier_input(model, image_shape: Sequence[int]) -> str:
  """The endpoint entering the logits layer (the one just before `logits`).

  Args:
    model: A zoo `ImageClassifier`.
    image_shape: `[H, W, C]` of its input.
  """
  _, endpoints = model.with_endpoints(tf.zeros([1, *image_shape]),
                                      is_training=False)
  names = list(endpoints)
  return names[names.index("logits") - 1] if "logits" in names[1:] else (
      names[-1])


def projector_config(endpoint: str, thumb: int = SPRITE_THUMB
                     ) -> projector.ProjectorConfig:
  """The ProjectorConfig of one embedding written by `write_embeddings`."""
  config = projector.ProjectorConfig()
  embedding = config.embeddings.add()
  embedding.tensor_name = TENSOR_NAME.format(endpoint)
  embedding.metadata_path = METADATA_FILE
  embedding.sprite.image_path = SPRITE_FILE
  embedding.sprite.single_image_dim.extend([thumb, thumb])
  return config


def write_embeddings(run: _common.RunLike, model=None,
                     max_examples: Optional[int] = None,
                     endpoint: Optional[str] = None, seed: int = 0,
                     out: Optional[os.PathLike] = None) -> List[str]:
  """Writes a projector embedding of the evaluation split's `endpoint`.

  Args:
    run: The run directory (a `RunDir` or its path).
    model: The trained model; default the run's best (else latest)
      checkpoint.
    max_examples: How many examples (default the config's
      `visualize.embedding_examples`, else 1000), at most 16,384 (the sprite
      limit): a seeded sample with every class in it, as evenly spread over
      the classes as the split allows.
    endpoint: The endpoint used as features (default the one entering the
      logits layer: `classifier_input`).
    seed: Seed of the sample.
    out: Write here instead of RUN_DIR/tensorboard/projector.

  Returns:
    The written paths: projector_config.pbtxt, the embedding checkpoint's
    index, metadata.tsv (label, prediction) and sprite.png.
  """
  run = _common.as_run(run)
  model, _ = _common.trained_model(run, model)
  if max_examples is None:
    max_examples = (run.config.get("visualize") or {}).get(
        "embedding_examples") or DEFAULT_EXAMPLES
  max_examples = min(int(max_examples), MAX_SPRITE_EXAMPLES)
  images, labels = sampling.eval_sample(run, max_examples, seed)
  endpoint = endpoint or classifier_input(model, images.shape[1:])
  batches = tf.data.Dataset.from_tensor_slices((images, labels)).batch(250)
  predicted = evaluation.predict_dataset(model, batches, endpoint=endpoint)
  directory = pathlib.Path(out) if out else run.tensorboard_dir / PROJECTOR_DIR
  directory.mkdir(parents=True, exist_ok=True)
  own = re.compile(rf"^{CHECKPOINT_NAME}-\d+\.(index|data-\d+-of-\d+)$")
  for stale in directory.glob(f"{CHECKPOINT_NAME}-*"):
    if own.match(stale.name) and not stale.is_symlink():
      stale.unlink()  # An earlier embedding's checkpoint, nothing else.
  checkpoint = tf.train.Checkpoint(**{endpoint: tf.Variable(
      predicted["features"].astype(np.float32), trainable=False,
      name=endpoint)})
  # The manager also writes the `checkpoint` state file (relative paths)
  # through which the projector finds the checkpoint.
  prefix = tf.train.CheckpointManager(
      checkpoint, str(directory), max_to_keep=1,
      checkpoint_name=CHECKPOINT_NAME).save()
  metadata = directory / METADATA_FILE
  safe_files.write_text(metadata, metadata_tsv(
      predicted["labels"], predicted["predictions"], run.class_names))
  sprite = directory / SPRITE_FILE
  safe_files.write_with(sprite, sprite_image(
      image_lib.image_to_uint8(images, run.normalization)).save)
  projector.visualize_embeddings(str(directory), projector_config(endpoint))
  # An event file makes the folder a run that TensorBoard lists.
  writer = tf.summary.create_file_writer(str(directory))
  with writer.as_default():
    tf.summary.text(CHECKPOINT_NAME, f"{len(labels)} examples of the "
                    f"{run.config['data']['eval_split']} split, {endpoint} "
                    f"({predicted['features'].shape[1]} features)",
                    step=0)
  writer.close()
  return [str(directory / CONFIG_FILE), prefix + ".index", str(metadata),
          str(sprite)]
