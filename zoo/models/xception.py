"""Xception (Chollet, 2017), faithful to Keras Applications' Xception."""

from typing import Optional, Sequence, Tuple

import tensorflow as tf

from zoo.models._registry import register_model
from zoo.blocks.flows import KERAS_BN_DECAY, KERAS_BN_EPS, EntryFlow, ExitFlow, MiddleFlow
from zoo.blocks.head import ClassifierHead
from zoo.models.base import (Endpoints, ImageClassifier, ImageSize,
                             check_channels, check_image_size)


class Xception(ImageClassifier):
  """Entry, middle and exit flows, global average pooling, then a head.

  Inputs are RGB scaled to [-1, 1], at least 71x71. With `include_top=False`
  the model returns the 2048-d pooled features instead of logits.
  """

  input_normalization = "symmetric"
  channels = 3
  min_image_size = 71

  def __init__(self,
               num_classes: int = 1000,
               include_top: bool = True,
               hidden_sizes: Sequence[int] = (),
               dropout_rate: float = 0.0,
               image_size: ImageSize = 299,
               bn_decay: float = KERAS_BN_DECAY,
               bn_eps: float = KERAS_BN_EPS,
               cross_replica_batch_norm: bool = False,
               channels: int = 3,
               name: Optional[str] = None):
    """Constructs an Xception.

    Args:
      num_classes: Number of classes of the head.
      include_top: Whether to add the head; without it the model outputs the
        pooled 2048-d features.
      hidden_sizes: Hidden layers of the head (Keras' top has none).
      dropout_rate: Dropout after each hidden layer while training.
      image_size: The input size (side or `(height, width)`) data pipelines
        and exports resize to; the network itself accepts any size of at
        least 71.
      bn_decay: BatchNorm moving-average decay (Keras' momentum, 0.99).
      bn_eps: BatchNorm epsilon (Keras' 1e-3).
      name: Name of the module.
      cross_replica_batch_norm: Use `snt.distribute.CrossReplicaBatchNorm`
        (batch statistics averaged over the replicas of a strategy).
      channels: Input channels (3 for RGB; Keras' weights need 3).

    Raises:
      ValueError: If `image_size` is under 71.
    """
    super().__init__(name=name)
    size = check_image_size(image_size, self.min_image_size, "Xception")
    self.num_classes = num_classes
    self.include_top = include_top
    self.default_image_size = size
    self.channels = check_channels(channels)
    sync = cross_replica_batch_norm
    self.entry_flow = EntryFlow(bn_decay, bn_eps, cross_replica_batch_norm=sync)
    self.middle_flow = MiddleFlow(bn_decay=bn_decay, bn_eps=bn_eps,
                                  cross_replica_batch_norm=sync)
    self.exit_flow = ExitFlow(bn_decay, bn_eps, cross_replica_batch_norm=sync)
    self.head = None
    if include_top:
      self.head = ClassifierHead(
          num_classes, hidden_sizes=hidden_sizes, dropout_rate=dropout_rate,
          name="head")

  def _forward(self, images: tf.Tensor,
               is_training: bool) -> Tuple[tf.Tensor, Endpoints]:
    endpoints = {}
    outputs = images
    bn_training = is_training and not self.freeze_batch_norm
    for flow in (self.entry_flow, self.middle_flow, self.exit_flow):
      outputs, block_endpoints = flow.with_endpoints(outputs, bn_training)
      endpoints.update(block_endpoints)
      endpoints[flow.name] = outputs
    return self._classify(tf.reduce_mean(outputs, axis=[1, 2]), endpoints,
                          is_training)


@register_model(reference="keras.applications.Xception; timm legacy_xception")
def xception(num_classes: int = 1000,
             include_top: bool = True,
             hidden_sizes: Sequence[int] = (),
             dropout_rate: float = 0.0,
             image_size: ImageSize = 299,
             bn_decay: float = KERAS_BN_DECAY,
             bn_eps: float = KERAS_BN_EPS,
             cross_replica_batch_norm: bool = False,
             channels: int = 3) -> Xception:
  """Xception: 22,855,952 trainable parameters with the 1000-class top.

  The Flowers17 experiment is `xception(num_classes=17, image_size=149,
  hidden_sizes=(256,), dropout_rate=0.5)`.
  """
  return Xception(num_classes, include_top, hidden_sizes, dropout_rate,
                  image_size, bn_decay, bn_eps, name="xception",
                  cross_replica_batch_norm=cross_replica_batch_norm,
                  channels=channels)
