"""Samples of a run's evaluation split with every class in them.

Evaluation splits are often stored sorted by class (the bundled MNIST sample
is), so the first N examples, or every k-th, can miss classes entirely. These
draw a seeded sample spread evenly over the classes instead.
"""

from typing import Tuple

import numpy as np

from zoo.training.run_dir import RunDir

BATCH_SIZE = 500


def stratified_indices(labels: np.ndarray, count: int,
                       seed: int = 0) -> np.ndarray:
  """Up to `count` indices, spread as evenly over the classes as possible.

  Each class gets `count // K` examples, chosen at random with `seed`; the
  remainder goes one each to the first classes that still have examples left
  (so a small class gives its share to the others).

  Args:
    labels: `[N]` integer labels.
    count: How many indices (at most N are returned).
    seed: Seed of the choice within each class.

  Returns:
    `[min(count, N)]` int64 indices into `labels`, sorted (a class-sorted
    split stays class-sorted).
  """
  labels = np.asarray(labels)
  count = min(int(count), len(labels))
  rng = np.random.default_rng(seed)
  classes = np.unique(labels)
  pools = [rng.permutation(np.flatnonzero(labels == c)) for c in classes]
  chosen, taken = [], [0] * len(pools)
  while len(chosen) < count:  # Round robin: one example per class a round.
    for index, pool in enumerate(pools):
      if taken[index] < len(pool) and len(chosen) < count:
        chosen.append(pool[taken[index]])
        taken[index] += 1
  return np.sort(np.asarray(chosen, np.int64))


def split_labels(run: RunDir, split: str) -> np.ndarray:
  """The `[N]` labels of a split of the run's dataset, in split order."""
  dataset = run.dataset().load(split, normalize=run.normalization,
                               batch_size=BATCH_SIZE)
  batches = [labels for labels in
             dataset.map(lambda image, label: label).as_numpy_iterator()]
  return (np.concatenate(batches).astype(np.int64) if batches
          else np.zeros([0], np.int64))


def eval_sample(run: RunDir, count: int, seed: int = 0
                ) -> Tuple[np.ndarray, np.ndarray]:
  """A seeded, class-stratified sample of the run's evaluation split.

  Args:
    run: The run; its `data.eval_split` is sampled, with the model's input
      normalisation.
    count: How many examples (fewer if the split is smaller).
    seed: Seed of the sample.

  Returns:
    `(images, labels)`: `[count, H, W, C]` float32 model inputs and `[count]`
    int64 labels, in split order.

  Raises:
    ValueError: If `count` is 0 or the split is empty.
  """
  split = run.config["data"]["eval_split"]
  labels = split_labels(run, split)
  chosen = stratified_indices(labels, count, seed)
  if not chosen.size:
    raise ValueError(f"Cannot sample {count} examples of the {split} split "
                     f"({len(labels)} examples).")
  dataset = run.dataset().load(split, normalize=run.normalization,
                               batch_size=BATCH_SIZE)
  images, labels, start = [], [], 0
  for batch_images, batch_labels in dataset.as_numpy_iterator():
    end = start + len(batch_labels)
    inside = chosen[(chosen >= start) & (chosen < end)] - start
    images.append(batch_images[inside])
    labels.append(batch_labels[inside])
    start = end
    if end > chosen[-1]:
      break
  return (np.concatenate(images).astype(np.float32),
          np.concatenate(labels).astype(np.int64))
