"""Requests that arrive together, run as one batch.

    batcher = MicroBatcher(runtime.probabilities, max_batch_size=32,
                           max_wait_ms=2)
    await batcher.start()
    probabilities = await batcher.submit(images)   # uint8 [n, H, W, C]
    await batcher.stop()                           # runs what is queued

The first queued request opens a batch; requests arriving within
`max_wait_ms` join it until it holds `max_batch_size` images (with 0, the
requests that queued while the model ran the batch before). Images of
the same shape are stacked and run in one call of the model on a worker
thread (one call at a time, so the event loop stays free); a request is
never split, and each gets exactly the rows of its own images, so the
answers equal those of requests run one at a time (up to float32 rounding:
a batch may run other kernels, about 1e-6 apart). `max_batch_size=1` runs
every request on its own.
"""

import asyncio
import concurrent.futures
import dataclasses
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np


@dataclasses.dataclass
class _Pending:
  images: np.ndarray
  future: asyncio.Future


class MicroBatcher:
  """Collects concurrent requests into batches for one model function."""

  def __init__(self, function: Callable[[np.ndarray], np.ndarray],
               max_batch_size: int = 32, max_wait_ms: float = 0.0):
    """Builds the batcher (call `start` inside the event loop).

    Args:
      function: Batch in, one result row per image out (e.g.
        `Runtime.probabilities`).
      max_batch_size: Images per batch at most (a larger request runs
        alone); 1 turns batching off.
      max_wait_ms: How long the first request of a batch waits for others.

    Raises:
      ValueError: For a batch size under 1 or a negative wait.
    """
    if max_batch_size < 1:
      raise ValueError(f"max_batch_size must be at least 1, got "
                       f"{max_batch_size}.")
    if max_wait_ms < 0:
      raise ValueError(f"max_wait_ms must be 0 or more, got {max_wait_ms}.")
    self.function = function
    self.max_batch_size = int(max_batch_size)
    self.max_wait_ms = float(max_wait_ms)
    self.batch_sizes: List[int] = []  # Images per model call, for tests.
    self._queue: Optional[asyncio.Queue] = None
    self._worker: Optional[asyncio.Task] = None
    self._executor: Optional[concurrent.futures.ThreadPoolExecutor] = None

  @property
  def running(self) -> bool:
    return self._worker is not None and not self._worker.done()

  async def start(self) -> None:
    self._queue = asyncio.Queue()
    self._executor = concurrent.futures.ThreadPoolExecutor(
        1, thread_name_prefix="model")
    self._worker = asyncio.get_running_loop().create_task(self._serve())

  async def stop(self) -> None:
    """Runs every queued request, then stops the worker."""
    if self._worker is None:
      return
    await self._queue.put(None)
    await self._worker
    self._executor.shutdown(wait=True)
    self._worker = None

  async def run(self, function: Callable, *args):
    """Runs `function(*args)` on the model's thread (not batched)."""
    return await asyncio.get_running_loop().run_in_executor(
        self._executor, function, *args)

  async def submit(self, images: np.ndarray) -> np.ndarray:
    """The function's rows for `images` (`[n, H, W, C]`), batched."""
    if not self.running:
      raise RuntimeError("The batcher is not running.")
    future = asyncio.get_running_loop().create_future()
    await self._queue.put(_Pending(np.asarray(images), future))
    return await future

  async def _collect(self, first: _Pending) -> Tuple[List[_Pending], bool]:
    """The batch `first` opens, and whether the stop sentinel was seen."""
    batch, size = [first], len(first.images)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + self.max_wait_ms / 1000.0
    while size < self.max_batch_size:
      remaining = deadline - loop.time()
      try:
        if remaining <= 0:
          item = self._queue.get_nowait()
        else:
          item = await asyncio.wait_for(self._queue.get(), remaining)
      except (asyncio.QueueEmpty, asyncio.TimeoutError):
        break
      if item is None:
        return batch, True
      if size + len(item.images) > self.max_batch_size:
        await self._run([item])  # Too large to join: runs on its own next.
        continue
      batch.append(item)
      size += len(item.images)
    return batch, False

  async def _serve(self) -> None:
    stopping = False
    while True:
      if stopping and self._queue.empty():
        return
      item = await self._queue.get()
      if item is None:
        stopping = True
        continue
      batch, saw_stop = await self._collect(item)
      stopping = stopping or saw_stop
      await self._run(batch)

  async def _run(self, batch: List[_Pending]) -> None:
    by_shape: Dict[tuple, List[_Pending]] = {}
    for pending in batch:
      by_shape.setdefault(pending.images.shape[1:], []).append(pending)
    for group in by_shape.values():
      images = np.concatenate([pending.images for pending in group])
      try:
        rows = await self.run(self.function, images)
      except Exception as e:  # pylint: disable=broad-except
        for pending in group:
          if not pending.future.done():
            pending.future.set_exception(e)
        continue
      self.batch_sizes.append(len(images))
      start = 0
      for pending in group:
        count = len(pending.images)
        if not pending.future.done():
          pending.future.set_result(rows[start:start + count])
        start += count
