"""Mixed precision for Sonnet modules: float32 variables, low-precision math.

`train.precision` is one of `PRECISIONS`:

* `auto` (the default): `mixed_bfloat16` where the hardware computes
  bfloat16 natively, `float32` elsewhere; see `resolve`. A run decides once,
  when it starts, prints the choice and records it in config.yaml
  (`resolved_precision`) and metrics.jsonl; a resumed run keeps it.
* `float32`: everything in float32 (set it to force float32 anywhere).
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
import dataclasses
from typing import FrozenSet, Iterator, Optional, Tuple

import tensorflow as tf
import tree
from sonnet.src import custom_getter

from zoo import cpu_defaults
# The CPU's facts are read without TensorFlow (zoo.cpu_defaults); kept
# here under their earlier names.
from zoo.cpu_defaults import parse_cpuinfo, read_cpuinfo  # pylint: disable=unused-import
from zoo.training.choices import AUTO
from zoo.training.choices import COMPUTE_PRECISIONS
from zoo.training.choices import PRECISIONS

# x86 CPU flags (/proc/cpuinfo) of bfloat16 arithmetic that oneDNN uses:
# AVX-512 BF16 dot products and AMX tiles.
BFLOAT16_CPU_FLAGS = ("avx512_bf16", "amx_bf16")
# NVIDIA GPUs compute bfloat16 natively from Ampere (compute capability 8.0).
BFLOAT16_MIN_COMPUTE_CAPABILITY = (8, 0)

def compute_dtype(precision: str) -> tf.DType:
  """The dtype the forward pass computes in.

  Raises:
    ValueError: On an unknown precision.
  """
  if precision == AUTO:
    raise ValueError("train.precision 'auto' must be resolved first "
                     "(zoo.training.precision.resolve).")
  if precision not in COMPUTE_PRECISIONS:
    raise ValueError(f"Unknown train.precision {precision!r}; use one of "
                     f"{PRECISIONS}.")
  return {"float32": tf.float32, "mixed_float16": tf.float16,
          "mixed_bfloat16": tf.bfloat16}[precision]


# Hardware and `auto` ---------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Hardware:
  """What decides `auto`: the CPU's flags and the accelerators present.

  Attributes:
    cpu_model: The CPU's name ("" where unknown).
    cpu_flags: The CPU's feature flags (empty where unknown).
    gpu_compute_capabilities: `(major, minor)` of each visible GPU.
    num_tpus: TPU cores in use.
  """
  cpu_model: str = ""
  cpu_flags: FrozenSet[str] = frozenset()
  gpu_compute_capabilities: Tuple[Tuple[int, int], ...] = ()
  num_tpus: int = 0

  @property
  def cpu_bfloat16_flags(self) -> Tuple[str, ...]:
    """The CPU's bfloat16 arithmetic flags (of `BFLOAT16_CPU_FLAGS`)."""
    return tuple(f for f in BFLOAT16_CPU_FLAGS if f in self.cpu_flags)


def detect_hardware(strategy: Optional[tf.distribute.Strategy] = None,
                    cpuinfo: Optional[str] = None) -> Hardware:
  """The hardware this process computes on.

  Lists physical devices only, so it does not initialise TensorFlow's
  runtime.

  Args:
    strategy: The run's strategy; a `TPUStrategy` counts its replicas as
      TPUs (TPUs may be listed only once the strategy connected to them).
    cpuinfo: A `/proc/cpuinfo` text (default: this machine's).
  """
  model, flags = parse_cpuinfo(read_cpuinfo() if cpuinfo is None else cpuinfo)
  capabilities = []
  for gpu in tf.config.list_physical_devices("GPU"):
    details = tf.config.experimental.get_device_details(gpu)
    capabilities.append(tuple(details.get("compute_capability") or (0, 0)))
  num_tpus = len(tf.config.list_physical_devices("TPU"))
  if isinstance(strategy, tf.distribute.TPUStrategy):
    num_tpus = max(num_tpus, strategy.num_replicas_in_sync)
  return Hardware(cpu_model=model, cpu_flags=flags,
                  gpu_compute_capabilities=tuple(capabilities),
                  num_tpus=num_tpus)


def onednn_in_use() -> cpu_defaults.OneDnnChoice:
  """Whether TensorFlow runs its oneDNN CPU kernels in this process, and why.

  TensorFlow's own answer where it gives one (it decided when it started;
  `zoo.cpu_defaults.apply()` must run before that), with the reason
  `zoo.cpu_defaults` gives for it.
  """
  decided = cpu_defaults.choice()
  try:
    from tensorflow.python.util import _pywrap_util_port  # pylint: disable=g-import-not-at-top
    enabled = bool(_pywrap_util_port.IsMklEnabled())
  except (ImportError, AttributeError):
    return decided
  if decided.enabled is None or decided.enabled == enabled:
    return dataclasses.replace(decided, enabled=enabled)
  return cpu_defaults.OneDnnChoice(
      enabled, "tensorflow",
      f"TensorFlow started before {decided.reason}: set "
      f"{cpu_defaults.ONEDNN_ENV} before importing TensorFlow, or call "
      "zoo.cpu_defaults.apply() first")


@dataclasses.dataclass(frozen=True)
class Resolution:
  """A precision to compute in and why it was chosen."""
  precision: str
  reason: str

  def describe(self) -> str:
    return f"{self.precision} ({self.reason})"


def native_bfloat16(hardware: Hardware) -> Tuple[bool, str]:
  """Whether the device that computes has bfloat16 units, and why.

  TPUs, then GPUs (all of them must be compute capability 8.0 or newer),
  then the CPU's flags decide: a model runs on the accelerator when there
  is one.
  """
  if hardware.num_tpus:
    return True, f"{hardware.num_tpus} TPU core(s)"
  capabilities = hardware.gpu_compute_capabilities
  if capabilities:
    text = ", ".join(f"{major}.{minor}" for major, minor in capabilities)
    if min(capabilities) >= BFLOAT16_MIN_COMPUTE_CAPABILITY:
      return True, f"GPU compute capability {text}"
    return False, (f"GPU compute capability {text}, bfloat16 needs "
                   f"{'.'.join(map(str, BFLOAT16_MIN_COMPUTE_CAPABILITY))}")
  found = hardware.cpu_bfloat16_flags
  if found:
    return True, f"CPU flags {', '.join(found)}"
  if not hardware.cpu_flags:
    return False, "CPU flags unknown on this system"
  return False, f"CPU lacks {' and '.join(BFLOAT16_CPU_FLAGS)}"


def resolve(precision: str,
            hardware: Optional[Hardware] = None,
            strategy: Optional[tf.distribute.Strategy] = None) -> Resolution:
  """The precision to compute in: `auto` decided for `hardware`.

  Args:
    precision: One of `PRECISIONS`.
    hardware: What to decide for (default: `detect_hardware(strategy)`,
      only for `auto`).
    strategy: The strategy the model runs under (a `TPUStrategy` counts its
      TPUs).

  Raises:
    ValueError: On an unknown precision.
  """
  if precision != AUTO:
    compute_dtype(precision)  # Checks the name.
    return Resolution(precision, "set in the config")
  hardware = detect_hardware(strategy) if hardware is None else hardware
  native, why = native_bfloat16(hardware)
  return Resolution("mixed_bfloat16" if native else "float32", f"auto: {why}")


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

  def cast_weight(value):
    return tf.cast(value, dtype) if _is_weight(value) else value

  def cast(member):
    # Called on every member a module reads. Only variables and the lists,
    # tuples and dicts that hold them can be weights; anything else (sets
    # included, which `tree` would warn about) is returned as it is.
    if isinstance(member, tf.Variable):
      return cast_weight(member)
    if isinstance(member, (list, tuple, dict)):
      return tree.map_structure(cast_weight, member)
    return member

  with custom_getter._custom_getter(cast):  # pylint: disable=protected-access
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
