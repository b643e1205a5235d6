"""Softmax regression, the "MNIST for beginners" model."""

from typing import Optional, Tuple

import sonnet as snt
import tensorflow as tf

from zoo.models._registry import register_model
from zoo.blocks.head import ClassifierHead
from zoo.models.base import (Endpoints, ImageClassifier, ImageSize,
                             as_image_size, check_channels)


class SoftmaxRegression(ImageClassifier):
  """Flattens the image and applies one `Linear` layer to the class logits."""

  jit_compile_default = True

  def __init__(self,
               num_classes: int = 10,
               image_size: ImageSize = 28,
               channels: int = 1,
               zero_init: bool = False,
               name: Optional[str] = None):
    """Constructs a SoftmaxRegression model.

    Args:
      num_classes: Number of classes.
      image_size: Side or `(height, width)` of the input images.
      channels: Channels of the input images.
      zero_init: Initialise weights and biases to zero, as the beginners'
        tutorial does (a convex problem needs no symmetry breaking).
      name: Name of the module.
    """
    super().__init__(name=name)
    self.num_classes = num_classes
    self.fixed_image_size = self.default_image_size = as_image_size(
        image_size)
    self.channels = check_channels(channels)
    w_init = snt.initializers.Zeros() if zero_init else None
    self.head = ClassifierHead(num_classes, logits_w_init=w_init, name="head")

  def _forward(self, images: tf.Tensor,
               is_training: bool) -> Tuple[tf.Tensor, Endpoints]:
    features = snt.Flatten()(images)
    logits, endpoints = self.head(features, is_training)
    return logits, {"pre_logits": features, **endpoints, "logits": logits}


@register_model(reference="TensorFlow's MNIST for ML Beginners tutorial")
def softmax_regression(num_classes: int = 10,
                       image_size: ImageSize = 28,
                       channels: int = 1,
                       zero_init: bool = False) -> SoftmaxRegression:
  """Softmax regression on flattened images (MNIST: 7,850 parameters)."""
  return SoftmaxRegression(num_classes, image_size, channels, zero_init,
                           name="softmax_regression")
