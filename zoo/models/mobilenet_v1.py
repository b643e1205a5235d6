"""MobileNet V1 (Howard et al., 2017), faithful to Keras Applications' MobileNet.

A strided 3x3 conv, then 13 depthwise-separable blocks (depthwise conv, BN,
ReLU6, pointwise conv, BN, ReLU6) as data: one-block `SeparableBlockSpec`s
in a `SeparableFlow`. Module names follow Keras' layers (`block3` holds
`conv_dw_3` and `conv_pw_3`), so `zoo.keras_port` maps its weights.
"""

from typing import List, Optional, Sequence, Tuple

import sonnet as snt
import tensorflow as tf

from zoo.blocks.conv_pool import ConvPool
from zoo.blocks.flows import (KERAS_BN_DECAY, KERAS_BN_EPS, SeparableBlockSpec,
                              SeparableFlow, batch_norm)
from zoo.blocks.head import ClassifierHead
from zoo.models._registry import register_model
from zoo.models.base import (Endpoints, ImageClassifier, ImageSize,
                             check_channels, check_image_size)

#: The widths Keras publishes ImageNet weights for.
PUBLISHED_ALPHAS = (0.25, 0.5, 0.75, 1.0)

# (pointwise channels, stride) of blocks 1-13, before the width multiplier.
BLOCKS = ((64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
          (512, 1), (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2),
          (1024, 1))


def keras_strided_padding(effective_kernel_size: int) -> List[int]:
  """Keras' MobileNet pads a strided depthwise conv by one at the end only."""
  return [0, (effective_kernel_size - 1) // 2]


def block_specs(alpha: float,
                depth_multiplier: int) -> Tuple[SeparableBlockSpec, ...]:
  """The 13 separable blocks of a MobileNet of width `alpha`."""
  return tuple(
      SeparableBlockSpec(
          f"block{i}", (int(channels * alpha),), stride=stride,
          shortcut="none", leading_relu=False, depthwise_bn=True,
          padding="SAME" if stride == 1 else keras_strided_padding,
          channel_multiplier=depth_multiplier, activation=tf.nn.relu6)
      for i, (channels, stride) in enumerate(BLOCKS, start=1))


class MobileNetV1(ImageClassifier):
  """Conv, 13 separable blocks, average pooling, then a dropout + logits head.

  Inputs are RGB scaled to [-1, 1], at least 32x32. With `include_top=False`
  the model returns the pooled features (1024 * alpha).
  """

  input_normalization = "symmetric"
  default_image_size = (224, 224)
  channels = 3
  min_image_size = 32

  def __init__(self,
               num_classes: int = 1000,
               include_top: bool = True,
               alpha: float = 1.0,
               depth_multiplier: int = 1,
               dropout: float = 1e-3,
               hidden_sizes: Sequence[int] = (),
               image_size: ImageSize = 224,
               channels: int = 3,
               bn_decay: float = KERAS_BN_DECAY,
               bn_eps: float = KERAS_BN_EPS,
               cross_replica_batch_norm: bool = False,
               name: Optional[str] = None):
    """Constructs a MobileNet V1.

    Args:
      num_classes: Number of classes of the head.
      include_top: Whether to add the head.
      alpha: Width multiplier of every layer (Keras publishes weights for
        0.25, 0.5, 0.75 and 1.0).
      depth_multiplier: Depthwise filters per channel (resolution multiplier
        in the paper's terms is the image size).
      dropout: Dropout rate on the pooled features while training (Keras'
        1e-3).
      hidden_sizes: Hidden layers of the head (Keras' has none).
      image_size: The input size data pipelines and exports resize to; the
        network accepts any size of at least 32.
      channels: Input channels (3 for RGB; Keras' weights need 3).
      bn_decay: BatchNorm moving-average decay (Keras' 0.99).
      bn_eps: BatchNorm epsilon (Keras' 1e-3).
      cross_replica_batch_norm: Synchronise BatchNorm statistics across the
        replicas of a `tf.distribute` strategy.
      name: Name of the module.

    Raises:
      ValueError: If `alpha` or `depth_multiplier` is not positive, or the
        image size is under 32.
    """
    super().__init__(name=name)
    if alpha <= 0 or depth_multiplier < 1:
      raise ValueError(f"alpha and depth_multiplier must be positive, got "
                       f"alpha={alpha}, depth_multiplier={depth_multiplier}.")
    size = check_image_size(image_size, self.min_image_size, "MobileNet")
    self.num_classes = num_classes
    self.include_top = include_top
    self.alpha = float(alpha)
    self.depth_multiplier = int(depth_multiplier)
    self.default_image_size = size
    self.channels = check_channels(channels)
    sync = cross_replica_batch_norm
    self.conv1 = ConvPool(
        int(32 * alpha), 3, stride=2, pool_size=None, activation=tf.nn.relu6,
        normalization=lambda name: batch_norm(name, bn_decay, bn_eps, sync),
        name="conv1")
    self.blocks = SeparableFlow(block_specs(alpha, depth_multiplier),
                                bn_decay, bn_eps, sync, name="blocks")
    self.head = None
    if include_top:
      self.head = ClassifierHead(num_classes, hidden_sizes=hidden_sizes,
                                 input_dropout_rate=dropout, name="head")

  def _forward(self, images: tf.Tensor,
               is_training: bool) -> Tuple[tf.Tensor, Endpoints]:
    bn_training = is_training and not self.freeze_batch_norm
    outputs = self.conv1(images, bn_training)
    endpoints = {"conv1": outputs}
    outputs, block_endpoints = self.blocks.with_endpoints(outputs, bn_training)
    endpoints.update(block_endpoints)
    return self._classify(tf.reduce_mean(outputs, axis=[1, 2]), endpoints,
                          is_training)


@register_model(reference="keras.applications.MobileNet")
def mobilenet_v1(num_classes: int = 1000,
                 include_top: bool = True,
                 alpha: float = 1.0,
                 depth_multiplier: int = 1,
                 dropout: float = 1e-3,
                 hidden_sizes: Sequence[int] = (),
                 image_size: ImageSize = 224,
                 channels: int = 3,
                 bn_decay: float = KERAS_BN_DECAY,
                 bn_eps: float = KERAS_BN_EPS,
                 cross_replica_batch_norm: bool = False) -> MobileNetV1:
  """MobileNet V1: 4,231,976 trainable parameters at alpha 1 with the top."""
  return MobileNetV1(**locals(), name="mobilenet_v1")
