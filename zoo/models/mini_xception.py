"""mini-Xception (Arriaga et al., 2017), the emotion and gender classifier.

"Real-time Convolutional Neural Networks for Emotion and Gender
Classification": two 3x3 convs of 8 filters, four residual modules of
separable convs (Xception's `DownsamplingBlock`, 16 to 128 channels), then a
3x3 conv to the class count and global average pooling: no dense layer,
about 60k parameters for 48x48 grey faces.
"""

from typing import Optional, Sequence, Tuple

import tensorflow as tf

from zoo.blocks.conv_pool import ConvPool
from zoo.blocks.flows import (KERAS_BN_DECAY, KERAS_BN_EPS, DownsamplingBlock,
                              DownsamplingBlockSpec, batch_norm)
from zoo.models._registry import register_model
from zoo.models.base import (Endpoints, ImageClassifier, ImageSize,
                             check_channels, check_image_size)

#: Channels of the four residual modules.
MODULE_CHANNELS = (16, 32, 64, 128)


class MiniXception(ImageClassifier):
  """Conv stem, residual separable modules, a conv head and average pooling.

  The head (`head`, a 3x3 conv with bias) gives one map per class, averaged
  into the logits.
  """

  input_normalization = "unit"
  default_image_size = (48, 48)
  channels = 1
  min_image_size = 5

  def __init__(self,
               num_classes: int = 7,
               image_size: ImageSize = 48,
               channels: int = 1,
               stem_channels: int = 8,
               module_channels: Sequence[int] = MODULE_CHANNELS,
               bn_decay: float = KERAS_BN_DECAY,
               bn_eps: float = KERAS_BN_EPS,
               cross_replica_batch_norm: bool = False,
               name: Optional[str] = None):
    """Constructs a mini-Xception.

    Args:
      num_classes: Number of classes (7 emotions in FER-2013).
      image_size: The input size data pipelines and exports resize to; the
        network accepts any size of at least 5.
      channels: Input channels (1: grey).
      stem_channels: Filters of the two stem convs.
      module_channels: Channels of each residual module.
      bn_decay: BatchNorm moving-average decay (Keras' 0.99).
      bn_eps: BatchNorm epsilon (Keras' 1e-3).
      cross_replica_batch_norm: Synchronise BatchNorm statistics across the
        replicas of a `tf.distribute` strategy.
      name: Name of the module.

    Raises:
      ValueError: If a size is not positive.
    """
    super().__init__(name=name)
    size = check_image_size(image_size, self.min_image_size, "mini-Xception")
    self.num_classes = num_classes
    self.default_image_size = size
    self.channels = check_channels(channels)
    sync = cross_replica_batch_norm
    self.stem = [
        ConvPool(stem_channels, 3, padding="VALID", pool_size=None,
                 normalization=lambda n: batch_norm(n, bn_decay, bn_eps, sync),
                 name=f"conv{i}")
        for i in (1, 2)
    ]
    self.blocks = [
        DownsamplingBlock(
            DownsamplingBlockSpec(f"module{i}", (width, width),
                                  leading_relu=False),
            bn_decay, bn_eps, sync)
        for i, width in enumerate(module_channels, start=1)
    ]
    self.head = ConvPool(num_classes, 3, pool_size=None,
                         activation=tf.identity, name="head")

  def _forward(self, images: tf.Tensor,
               is_training: bool) -> Tuple[tf.Tensor, Endpoints]:
    bn_training = is_training and not self.freeze_batch_norm
    outputs = images
    endpoints = {}
    for conv in self.stem:
      outputs = conv(outputs, bn_training)
      endpoints[conv.name] = outputs
    for module in self.blocks:
      outputs = module(outputs, bn_training)
      endpoints[module.name] = outputs
    endpoints["pre_logits"] = outputs
    logits = tf.reduce_mean(self.head(outputs), axis=[1, 2])
    endpoints["logits"] = logits
    return logits, endpoints


@register_model(reference="Arriaga et al. 2017 (Keras build in tests)")
def mini_xception(num_classes: int = 7,
                  image_size: ImageSize = 48,
                  channels: int = 1,
                  bn_decay: float = KERAS_BN_DECAY,
                  bn_eps: float = KERAS_BN_EPS,
                  cross_replica_batch_norm: bool = False) -> MiniXception:
  """mini-Xception: 56,951 trainable parameters for 7 classes."""
  return MiniXception(num_classes, image_size, channels,
                      bn_decay=bn_decay, bn_eps=bn_eps,
                      cross_replica_batch_norm=cross_replica_batch_norm,
                      name="mini_xception")
