"""Classifier head: optional hidden layers with dropout, then logits."""

from typing import Callable, Optional, Sequence, Tuple

import sonnet as snt
import tensorflow as tf

from zoo.blocks.dropout import Dropout
from zoo.blocks.endpoints import Endpoints


class ClassifierHead(snt.Module):
  """Hidden `Linear` layers with an activation and dropout, then logits.

  With no hidden sizes it is a single `Linear` layer (softmax regression's
  whole model). Dropout follows every hidden layer, as in the Deep-MNIST
  tutorial and the Flowers17 experiment; `input_dropout_rate` also drops
  the features themselves (Keras' MobileNet top).

  Calling it returns a pair, not a tensor:

      logits, endpoints = head(features, is_training)   # endpoints: hidden_i

  so a model's `_forward` merges the head's endpoints into its own and adds
  `logits`. Store it as the model's `head` attribute (or name another with
  the model's `head_attribute`): fine-tuning replaces it for a new class
  count, and `model.backbone()` is everything else.
  """

  def __init__(self,
               num_classes: int,
               hidden_sizes: Sequence[int] = (),
               dropout_rate: float = 0.0,
               activation: Callable[[tf.Tensor], tf.Tensor] = tf.nn.relu,
               w_init: Optional[snt.initializers.Initializer] = None,
               b_init: Optional[snt.initializers.Initializer] = None,
               logits_w_init: Optional[snt.initializers.Initializer] = None,
               logits_b_init: Optional[snt.initializers.Initializer] = None,
               input_dropout_rate: float = 0.0,
               name: Optional[str] = None):
    """Constructs a ClassifierHead.

    Args:
      num_classes: Number of logits.
      hidden_sizes: Output sizes of the hidden layers, in order.
      dropout_rate: Dropout rate after each hidden layer while training.
      activation: Activation of the hidden layers.
      w_init: Initializer of the hidden weights.
      b_init: Initializer of the hidden biases.
      logits_w_init: Initializer of the logits weights (`w_init` if `None`).
      logits_b_init: Initializer of the logits biases (`b_init` if `None`).
      input_dropout_rate: Dropout rate on the features while training.
      name: Name of the module.

    Raises:
      ValueError: If a size is not positive or the dropout rate is not in
        `[0, 1)`.
    """
    super().__init__(name=name)
    if num_classes < 1:
      raise ValueError(f"num_classes must be positive, got {num_classes}.")
    hidden_sizes = tuple(hidden_sizes)
    if any(size < 1 for size in hidden_sizes):
      raise ValueError(f"hidden_sizes must be positive, got {hidden_sizes}.")
    self.num_classes = num_classes
    self._activation = activation
    self.hidden = [
        snt.Linear(size, w_init=w_init, b_init=b_init, name=f"hidden_{i}")
        for i, size in enumerate(hidden_sizes)
    ]
    self.dropout = Dropout(dropout_rate, name="dropout")
    self.input_dropout = None
    if input_dropout_rate:
      self.input_dropout = Dropout(input_dropout_rate, name="input_dropout")
    self.logits = snt.Linear(
        num_classes, w_init=logits_w_init or w_init,
        b_init=logits_b_init or b_init, name="logits")

  def __call__(self, features: tf.Tensor,
               is_training: bool) -> Tuple[tf.Tensor, Endpoints]:
    """Computes logits.

    Args:
      features: `[B, D]` features.
      is_training: Enables dropout.

    Returns:
      `([B, num_classes] logits, {"hidden_i": [B, size_i]})`.
    """
    endpoints = {}
    outputs = features
    if self.input_dropout is not None:
      outputs = self.input_dropout(outputs, is_training)
    for i, layer in enumerate(self.hidden):
      outputs = self._activation(layer(outputs))
      endpoints[f"hidden_{i}"] = outputs
      outputs = self.dropout(outputs, is_training)
    return self.logits(outputs), endpoints
