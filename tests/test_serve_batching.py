"""The micro-batcher (`zoo.serve.batching`): batches form, stay within
their size, keep shapes apart, fail alone and drain on stop."""

import asyncio

import numpy as np
import pytest

pytest.importorskip("fastapi")  # zoo.serve needs the serve extra.
from zoo.serve.batching import MicroBatcher  # pylint: disable=g-import-not-at-top


def _rows(images):
  """One row per image: its sum, so each request can check its own rows."""
  return images.reshape(len(images), -1).sum(axis=1, keepdims=True)


def _run(coroutine):
  return asyncio.run(coroutine)


def _images(value, count=1, shape=(2, 2, 1)):
  return np.full((count, *shape), value, np.int64)


def test_concurrent_requests_share_a_call_and_get_their_own_rows():
  async def main():
    batcher = MicroBatcher(_rows, max_batch_size=8, max_wait_ms=200)
    await batcher.start()
    answers = await asyncio.gather(*(batcher.submit(_images(i, count=2))
                                     for i in range(4)))
    await batcher.stop()
    return batcher.batch_sizes, answers

  sizes, answers = _run(main())
  assert sizes == [8]
  for index, rows in enumerate(answers):
    assert rows.tolist() == [[4 * index], [4 * index]]


def test_batches_stay_within_the_size_and_one_turns_batching_off():
  async def main(size):
    batcher = MicroBatcher(_rows, max_batch_size=size, max_wait_ms=50)
    await batcher.start()
    await asyncio.gather(*(batcher.submit(_images(i)) for i in range(7)))
    big = await batcher.submit(_images(1, count=5))  # Larger: runs alone.
    await batcher.stop()
    return batcher.batch_sizes, big

  sizes, big = _run(main(3))
  assert max(sizes[:-1]) <= 3 and sum(sizes[:-1]) == 7
  assert sizes[-1] == 5 and len(big) == 5
  sizes, _ = _run(main(1))
  assert sizes[:7] == [1] * 7


def test_shapes_run_apart_and_a_failure_stays_in_its_group():
  def picky(images):
    if images.shape[1] == 3:
      raise ValueError("no 3x3 images")
    return _rows(images)

  async def main():
    batcher = MicroBatcher(picky, max_batch_size=8, max_wait_ms=100)
    await batcher.start()
    answers = await asyncio.gather(
        batcher.submit(_images(1)), batcher.submit(_images(1, shape=(3, 3, 1))),
        batcher.submit(_images(2)), return_exceptions=True)
    after = await batcher.submit(_images(5))
    await batcher.stop()
    return answers, after

  answers, after = _run(main())
  assert answers[0].tolist() == [[4]] and answers[2].tolist() == [[8]]
  assert isinstance(answers[1], ValueError)
  assert after.tolist() == [[20]]


def test_stop_answers_what_is_queued_and_then_refuses():
  async def main():
    batcher = MicroBatcher(_rows, max_batch_size=4, max_wait_ms=1000)
    await batcher.start()
    pending = asyncio.ensure_future(batcher.submit(_images(3)))
    await asyncio.sleep(0.05)
    await batcher.stop()  # Closes the open batch at once and runs it.
    answer = await pending
    with pytest.raises(RuntimeError, match="not running"):
      await batcher.submit(_images(1))
    return answer

  assert _run(main()).tolist() == [[12]]


def test_arguments_are_checked():
  with pytest.raises(ValueError, match="max_batch_size"):
    MicroBatcher(_rows, max_batch_size=0)
  with pytest.raises(ValueError, match="max_wait_ms"):
    MicroBatcher(_rows, max_wait_ms=-1)
