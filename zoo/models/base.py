"""The interface every zoo model shares."""

from typing import Any, Dict, Optional, Sequence, Tuple, Union

import sonnet as snt
import tensorflow as tf

from zoo.blocks.endpoints import Endpoints

#: How a model expects pixel values: "unit" is [0, 1], "symmetric" [-1, 1].
NORMALIZATIONS = ("unit", "symmetric")

#: What every model's `image_size` argument takes: one side or (height, width).
ImageSize = Union[int, Sequence[int]]


def as_image_size(image_size: ImageSize) -> Tuple[int, int]:
  """`image_size` as `(height, width)`: an int is a square side.

  Raises:
    ValueError: If it is neither an int nor two positive ints.
  """
  if isinstance(image_size, bool):
    raise ValueError(f"image_size must be an int or (height, width), got "
                     f"{image_size!r}.")
  if isinstance(image_size, int):
    size = (image_size, image_size)
  else:
    try:
      size = tuple(int(s) for s in image_size)
    except (TypeError, ValueError):
      size = ()
  if len(size) != 2 or min(size) < 1:
    raise ValueError(f"image_size must be an int or (height, width) of "
                     f"positive ints, got {image_size!r}.")
  return size


def check_image_size(image_size: ImageSize, min_size: int,
                     model: str) -> Tuple[int, int]:
  """`as_image_size`, refusing a side under `min_size` with `model`'s name.

  Raises:
    ValueError: If the size is malformed or too small for `model`.
  """
  size = as_image_size(image_size)
  if min(size) < min_size:
    raise ValueError(f"{model} needs inputs of at least {min_size}x"
                     f"{min_size}, got image_size={image_size}.")
  return size


def check_channels(channels: int) -> int:
  """`channels` as an int of at least 1, or a ValueError naming it."""
  if isinstance(channels, bool) or not isinstance(channels, int) or (
      channels < 1):
    raise ValueError(f"channels must be a positive int, got {channels!r}.")
  return channels


class ImageClassifier(snt.Module):
  """Base class of zoo models: images in, logits (and named activations) out.

  The model contract, for the zoo's models and a user's own:

  - The constructor takes `num_classes`, `image_size` (an int or
    `(height, width)`: the size data pipelines and exports resize to) and,
    where the model can, `channels`.
  - The class (or instance) says what the model expects: `input_normalization`
    ("unit" for [0, 1], "symmetric" for [-1, 1]), `default_image_size`,
    `channels`, `min_image_size` and, for fixed-size models,
    `fixed_image_size`; `data_config()` returns them as one dict, and every
    tool asks it instead of keeping a table per model name.
  - `_forward(images, is_training)` returns `(logits, endpoints)`: the
    `[B, num_classes]` logits (or `[B, D]` features without a top) and an
    `Endpoints` dict of named activations in network order, ending with
    `pre_logits` (what the classifier sees) and `logits`.
  - `head_attribute` names the attribute holding the classifier head, which
    fine-tuning replaces for another class count.

  A model of your own subclasses this, sets `num_classes` and
  `default_image_size` in `__init__`, writes `_forward`, and registers a
  constructor function with `zoo.register_model`; docs/your_model.md walks
  through it:

      class Tiny(zoo.ImageClassifier):
        channels = 1
        def __init__(self, num_classes=10, image_size=28, name=None):
          super().__init__(name=name)
          self.num_classes = num_classes
          self.default_image_size = zoo.models.as_image_size(image_size)
          self.head = zoo.ClassifierHead(num_classes, name="head")
        def _forward(self, images, is_training):
          features = tf.reduce_mean(images, axis=[1, 2])
          logits, endpoints = self.head(features, is_training)
          return logits, {"pre_logits": features, **endpoints,
                          "logits": logits}
  """

  input_normalization: str = "unit"
  default_image_size: Tuple[int, int] = (28, 28)
  channels: int = 1
  min_image_size: int = 1
  fixed_image_size: Optional[Tuple[int, int]] = None
  num_classes: int
  include_top: bool = True
  #: The attribute that holds the classifier head: what fine-tuning replaces
  #: when the class count changes and what `freeze_backbone` trains.
  head_attribute: str = "head"
  #: Whether the train step is faster compiled with XLA on a CPU (measured,
  #: docs/benchmark.md); the benchmark's `--jit auto` follows it.
  jit_compile_default: bool = False
  #: Keep BatchNorm in inference mode even while training (fine-tuning with
  #: small batches); dropout still follows `is_training`.
  freeze_batch_norm: bool = False

  def __call__(self, images: tf.Tensor, is_training: bool) -> tf.Tensor:
    """Classifies a batch of images.

    Args:
      images: `[B, H, W, C]` float batch, scaled as `input_normalization`.
      is_training: Training mode for BatchNorm and dropout.

    Returns:
      `[B, num_classes]` logits (or `[B, D]` features when the model was built
      with `include_top=False`).

    Raises:
      ValueError: If the rank, channel count or spatial size is wrong.
    """
    return self.with_endpoints(images, is_training)[0]

  def with_endpoints(self, images: tf.Tensor,
                     is_training: bool) -> Tuple[tf.Tensor, Endpoints]:
    """Like `__call__`, and also returns named intermediate activations.

    The endpoints are the outputs of each ConvPool or Xception block/flow,
    `pre_logits` (the features the head sees), each hidden head layer and
    `logits`. They need no hooks, for visualisation and embeddings.

    Args:
      images: As in `__call__`.
      is_training: As in `__call__`.

    Returns:
      `(outputs, endpoints)` where `outputs` is what `__call__` returns and
      `endpoints` maps names to tensors, in network order.
    """
    images = tf.convert_to_tensor(images)
    self._check_images(images)
    return self._forward(images, is_training)

  def _forward(self, images: tf.Tensor,
               is_training: bool) -> Tuple[tf.Tensor, Endpoints]:
    """The network itself; every model implements it.

    Called by `__call__` and `with_endpoints` after the input shape was
    checked.

    Args:
      images: `[B, H, W, channels]` float batch, scaled as
        `input_normalization`.
      is_training: Pass it on to every BatchNorm, Dropout and head.

    Returns:
      `(outputs, endpoints)`: `[B, num_classes]` logits (or `[B, D]`
      features when built without a top) and a dict of named activations in
      network order, ending with `pre_logits` and, with a top, `logits`.
    """
    raise NotImplementedError

  def _classify(self, features: tf.Tensor, endpoints: Endpoints,
                is_training: bool) -> Tuple[tf.Tensor, Endpoints]:
    """Ends a `_forward`: records `pre_logits`, then applies the head.

    Args:
      features: `[B, D]` pooled features.
      endpoints: The backbone's endpoints so far.
      is_training: Training mode of the head (dropout).

    Returns:
      `(logits, endpoints)` with the head's endpoints and `logits` added, or
      `(features, endpoints)` for a model built without a head.
    """
    endpoints["pre_logits"] = features
    head = self.classifier_head
    if head is None:
      return features, endpoints
    logits, head_endpoints = head(features, is_training)
    return logits, {**endpoints, **head_endpoints, "logits": logits}

  @property
  def classifier_head(self) -> Optional[snt.Module]:
    """The head (`head_attribute`), or None when built without one."""
    return getattr(self, self.head_attribute, None)

  def backbone(self) -> tf.Module:
    """A module tracking every part of the model but its head.

    Its attributes carry the model's own names, so
    `tf.train.Checkpoint(model=model.backbone())` reads the backbone's
    variables from a checkpoint of the whole model (fine-tuning with a new
    head).
    """
    backbone = tf.Module(name=f"{self.name}_backbone")
    for name, child in vars(self).items():
      if name == self.head_attribute or name.startswith("_"):
        continue
      if isinstance(child, tf.Module) or (
          isinstance(child, (list, tuple)) and child and
          all(isinstance(c, tf.Module) for c in child)):
        setattr(backbone, name, child)
    return backbone

  def data_config(self) -> Dict[str, Any]:
    """The input facts every tool asks of the model.

    Returns:
      `{"image_size": (H, W), "channels", "normalization", "num_classes",
      "min_image_size", "fixed_image_size"}`.
    """
    return {
        "image_size": tuple(int(s) for s in self.default_image_size),
        "channels": int(self.channels),
        "normalization": self.input_normalization,
        "num_classes": int(self.num_classes),
        "min_image_size": int(self.min_image_size),
        "fixed_image_size": (tuple(self.fixed_image_size)
                             if self.fixed_image_size else None),
    }

  def num_parameters(self, trainable_only: bool = True) -> int:
    """Counts the scalars in the model's (trainable) variables.

    The model must have been called once, since Sonnet creates weights
    lazily from the first input.
    """
    variables = self.trainable_variables if trainable_only else self.variables
    return sum(int(v.shape.num_elements()) for v in variables)

  def expected_shape(self) -> str:
    """Describes the accepted input shape, for error messages."""
    if self.fixed_image_size:
      height, width = self.fixed_image_size
      return f"[B, {height}, {width}, {self.channels}]"
    return (f"[B, H, W, {self.channels}] with H, W >= {self.min_image_size}")

  def _check_images(self, images: tf.Tensor) -> None:
    shape = images.shape
    problem = None
    if shape.rank != 4:
      problem = f"rank {shape.rank}"
    elif shape[-1] is not None and shape[-1] != self.channels:
      problem = f"{shape[-1]} channels"
    elif self.fixed_image_size and any(
        dim is not None and dim != want
        for dim, want in zip(shape[1:3], self.fixed_image_size)):
      problem = f"spatial size {shape[1]}x{shape[2]}"
    elif any(dim is not None and dim < self.min_image_size
             for dim in shape[1:3]):
      problem = f"spatial size {shape[1]}x{shape[2]}"
    if problem:
      raise ValueError(
          f"{self.name} expects images of shape {self.expected_shape()}, got "
          f"{shape.as_list() if shape.rank is not None else shape} "
          f"({problem}). Resize or convert the images first.")
