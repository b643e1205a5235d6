"""One side of a benchmark (the zoo, Keras or PyTorch) in a process of its own.

`zoo.benchmark.run_benchmark` starts one such process per side, so
TensorFlow's and PyTorch's thread pools never share a process, and asks
each in turn for a timed repetition:

    python -m zoo.benchmark_process '{"side": "torch", "model": ...}'

The process builds its side and warms it up, then answers one JSON line on
stdout per JSON line on stdin: `{"do": "train"}` / `{"do": "infer"}` (the
seconds of `steps` steps), `{"do": "peak", "dtype": ..., "size": ...}` (the
best matmul GFLOP/s of its framework and, on the zoo side, of NumPy),
`{"do": "flops"}` (the zoo side: FLOPs of one image's forward pass), or
`{"do": "quit"}`. Anything else the frameworks print goes to stderr.

Importing this module starts no framework: PyTorch is imported before
TensorFlow (here never at all), as importing it after TensorFlow in one
process can crash.
"""

import json
import math
import os
import resource
import sys
import time
from typing import Any, Callable, Dict, Optional

import numpy as np

from zoo import startup

#: Matmul dtypes each implementation is timed in.
NUMPY_DTYPES = ("float32",)
TORCH_DTYPES = ("float32", "bfloat16")


def peak_rss_mb() -> float:
  """Peak resident set size of this process so far, in MiB."""
  peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
  return peak / (1024 * 1024 if sys.platform == "darwin" else 1024)


def time_steps(fn: Callable[[], Any], steps: int) -> float:
  """Seconds of `steps` calls of `fn`."""
  start = time.perf_counter()
  for _ in range(steps):
    fn()
  return time.perf_counter() - start


def best_matmul_gflops(matmul: Callable[[], Any], size: int,
                       reps: int = 3) -> float:
  """Best GFLOP/s of a `size`-square `matmul()` after one untimed call."""
  matmul()
  best = math.inf
  for _ in range(reps):
    best = min(best, time_steps(matmul, 1))
  return 2.0 * size**3 / best / 1e9


def numpy_peak_gflops(dtype: str, size: int) -> Optional[float]:
  """NumPy's BLAS matmul GFLOP/s in `dtype` (None: not a BLAS dtype)."""
  if dtype not in NUMPY_DTYPES:
    return None
  rng = np.random.default_rng(0)
  a = rng.uniform(size=(size, size)).astype(dtype)
  b = rng.uniform(size=(size, size)).astype(dtype)
  return best_matmul_gflops(lambda: np.matmul(a, b), size)


def batch(spec: Dict[str, Any]):
  """The synthetic NHWC float32 images and int64 labels every side gets."""
  rng = np.random.default_rng(0)
  size = spec["image_size"]
  images = rng.uniform(-1, 1, [spec["batch_size"], size, size,
                               spec["channels"]]).astype(np.float32)
  labels = rng.integers(0, spec["num_classes"], [spec["batch_size"]])
  return images, labels


# PyTorch -----------------------------------------------------------------


def _torch_model(torch, model_name, num_classes, image_size):
  """The zoo's MNIST models as `torch.nn.Sequential` (NCHW input)."""
  nn = torch.nn
  if model_name == "softmax_regression":
    return nn.Sequential(nn.Flatten(), nn.Linear(image_size**2, num_classes))
  # deep_mnist_cnn: 5x5 SAME convolutions, 2x2 VALID max-pools.
  pooled = image_size // 2 // 2
  return nn.Sequential(
      nn.Conv2d(1, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
      nn.Conv2d(32, 64, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
      nn.Flatten(), nn.Linear(64 * pooled**2, 1024), nn.ReLU(),
      nn.Dropout(0.5), nn.Linear(1024, num_classes))


class TorchRunner:
  """The same architecture in PyTorch: forward, backward, Adam step.

  `mixed_bfloat16` runs the forward pass under CPU autocast to bfloat16
  (float32 parameters and optimizer, as in the zoo).
  """

  name = "torch"

  def __init__(self, torch, model_name, num_classes, image_size,
               precision="float32"):
    self._torch = torch
    self.model = _torch_model(torch, model_name, num_classes, image_size)
    self.optimizer = torch.optim.Adam(self.model.parameters(), lr=1e-3)
    self._bfloat16 = precision == "mixed_bfloat16"

  def _autocast(self):
    return self._torch.autocast("cpu", dtype=self._torch.bfloat16,
                                enabled=self._bfloat16)

  def setup(self, images, labels):
    """The batch as torch tensors: NCHW float32 images, int64 labels."""
    torch = self._torch
    images = torch.from_numpy(
        np.ascontiguousarray(np.transpose(images, (0, 3, 1, 2))))
    return images, torch.from_numpy(labels.astype(np.int64))

  def train(self, images, labels) -> float:
    self.model.train()
    self.optimizer.zero_grad(set_to_none=True)
    with self._autocast():
      loss = self._torch.nn.functional.cross_entropy(self.model(images),
                                                     labels)
    loss.backward()
    self.optimizer.step()
    return loss.detach().item()

  def infer(self, images):
    self.model.eval()
    with self._torch.inference_mode(), self._autocast():
      return self.model(images).float().numpy()


def torch_peak_gflops(torch, dtype: str, size: int) -> Optional[float]:
  """`torch.matmul` GFLOP/s in `dtype` (None: not timed in that dtype)."""
  if dtype not in TORCH_DTYPES:
    return None
  generator = torch.Generator().manual_seed(0)
  a = torch.rand(size, size, generator=generator).to(getattr(torch, dtype))
  b = torch.rand(size, size, generator=generator).to(getattr(torch, dtype))
  with torch.inference_mode():
    return best_matmul_gflops(lambda: torch.matmul(a, b), size)


# The process -------------------------------------------------------------


class _Side:
  """What one process runs: a runner and its framework's matmul peak."""

  def __init__(self, spec: Dict[str, Any]):
    self.spec = spec
    self.name = spec["side"]
    self.runner = None
    self.torch = None
    self.model = None
    self.facts: Dict[str, Any] = {}
    if self.name == "torch":  # Never imports TensorFlow.
      import torch  # pylint: disable=g-import-not-at-top
      self.torch = torch
      self.facts["versions"] = {"torch": torch.__version__}
      self.runner = TorchRunner(torch, spec["model"], spec["num_classes"],
                                spec["image_size"], spec["precision"])
    else:
      from zoo import benchmark  # pylint: disable=g-import-not-at-top
      from zoo.models import _registry  # pylint: disable=g-import-not-at-top
      from zoo.training import precision  # pylint: disable=g-import-not-at-top
      _registry.import_models(spec.get("imports", ()))
      self._benchmark = benchmark
      args = (spec["model"], spec["num_classes"], spec["image_size"],
              spec["batch_size"])
      if self.name == "zoo":
        try:
          self.runner = benchmark.ZooRunner(*args, spec["jit"],
                                            spec["precision"])
        except ValueError as e:
          # The zoo model checks its sizes first (Xception needs 71x71).
          raise benchmark.BenchmarkError(f"--model {spec['model']}: {e}") from e
        self.model = self.runner.model
      else:
        self.runner = benchmark.KerasRunner(*args, spec["precision"])
      self.facts["versions"] = benchmark.framework_versions(self.name)
      self.facts["onednn"] = precision.onednn_in_use().state
    before = peak_rss_mb()
    self.batch = self.runner.setup(*batch(spec))
    for _ in range(spec["warmup"] + 1):  # The first call compiles.
      self.runner.train(*self.batch)
      if not spec["no_inference"]:
        self.runner.infer(self.batch[0])
    after = peak_rss_mb()
    gpu = None if self.torch else self._benchmark.gpu_peak_mb()
    self.facts["memory"] = {"peak_rss_mb": round(after, 1),
                            "rss_increase_mb": round(after - before, 1),
                            "gpu_peak_mb": gpu}

  def answer(self, command: Dict[str, Any]) -> Dict[str, Any]:
    what, steps = command["do"], self.spec["steps"]
    if what == "train":
      return {"seconds": time_steps(lambda: self.runner.train(*self.batch),
                                    steps)}
    if what == "infer":
      return {"seconds": time_steps(lambda: self.runner.infer(self.batch[0]),
                                    steps)}
    if what == "peak":
      dtype, size = command["dtype"], command["size"]
      if self.torch is not None:
        found = {"torch": torch_peak_gflops(self.torch, dtype, size)}
      else:
        found = {"tensorflow": self._benchmark.measure_matmul_peak(
                     dtype, size),
                 "numpy": numpy_peak_gflops(dtype, size)}
      return {"peaks": {k: v for k, v in found.items() if v is not None}}
    if what == "flops":
      size, channels = self.spec["image_size"], self.spec["channels"]
      return {"forward": self._benchmark.forward_flops(
          self.model, (size, size, channels))}
    raise ValueError(f"unknown command {what!r}")


def main(argv=None) -> int:
  """Runs one side: `argv[0]` is its JSON spec (see `zoo.benchmark`)."""
  argv = sys.argv[1:] if argv is None else argv
  startup.quiet_tensorflow(os.environ.get(startup.DEBUG_ENV) == "1")
  # Replies go to the real stdout; whatever else prints goes to stderr.
  replies = os.fdopen(os.dup(1), "w")
  os.dup2(2, 1)

  def reply(message: Dict[str, Any]) -> None:
    replies.write(json.dumps(message) + "\n")
    replies.flush()

  try:
    side = _Side(json.loads(argv[0]))
  except Exception as e:  # pylint: disable=broad-except
    reply({"error": str(e).strip() or type(e).__name__,
           "kind": type(e).__name__,
           "usage": type(e).__name__ == "BenchmarkError"})
    return 1
  reply(dict(side.facts, ready=True))
  for line in sys.stdin:
    command = json.loads(line)
    if command["do"] == "quit":
      break
    reply(side.answer(command))
  return 0


if __name__ == "__main__":
  sys.exit(main())
