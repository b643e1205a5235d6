#!/usr/bin/env python
"""Pictures of a model and a run: activations, filters, curves and more.

  python tools/visualize.py all RUN_DIR
  python tools/visualize.py activations RUN_DIR [--num-images 2]
  python tools/visualize.py filters RUN_DIR
  python tools/visualize.py curves RUN_DIR
  python tools/visualize.py confusion RUN_DIR
  python tools/visualize.py embeddings RUN_DIR [--max-examples 1000]
  python tools/visualize.py layers --model xception [--image-size 71]
  python tools/visualize.py init-histograms --model deep_mnist_cnn

Outputs go into RUN_DIR/visualize/ (or --out); every written path is printed.
"""

import argparse
import json
import math
import os
import pathlib
import sys
from typing import Dict, List, Optional, Sequence, Tuple

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import matplotlib  # pylint: disable=g-import-not-at-top,wrong-import-position
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top,wrong-import-position
import numpy as np  # pylint: disable=g-import-not-at-top,wrong-import-position
from PIL import Image, ImageDraw  # pylint: disable=g-import-not-at-top,wrong-import-position
import tensorflow as tf  # pylint: disable=g-import-not-at-top,wrong-import-position

import datasets  # pylint: disable=g-import-not-at-top,wrong-import-position
import zoo  # pylint: disable=g-import-not-at-top,wrong-import-position
from zoo import layer_summary  # pylint: disable=g-import-not-at-top,wrong-import-position
from zoo.training import run_dir as run_dir_lib  # pylint: disable=g-import-not-at-top,wrong-import-position

OUT_DIR = "visualize"
SPRITE_THUMB = 64
# TensorBoard's projector accepts sprites up to 8192 pixels a side.
MAX_SPRITE_EXAMPLES = (8192 // SPRITE_THUMB) ** 2
BACKGROUND = 255
LABEL_HEIGHT = 14


# --------------------------------------------------------------------------
# Image grids (Pillow)
# --------------------------------------------------------------------------

def normalize_tile(tile: np.ndarray) -> np.ndarray:
  """Scales one tile to uint8 [0, 255] by its own min and max.

  A constant tile (or one with non-finite values only) becomes mid grey, so
  dead channels and the huge activations of an untrained BatchNorm net both
  stay readable.
  """
  tile = np.asarray(tile, dtype=np.float64)
  finite = np.isfinite(tile)
  if not finite.any():
    return np.full(tile.shape, 128, np.uint8)
  low, high = tile[finite].min(), tile[finite].max()
  if high - low < 1e-12 * max(1.0, abs(high)):
    return np.full(tile.shape, 128, np.uint8)
  scaled = (np.where(finite, tile, low) - low) / (high - low)
  return np.round(scaled * 255).astype(np.uint8)


def grid_shape(count: int, columns: Optional[int] = None) -> Tuple[int, int]:
  """(rows, columns) of a near-square grid holding `count` tiles."""
  columns = columns or max(1, int(math.ceil(math.sqrt(count))))
  return int(math.ceil(count / columns)), columns


def tile_grid(tiles: np.ndarray, columns: Optional[int] = None,
              pad: int = 1, scale: int = 1) -> np.ndarray:
  """Lays out uint8 tiles `[N, h, w]` or `[N, h, w, 3]` in a grid.

  Each tile is enlarged `scale` times (nearest neighbour) and separated by
  `pad` white pixels; the result is `[rows*(h*scale+pad)+pad, ...]`.
  """
  tiles = np.asarray(tiles, np.uint8)
  if scale > 1:
    tiles = tiles.repeat(scale, axis=1).repeat(scale, axis=2)
  count, height, width = tiles.shape[:3]
  rows, columns = grid_shape(count, columns)
  shape = (rows * (height + pad) + pad, columns * (width + pad) + pad)
  grid = np.full(shape + tiles.shape[3:], BACKGROUND, np.uint8)
  for index in range(count):
    row, column = divmod(index, columns)
    top, left = pad + row * (height + pad), pad + column * (width + pad)
    grid[top:top + height, left:left + width] = tiles[index]
  return grid


def channel_grid(activation: np.ndarray, min_tile: int = 28,
                 max_channels: Optional[int] = None) -> np.ndarray:
  """One normalised tile per channel of an `[H, W, C]` activation."""
  activation = np.asarray(activation)
  channels = activation.shape[-1]
  if max_channels:
    channels = min(channels, max_channels)
  tiles = np.stack([normalize_tile(activation[..., c])
                    for c in range(channels)])
  scale = max(1, int(math.ceil(min_tile / max(activation.shape[:2]))))
  return tile_grid(tiles, scale=scale)


def _to_rgb(array: np.ndarray) -> Image.Image:
  array = np.asarray(array, np.uint8)
  if array.ndim == 3 and array.shape[-1] == 1:
    array = array[..., 0]
  return Image.fromarray(array).convert("RGB")


def _caption(image: Image.Image, text: str) -> Image.Image:
  out = Image.new("RGB", (max(image.width, 6 * len(text) + 4),
                          image.height + LABEL_HEIGHT), (255, 255, 255))
  ImageDraw.Draw(out).text((2, 1), text, fill=(0, 0, 0))
  out.paste(image, (0, LABEL_HEIGHT))
  return out


def side_by_side(panels: Sequence[Image.Image], gap: int = 8) -> Image.Image:
  """Joins images left to right on white, top-aligned."""
  width = sum(p.width for p in panels) + gap * (len(panels) - 1)
  height = max(p.height for p in panels)
  out = Image.new("RGB", (width, height), (255, 255, 255))
  left = 0
  for panel in panels:
    out.paste(panel, (left, 0))
    left += panel.width + gap
  return out


def image_to_uint8(image: np.ndarray, normalize: str) -> np.ndarray:
  """A model input image `[H, W, C]` back to uint8 pixels."""
  pixels = datasets.denormalize(tf.convert_to_tensor(image), normalize)
  return np.round(np.clip(pixels.numpy(), 0, 1) * 255).astype(np.uint8)


# --------------------------------------------------------------------------
# Run helpers
# --------------------------------------------------------------------------

def out_dir(run_dir: os.PathLike, out: Optional[os.PathLike] = None
            ) -> pathlib.Path:
  path = pathlib.Path(out) if out else pathlib.Path(run_dir) / OUT_DIR
  path.mkdir(parents=True, exist_ok=True)
  return path


def _built_untrained(config: dict, image_size: int):
  """A fresh model from the run's config, called once to create weights."""
  model = run_dir_lib.build_model(config)
  model(tf.zeros([1, image_size, image_size, model.channels]),
        is_training=False)
  return model


def eval_images(config: dict, options: dict, count: int
                ) -> Tuple[np.ndarray, np.ndarray]:
  """`count` evenly spaced images and labels of the evaluation split."""
  total = datasets.info(config["data"]["name"], **options).num_examples[
      config["data"]["eval_split"]]
  dataset = datasets.load(config["data"]["name"], config["data"]["eval_split"],
                          **options)
  stride = max(1, total // max(1, count))  # The split may be sorted by class.
  images, labels = next(iter(dataset.shard(stride, 0).batch(count).take(1)))
  return images.numpy(), labels.numpy()


def predict(model, config: dict, options: dict,
            max_examples: Optional[int] = None, batch_size: int = 250,
            endpoint: Optional[str] = None):
  """Runs the model over the evaluation split.

  Returns:
    `(images, labels, predictions, features)`; images are the model inputs
    (only kept when `endpoint` is given, else None) and features the chosen
    endpoint flattened (or None).
  """
  dataset = datasets.load(config["data"]["name"], config["data"]["eval_split"],
                          **options, batch_size=batch_size)
  stride = 1
  if max_examples:
    # Evenly spaced over the split, which may be sorted by class.
    total = datasets.info(config["data"]["name"], **options).num_examples[
        config["data"]["eval_split"]]
    stride = max(1, total // max_examples)
    dataset = dataset.unbatch().shard(stride, 0).take(max_examples).batch(
        batch_size)
  all_images, all_labels, all_preds, all_features = [], [], [], []
  for images, labels in dataset:
    logits, endpoints = model.with_endpoints(images, is_training=False)
    all_labels.append(labels.numpy())
    all_preds.append(np.argmax(logits.numpy(), axis=-1))
    if endpoint:
      features = endpoints[endpoint].numpy()
      all_features.append(features.reshape(features.shape[0], -1))
      all_images.append(images.numpy())
  labels = np.concatenate(all_labels)
  preds = np.concatenate(all_preds)
  if endpoint:
    return (np.concatenate(all_images), labels, preds,
            np.concatenate(all_features))
  return None, labels, preds, None


def _class_names(config: dict, options: dict) -> Tuple[str, ...]:
  return tuple(datasets.info(config["data"]["name"], **options).class_names)


# --------------------------------------------------------------------------
# Activations
# --------------------------------------------------------------------------

def spatial_activations(model, images: np.ndarray) -> Dict[str, np.ndarray]:
  """The `[N, H, W, C]` endpoints (ConvPools, blocks, flows) of a batch."""
  _, endpoints = model.with_endpoints(tf.convert_to_tensor(images),
                                      is_training=False)
  return {name: value.numpy() for name, value in endpoints.items()
          if value.shape.rank == 4}


def write_activations(run_dir: os.PathLike, num_images: int = 2,
                      out: Optional[os.PathLike] = None,
                      max_channels: Optional[int] = None) -> List[pathlib.Path]:
  """One PNG per image and layer: input | untrained | trained channels."""
  trained, config, _ = run_dir_lib.restore_model(run_dir)
  options = run_dir_lib.dataset_options(config, trained)
  untrained = _built_untrained(config, options["image_size"])
  images, labels = eval_images(config, options, num_images)
  names = _class_names(config, options)
  before = spatial_activations(untrained, images)
  after = spatial_activations(trained, images)
  directory = out_dir(run_dir, out) / "activations"
  directory.mkdir(exist_ok=True)
  paths = []
  for index in range(images.shape[0]):
    pixels = image_to_uint8(images[index], options["normalize"])
    for layer, trained_value in after.items():
      trained_grid = _to_rgb(channel_grid(trained_value[index],
                                          max_channels=max_channels))
      untrained_grid = _to_rgb(channel_grid(before[layer][index],
                                            max_channels=max_channels))
      scale = max(1, trained_grid.height // pixels.shape[0])
      enlarged = _to_rgb(pixels).resize(
          (pixels.shape[1] * scale, pixels.shape[0] * scale), Image.NEAREST)
      label = names[labels[index]] if labels[index] < len(names) else ""
      picture = side_by_side([
          _caption(enlarged, f"input {index} ({label})"),
          _caption(untrained_grid, f"{layer} untrained"),
          _caption(trained_grid, f"{layer} trained"),
      ])
      path = directory / f"image{index}_{layer}.png"
      picture.save(path)
      paths.append(path)
  return paths


# --------------------------------------------------------------------------
# Filters
# --------------------------------------------------------------------------

def first_layer_kernel(model) -> tf.Variable:
  """The first convolution kernel `[kh, kw, in, out]` in network order."""
  summary = layer_summary.summarize_model(model)
  by_name = _variables_by_name(model)
  for layer in summary.layers:
    for row in layer.variables:
      if len(row.shape) == 4 and row.name in by_name:
        return by_name[row.name]
  raise ValueError(f"{model.name} has no convolution kernel.")


def _variables_by_name(model) -> Dict[str, tf.Variable]:
  """Variables keyed by their name inside the model (as the layer table)."""
  result = {}
  for variable in model.variables:
    name = variable.name[:-2] if variable.name.endswith(":0") else variable.name
    if name.startswith(model.name + "/"):
      name = name[len(model.name) + 1:]
    result[name] = variable
  return result


def filter_grid(kernel: np.ndarray, scale: int = 8) -> np.ndarray:
  """Each output filter as a tile: greyscale for 1 input channel, RGB for 3,
  else the mean over input channels."""
  kernel = np.asarray(kernel)
  tiles = []
  for out_channel in range(kernel.shape[3]):
    weights = kernel[:, :, :, out_channel]
    if weights.shape[2] == 3:
      tiles.append(normalize_tile(weights))
    else:
      tiles.append(normalize_tile(weights.mean(axis=2)))
  return tile_grid(np.stack(tiles), scale=scale, pad=2)


def write_filters(run_dir: os.PathLike, out: Optional[os.PathLike] = None
                  ) -> List[pathlib.Path]:
  """First-layer filters of the untrained and the trained model."""
  trained, config, _ = run_dir_lib.restore_model(run_dir)
  options = run_dir_lib.dataset_options(config, trained)
  untrained = _built_untrained(config, options["image_size"])
  kernel = first_layer_kernel(trained)
  scale = max(2, 40 // kernel.shape[0])
  before = _to_rgb(filter_grid(first_layer_kernel(untrained).numpy(), scale))
  after = _to_rgb(filter_grid(kernel.numpy(), scale))
  name = kernel.name.split(":")[0]
  picture = side_by_side([_caption(before, f"untrained {name}"),
                          _caption(after, "trained")], gap=16)
  path = out_dir(run_dir, out) / "filters.png"
  picture.save(path)
  return [path]


# --------------------------------------------------------------------------
# Learning curves
# --------------------------------------------------------------------------

def read_metrics(run_dir: os.PathLike) -> List[dict]:
  path = pathlib.Path(run_dir) / "metrics.jsonl"
  if not path.is_file():
    raise FileNotFoundError(f"{path} does not exist: is {run_dir} a run "
                            "directory of tools/train.py?")
  return [json.loads(line) for line in path.read_text().splitlines()
          if line.strip()]


def write_curves(run_dir: os.PathLike, out: Optional[os.PathLike] = None
                 ) -> List[pathlib.Path]:
  """Loss and accuracy per step, training and evaluation, from metrics.jsonl."""
  records = read_metrics(run_dir)
  series: Dict[str, Dict[int, dict]] = {}
  for record in records:  # A resumed run may repeat steps: keep the last.
    series.setdefault(record["split"], {})[int(record["step"])] = record
  figure, axes = plt.subplots(1, 2, figsize=(11, 4))
  for split, by_step in sorted(series.items(),
                               key=lambda kv: kv[0] != "train"):
    steps = sorted(by_step)
    style = "-" if split == "train" else "o-"
    label = "training" if split == "train" else f"evaluation ({split})"
    for axis, key in zip(axes, ("loss", "accuracy")):
      axis.plot(steps, [by_step[s][key] for s in steps], style, label=label,
                markersize=4)
  for axis, key in zip(axes, ("loss", "accuracy")):
    axis.set_xlabel("step")
    axis.set_ylabel(key)
    axis.grid(alpha=0.3)
    axis.legend()
  source = records[-1].get("data_source", "") if records else ""
  figure.suptitle(f"{pathlib.Path(run_dir).name}: {source}", fontsize=9)
  figure.tight_layout()
  path = out_dir(run_dir, out) / "curves.png"
  figure.savefig(path, dpi=100)
  plt.close(figure)
  return [path]


# --------------------------------------------------------------------------
# Confusion matrix
# --------------------------------------------------------------------------

def confusion_matrix(labels: np.ndarray, predictions: np.ndarray,
                     num_classes: int) -> np.ndarray:
  """Counts `[true, predicted]`."""
  matrix = np.zeros([num_classes, num_classes], np.int64)
  np.add.at(matrix, (np.asarray(labels), np.asarray(predictions)), 1)
  return matrix


def plot_confusion(matrix: np.ndarray, class_names: Sequence[str],
                   path: os.PathLike, title: str = "") -> None:
  size = max(5.0, 0.45 * len(class_names) + 2.5)
  figure, axis = plt.subplots(figsize=(size + 1, size))
  image = axis.imshow(matrix, cmap="Blues")
  figure.colorbar(image, ax=axis, fraction=0.046, pad=0.04)
  ticks = np.arange(len(class_names))
  axis.set_xticks(ticks)
  axis.set_xticklabels(class_names, rotation=45, ha="right")
  axis.set_yticks(ticks)
  axis.set_yticklabels(class_names)
  axis.set_xlabel("predicted")
  axis.set_ylabel("true")
  if len(class_names) <= 30:
    threshold = matrix.max() / 2 if matrix.size else 0
    for (true, pred), count in np.ndenumerate(matrix):
      axis.text(pred, true, str(count), ha="center", va="center", fontsize=7,
                color="white" if count > threshold else "black")
  axis.set_title(title, fontsize=9)
  figure.tight_layout()
  figure.savefig(path, dpi=100)
  plt.close(figure)


def write_confusion(run_dir: os.PathLike, out: Optional[os.PathLike] = None
                    ) -> List[pathlib.Path]:
  """Predictions of the trained model on the evaluation split, as a matrix."""
  model, config, ckpt = run_dir_lib.restore_model(run_dir)
  options = run_dir_lib.dataset_options(config, model)
  names = _class_names(config, options)
  _, labels, preds, _ = predict(model, config, options)
  matrix = confusion_matrix(labels, preds, len(names))
  accuracy = float(np.trace(matrix)) / max(1, matrix.sum())
  directory = out_dir(run_dir, out)
  path = directory / "confusion.png"
  plot_confusion(matrix, names, path,
                 f"{config['data']['eval_split']} split, {matrix.sum()} "
                 f"examples, accuracy {accuracy:.4f}\n{pathlib.Path(ckpt).name}")
  csv = directory / "confusion.csv"
  csv.write_text(",".join(["true\\predicted", *names]) + "\n" + "".join(
      ",".join([names[i], *map(str, row)]) + "\n"
      for i, row in enumerate(matrix)))
  return [path, csv]


# --------------------------------------------------------------------------
# Embedding projector
# --------------------------------------------------------------------------

def sprite_image(images_uint8: np.ndarray, thumb: int = SPRITE_THUMB
                 ) -> Image.Image:
  """A square sprite of `thumb`x`thumb` thumbnails, row-major, as TensorBoard
  expects (the last row padded with white)."""
  count = images_uint8.shape[0]
  side = max(1, int(math.ceil(math.sqrt(count))))
  sprite = Image.new("RGB", (side * thumb, side * thumb), (255, 255, 255))
  for index in range(count):
    thumbnail = _to_rgb(images_uint8[index]).resize((thumb, thumb),
                                                    Image.BILINEAR)
    row, column = divmod(index, side)
    sprite.paste(thumbnail, (column * thumb, row * thumb))
  return sprite


def projector_config_text(tensor_name: str, metadata: str, sprite: str,
                          thumb: int = SPRITE_THUMB,
                          checkpoint: str = "") -> str:
  """projector_config.pbtxt for one embedding (text-format protobuf)."""
  lines = []
  if checkpoint:
    lines.append(f'model_checkpoint_path: "{checkpoint}"')
  lines += ["embeddings {", f'  tensor_name: "{tensor_name}"',
            f'  metadata_path: "{metadata}"', "  sprite {",
            f'    image_path: "{sprite}"',
            f"    single_image_dim: {thumb}", f"    single_image_dim: {thumb}",
            "  }", "}"]
  return "\n".join(lines) + "\n"


EMBEDDING_TENSOR = "embedding/.ATTRIBUTES/VARIABLE_VALUE"


def write_embeddings(config: dict, run_dir: os.PathLike, model,
                     options: dict, max_examples: Optional[int] = None,
                     endpoint: str = "pre_logits",
                     out: Optional[os.PathLike] = None) -> List[pathlib.Path]:
  """Writes a TensorBoard projector embedding of the evaluation split.

  Called by tools/train.py at the end of training when
  `visualize.embeddings` is true. Files go to
  `<run_dir>/visualize/embeddings/`: the features as a checkpoint variable,
  metadata.tsv (index, label, prediction), sprite.png (64x64 thumbnails) and
  projector_config.pbtxt. View with
  `tensorboard --logdir <run_dir>/visualize/embeddings`.

  Args:
    config: The run's resolved config.
    run_dir: The run directory.
    model: The (trained) model.
    options: `datasets.load` options (data_dir, image_size, normalize, ...).
    max_examples: How many evaluation examples; default the config's
      `visualize.embedding_examples` (1000), at most 16,384 (sprite limit).
    endpoint: The endpoint used as features.
    out: The visualize directory instead of `<run_dir>/visualize`.

  Returns:
    The written paths.
  """
  if max_examples is None:
    max_examples = (config.get("visualize") or {}).get(
        "embedding_examples") or 1000
  max_examples = min(int(max_examples), MAX_SPRITE_EXAMPLES)
  images, labels, preds, features = predict(
      model, config, options, max_examples=max_examples, endpoint=endpoint)
  total = datasets.info(config["data"]["name"], **options).num_examples[
      config["data"]["eval_split"]]
  stride = max(1, total // max_examples)
  names = _class_names(config, options)
  directory = out_dir(run_dir, out) / "embeddings"
  directory.mkdir(exist_ok=True)
  for stale in directory.glob("embedding-*"):
    stale.unlink()
  checkpoint = tf.train.Checkpoint(
      embedding=tf.Variable(features.astype(np.float32), trainable=False,
                            name="embedding"))
  # The manager also writes the `checkpoint` state file (relative paths)
  # through which the projector finds the checkpoint in its log directory.
  prefix = tf.train.CheckpointManager(
      checkpoint, str(directory), max_to_keep=1,
      checkpoint_name="embedding").save()
  metadata = directory / "metadata.tsv"
  with metadata.open("w") as f:
    f.write("index\tlabel\tprediction\n")
    for index, (label, pred) in enumerate(zip(labels, preds)):
      f.write(f"{index * stride}\t{names[label]}\t{names[pred]}\n")
  pixels = np.stack([image_to_uint8(image, options["normalize"])
                     for image in images])
  sprite = directory / "sprite.png"
  sprite_image(pixels).save(sprite)
  config_path = directory / "projector_config.pbtxt"
  config_path.write_text(projector_config_text(
      EMBEDDING_TENSOR, metadata.name, sprite.name))
  paths = [config_path, pathlib.Path(prefix + ".index"), metadata, sprite]
  print(f"Embedding of {features.shape[0]} {config['data']['eval_split']} "
        f"examples ({endpoint}, {features.shape[1]} dims): tensorboard "
        f"--logdir {directory}")
  return paths


def write_run_embeddings(run_dir: os.PathLike,
                         max_examples: Optional[int] = None,
                         out: Optional[os.PathLike] = None
                         ) -> List[pathlib.Path]:
  """`write_embeddings` for a saved run's best (else latest) checkpoint."""
  model, config, _ = run_dir_lib.restore_model(run_dir)
  return write_embeddings(config, run_dir, model, run_dir_lib.dataset_options(config, model),
                          max_examples=max_examples, out=out)


# --------------------------------------------------------------------------
# Weight-initialisation histograms
# --------------------------------------------------------------------------

def init_histograms(model, path: os.PathLike, image_size=None,
                    max_variables: int = 12, bins: int = 60) -> None:
  """Histograms of a fresh model's weights (rank >= 2 variables)."""
  summary = layer_summary.summarize_model(model, image_size)
  by_name = _variables_by_name(model)
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
    std = values.std()
    for x in (values.min(), values.max()):
      axis.axvline(x, color="tab:red", linestyle="--", linewidth=0.8)
    axis.set_title(f"{name}\n{values.size:,} values, std {std:.3g}, "
                   f"range [{values.min():.3g}, {values.max():.3g}]",
                   fontsize=7)
    axis.tick_params(labelsize=7)
  more = (f" (first {len(shown)} of {len(weights)} weights)"
          if len(weights) > len(shown) else "")
  figure.suptitle(f"{model.name}: initial weights{more}", fontsize=9)
  figure.tight_layout()
  figure.savefig(path, dpi=100)
  plt.close(figure)


def write_init_histograms(model_name: str, out: os.PathLike,
                          image_size: Optional[int] = None,
                          max_variables: int = 12, **model_kwargs
                          ) -> List[pathlib.Path]:
  kwargs = dict(model_kwargs)
  if image_size and "image_size" in zoo.model_arguments(model_name):
    kwargs["image_size"] = image_size
  model = zoo.create_model(model_name, **kwargs)
  directory = pathlib.Path(out)
  directory.mkdir(parents=True, exist_ok=True)
  path = directory / f"init_histograms_{model_name}.png"
  init_histograms(model, path, image_size, max_variables)
  return [path]


def write_layers(model_name: str, image_size: Optional[int] = None,
                 out: Optional[os.PathLike] = None,
                 show_non_trainable: bool = False, **model_kwargs) -> str:
  """Prints (and with `out`, saves) the layer table; returns its text."""
  text = layer_summary.summarize(model_name, image_size, **model_kwargs
                                 ).format(show_non_trainable=show_non_trainable)
  print(text)
  if out:
    directory = pathlib.Path(out)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"layers_{model_name}.txt"
    path.write_text(text + "\n")
    print(path)
  return text


def write_all(run_dir: os.PathLike, num_images: int = 2,
              max_examples: Optional[int] = None,
              out: Optional[os.PathLike] = None) -> List[pathlib.Path]:
  """Every picture of a run."""
  config = run_dir_lib.read_config(run_dir)
  directory = out_dir(run_dir, out)
  name = config["model"]["name"]
  model_kwargs = {k: v for k, v in config["model"].items()
                  if k not in ("name", "image_size")}
  if model_kwargs.get("num_classes") is None:
    model_kwargs["num_classes"] = len(datasets.info(
        config["data"]["name"],
        data_dir=config["data"].get("data_dir")).class_names)
  image_size = config["data"].get("image_size") or config["model"].get(
      "image_size")
  write_layers(name, image_size, directory, **model_kwargs)
  paths = [directory / f"layers_{name}.txt"]
  paths += write_curves(run_dir, out)
  paths += write_filters(run_dir, out)
  paths += write_activations(run_dir, num_images, out)
  paths += write_confusion(run_dir, out)
  paths += write_run_embeddings(run_dir, max_examples, out)
  paths += write_init_histograms(name, directory, image_size,
                                 **model_kwargs)
  return paths


# --------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------

def _parse_args(argv):
  parser = argparse.ArgumentParser(
      description=__doc__.split("\n\n")[0],
      formatter_class=argparse.RawDescriptionHelpFormatter,
      epilog=__doc__.split("\n\n", 1)[1])
  commands = parser.add_subparsers(dest="command", required=True)

  def run_command(name, help_text):
    sub = commands.add_parser(name, help=help_text)
    sub.add_argument("run_dir", help="A run directory of tools/train.py.")
    sub.add_argument("--out", help="Output directory (default "
                     "RUN_DIR/visualize).")
    return sub

  sub = run_command("activations", "Per-channel activations, untrained vs "
                    "trained.")
  sub.add_argument("--num-images", type=int, default=2)
  sub.add_argument("--max-channels", type=int, default=None)
  run_command("filters", "First-layer filters.")
  run_command("curves", "Learning curves from metrics.jsonl.")
  run_command("confusion", "Confusion matrix on the evaluation split.")
  sub = run_command("embeddings", "TensorBoard projector embedding.")
  sub.add_argument("--max-examples", type=int, default=None)
  sub = run_command("all", "Every picture.")
  sub.add_argument("--num-images", type=int, default=2)
  sub.add_argument("--max-examples", type=int, default=None)
  for name, help_text in (("layers", "Layer table of a registered model."),
                          ("init-histograms",
                           "Histograms of a fresh model's weights.")):
    sub = commands.add_parser(name, help=help_text)
    sub.add_argument("--model", required=True, choices=zoo.list_models())
    sub.add_argument("--image-size", type=int, default=None)
    sub.add_argument("--num-classes", type=int, default=None)
    sub.add_argument("--out", default=None if name == "layers" else OUT_DIR,
                     help="Output directory" + (" for a .txt copy." if
                                                name == "layers" else "."))
    if name == "layers":
      sub.add_argument("--non-trainable", action="store_true",
                       help="Also list BatchNorm moving statistics.")
    else:
      sub.add_argument("--max-variables", type=int, default=12)
  return parser.parse_args(argv)


def main(argv=None) -> int:
  args = _parse_args(argv)
  try:
    if args.command == "layers":
      write_layers(args.model, args.image_size, args.out, args.non_trainable,
                   num_classes=args.num_classes)
      return 0
    if args.command == "init-histograms":
      paths = write_init_histograms(args.model, args.out, args.image_size,
                                    args.max_variables,
                                    num_classes=args.num_classes)
    elif args.command == "activations":
      paths = write_activations(args.run_dir, args.num_images, args.out,
                                args.max_channels)
    elif args.command == "filters":
      paths = write_filters(args.run_dir, args.out)
    elif args.command == "curves":
      paths = write_curves(args.run_dir, args.out)
    elif args.command == "confusion":
      paths = write_confusion(args.run_dir, args.out)
    elif args.command == "embeddings":
      paths = write_run_embeddings(args.run_dir, args.max_examples, args.out)
    else:
      paths = write_all(args.run_dir, args.num_images, args.max_examples,
                        args.out)
  except (FileNotFoundError, ValueError, datasets.DatasetError) as e:
    print(f"Error: {e}", file=sys.stderr)
    return 2
  for path in paths:
    print(path)
  return 0


if __name__ == "__main__":
  sys.exit(main())
