"""Depthwise-separable convolution built from Sonnet's convolutions."""

from typing import Callable, Optional, Union

import sonnet as snt
import tensorflow as tf

#: A padding: "SAME", "VALID", or a Sonnet padding function (`snt.pad.same`,
#: or any `fn(effective_kernel_size) -> [before, after]`) applied explicitly
#: before a VALID convolution, as `snt.Conv2D` takes it.
Padding = Union[str, Callable[[int], list]]


class SeparableConv2D(snt.Module):
  """A depthwise convolution followed by a pointwise (1x1) convolution.

  This matches Keras' `SeparableConv2D`: `channel_multiplier` filters of
  `kernel_shape` per input channel, then a 1x1 convolution mixing the
  channels. Sonnet 2 has no separable convolution of its own.

  With `depthwise_normalization` it is MobileNet's and the aligned
  Xception's unit instead: depthwise conv, a normalisation (and
  `depthwise_activation`), then the pointwise conv; `__call__` then needs
  `is_training`.
  """

  def __init__(self,
               output_channels: int,
               kernel_shape: int = 3,
               stride: int = 1,
               padding: Padding = "SAME",
               with_bias: bool = False,
               w_init: Optional[snt.initializers.Initializer] = None,
               rate: int = 1,
               channel_multiplier: int = 1,
               depthwise_normalization: Optional[
                   Callable[[str], snt.Module]] = None,
               depthwise_activation: Optional[
                   Callable[[tf.Tensor], tf.Tensor]] = None,
               name: Optional[str] = None):
    """Constructs a SeparableConv2D module.

    Args:
      output_channels: Number of channels of the pointwise convolution.
      kernel_shape: Size of the depthwise kernel.
      stride: Stride of the depthwise convolution.
      padding: `"SAME"`, `"VALID"` or a Sonnet padding function (e.g.
        `snt.pad.same`, which pads a strided convolution symmetrically as
        PyTorch does), applied before the depthwise convolution.
      with_bias: Whether the pointwise convolution has a bias. Off by default
        because a BatchNorm normally follows.
      w_init: Initializer of both kernels (Sonnet's default if `None`).
      rate: Dilation rate of the depthwise convolution.
      channel_multiplier: Depthwise filters per input channel (Keras'
        `depth_multiplier`).
      depthwise_normalization: Builds the normalisation applied between the
        two convolutions, given its name (`"depthwise_bn"`); `None` for none.
      depthwise_activation: Applied after that normalisation.
      name: Name of the module.

    Raises:
      ValueError: If a size is not positive, a stride is combined with a
        dilation, or the padding is unknown.
    """
    super().__init__(name=name)
    for arg, value in (("output_channels", output_channels),
                       ("kernel_shape", kernel_shape), ("stride", stride),
                       ("rate", rate),
                       ("channel_multiplier", channel_multiplier)):
      if value < 1:
        raise ValueError(f"{arg} must be positive, got {value}.")
    if stride > 1 and rate > 1:
      raise ValueError(
          f"A strided depthwise convolution cannot be dilated, got stride="
          f"{stride} and rate={rate}.")
    if isinstance(padding, str):
      if padding not in ("SAME", "VALID"):
        raise ValueError(
            f"padding must be 'SAME', 'VALID' or a padding function, got "
            f"{padding!r}.")
      self._pad = None
    else:
      effective_kernel = (kernel_shape - 1) * rate + 1
      self._pad = [[0, 0], list(padding(effective_kernel)),
                   list(padding(effective_kernel)), [0, 0]]
      padding = "VALID"
    self.output_channels = output_channels
    self.depthwise = snt.DepthwiseConv2D(
        kernel_shape=kernel_shape, channel_multiplier=channel_multiplier,
        stride=stride, rate=rate, padding=padding, with_bias=False,
        w_init=w_init, name="depthwise")
    self.depthwise_bn = None
    if depthwise_normalization is not None:
      self.depthwise_bn = depthwise_normalization("depthwise_bn")
    self._depthwise_activation = depthwise_activation
    self.pointwise = snt.Conv2D(
        output_channels, kernel_shape=1, with_bias=with_bias, w_init=w_init,
        name="pointwise")

  def __call__(self, inputs: tf.Tensor,
               is_training: Optional[bool] = None) -> tf.Tensor:
    """Applies the separable convolution.

    Args:
      inputs: `[B, H, W, C]` float tensor.
      is_training: Training mode of the depthwise normalisation; required
        when the module has one.

    Returns:
      `[B, H', W', output_channels]` tensor.

    Raises:
      ValueError: If the module normalises and `is_training` is `None`.
    """
    outputs = inputs if self._pad is None else tf.pad(inputs, self._pad)
    outputs = self.depthwise(outputs)
    if self.depthwise_bn is not None:
      if is_training is None:
        raise ValueError(f"{self.name} normalises between its convolutions: "
                         "pass is_training.")
      outputs = self.depthwise_bn(outputs, is_training)
    if self._depthwise_activation is not None:
      outputs = self._depthwise_activation(outputs)
    return self.pointwise(outputs)
