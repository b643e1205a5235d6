"""Softmax regression, the "MNIST for beginners" model."""

from typing import Optional, Sequence, Tuple

import sonnet as snt
import tensorflow as tf

from zoo._registry import register_model
from zoo.head import ClassifierHead
from zoo.models.base import Endpoints, ImageClassifier


class SoftmaxRegression(ImageClassifier):
  """Flattens the image and applies one `Linear` layer to the class logits."""

  def __init__(self,
               num_classes: int = 10,
               image_shape: Sequence[int] = (28, 28, 1),
               zero_init: bool = False,
               name: Optional[str] = None):
    """Constructs a SoftmaxRegression model.

    Args:
      num_classes: Number of classes.
      image_shape: `(H, W, C)` of the input images.
      zero_init: Initialise weights and biases to zero, as the beginners'
        tutorial does (a convex problem needs no symmetry breaking).
      name: Name of the module.
    """
    super().__init__(name=name)
    self.num_classes = num_classes
    self.fixed_image_size = self.default_image_size = tuple(image_shape[:2])
    self.channels = image_shape[2]
    w_init = snt.initializers.Zeros() if zero_init else None
    self.head = ClassifierHead(num_classes, logits_w_init=w_init, name="head")

  def _forward(self, images: tf.Tensor,
               is_training: bool) -> Tuple[tf.Tensor, Endpoints]:
    features = snt.Flatten()(images)
    logits, endpoints = self.head(features, is_training)
    return logits, {"pre_logits": features, **endpoints, "logits": logits}


@register_model
def softmax_regression(num_classes: int = 10,
                       image_shape: Sequence[int] = (28, 28, 1),
                       zero_init: bool = False) -> SoftmaxRegression:
  """Softmax regression on flattened images (MNIST: 7,850 parameters)."""
  return SoftmaxRegression(num_classes, image_shape, zero_init,
                           name="softmax_regression")
