"""Aligned Xception 41, 65 and 71 (DeepLab v3+), as timm's models of the names.

The modified Xception of "Encoder-Decoder with Atrous Separable Convolution"
(Chen et al., 2018): every max-pool becomes a stride in the last separable
conv of a block, each separable conv has a BatchNorm between its depthwise
and pointwise parts, and the middle flow is deeper. The flows are data
(`SeparableBlockSpec`s); convolutions pad symmetrically, as PyTorch does, so
timm's weights give timm's logits (`zoo.timm_port`).
"""

from typing import Optional, Sequence, Tuple

import sonnet as snt
import tensorflow as tf

from zoo.blocks.conv_pool import ConvPool
from zoo.blocks.flows import SeparableBlockSpec, SeparableFlow, batch_norm
from zoo.blocks.head import ClassifierHead
from zoo.models._registry import register_model
from zoo.models.base import (Endpoints, ImageClassifier, ImageSize,
                             check_channels, check_image_size)

#: timm's BatchNorm: momentum 0.1 (a decay of 0.9), epsilon 1e-3.
TIMM_BN_DECAY = 0.9
TIMM_BN_EPS = 1e-3


def _block(index: int, channels, stride: int = 1,
           shortcut: str = "projection", **kwargs) -> SeparableBlockSpec:
  if isinstance(channels, int):
    channels = (channels,) * 3
  return SeparableBlockSpec(
      f"block{index}", tuple(channels), stride=stride, shortcut=shortcut,
      depthwise_bn=True, padding=snt.pad.same, **kwargs)


def _flows(entry: Sequence[Tuple[int, int]], middle_blocks: int):
  """(entry, middle, exit) specs from the entry's (channels, stride) list."""
  entry_specs = tuple(_block(i, c, s) for i, (c, s) in enumerate(entry, 1))
  first = len(entry_specs) + 1
  middle = tuple(_block(first + i, 728, shortcut="identity")
                 for i in range(middle_blocks))
  last = first + middle_blocks
  exit_specs = (
      _block(last, (728, 1024, 1024), stride=2),
      _block(last + 1, (1536, 1536, 2048), shortcut="none",
             leading_relu=False),
  )
  return entry_specs, middle, exit_specs


# Entry flows as (channels, stride): 41 and 65 downsample in each block; 71
# spreads the same three strides over five blocks.
ARCHITECTURES = {
    "xception41": _flows(((128, 2), (256, 2), (728, 2)), 8),
    "xception65": _flows(((128, 2), (256, 2), (728, 2)), 16),
    "xception71": _flows(
        ((128, 2), (256, 1), (256, 2), (728, 1), (728, 2)), 16),
}


class AlignedXception(ImageClassifier):
  """Stem, entry/middle/exit `SeparableFlow`s, average pooling, then a head.

  Inputs are RGB scaled to [-1, 1]. With `include_top=False` the model
  returns the pooled 2048-d features.
  """

  input_normalization = "symmetric"
  channels = 3
  min_image_size = 32

  def __init__(self,
               flows: Tuple[Sequence[SeparableBlockSpec], ...],
               num_classes: int = 1000,
               include_top: bool = True,
               hidden_sizes: Sequence[int] = (),
               dropout_rate: float = 0.0,
               image_size: ImageSize = 299,
               channels: int = 3,
               bn_decay: float = TIMM_BN_DECAY,
               bn_eps: float = TIMM_BN_EPS,
               cross_replica_batch_norm: bool = False,
               name: Optional[str] = None):
    """Constructs an aligned Xception.

    Args:
      flows: The entry, middle and exit flows' block specs.
      num_classes: Number of classes of the head.
      include_top: Whether to add the head.
      hidden_sizes: Hidden layers of the head (timm's has none).
      dropout_rate: Dropout after each hidden layer while training.
      image_size: The input size data pipelines and exports resize to; the
        network accepts any size of at least 32.
      channels: Input channels.
      bn_decay: BatchNorm moving-average decay (timm's 0.9).
      bn_eps: BatchNorm epsilon (timm's 1e-3).
      cross_replica_batch_norm: Synchronise BatchNorm statistics across the
        replicas of a `tf.distribute` strategy.
      name: Name of the module.

    Raises:
      ValueError: If `image_size` is under 32 or `channels` is not positive.
    """
    super().__init__(name=name)
    size = check_image_size(image_size, self.min_image_size,
                            "The aligned Xception")
    self.num_classes = num_classes
    self.include_top = include_top
    self.default_image_size = size
    self.channels = check_channels(channels)
    sync = cross_replica_batch_norm
    normalization = lambda name: batch_norm(name, bn_decay, bn_eps, sync)
    self.stem = [
        ConvPool(width, 3, stride=stride, padding=snt.pad.same,
                 pool_size=None, normalization=normalization,
                 name=f"conv{i}")
        for i, (width, stride) in enumerate(((32, 2), (64, 1)), start=1)
    ]
    self.flows = [
        SeparableFlow(specs, bn_decay, bn_eps, sync, name=f"{part}_flow")
        for part, specs in zip(("entry", "middle", "exit"), flows)
    ]
    self.head = None
    if include_top:
      self.head = ClassifierHead(
          num_classes, hidden_sizes=hidden_sizes, dropout_rate=dropout_rate,
          name="head")

  def _forward(self, images: tf.Tensor,
               is_training: bool) -> Tuple[tf.Tensor, Endpoints]:
    bn_training = is_training and not self.freeze_batch_norm
    outputs = images
    for conv in self.stem:
      outputs = conv(outputs, bn_training)
    endpoints = {"stem": outputs}
    for flow in self.flows:
      outputs, block_endpoints = flow.with_endpoints(outputs, bn_training)
      endpoints.update(block_endpoints)
      endpoints[flow.name] = outputs
    return self._classify(tf.reduce_mean(outputs, axis=[1, 2]), endpoints,
                          is_training)


def _create(name: str, **kwargs) -> AlignedXception:
  return AlignedXception(ARCHITECTURES[name], name=name, **kwargs)


@register_model(reference="timm xception41")
def xception41(num_classes: int = 1000,
               include_top: bool = True,
               hidden_sizes: Sequence[int] = (),
               dropout_rate: float = 0.0,
               image_size: ImageSize = 299,
               channels: int = 3,
               bn_decay: float = TIMM_BN_DECAY,
               bn_eps: float = TIMM_BN_EPS,
               cross_replica_batch_norm: bool = False) -> AlignedXception:
  """Aligned Xception-41: 26,969,560 parameters with the 1000-class top."""
  return _create("xception41", **locals())


@register_model(reference="timm xception65")
def xception65(num_classes: int = 1000,
               include_top: bool = True,
               hidden_sizes: Sequence[int] = (),
               dropout_rate: float = 0.0,
               image_size: ImageSize = 299,
               channels: int = 3,
               bn_decay: float = TIMM_BN_DECAY,
               bn_eps: float = TIMM_BN_EPS,
               cross_replica_batch_norm: bool = False) -> AlignedXception:
  """Aligned Xception-65: 39,916,312 parameters with the 1000-class top."""
  return _create("xception65", **locals())


@register_model(reference="timm xception71")
def xception71(num_classes: int = 1000,
               include_top: bool = True,
               hidden_sizes: Sequence[int] = (),
               dropout_rate: float = 0.0,
               image_size: ImageSize = 299,
               channels: int = 3,
               bn_decay: float = TIMM_BN_DECAY,
               bn_eps: float = TIMM_BN_EPS,
               cross_replica_batch_norm: bool = False) -> AlignedXception:
  """Aligned Xception-71: 42,338,736 parameters with the 1000-class top."""
  return _create("xception71", **locals())
