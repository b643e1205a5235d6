"""Tests for datasets/image_files.py: the scan agrees with the pipeline."""

import io
import json

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image
from PIL import ImageFile

from zoo import datasets
from zoo.datasets import image_files


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
  monkeypatch.setenv("SNT_ZOO_CACHE", str(tmp_path / "cache"))


def _rgb(seed=0, size=(20, 30)):
  rng = np.random.default_rng(seed)
  return Image.fromarray(rng.integers(0, 256, (*size, 3), dtype=np.uint8))


def _encoded(image, fmt, **kwargs):
  buffer = io.BytesIO()
  image.save(buffer, format=fmt, **kwargs)
  return buffer.getvalue()


def _odd_files():
  """name -> (bytes, expected problem or None: the file decodes)."""
  rgb = _rgb()
  palette = rgb.convert("P")
  deep = Image.fromarray(np.full((12, 14), 65535, np.uint16))
  frames = [palette, _rgb(1).convert("P")]
  animated = io.BytesIO()
  frames[0].save(animated, format="GIF", save_all=True,
                 append_images=frames[1:])
  jpeg = _encoded(_rgb(2, (64, 64)), "JPEG", quality=90)
  return {
      "rgb.jpg": (_encoded(rgb, "JPEG"), None),
      "grey.jpg": (_encoded(rgb.convert("L"), "JPEG"), None),
      "cmyk.jpg": (_encoded(rgb.convert("CMYK"), "JPEG"), None),
      "progressive.jpeg": (_encoded(rgb, "JPEG", progressive=True), None),
      "sixteen_bit.png": (_encoded(deep, "PNG"), None),
      "palette_transparent.png": (_encoded(palette, "PNG", transparency=0),
                                  None),
      "grey_alpha.png": (_encoded(rgb.convert("LA"), "PNG"), None),
      "png_named.jpg": (_encoded(rgb.convert("RGBA"), "PNG"), None),
      "animated.gif": (animated.getvalue(), None),
      "webp_named.jpg": (_encoded(rgb, "WEBP"), None),
      "plain.bmp": (_encoded(rgb, "BMP"), None),
      "tiff_named.jpg": (_encoded(rgb, "TIFF"),
                         "TIFF image, which TensorFlow does not decode"),
      "truncated.jpg": (jpeg[:len(jpeg) * 3 // 4],
                        "corrupt or truncated JPEG data"),
      "garbage.png": (b"not an image at all", "not a readable image"),
      "empty.jpg": (b"", "empty file"),
  }


@pytest.fixture
def odd_tree(tmp_path):
  root = tmp_path / "odd"
  root.mkdir()
  expected = {}
  for name, (contents, problem) in _odd_files().items():
    (root / name).write_bytes(contents)
    expected[root / name] = problem
  return root, expected


def _pipeline_decodes(path):
  try:
    images = [image for image, _ in image_files.file_dataset(
        [path], np.zeros([1], np.int32), (8, 8)).as_numpy_iterator()]
  except tf.errors.OpError:
    return False
  return len(images) == 1 and images[0].shape == (8, 8, 3)


def test_every_file_the_scan_passes_decodes_in_the_pipeline(odd_tree):
  root, expected = odd_tree
  for path, problem in expected.items():
    verdict = image_files.check_image(path)
    assert _pipeline_decodes(path) == (verdict is None), path.name
    if problem is None:
      assert verdict is None, (path.name, verdict)
    else:
      assert verdict is not None and problem in verdict, (path.name, verdict)
  found = image_files.find_corrupt(sorted(expected), root, "odd")
  assert found == {p: image_files.check_image(p)
                   for p, problem in expected.items() if problem}


def test_both_decoders_keep_the_same_files(odd_tree):
  """decoder="pillow" (no TensorFlow) scans to the same verdicts, so the
  same files are kept and split whichever reads them."""
  root, expected = odd_tree
  for path in expected:
    by_tensorflow = image_files.check_image(path)
    by_pillow = image_files.check_image(path, decoder="pillow")
    assert (by_tensorflow is None) == (by_pillow is None), (
        path.name, by_tensorflow, by_pillow)
  assert "TIFF image" in image_files.check_image(root / "tiff_named.jpg",
                                                 decoder="pillow")
  pillow = image_files.find_corrupt(sorted(expected), root, "odd", "pillow")
  assert set(pillow) == {p for p, problem in expected.items() if problem}


def test_a_truncated_jpeg_pillow_tolerates_is_still_named(tmp_path,
                                                          monkeypatch):
  jpeg = _encoded(_rgb(3, (64, 64)), "JPEG", quality=90)
  path = tmp_path / "cut.jpg"
  path.write_bytes(jpeg[:len(jpeg) * 3 // 4])
  monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
  with Image.open(path) as image:
    image.load()  # Pillow, so configured, accepts the file.
  assert "truncated JPEG" in image_files.check_image(path)
  assert not _pipeline_decodes(path)


def test_on_corrupt_error_names_each_file_and_reason(odd_tree):
  root, expected = odd_tree
  bad = sorted(p for p, problem in expected.items() if problem)
  with pytest.raises(datasets.DatasetError) as raised:
    image_files.screen("odd", sorted(expected), root, "error", "odd")
  message = str(raised.value)
  assert f"{len(bad)} corrupt image(s)" in message
  assert "on_corrupt='skip'" in message and "\n" not in message
  for path in bad:
    assert f"{path}: {expected[path]}" in message


def test_on_corrupt_skip_keeps_what_decodes_and_counts_the_rest(odd_tree):
  root, expected = odd_tree
  kept, notes = image_files.screen("odd", sorted(expected), root, "skip",
                                   "odd")
  assert kept == sorted(p for p, problem in expected.items() if not problem)
  bad = sum(1 for problem in expected.values() if problem)
  assert len(notes) == 1 and notes[0].startswith(f"skipped {bad} corrupt")
  dataset = image_files.file_dataset(kept, np.arange(len(kept)), (6, 10))
  images = list(dataset.as_numpy_iterator())
  assert [int(label) for _, label in images] == list(range(len(kept)))
  assert all(image.shape == (6, 10, 3) and image.dtype == np.uint8
             for image, _ in images)
  # Checked once for every dataset, before any file is read.
  for name in ("flowers17", "mnist", "synthetic"):
    with pytest.raises(ValueError, match="on_corrupt must be one of"):
      datasets.prepare(name, on_corrupt="ignore")


def test_decode_reads_any_mode_as_rgb_on_the_0_255_scale(odd_tree):
  root, _ = odd_tree
  deep = image_files.decode(tf.io.read_file(str(root / "sixteen_bit.png")))
  assert deep.shape == (12, 14, 3) and int(tf.reduce_min(deep)) == 255
  grey = image_files.decode(tf.io.read_file(str(root / "grey.jpg"))).numpy()
  np.testing.assert_array_equal(grey[..., 0], grey[..., 2])


def test_verdicts_are_cached_per_file_and_versioned(odd_tree, monkeypatch):
  root, expected = odd_tree
  paths = sorted(expected)
  first = image_files.find_corrupt(paths, root, "odd")
  cache_file, = (datasets.cache_dir("odd")).glob("scan-*.json")
  decoded = []
  monkeypatch.setattr(image_files, "check_image",
                      lambda path, decoder: decoded.append(path) or None)
  assert image_files.find_corrupt(paths, root, "odd") == first
  assert not decoded  # Only stat calls.
  (root / "rgb.jpg").write_bytes(b"now broken")
  image_files.find_corrupt(paths, root, "odd")
  assert decoded == [root / "rgb.jpg"]
  cached = json.loads(cache_file.read_text())
  cached["version"] = 1  # Verdicts of an older scan are not trusted.
  cache_file.write_text(json.dumps(cached))
  decoded.clear()
  image_files.find_corrupt(paths, root, "odd")
  assert sorted(decoded) == paths


def test_resize_keeps_channels_and_rounds_to_uint8():
  image = tf.constant(np.full((5, 7, 1), 200, np.uint8))
  resized = image_files.resize(image, (3, 4))
  assert resized.shape == (3, 4, 1) and resized.dtype == tf.uint8
  assert int(tf.reduce_max(resized)) == 200


def test_reasons_are_clean_and_name_broken_links(tmp_path):
  text = tmp_path / "notes.jpg"
  text.write_text("not an image")
  reason = image_files.check_image(text)
  assert reason.startswith("not a readable image (TensorFlow: ")
  assert "name:" not in reason and "[Op:" not in reason
  link = tmp_path / "gone.png"
  link.symlink_to(tmp_path / "elsewhere.png")
  assert image_files.check_image(link) == (
      f"broken symbolic link (to {tmp_path / 'elsewhere.png'})")
  assert image_files.find_corrupt([link], tmp_path, "t") == {
      link: image_files.check_image(link)}
