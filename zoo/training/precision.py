"""Mixed precision for Sonnet modules: float32 variables, low-precision math.

`train.precision` is one of `PRECISIONS`:

* `float32`: everything in float32 (the default).
* `mixed_bfloat16` / `mixed_float16`: variables stay float32 (the optimizer
  updates float32 master weights); inside the forward pass the images are
  cast to the compute dtype, and every kernel and bias (`w`, `b`) is read as
  a cast copy (Sonnet's custom variable getter), so convolutions and matmuls
  run in the compute dtype. BatchNorm keeps float32 statistics, scale and
  offset (the fused kernel takes low-precision activations with float32
  parameters). Logits are cast back to float32 before the loss, and gradients
  flow back through the casts to the float32 variables.
* `mixed_float16` also scales the loss (`DynamicLossScale`) so small
  gradients do not underflow in float16; bfloat16 has float32's range and
  needs no scaling.

Sonnet 2.0.2's `snt.mixed_precision` offers a global mode and a per-method
`modes` decorator built on the same custom getter; it casts every floating
variable, BatchNorm's moving averages included, which then cannot be
assigned, so the zoo applies the getter itself to kernels and biases only.
"""

import contextlib
from typing import Iterator

import tensorflow as tf
import tree
from sonnet.src import custom_getter

PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16")

# Models whose train step is faster with XLA on a CPU (docs/benchmark.md).
_JIT_BY_DEFAULT = ("softmax_regression",)


def default_jit_compile(model_name: str) -> bool:
  """The measured-fastest XLA setting of the train step for a model."""
  return model_name in _JIT_BY_DEFAULT


def compute_dtype(precision: str) -> tf.DType:
  """The dtype the forward pass computes in.

  Raises:
    ValueError: On an unknown precision.
  """
  if precision not in PRECISIONS:
    raise ValueError(f"Unknown train.precision {precision!r}; use one of "
                     f"{PRECISIONS}.")
  return {"float32": tf.float32, "mixed_float16": tf.float16,
          "mixed_bfloat16": tf.bfloat16}[precision]


def _is_weight(value) -> bool:
  if not isinstance(value, tf.Variable) or not value.dtype.is_floating:
    return False
  leaf = value.name.split("/")[-1]
  return value.trainable and (leaf.startswith("w:") or leaf.startswith("b:"))


@contextlib.contextmanager
def compute_in(dtype: tf.DType) -> Iterator[None]:
  """Within the block, Sonnet modules read their kernels and biases as `dtype`.

  A no-op for float32.
  """
  if dtype == tf.float32:
    yield
    return

  def cast(value):
    return tree.map_structure(
        lambda v: tf.cast(v, dtype) if _is_weight(v) else v, value)

  with custom_getter.custom_variable_getter(cast):
    yield


class DynamicLossScale:
  """Loss scaling for float16: halve on overflow, double after N good steps."""

  def __init__(self, initial_scale: float = 2.0**15, growth_interval: int = 2000):
    self.scale = tf.Variable(initial_scale, dtype=tf.float32, trainable=False,
                             name="loss_scale")
    self.good_steps = tf.Variable(0, dtype=tf.int64, trainable=False,
                                  name="loss_scale_good_steps")
    self._growth_interval = growth_interval

  def scale_loss(self, loss: tf.Tensor) -> tf.Tensor:
    return loss * self.scale

  def unscale_and_check(self, gradients):
    """Returns (unscaled gradients, all finite) and updates the scale."""
    inverse = 1.0 / self.scale
    gradients = [None if g is None else g * inverse for g in gradients]
    finite = tf.reduce_all([tf.reduce_all(tf.math.is_finite(g))
                            for g in gradients if g is not None])
    grow = tf.logical_and(finite,
                          self.good_steps + 1 >= self._growth_interval)
    self.scale.assign(tf.where(
        finite, tf.where(grow, self.scale * 2.0, self.scale),
        tf.maximum(self.scale * 0.5, 1.0)))
    self.good_steps.assign(tf.where(
        tf.logical_and(finite, tf.logical_not(grow)), self.good_steps + 1,
        tf.zeros_like(self.good_steps)))
    return gradients, finite
