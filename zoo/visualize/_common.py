"""What the run-level pictures share: the run, its output folder, samples."""

import os
import pathlib
from typing import Optional, Tuple, Union

import numpy as np

from zoo.training.run_dir import RunDir

RunLike = Union[RunDir, os.PathLike, str]


def as_run(run: RunLike) -> RunDir:
  return run if isinstance(run, RunDir) else RunDir(run)


def out_dir(run: RunDir, out: Optional[os.PathLike] = None,
            sub: str = "") -> pathlib.Path:
  """`out` (default RUN_DIR/visualize), or a folder in it, created."""
  path = pathlib.Path(out) if out else run.visualize_dir
  if sub:
    path = path / sub
  path.mkdir(parents=True, exist_ok=True)
  return path


def stratified_indices(labels: np.ndarray, count: int,
                       seed: int = 0) -> np.ndarray:
  """Up to `count` indices, as evenly spread over the classes as possible.

  Each class gets `count // K` (the remainder to the first classes that
  have more), chosen at random with `seed`; sorted, so a class-sorted split
  stays class-sorted.
  """
  labels = np.asarray(labels)
  rng = np.random.default_rng(seed)
  classes = np.unique(labels)
  pools = {c: rng.permutation(np.flatnonzero(labels == c)) for c in classes}
  chosen, taken = [], {c: 0 for c in classes}
  while len(chosen) < min(count, len(labels)):
    for c in classes:
      if taken[c] < len(pools[c]) and len(chosen) < count:
        chosen.append(pools[c][taken[c]])
        taken[c] += 1
  return np.sort(np.asarray(chosen, np.int64))


def eval_sample(run: RunDir, count: int, seed: int = 0
                ) -> Tuple[np.ndarray, np.ndarray]:
  """`count` images and labels of the evaluation split, every class in."""
  split = run.config["data"]["eval_split"]
  dataset = run.dataset().load(split, normalize=run.normalization)
  labels = np.fromiter((int(y) for _, y in dataset.as_numpy_iterator()),
                       np.int64)
  keep = set(stratified_indices(labels, count, seed).tolist())
  images, kept_labels = [], []
  for index, (image, label) in enumerate(dataset.as_numpy_iterator()):
    if index in keep:
      images.append(image)
      kept_labels.append(label)
  return np.stack(images), np.asarray(kept_labels, np.int64)
