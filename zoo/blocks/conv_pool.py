"""Convolution, bias, activation and max-pooling as one layer."""

from typing import Callable, Optional

import sonnet as snt
import tensorflow as tf


class ConvPool(snt.Module):
  """Conv2D with bias, an activation, then an optional 2D max-pool.

  The Deep-MNIST tutorial's layer is `ConvPool(32, 5)` (SAME convolution,
  2x2 pool of stride 2); the TensorFlow.js example's is
  `ConvPool(16, 3, padding="VALID")`.
  """

  def __init__(self,
               output_channels: int,
               kernel_shape: int = 5,
               padding: str = "SAME",
               pool_size: Optional[int] = 2,
               pool_stride: Optional[int] = None,
               pool_padding: str = "VALID",
               activation: Callable[[tf.Tensor], tf.Tensor] = tf.nn.relu,
               w_init: Optional[snt.initializers.Initializer] = None,
               b_init: Optional[snt.initializers.Initializer] = None,
               name: Optional[str] = None):
    """Constructs a ConvPool module.

    Args:
      output_channels: Number of convolution filters.
      kernel_shape: Size of the square convolution kernel.
      padding: Convolution padding, `"SAME"` or `"VALID"`.
      pool_size: Size of the square max-pool window; `None` for no pooling.
      pool_stride: Stride of the pool; defaults to `pool_size`.
      pool_padding: Padding of the pool, `"SAME"` or `"VALID"`.
      activation: Applied after the bias.
      w_init: Kernel initializer (Sonnet's default if `None`).
      b_init: Bias initializer (zeros if `None`).
      name: Name of the module.

    Raises:
      ValueError: On a non-positive size or an unknown padding.
    """
    super().__init__(name=name)
    for arg, value in (("output_channels", output_channels),
                       ("kernel_shape", kernel_shape)):
      if value < 1:
        raise ValueError(f"{arg} must be positive, got {value}.")
    if pool_size is not None and pool_size < 1:
      raise ValueError(f"pool_size must be positive or None, got {pool_size}.")
    for arg, value in (("padding", padding), ("pool_padding", pool_padding)):
      if value not in ("SAME", "VALID"):
        raise ValueError(f"{arg} must be 'SAME' or 'VALID', got {value!r}.")
    self.conv = snt.Conv2D(
        output_channels, kernel_shape, padding=padding, with_bias=True,
        w_init=w_init, b_init=b_init, name="conv")
    self._activation = activation
    self._pool_size = pool_size
    self._pool_stride = pool_stride or pool_size
    self._pool_padding = pool_padding

  def __call__(self, inputs: tf.Tensor) -> tf.Tensor:
    """Applies convolution, activation and pooling.

    Args:
      inputs: `[B, H, W, C]` float tensor.

    Returns:
      `[B, H', W', output_channels]` tensor.
    """
    outputs = self._activation(self.conv(inputs))
    if self._pool_size is None:
      return outputs
    return tf.nn.max_pool2d(
        outputs, ksize=self._pool_size, strides=self._pool_stride,
        padding=self._pool_padding)
