"""Synthetic random images for throughput benchmarks.

Never a stand-in for real data: it is only used when asked for by name, and
its `info.source` says "synthetic".
"""

from typing import Any, Dict, Tuple

import numpy as np

from . import dataset_info

_DEFAULT_SIZE = (28, 28)


def prepare(name: str, options: Dict[str, Any]) -> dataset_info.Prepared:
  """Builds seeded random uint8 images and labels held in memory.

  Options beyond the common ones (`options.SYNTHETIC_OPTIONS`): `channels`
  (default 1), `num_classes` (10) and `num_examples` per split (1024). Use `repeat=True` for an
  endless stream.

  Args:
    name: "synthetic".
    options: the validated load/info options.

  Returns:
    A `Prepared` with identical-size train, validation and test splits.
  """
  size = dataset_info.parse_image_size(options["image_size"], _DEFAULT_SIZE)
  channels = int(options["channels"])
  num_classes = int(options["num_classes"])
  count = int(options["num_examples"])
  if channels < 1 or num_classes < 1 or count < 1:
    raise ValueError("synthetic: channels, num_classes and num_examples must "
                     "be positive.")
  split_names = dataset_info.SPLITS
  info = dataset_info.DatasetInfo(
      name=name,
      class_names=tuple(f"class_{i}" for i in range(num_classes)),
      image_shape=(size[0], size[1], channels),
      num_examples={split: count for split in split_names},
      source="synthetic: seeded random images (not real data)")

  def generate(split: str) -> Tuple[np.ndarray, np.ndarray]:
    dataset_info.check_split(name, split, split_names)
    rng = np.random.default_rng([options["seed"], split_names.index(split)])
    images = rng.integers(0, 256, (count, size[0], size[1], channels),
                          dtype=np.uint8)
    labels = rng.integers(0, num_classes, count).astype(np.int32)
    return images, labels

  def make_split(split: str):
    import tensorflow as tf  # pylint: disable=g-import-not-at-top
    return tf.data.Dataset.from_tensor_slices(generate(split)), count

  def split_arrays(split: str) -> dataset_info.SplitArrays:
    images, labels = generate(split)
    return dataset_info.SplitArrays(
        count, lambda start, stop: (images[start:stop].copy(),
                                    labels[start:stop].copy()))

  return dataset_info.Prepared(info=info, make_split=make_split,
                               split_arrays=split_arrays)
