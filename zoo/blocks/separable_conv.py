"""Depthwise-separable convolution built from Sonnet's convolutions."""

from typing import Optional

import sonnet as snt
import tensorflow as tf


class SeparableConv2D(snt.Module):
  """A depthwise convolution followed by a pointwise (1x1) convolution.

  This matches Keras' `SeparableConv2D` with `depth_multiplier=1`: one
  `kernel_shape` filter per input channel, then a 1x1 convolution mixing the
  channels. Sonnet 2 has no separable convolution of its own.
  """

  def __init__(self,
               output_channels: int,
               kernel_shape: int = 3,
               stride: int = 1,
               padding: str = "SAME",
               with_bias: bool = False,
               w_init: Optional[snt.initializers.Initializer] = None,
               name: Optional[str] = None):
    """Constructs a SeparableConv2D module.

    Args:
      output_channels: Number of channels of the pointwise convolution.
      kernel_shape: Size of the depthwise kernel.
      stride: Stride of the depthwise convolution.
      padding: `"SAME"` or `"VALID"`.
      with_bias: Whether the pointwise convolution has a bias. Off by default
        because a BatchNorm normally follows.
      w_init: Initializer of both kernels (Sonnet's default if `None`).
      name: Name of the module.

    Raises:
      ValueError: If `output_channels` or `kernel_shape` is not positive.
    """
    super().__init__(name=name)
    if output_channels < 1:
      raise ValueError(
          f"output_channels must be positive, got {output_channels}.")
    if kernel_shape < 1:
      raise ValueError(f"kernel_shape must be positive, got {kernel_shape}.")
    self.output_channels = output_channels
    self.depthwise = snt.DepthwiseConv2D(
        kernel_shape=kernel_shape, channel_multiplier=1, stride=stride,
        padding=padding, with_bias=False, w_init=w_init, name="depthwise")
    self.pointwise = snt.Conv2D(
        output_channels, kernel_shape=1, with_bias=with_bias, w_init=w_init,
        name="pointwise")

  def __call__(self, inputs: tf.Tensor) -> tf.Tensor:
    """Applies the separable convolution.

    Args:
      inputs: `[B, H, W, C]` float tensor.

    Returns:
      `[B, H', W', output_channels]` tensor.
    """
    return self.pointwise(self.depthwise(inputs))
