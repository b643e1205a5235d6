"""The data options' one schema, shared by `prepare`/`load` and run configs.

Importing this module does not import TensorFlow, so a config can be checked
before anything starts.

- `PREPARE_OPTIONS` decide what a dataset is: where it is read from, its
  splits and image size. `prepare(name, **options)` takes them.
- `PIPELINE_OPTIONS` decide how one split is fed: `Prepared.load(split,
  **options)` takes them.
- `AUGMENT_OPTIONS` are the keys of the `augment` pipeline option.

A run config's `data` section is `PREPARE_OPTIONS` (but `RUN_OWNED`: the
seed is the run's, the channels the model's) plus `augment` and the run's
own keys (name, batch sizes, splits).

`TFDS_PREFIX` + a TensorFlow Datasets name (`tfds:tf_flowers`) is a dataset
name too.
"""

from typing import Any, Dict

PREPARE_OPTIONS: Dict[str, Any] = {
    "data_dir": None,            # Read from here instead of cache/download.
    "image_size": None,          # int or [h, w]; default the dataset's own.
    "seed": 0,                   # Seed of carved splits, shuffle, augment.
    "validation_fraction": 0.0,  # Share of train held out as "validation".
    "split_ratio": 0.8,          # Train share when a dataset has no splits.
    "split_index": 1,            # Flowers17: which datasplits.mat split.
    "on_corrupt": "error",       # error | skip: what a bad image file does.
    "channels": None,            # 1 | 3: channels to yield; default the data's.
    # image_folder: read linked folders and files that lie outside data_dir.
    "outside_links": False,
    # Image files: what scans them, and `Dataset.arrays` reads them with:
    # tensorflow (what the tf.data pipeline decodes with) | pillow (no
    # TensorFlow imported; what evaluating an export uses).
    "decoder": "tensorflow",
}

AUGMENT_OPTIONS: Dict[str, Any] = {
    "flip_left_right": False,
    "brightness": 0.0,  # Max delta on the 0-255 scale.
    "contrast": None,   # [lower, upper] factor range.
}

PIPELINE_OPTIONS: Dict[str, Any] = {
    "normalize": "unit",         # unit ([0, 1]) | symmetric ([-1, 1]).
    "augment": None,             # A mapping with AUGMENT_OPTIONS keys.
    "shuffle": False,
    "batch_size": None,
    "drop_remainder": False,
    "repeat": False,
    "prefetch": True,
}

#: The synthetic dataset's own prepare options, with their defaults.
SYNTHETIC_OPTIONS: Dict[str, Any] = {"channels": 1, "num_classes": 10,
                                     "num_examples": 1024}

#: Prepare options a run config does not hold: the run (or the tool reading
#: the run's data) decides them.
RUN_OWNED = ("seed", "channels", "decoder")
# The registered datasets (`_registry`), besides `tfds:<name>`.
DATASET_NAMES = ("fashion_mnist", "flowers17", "image_folder", "mnist",
                 "synthetic")
ON_CORRUPT = ("error", "skip")
DECODERS = ("tensorflow", "pillow")
CHANNELS = (1, 3)
TFDS_PREFIX = "tfds:"
NORMALIZATIONS = ("unit", "symmetric")


def is_tfds_name(name: Any) -> bool:
  """Whether `name` is `tfds:<catalog name>`, a TensorFlow Datasets dataset."""
  return (isinstance(name, str) and name.startswith(TFDS_PREFIX) and
          len(name) > len(TFDS_PREFIX))
