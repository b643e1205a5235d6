"""ConvPool stacks with a classifier head: the Deep-MNIST and TF.js nets."""

import dataclasses
from typing import Optional, Sequence, Tuple

import sonnet as snt
import tensorflow as tf

from zoo.models._registry import register_model
from zoo.blocks.conv_pool import ConvPool
from zoo.blocks.head import ClassifierHead
from zoo.models.base import (Endpoints, ImageClassifier, ImageSize,
                             as_image_size, check_channels)


@dataclasses.dataclass(frozen=True)
class ConvPoolSpec:
  """One ConvPool layer: filters, kernel, padding and pool (None: no pool)."""
  channels: int
  kernel_shape: int
  padding: str = "SAME"
  pool_size: Optional[int] = 2


# "Deep MNIST for Experts": two 5x5 SAME convolutions, each with a 2x2 pool.
DEEP_MNIST_LAYERS = (ConvPoolSpec(32, 5), ConvPoolSpec(64, 5))
# The TensorFlow.js example: 3x3 VALID convolutions, the last one unpooled.
TFJS_MNIST_LAYERS = (
    ConvPoolSpec(16, 3, "VALID"),
    ConvPoolSpec(32, 3, "VALID"),
    ConvPoolSpec(32, 3, "VALID", pool_size=None),
)


class ConvPoolNet(ImageClassifier):
  """ConvPool layers, flatten, then a `ClassifierHead`."""

  def __init__(self,
               layers: Sequence[ConvPoolSpec],
               num_classes: int = 10,
               image_size: ImageSize = 28,
               channels: int = 1,
               hidden_sizes: Sequence[int] = (),
               dropout_rate: float = 0.0,
               w_init: Optional[snt.initializers.Initializer] = None,
               b_init: Optional[snt.initializers.Initializer] = None,
               name: Optional[str] = None):
    """Constructs the network.

    Args:
      layers: The ConvPool layers, in order.
      num_classes: Number of classes.
      image_size: Side or `(height, width)` of the input images; the
        flattened size and so the head's weights depend on it.
      channels: Channels of the input images.
      hidden_sizes: Hidden layers of the head.
      dropout_rate: Dropout after each hidden layer while training.
      w_init: Initializer of every weight (Sonnet's defaults if `None`).
      b_init: Initializer of every bias (zeros if `None`).
      name: Name of the module.

    Raises:
      ValueError: If `image_size` or `channels` is not a valid size.
    """
    super().__init__(name=name)
    self.num_classes = num_classes
    self.fixed_image_size = self.default_image_size = as_image_size(
        image_size)
    self.channels = check_channels(channels)
    self.conv_pools = [
        ConvPool(spec.channels, spec.kernel_shape, padding=spec.padding,
                 pool_size=spec.pool_size, w_init=w_init, b_init=b_init,
                 name=f"conv_pool_{i}")
        for i, spec in enumerate(layers)
    ]
    self.head = ClassifierHead(
        num_classes, hidden_sizes=hidden_sizes, dropout_rate=dropout_rate,
        w_init=w_init, b_init=b_init, name="head")

  def _forward(self, images: tf.Tensor,
               is_training: bool) -> Tuple[tf.Tensor, Endpoints]:
    endpoints = {}
    outputs = images
    for conv_pool in self.conv_pools:
      outputs = conv_pool(outputs)
      endpoints[conv_pool.name] = outputs
    features = snt.Flatten()(outputs)
    endpoints["pre_logits"] = features
    logits, head_endpoints = self.head(features, is_training)
    return logits, {**endpoints, **head_endpoints, "logits": logits}


@register_model(reference="TensorFlow's Deep MNIST for Experts tutorial")
def deep_mnist_cnn(num_classes: int = 10,
                   image_size: ImageSize = 28,
                   channels: int = 1,
                   hidden_size: int = 1024,
                   dropout_rate: float = 0.5) -> ConvPoolNet:
  """The "Deep MNIST for Experts" CNN: 3,274,634 parameters on MNIST.

  Weights truncated normal (stddev 0.1), biases 0.1, as in the tutorial,
  which keeps 0.5 of the hidden units while training.
  """
  return ConvPoolNet(
      DEEP_MNIST_LAYERS, num_classes, image_size, channels,
      hidden_sizes=(hidden_size,), dropout_rate=dropout_rate,
      w_init=snt.initializers.TruncatedNormal(stddev=0.1),
      b_init=snt.initializers.Constant(0.1), name="deep_mnist_cnn")


@register_model(reference="the TensorFlow.js MNIST ConvNet tutorial")
def tfjs_mnist_convnet(num_classes: int = 10,
                       image_size: ImageSize = 28,
                       channels: int = 1,
                       hidden_size: int = 64) -> ConvPoolNet:
  """The TensorFlow.js MNIST ConvNet: 33,194 parameters on MNIST."""
  return ConvPoolNet(
      TFJS_MNIST_LAYERS, num_classes, image_size, channels,
      hidden_sizes=(hidden_size,), name="tfjs_mnist_convnet")
