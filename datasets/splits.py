"""Deterministic, stratified train/validation splits."""

from typing import Tuple

import numpy as np


def stratified_split(
    labels: np.ndarray,
    fraction: float,
    seed: int,
) -> Tuple[np.ndarray, np.ndarray]:
  """Splits example indices into two stratified, seeded parts.

  Each class contributes `round(fraction * class_count)` examples to the
  second part (at least one when the class has two or more examples and
  `fraction > 0`), so class proportions are kept in both parts.

  Args:
    labels: integer class labels, shape [N].
    fraction: share of each class that goes to the second part, in [0, 1).
    seed: seed of the permutation; the same seed gives the same split.

  Returns:
    `(first, second)`: sorted int64 index arrays that partition `range(N)`.
  """
  if not 0.0 <= fraction < 1.0:
    raise ValueError(f"The split fraction must be in [0, 1), got {fraction}.")
  labels = np.asarray(labels)
  rng = np.random.default_rng(seed)
  first, second = [], []
  for label in np.unique(labels):
    members = np.flatnonzero(labels == label)
    members = members[rng.permutation(len(members))]
    count = int(round(fraction * len(members)))
    if fraction > 0 and count == 0 and len(members) >= 2:
      count = 1
    second.append(members[:count])
    first.append(members[count:])
  first = np.sort(np.concatenate(first)) if first else np.zeros([0], np.int64)
  second = np.sort(np.concatenate(second)) if second else np.zeros([0], np.int64)
  return first.astype(np.int64), second.astype(np.int64)
