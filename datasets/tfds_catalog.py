"""`tfds:<name>`: image classification data of the TensorFlow Datasets catalog.

    flowers = datasets.prepare("tfds:oxford_flowers102", image_size=149)
    train = flowers.load("train", batch_size=32, shuffle=True)
    head = flowers.load("train[:80%]")      # TFDS split slicing

Needs the `tfds` extra (`pip install "snt-zoo[tfds]"`). The data is read
from `data_dir` (default TFDS' own: `$TFDS_DATA_DIR` or
`~/tensorflow_datasets`) and never downloaded during a run: a dataset that
is not prepared there fails at once with the command that prepares it.

The image feature is `image` when the dataset has one, else its only Image
feature; the label is `label`, else its only ClassLabel. Class names come
from the label's names. Split names are TFDS split specs, slicing included
(`train[:80%]`, `train[80%:]`, `test[:1000]`). Images that vary in size are
resized before caching (`image_files.resize`); fixed-size images are
resized, if at all, in the shared tail (`_pipeline.finish`), like MNIST.
"""

from typing import Any, Dict, Optional, Tuple

import tensorflow as tf

from . import dataset_info
from . import image_files
from .errors import DatasetError
from .errors import SplitError
from .options import TFDS_PREFIX
from zoo import suggest

DEFAULT_IMAGE_SIZE = 224


def catalog_name(name: str) -> str:
  """`tfds:mnist` -> `mnist`."""
  return name[len(TFDS_PREFIX):]


def _import_tfds():
  try:
    import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top
  except ImportError as e:
    from zoo import install  # pylint: disable=g-import-not-at-top
    raise DatasetError(
        "tfds:<name> datasets need TensorFlow Datasets: "
        f"{install.pip_install('tfds')} (or pip install "
        "tensorflow-datasets).") from e
  return tfds


def prepare_command(catalog: str, data_dir: Optional[str]) -> str:
  """The shell command that downloads and prepares a TFDS dataset."""
  where = f", data_dir={data_dir!r}" if data_dir else ""
  return (f"python -c \"import tensorflow_datasets as tfds; "
          f"tfds.builder({catalog!r}{where}).download_and_prepare()\"")


def _builder(tfds, name: str, data_dir: Optional[str]):
  catalog = catalog_name(name)
  if not catalog:
    raise DatasetError(f"{name!r} names no dataset: use tfds:<name>, e.g. "
                       "tfds:tf_flowers.")
  try:
    return tfds.builder(catalog, data_dir=data_dir)
  except tfds.core.registered.DatasetNotFoundError:
    known = tfds.list_builders()
    hint = suggest.did_you_mean(catalog, known, prefix=TFDS_PREFIX, count=3)
    raise DatasetError(
        f"{name}: TensorFlow Datasets has no dataset {catalog!r}.{hint} "
        "tfds.list_builders() lists them all.") from None


def _feature_keys(features, name: str) -> Tuple[str, str]:
  """The image and label keys of a TFDS features dict."""
  tfds = _import_tfds()
  images = [k for k, f in features.items()
            if isinstance(f, tfds.features.Image)]
  labels = [k for k, f in features.items()
            if isinstance(f, tfds.features.ClassLabel)]
  image_key = "image" if "image" in images else (
      images[0] if len(images) == 1 else None)
  label_key = "label" if "label" in labels else (
      labels[0] if len(labels) == 1 else None)
  if image_key is None or label_key is None:
    raise DatasetError(
        f"{name} is not an image classification dataset snt-zoo can read: "
        f"it needs one Image feature (has {images or 'none'}) and one "
        f"ClassLabel (has {labels or 'none'}).")
  return image_key, label_key


def _check_prepared(builder, name: str, data_dir: Optional[str]) -> None:
  """Fails fast, naming the command, when the data is not on disk."""
  probe = next(iter(builder.info.splits), "train")
  try:
    builder.as_dataset(split=probe, shuffle_files=False)
  except AssertionError:
    catalog = catalog_name(name)
    flag = f" --data_dir={data_dir}" if data_dir else ""
    raise DatasetError(
        f"{name}: not prepared in {builder.data_dir} (runs never download "
        f"TFDS data). Prepare it once where there is a connection: "
        f"{prepare_command(catalog, data_dir)} (or: tfds build {catalog}"
        f"{flag}), then run again.") from None


def prepare(name: str, options: Dict[str, Any]) -> dataset_info.Prepared:
  """Opens a prepared TFDS dataset for `datasets.load`.

  Args:
    name: "tfds:<catalog name>".
    options: the validated load/info options (`data_dir`, `image_size`;
      splits are TFDS split specs, so `validation_fraction` must be 0).

  Returns:
    A `Prepared` reading the TFDS files.

  Raises:
    DatasetError: TFDS is not installed, the name is unknown, or the data
      is not prepared.
  """
  tfds = _import_tfds()
  data_dir = options["data_dir"]
  if data_dir is not None:
    data_dir = str(data_dir)
  builder = _builder(tfds, name, data_dir)
  features = builder.info.features
  image_key, label_key = _feature_keys(features, name)
  shape = tuple(features[image_key].shape)
  channels = shape[-1]
  if channels not in (1, 3):
    raise DatasetError(f"{name}: images with {channels} channels are not "
                       "supported (1 or 3).")
  native = tuple(shape[:2]) if None not in shape[:2] else None
  size = dataset_info.parse_image_size(
      options["image_size"], native or (DEFAULT_IMAGE_SIZE,
                                        DEFAULT_IMAGE_SIZE))
  if options["validation_fraction"]:
    raise SplitError(
        f"{name}: validation_fraction does not apply to TFDS data; slice a "
        "split instead, e.g. data.train_split='train[:90%]' "
        "data.eval_split='train[90%:]'.")
  _check_prepared(builder, name, data_dir)
  info = dataset_info.DatasetInfo(
      name=name,
      class_names=tuple(features[label_key].names),
      image_shape=(size[0], size[1], channels),
      num_examples={split: int(split_info.num_examples)
                    for split, split_info in builder.info.splits.items()},
      source=f"TensorFlow Datasets {builder.info.full_name} in "
             f"{builder.data_dir}")
  resize_each = native is None

  def to_pair(example):
    image = example[image_key]
    if resize_each:
      image = image_files.resize(image, size)
    return image, tf.cast(example[label_key], tf.int32)

  def make_split(split: str) -> Tuple[tf.data.Dataset, int]:
    try:
      dataset = builder.as_dataset(split=split, shuffle_files=False)
    except (ValueError, KeyError) as e:
      lines = [line.strip() for line in str(e).strip("'\" ").splitlines()
               if line.strip()]
      reason = lines[-1] if lines else type(e).__name__
      raise SplitError(f"{name}: bad split {split!r} ({reason}). Splits: "
                       f"{sorted(info.num_examples) or 'see the catalog'}; "
                       "slices such as 'train[:80%]' work too.") from None
    count = int(dataset.cardinality())
    if count < 0:
      count = int(builder.info.splits[split].num_examples)
    if count == 0:
      raise SplitError(f"{name}: split {split!r} has no examples. Splits: "
                       f"{info.num_examples}; widen the slice.")
    dataset = dataset.map(to_pair, num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.cache(), count

  resize_to = size if native is not None and size != native else None
  return dataset_info.Prepared(info=info, make_split=make_split,
                               resize_to=resize_to)
