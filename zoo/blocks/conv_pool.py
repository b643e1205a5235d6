"""Convolution, bias (or BatchNorm), activation and max-pooling as one layer."""

from typing import Callable, Optional

import sonnet as snt
import tensorflow as tf

from zoo.blocks.separable_conv import Padding


class ConvPool(snt.Module):
  """Conv2D with bias, an activation, then an optional 2D max-pool.

  The Deep-MNIST tutorial's layer is `ConvPool(32, 5)` (SAME convolution,
  2x2 pool of stride 2); the TensorFlow.js example's is
  `ConvPool(16, 3, padding="VALID")`.

  With `normalization` the bias gives way to a normalisation (conv, BN,
  activation: the stems and 1x1 shortcuts of MobileNet and the aligned
  Xception), and `__call__` needs `is_training`.
  """

  def __init__(self,
               output_channels: int,
               kernel_shape: int = 5,
               padding: Padding = "SAME",
               pool_size: Optional[int] = 2,
               pool_stride: Optional[int] = None,
               pool_padding: str = "VALID",
               activation: Callable[[tf.Tensor], tf.Tensor] = tf.nn.relu,
               w_init: Optional[snt.initializers.Initializer] = None,
               b_init: Optional[snt.initializers.Initializer] = None,
               stride: int = 1,
               normalization: Optional[Callable[[str], snt.Module]] = None,
               name: Optional[str] = None):
    """Constructs a ConvPool module.

    Args:
      output_channels: Number of convolution filters.
      kernel_shape: Size of the square convolution kernel.
      padding: Convolution padding, `"SAME"`, `"VALID"` or a Sonnet padding
        function (`snt.pad.same` pads a strided convolution symmetrically).
      pool_size: Size of the square max-pool window; `None` for no pooling.
      pool_stride: Stride of the pool; defaults to `pool_size`.
      pool_padding: Padding of the pool, `"SAME"` or `"VALID"`.
      activation: Applied after the bias (or normalisation).
      w_init: Kernel initializer (Sonnet's default if `None`).
      b_init: Bias initializer (zeros if `None`).
      stride: Stride of the convolution.
      normalization: Builds the normalisation that replaces the bias, given
        its name (`"bn"`); `None` keeps the bias.
      name: Name of the module.

    Raises:
      ValueError: On a non-positive size or an unknown padding.
    """
    super().__init__(name=name)
    for arg, value in (("output_channels", output_channels),
                       ("kernel_shape", kernel_shape), ("stride", stride)):
      if value < 1:
        raise ValueError(f"{arg} must be positive, got {value}.")
    if pool_size is not None and pool_size < 1:
      raise ValueError(f"pool_size must be positive or None, got {pool_size}.")
    if isinstance(padding, str) and padding not in ("SAME", "VALID"):
      raise ValueError(f"padding must be 'SAME' or 'VALID' (or a padding "
                       f"function), got {padding!r}.")
    if pool_padding not in ("SAME", "VALID"):
      raise ValueError(
          f"pool_padding must be 'SAME' or 'VALID', got {pool_padding!r}.")
    self.conv = snt.Conv2D(
        output_channels, kernel_shape, stride=stride, padding=padding,
        with_bias=normalization is None, w_init=w_init, b_init=b_init,
        name="conv")
    self.bn = None if normalization is None else normalization("bn")
    self._activation = activation
    self._pool_size = pool_size
    self._pool_stride = pool_stride or pool_size
    self._pool_padding = pool_padding

  def __call__(self, inputs: tf.Tensor,
               is_training: Optional[bool] = None) -> tf.Tensor:
    """Applies convolution, normalisation, activation and pooling.

    Args:
      inputs: `[B, H, W, C]` float tensor.
      is_training: Training mode of the normalisation; required when the
        layer has one.

    Returns:
      `[B, H', W', output_channels]` tensor.

    Raises:
      ValueError: If the layer normalises and `is_training` is `None`.
    """
    outputs = self.conv(inputs)
    if self.bn is not None:
      if is_training is None:
        raise ValueError(f"{self.name} has a BatchNorm: pass is_training.")
      outputs = self.bn(outputs, is_training)
    outputs = self._activation(outputs)
    if self._pool_size is None:
      return outputs
    return tf.nn.max_pool2d(
        outputs, ksize=self._pool_size, strides=self._pool_stride,
        padding=self._pool_padding)
