"""A TensorBoard projector embedding of a run's evaluation split.

Written under the run's TensorBoard directory (`tensorboard/projector/`),
so `tensorboard --logdir RUN_DIR` shows it beside the scalars and images.
The examples are a seeded sample with every class in it.
"""

import math
import os
from typing import List, Optional

import numpy as np
from PIL import Image
import tensorflow as tf
from tensorboard.plugins import projector

from zoo import evaluation
from zoo.visualize import _common
from zoo.visualize import images as image_lib

SPRITE_THUMB = 64
# TensorBoard's projector accepts sprites up to 8192 pixels a side.
MAX_SPRITE_EXAMPLES = (8192 // SPRITE_THUMB) ** 2
PROJECTOR_DIR = "projector"
EMBEDDING_TENSOR = "embedding/.ATTRIBUTES/VARIABLE_VALUE"


def sprite_image(images_uint8: np.ndarray, thumb: int = SPRITE_THUMB
                 ) -> Image.Image:
  """A square sprite of `thumb`x`thumb` thumbnails, row-major, as TensorBoard
  expects (the last row padded with white)."""
  count = images_uint8.shape[0]
  side = max(1, int(math.ceil(math.sqrt(count))))
  sprite = Image.new("RGB", (side * thumb, side * thumb), (255, 255, 255))
  for index in range(count):
    thumbnail = image_lib.to_rgb(images_uint8[index]).resize(
        (thumb, thumb), Image.BILINEAR)
    row, column = divmod(index, side)
    sprite.paste(thumbnail, (column * thumb, row * thumb))
  return sprite


def write_embeddings(run: _common.RunLike, model=None,
                     max_examples: Optional[int] = None,
                     endpoint: str = "pre_logits", seed: int = 0,
                     out: Optional[os.PathLike] = None) -> List[str]:
  """Writes the projector files of the evaluation split's `endpoint`.

  Args:
    run: The run directory.
    model: The trained model; default the run's best (else latest)
      checkpoint.
    max_examples: How many examples (default the config's
      `visualize.embedding_examples`), at most 16,384 (the sprite limit),
      spread over every class.
    endpoint: The endpoint used as features.
    seed: Seed of the sample.
    out: Write here instead of RUN_DIR/tensorboard/projector.

  Returns:
    The written paths: projector_config.pbtxt, the embedding checkpoint,
    metadata.tsv (label, prediction) and sprite.png.
  """
  run = _common.as_run(run)
  if model is None:
    model, _ = run.restore_model()
  if max_examples is None:
    max_examples = (run.config.get("visualize") or {}).get(
        "embedding_examples") or 1000
  max_examples = min(int(max_examples), MAX_SPRITE_EXAMPLES)
  images, labels = _common.eval_sample(run, max_examples, seed)
  batches = tf.data.Dataset.from_tensor_slices((images, labels)).batch(250)
  predicted = evaluation.predict_dataset(model, batches, endpoint=endpoint)
  names = run.class_names
  directory = out and os.fspath(out) or os.fspath(
      run.tensorboard_dir / PROJECTOR_DIR)
  os.makedirs(directory, exist_ok=True)
  for stale in os.listdir(directory):
    if stale.startswith("embedding-"):
      os.remove(os.path.join(directory, stale))
  checkpoint = tf.train.Checkpoint(embedding=tf.Variable(
      predicted["features"].astype(np.float32), trainable=False,
      name="embedding"))
  # The manager also writes the `checkpoint` state file (relative paths)
  # through which the projector finds the checkpoint.
  prefix = tf.train.CheckpointManager(
      checkpoint, directory, max_to_keep=1,
      checkpoint_name="embedding").save()
  metadata = os.path.join(directory, "metadata.tsv")
  with open(metadata, "w") as f:
    f.write("label\tprediction\n")
    for label, prediction in zip(predicted["labels"],
                                 predicted["predictions"]):
      f.write(f"{names[label]}\t{names[prediction]}\n")
  sprite = os.path.join(directory, "sprite.png")
  sprite_image(image_lib.image_to_uint8(images, run.normalization)).save(
      sprite)
  config = projector.ProjectorConfig()
  embedding = config.embeddings.add()
  embedding.tensor_name = EMBEDDING_TENSOR
  embedding.metadata_path = "metadata.tsv"
  embedding.sprite.image_path = "sprite.png"
  embedding.sprite.single_image_dim.extend([SPRITE_THUMB, SPRITE_THUMB])
  projector.visualize_embeddings(directory, config)
  # An event file makes the folder a run that TensorBoard lists.
  with tf.summary.create_file_writer(directory).as_default():
    tf.summary.text("embedding", f"{len(labels)} examples of the "
                    f"{run.config['data']['eval_split']} split, {endpoint}",
                    step=0)
  return [os.path.join(directory, "projector_config.pbtxt"),
          prefix + ".index", metadata, sprite]
