"""The interface every zoo model shares."""

from typing import Dict, Optional, Tuple

import sonnet as snt
import tensorflow as tf

Endpoints = Dict[str, tf.Tensor]

#: How a model expects pixel values: "unit" is [0, 1], "symmetric" [-1, 1].
NORMALIZATIONS = ("unit", "symmetric")


class ImageClassifier(snt.Module):
  """Base class of zoo models: images in, logits (and named activations) out.

  Subclasses set `input_normalization`, `default_image_size`, `channels`,
  `min_image_size` and, for fixed-size models, `fixed_image_size`, and
  implement `_forward`.
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
    raise NotImplementedError

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
