"""Measures input-pipeline throughput in images/s (a benchmark, not a test).

    snt-zoo benchmark --data [--flowers-images 680] [--sizes 149 299]
    # or: zoo.datasets.throughput.run(flowers_images=680, sizes=(149, 299))

MNIST: the bundled sample (or the cache) from memory, batched, shuffled.
Flowers17: generated JPEGs of about 500x375 in the official layout, timed on
the first epoch (read + decode + resize) with augmentation, and again on a
cached epoch (augment + normalise only).
"""

import os
import tempfile
import time
from pathlib import Path
from typing import Sequence

import numpy as np
from PIL import Image

from . import _registry

_AUGMENT = {"flip_left_right": True, "brightness": 63, "contrast": [0.2, 1.8]}


def _time_epoch(dataset, max_batches=None):
  """Returns (images, seconds) for one pass over `dataset`."""
  start = time.perf_counter()
  count = 0
  for batch_index, (images, _) in enumerate(dataset):
    count += int(images.shape[0])
    if max_batches and batch_index + 1 >= max_batches:
      break
  return count, time.perf_counter() - start


def make_flowers_tree(root: Path, num_images: int, seed: int = 0) -> None:
  """Writes `num_images` smooth, photo-like 500x375 JPEGs in official layout."""
  rng = np.random.default_rng(seed)
  image_dir = root / "jpg"
  image_dir.mkdir(parents=True)
  y, x = np.mgrid[0:375, 0:500].astype(np.float32)
  step = max(1, 1360 // num_images)
  for index in range(1, 1361, step)[:num_images]:
    freq = rng.uniform(0.005, 0.05, size=3)
    phase = rng.uniform(0, 6.3, size=3)
    channels = [127 + 100 * np.sin(freq[c] * x + phase[c]) *
                np.cos(freq[(c + 1) % 3] * y) for c in range(3)]
    image = np.stack(channels, -1) + rng.normal(0, 12, (375, 500, 3))
    Image.fromarray(np.clip(image, 0, 255).astype(np.uint8)).save(
        image_dir / f"image_{index:04d}.jpg", quality=90)


def bench_mnist(batch_size: int) -> None:
  info = _registry.info("mnist")
  dataset = _registry.load("mnist", "train", batch_size=batch_size,
                          shuffle=True, repeat=True, drop_remainder=True)
  _time_epoch(dataset, 20)  # Warm up.
  count, seconds = _time_epoch(dataset, 400)
  print(f"mnist  batch {batch_size}: {count / seconds:12,.0f} images/s  "
        f"(source: {info.source})")


def bench_flowers(root: Path, size: int, batch_size: int) -> None:
  options = dict(data_dir=str(root), image_size=size, normalize="symmetric",
                 augment=_AUGMENT, shuffle=True, batch_size=batch_size,
                 drop_remainder=True, split_ratio=1.0)
  start = time.perf_counter()
  dataset = _registry.load("flowers17", "train", **options)
  setup = time.perf_counter() - start
  count, seconds = _time_epoch(dataset)
  cached_count, cached_seconds = _time_epoch(dataset)
  print(f"flowers17 {size}x{size}: first epoch (read+decode+resize+augment) "
        f"{count / seconds:8,.0f} images/s; cached epoch "
        f"{cached_count / cached_seconds:8,.0f} images/s; setup "
        f"(listing + corrupt scan) {setup:.1f}s")


def run(flowers_images: int = 680, sizes: Sequence[int] = (149, 299),
        batch_size: int = 32, mnist_batch_size: int = 128) -> None:
  """Times the MNIST and Flowers17 pipelines and prints images/s."""
  print(f"CPU cores: {os.cpu_count()}")
  bench_mnist(mnist_batch_size)
  with tempfile.TemporaryDirectory() as tmp:
    os.environ.setdefault("SNT_ZOO_CACHE", str(Path(tmp) / "cache"))
    root = Path(tmp) / "flowers17"
    start = time.perf_counter()
    make_flowers_tree(root, flowers_images)
    sizes_kib = [p.stat().st_size for p in (root / "jpg").iterdir()]
    print(f"generated {len(sizes_kib)} 500x375 JPEGs (mean "
          f"{np.mean(sizes_kib) / 1024:.0f} KiB) in "
          f"{time.perf_counter() - start:.1f}s")
    for size in sizes:
      bench_flowers(root, size, batch_size)
