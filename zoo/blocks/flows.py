"""Xception's entry, middle and exit flows, as in Keras Applications.

`SeparableBlock` and `SeparableFlow` generalise the middle flow's block to
the aligned Xception's (DeepLab v3+) strided, deeper flows.

The architecture is data: each flow is a tuple of block specs turned into
modules by a loop. Module names reuse Keras' layer names (`block2/sepconv1`
is Keras' `block2_sepconv1`), so weights map one to one and checkpoints read
like the paper's figure.
"""

import dataclasses
import functools
from typing import Callable, Optional, Sequence, Tuple

import sonnet as snt
import tensorflow as tf

from zoo.blocks.conv_pool import ConvPool
from zoo.blocks.endpoints import Endpoints
from zoo.blocks.separable_conv import Padding, SeparableConv2D

KERAS_BN_DECAY = 0.99
KERAS_BN_EPS = 1e-3


@dataclasses.dataclass(frozen=True)
class DownsamplingBlockSpec:
  """A residual block of two separable convs, a strided pool and a shortcut."""
  name: str
  channels: Tuple[int, int]
  leading_relu: bool = True


@dataclasses.dataclass(frozen=True)
class SeparableBlockSpec:
  """A residual block of separable convs, each followed by a BatchNorm.

  Xception's middle block is three (ReLU, separable conv 728, BN) with an
  identity shortcut. The aligned Xception (DeepLab v3+) downsamples with a
  stride in the last separable conv instead of a max-pool, normalises
  between depthwise and pointwise convolutions too, and ends with a block
  that activates after each BN and has no shortcut. A MobileNet block is
  one such separable conv with ReLU6 and no shortcut.
  """
  name: str
  #: Output channels of each separable conv, in order.
  channels: Tuple[int, ...] = (728, 728, 728)
  #: Stride of the last separable conv.
  stride: int = 1
  #: "identity", "projection" (a 1x1 strided conv + BN) or "none".
  shortcut: str = "identity"
  #: Activate before each separable conv (Xception); False: after each BN.
  leading_relu: bool = True
  #: A BN (and, without `leading_relu`, the activation) between depthwise
  #: and pointwise convolutions.
  depthwise_bn: bool = False
  #: Padding of the depthwise convs (`snt.pad.same` is PyTorch's symmetric).
  padding: Padding = "SAME"
  #: Depthwise filters per input channel (MobileNet's depth multiplier).
  channel_multiplier: int = 1
  #: The activation (MobileNet's is ReLU6).
  activation: Callable[[tf.Tensor], tf.Tensor] = tf.nn.relu


# Entry flow: the stem (block1) then three downsampling blocks. The first has
# no leading ReLU because the stem already ends in one.
ENTRY_BLOCKS = (
    DownsamplingBlockSpec("block2", (128, 128), leading_relu=False),
    DownsamplingBlockSpec("block3", (256, 256)),
    DownsamplingBlockSpec("block4", (728, 728)),
)
# Middle flow: eight identical blocks at 728 channels.
MIDDLE_BLOCKS = tuple(SeparableBlockSpec(f"block{i}") for i in range(5, 13))
# Exit flow: one downsampling block, then two separable convs with BN + ReLU.
EXIT_BLOCK = DownsamplingBlockSpec("block13", (728, 1024))
EXIT_CONVS = (("block14_sepconv1", 1536), ("block14_sepconv2", 2048))


# oneDNN's bfloat16 batch norm is fast only for channel counts that are a
# multiple of this (measured on CPUs with AVX512_BF16 and AMX).
_BFLOAT16_CHANNEL_BLOCK = 16


class FastBatchNorm(snt.BatchNorm):
  """`snt.BatchNorm` without the redundant moment computation in training.

  For `[B, H, W, C]` inputs Sonnet already normalises with the fused kernel,
  which computes the batch statistics itself and ignores the moments passed
  in, yet Sonnet first computes them with `tf.nn.moments` (a second pass over
  the activations, and its gradient). This subclass passes empty moments
  instead, exactly as Keras does: same variables, names and numerics.
  Inputs of a lower precision (mixed precision) are normalised with float32
  statistics, scale and offset. In training, bfloat16 inputs whose channel
  count is not a multiple of 16 (Xception's 728) are normalised in float32:
  oneDNN's bfloat16 kernel for them is up to 3x slower than casting to
  float32 and back (docs/benchmark.md).
  """

  def __call__(self, inputs: tf.Tensor, is_training, **kwargs) -> tf.Tensor:
    if (inputs.dtype == tf.bfloat16 and is_training is True and
        inputs.shape[-1] % _BFLOAT16_CHANNEL_BLOCK):
      outputs = super().__call__(tf.cast(inputs, tf.float32), is_training,
                                 **kwargs)
      return tf.cast(outputs, inputs.dtype)
    return super().__call__(inputs, is_training, **kwargs)

  def _moments(self, inputs: tf.Tensor, use_batch_stats):
    if self._fused and isinstance(use_batch_stats, bool) and use_batch_stats:
      empty = tf.constant([], tf.float32)
      return empty, empty
    mean, variance = super()._moments(inputs, use_batch_stats)
    if self._fused:
      mean, variance = tf.cast(mean, tf.float32), tf.cast(variance, tf.float32)
    return mean, variance


def batch_norm(name: str, decay: float, eps: float,
               cross_replica: bool = False) -> snt.BatchNorm:
  """The zoo's BatchNorm (scale and offset); `cross_replica` syncs statistics.

  `functools.partial(batch_norm, decay=..., eps=...)` is the
  `normalization` argument of `ConvPool` and `SeparableConv2D`.

  With `cross_replica` the statistics are averaged over all replicas of the
  current `tf.distribute` strategy (`snt.distribute.CrossReplicaBatchNorm`);
  the variables and their names are the same.
  """
  if cross_replica:
    with tf.name_scope(name):
      moving_mean = snt.ExponentialMovingAverage(decay, name="moving_mean")
      moving_variance = snt.ExponentialMovingAverage(
          decay, name="moving_variance")
    return snt.distribute.CrossReplicaBatchNorm(
        create_scale=True, create_offset=True, moving_mean=moving_mean,
        moving_variance=moving_variance, eps=eps, name=name)
  return FastBatchNorm(
      create_scale=True, create_offset=True, decay_rate=decay, eps=eps,
      name=name)


class DownsamplingBlock(snt.Module):
  """Two separable convs + BN, a 3x3/2 max-pool, plus a 1x1/2 conv shortcut.

  Xception's entry and exit blocks, and mini-Xception's residual modules.
  """

  def __init__(self, spec: DownsamplingBlockSpec,
               bn_decay: float = KERAS_BN_DECAY,
               bn_eps: float = KERAS_BN_EPS, sync_bn: bool = False):
    """Constructs the block.

    Args:
      spec: Its name, channels and whether it starts with a ReLU.
      bn_decay: Decay of the BatchNorm moving averages.
      bn_eps: BatchNorm epsilon.
      sync_bn: Synchronise BatchNorm statistics across replicas.
    """
    super().__init__(name=spec.name)
    self._leading_relu = spec.leading_relu
    self.shortcut = snt.Conv2D(
        spec.channels[-1], 1, stride=2, padding="SAME", with_bias=False,
        name="shortcut")
    self.shortcut_bn = batch_norm("shortcut_bn", bn_decay, bn_eps, sync_bn)
    self.convs = []
    self.bns = []
    for i, channels in enumerate(spec.channels, start=1):
      self.convs.append(SeparableConv2D(channels, 3, name=f"sepconv{i}"))
      self.bns.append(batch_norm(f"sepconv{i}_bn", bn_decay, bn_eps, sync_bn))

  def __call__(self, inputs: tf.Tensor, is_training: bool) -> tf.Tensor:
    residual = self.shortcut_bn(self.shortcut(inputs), is_training)
    outputs = inputs
    for i, (conv, bn) in enumerate(zip(self.convs, self.bns)):
      if i > 0 or self._leading_relu:
        outputs = tf.nn.relu(outputs)
      outputs = bn(conv(outputs), is_training)
    outputs = tf.nn.max_pool2d(outputs, ksize=3, strides=2, padding="SAME")
    return outputs + residual


class SeparableBlock(snt.Module):
  """Separable convs with BNs and a shortcut, as a `SeparableBlockSpec` says."""

  def __init__(self, spec: SeparableBlockSpec, bn_decay: float = KERAS_BN_DECAY,
               bn_eps: float = KERAS_BN_EPS, sync_bn: bool = False):
    """Constructs the block.

    Args:
      spec: What the block is.
      bn_decay: Decay of the BatchNorm moving averages.
      bn_eps: BatchNorm epsilon.
      sync_bn: Synchronise BatchNorm statistics across replicas.

    Raises:
      ValueError: On an unknown shortcut, or a strided identity shortcut.
    """
    super().__init__(name=spec.name)
    if spec.shortcut not in ("identity", "projection", "none"):
      raise ValueError(f"shortcut must be 'identity', 'projection' or 'none', "
                       f"got {spec.shortcut!r}.")
    if spec.shortcut == "identity" and spec.stride != 1:
      raise ValueError(f"Block {spec.name} has stride {spec.stride}: its "
                       "shortcut must be a 'projection'.")
    self._spec = spec
    normalization = functools.partial(
        batch_norm, decay=bn_decay, eps=bn_eps, cross_replica=sync_bn)
    self.shortcut = None
    if spec.shortcut == "projection":
      self.shortcut = ConvPool(
          spec.channels[-1], 1, stride=spec.stride, pool_size=None,
          activation=tf.identity, normalization=normalization,
          name="shortcut")
    last = len(spec.channels)
    self.convs = [
        SeparableConv2D(
            channels, 3, stride=spec.stride if i == last else 1,
            padding=spec.padding,
            channel_multiplier=spec.channel_multiplier,
            depthwise_normalization=(normalization if spec.depthwise_bn
                                     else None),
            depthwise_activation=None if spec.leading_relu else spec.activation,
            name=f"sepconv{i}")
        for i, channels in enumerate(spec.channels, start=1)
    ]
    self.bns = [normalization(f"sepconv{i}_bn")
                for i in range(1, len(spec.channels) + 1)]

  def __call__(self, inputs: tf.Tensor, is_training: bool) -> tf.Tensor:
    outputs = inputs
    activation = self._spec.activation
    for conv, bn in zip(self.convs, self.bns):
      if self._spec.leading_relu:
        outputs = activation(outputs)
      outputs = bn(conv(outputs, is_training), is_training)
      if not self._spec.leading_relu:
        outputs = activation(outputs)
    if self._spec.shortcut == "none":
      return outputs
    if self.shortcut is not None:
      return outputs + self.shortcut(inputs, is_training)
    return outputs + inputs


class _Flow(snt.Module):
  """Shared call logic: run the blocks in order, record each block's output."""

  blocks: Sequence[snt.Module]

  def __call__(self, inputs: tf.Tensor, is_training: bool) -> tf.Tensor:
    """Applies the flow.

    Args:
      inputs: `[B, H, W, C]` float tensor.
      is_training: Selects batch statistics (and updates the moving ones) in
        every BatchNorm.

    Returns:
      The flow's output feature map, `[B, H', W', C']`.
    """
    return self.with_endpoints(inputs, is_training)[0]

  def with_endpoints(self, inputs: tf.Tensor,
                     is_training: bool) -> Tuple[tf.Tensor, Endpoints]:
    """Applies the flow and also returns every block's output by name.

    Args:
      inputs: `[B, H, W, C]` float tensor.
      is_training: As in `__call__`.

    Returns:
      `(output, {block_name: block_output})`.
    """
    endpoints = {}
    outputs = inputs
    for block in self.blocks:
      outputs = block(outputs, is_training)
      endpoints[block.name] = outputs
    return outputs, endpoints


class _Stem(snt.Module):
  """Conv 32 3x3/2 VALID and conv 64 3x3 VALID, each with BN and ReLU."""

  def __init__(self, bn_decay: float, bn_eps: float, sync_bn: bool = False):
    super().__init__(name="block1")
    self.conv1 = snt.Conv2D(32, 3, stride=2, padding="VALID", with_bias=False,
                            name="conv1")
    self.conv1_bn = batch_norm("conv1_bn", bn_decay, bn_eps, sync_bn)
    self.conv2 = snt.Conv2D(64, 3, padding="VALID", with_bias=False,
                            name="conv2")
    self.conv2_bn = batch_norm("conv2_bn", bn_decay, bn_eps, sync_bn)

  def __call__(self, inputs: tf.Tensor, is_training: bool) -> tf.Tensor:
    outputs = tf.nn.relu(self.conv1_bn(self.conv1(inputs), is_training))
    return tf.nn.relu(self.conv2_bn(self.conv2(outputs), is_training))


class EntryFlow(_Flow):
  """Xception's entry flow: the stem and blocks 2-4, 1/16 of the input size."""

  def __init__(self,
               bn_decay: float = KERAS_BN_DECAY,
               bn_eps: float = KERAS_BN_EPS,
               cross_replica_batch_norm: bool = False,
               name: Optional[str] = "entry_flow"):
    """Constructs the entry flow.

    Args:
      bn_decay: Decay of the BatchNorm moving averages (Keras' momentum).
      bn_eps: BatchNorm epsilon.
      name: Name of the module.
    """
    super().__init__(name=name)
    sync = cross_replica_batch_norm
    self.blocks = [_Stem(bn_decay, bn_eps, sync)] + [
        DownsamplingBlock(spec, bn_decay, bn_eps, sync)
        for spec in ENTRY_BLOCKS
    ]


class MiddleFlow(_Flow):
  """Xception's middle flow: eight residual blocks at 728 channels."""

  def __init__(self,
               num_blocks: int = len(MIDDLE_BLOCKS),
               bn_decay: float = KERAS_BN_DECAY,
               bn_eps: float = KERAS_BN_EPS,
               cross_replica_batch_norm: bool = False,
               name: Optional[str] = "middle_flow"):
    """Constructs the middle flow.

    Args:
      num_blocks: Number of residual blocks (8 in Xception).
      bn_decay: Decay of the BatchNorm moving averages (Keras' momentum).
      bn_eps: BatchNorm epsilon.
      name: Name of the module.
      cross_replica_batch_norm: Synchronise BatchNorm statistics across the
        replicas of a `tf.distribute` strategy.

    Raises:
      ValueError: If `num_blocks` is negative.
    """
    super().__init__(name=name)
    if num_blocks < 0:
      raise ValueError(f"num_blocks must be >= 0, got {num_blocks}.")
    specs = [SeparableBlockSpec(f"block{5 + i}") for i in range(num_blocks)]
    self.blocks = [SeparableBlock(spec, bn_decay, bn_eps,
                                  cross_replica_batch_norm) for spec in specs]


class SeparableFlow(_Flow):
  """A flow of `SeparableBlock`s given as data (the aligned Xceptions')."""

  def __init__(self,
               specs: Sequence[SeparableBlockSpec],
               bn_decay: float = KERAS_BN_DECAY,
               bn_eps: float = KERAS_BN_EPS,
               cross_replica_batch_norm: bool = False,
               name: Optional[str] = None):
    """Constructs the flow.

    Args:
      specs: The blocks, in order.
      bn_decay: Decay of the BatchNorm moving averages.
      bn_eps: BatchNorm epsilon.
      cross_replica_batch_norm: Synchronise BatchNorm statistics across the
        replicas of a `tf.distribute` strategy.
      name: Name of the module.
    """
    super().__init__(name=name)
    self.blocks = [SeparableBlock(spec, bn_decay, bn_eps,
                                  cross_replica_batch_norm) for spec in specs]


class _ExitConvs(snt.Module):
  """Separable convs 1536 and 2048, each followed by BN and ReLU."""

  def __init__(self, bn_decay: float, bn_eps: float, sync_bn: bool = False):
    super().__init__(name="block14")
    self.convs = [SeparableConv2D(channels, 3, name=name.split("_")[1])
                  for name, channels in EXIT_CONVS]
    self.bns = [batch_norm(name.split("_")[1] + "_bn", bn_decay, bn_eps,
                            sync_bn)
                for name, _ in EXIT_CONVS]

  def __call__(self, inputs: tf.Tensor, is_training: bool) -> tf.Tensor:
    outputs = inputs
    for conv, bn in zip(self.convs, self.bns):
      outputs = tf.nn.relu(bn(conv(outputs), is_training))
    return outputs


class ExitFlow(_Flow):
  """Xception's exit flow: block 13 (downsampling) and block 14, 2048 maps."""

  def __init__(self,
               bn_decay: float = KERAS_BN_DECAY,
               bn_eps: float = KERAS_BN_EPS,
               cross_replica_batch_norm: bool = False,
               name: Optional[str] = "exit_flow"):
    """Constructs the exit flow.

    Args:
      bn_decay: Decay of the BatchNorm moving averages (Keras' momentum).
      bn_eps: BatchNorm epsilon.
      name: Name of the module.
      cross_replica_batch_norm: Synchronise BatchNorm statistics across the
        replicas of a `tf.distribute` strategy.
    """
    super().__init__(name=name)
    self.blocks = [
        DownsamplingBlock(EXIT_BLOCK, bn_decay, bn_eps,
                           cross_replica_batch_norm),
        _ExitConvs(bn_decay, bn_eps, cross_replica_batch_norm),
    ]
