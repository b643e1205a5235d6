"""CPU settings decided before TensorFlow starts: oneDNN where it helps.

TensorFlow's x86 Linux builds carry oneDNN kernels, but TensorFlow turns
them on by itself only on CPUs with AVX-512 VNNI, AVX-512 BF16, AVX-VNNI or
AMX (its `IsMklEnabled`, read once when its first kernel is chosen). On the
many x86 CPUs without those (AVX2 servers and laptops: AMD Zen 2/3, Intel
before Ice Lake), its own Eigen kernels run instead, and the zoo's models
train 1.45-1.8x slower than with oneDNN (docs/benchmark.md). `apply()` sets
`TF_ENABLE_ONEDNN_OPTS=1` on such CPUs, unless the variable is already set:
the user's setting always wins.

It reads only the environment and `/proc/cpuinfo` (no TensorFlow), and must
run before TensorFlow is imported: the `snt-zoo` command and `tools/*.py`
call it first. A library user gets the same speed by setting
`TF_ENABLE_ONEDNN_OPTS=1` before importing TensorFlow, or by calling
`zoo.cpu_defaults.apply()` first:

>>> from zoo import cpu_defaults
>>> cpu_defaults.apply()      # Before `import tensorflow`.
>>> import tensorflow as tf

A run records what it ran with (`choice().describe()` in its start-up
lines, `resolved_onednn` in config.yaml, `onednn` in metrics.jsonl).
"""

import dataclasses
import os
import pathlib
import platform
import sys
from typing import FrozenSet, Mapping, MutableMapping, Optional, Tuple

#: The variable TensorFlow reads ("1"/"true" on, "0"/"false" off).
ONEDNN_ENV = "TF_ENABLE_ONEDNN_OPTS"
#: Set beside it when the zoo (not the user) chose the value, so a process
#: started by a zoo process still knows whose choice it inherited.
ZOO_SET_ENV = "SNT_ZOO_SET_ONEDNN_OPTS"
#: CPU flags (/proc/cpuinfo names) on which TensorFlow turns oneDNN on by
#: itself on Linux (tensorflow/core/util/util.cc, `IsMklEnabled`).
TENSORFLOW_ONEDNN_FLAGS = ("avx512_vnni", "avx512_bf16", "avx_vnni",
                           "amx_tile", "amx_int8", "amx_bf16")
#: Machines whose TensorFlow builds carry oneDNN kernels for x86.
X86_MACHINES = ("x86_64", "amd64", "i386", "i686", "x86")
_CPUINFO = pathlib.Path("/proc/cpuinfo")
_TRUE = ("1", "true")
_FALSE = ("0", "false")


# /proc/cpuinfo ----------------------------------------------------------------


def read_cpuinfo(path: Optional[pathlib.Path] = None) -> str:
  """`/proc/cpuinfo` on Linux; "" elsewhere or when it cannot be read."""
  if not sys.platform.startswith("linux"):
    return ""
  try:
    return pathlib.Path(path or _CPUINFO).read_text(errors="replace")
  except OSError:
    return ""


def parse_cpuinfo(text: str) -> Tuple[str, FrozenSet[str]]:
  """The CPU model and flags of a Linux `/proc/cpuinfo` text.

  Only the first processor's entries are read (all cores of a machine
  report the same).

  Returns:
    `(model name, flags)`; `""` and an empty set when the text has none.
  """
  model, flags = "", None
  for line in text.splitlines():
    key, sep, value = line.partition(":")
    if not sep:
      continue
    key = key.strip()
    if key == "model name" and not model:
      model = value.strip()
    elif key == "flags" and flags is None:
      flags = frozenset(value.split())
  return model, flags or frozenset()


# oneDNN -----------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class OneDnnChoice:
  """Whether TensorFlow runs its oneDNN kernels, who decided, and why.

  Attributes:
    enabled: True or False; None where TensorFlow decides and the zoo cannot
      tell (a CPU whose flags are unknown, a platform other than Linux).
    set_by: "user" (TF_ENABLE_ONEDNN_OPTS was set), "zoo" (`apply()` set
      it) or "tensorflow" (its own default).
    reason: Why, in words.
    value: What `apply()` sets TF_ENABLE_ONEDNN_OPTS to ("" leaves it).
  """
  enabled: Optional[bool]
  set_by: str
  reason: str
  value: str = ""

  @property
  def state(self) -> str:
    """"on", "off" or "tensorflow's default" (recorded by runs)."""
    if self.enabled is None:
      return "tensorflow's default"
    return "on" if self.enabled else "off"

  def describe(self) -> str:
    return f"{self.state} ({self.reason})"


def decide(cpuinfo: str, environ: Mapping[str, str],
           system: str = "linux", machine: str = "x86_64") -> OneDnnChoice:
  """The oneDNN setting for a CPU, before TensorFlow starts.

  Args:
    cpuinfo: The machine's `/proc/cpuinfo` text ("" where there is none).
    environ: The environment (`os.environ`).
    system: `sys.platform` ("linux", "win32", "darwin").
    machine: `platform.machine()` ("x86_64", "aarch64", "AMD64").

  Returns:
    The user's TF_ENABLE_ONEDNN_OPTS where set; otherwise on (value "1")
    for x86 Linux CPUs on which TensorFlow would leave oneDNN off, and
    TensorFlow's own default elsewhere.
  """
  current = environ.get(ONEDNN_ENV)
  if current is not None and environ.get(ZOO_SET_ENV) != current:
    text = current.strip().lower()
    enabled = True if text in _TRUE else False if text in _FALSE else None
    return OneDnnChoice(enabled, "user",
                        f"{ONEDNN_ENV}={current} set by the user")
  if not system.startswith("linux"):
    return OneDnnChoice(None, "tensorflow",
                        f"TensorFlow's default on {system}; set "
                        f"{ONEDNN_ENV}=1 to try oneDNN")
  if machine.lower() not in X86_MACHINES:
    return OneDnnChoice(None, "tensorflow",
                        f"TensorFlow's default on {machine}")
  _, flags = parse_cpuinfo(cpuinfo)
  if not flags:
    return OneDnnChoice(None, "tensorflow",
                        "TensorFlow's default; CPU flags unknown")
  found = [f for f in TENSORFLOW_ONEDNN_FLAGS if f in flags]
  if found:
    return OneDnnChoice(True, "tensorflow",
                        f"TensorFlow's default on CPUs with {found[0]}")
  widest = "avx512f" if "avx512f" in flags else (
      "avx2" if "avx2" in flags else "no AVX2")
  return OneDnnChoice(True, "zoo",
                      f"set by snt-zoo: an x86 CPU with {widest} but none of "
                      f"{', '.join(TENSORFLOW_ONEDNN_FLAGS[:3])} or AMX, "
                      "where TensorFlow leaves oneDNN off", value="1")


def choice(environ: Optional[Mapping[str, str]] = None) -> OneDnnChoice:
  """The oneDNN setting of this process (what `apply()` decides or did)."""
  return decide(read_cpuinfo(), os.environ if environ is None else environ,
                sys.platform, platform.machine())


def apply(environ: Optional[MutableMapping[str, str]] = None
          ) -> OneDnnChoice:
  """Sets TF_ENABLE_ONEDNN_OPTS where the zoo turns oneDNN on; returns why.

  Call it before TensorFlow is imported (later it changes nothing in this
  process, only in the processes it starts). A variable the user set is
  left as it is.

  Args:
    environ: The environment to change (default `os.environ`).
  """
  environ = os.environ if environ is None else environ
  decided = choice(environ)
  if decided.value:
    environ[ONEDNN_ENV] = decided.value
    environ[ZOO_SET_ENV] = decided.value
  return decided


def without_zoo_choice(environ: Mapping[str, str]) -> dict:
  """`environ` as TensorFlow would run without `apply()` (the user's setting
  kept): for timing other frameworks at their own defaults."""
  environ = dict(environ)
  if ZOO_SET_ENV in environ:
    if environ.get(ONEDNN_ENV) == environ[ZOO_SET_ENV]:
      del environ[ONEDNN_ENV]
    del environ[ZOO_SET_ENV]
  return environ
