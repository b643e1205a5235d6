"""Bad input and a failing disk: one line naming the problem, nothing lost.

The matrix: MNIST-format files that cannot be used, run directories that
cannot be written, a disk that fills during a save, and every kind of file
a user may hand to `predict`. Each case asserts the exit code, that the
message is one line naming the file or key, and what happened to the data.
"""

import errno
import io
import os

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image
from conftest import train_offline

from zoo import cli
from zoo import predict
from zoo.serving import runtimes
from zoo.datasets import idx

_QUICK = ["--config", "softmax_mnist_quick", "train.steps=4",
          "train.log_every=2", "train.eval_every=100",
          "train.checkpoint_every=2"]


@pytest.fixture(autouse=True)
def _offline(monkeypatch, tmp_path_factory):
  monkeypatch.setenv("SNT_ZOO_OFFLINE", "1")
  monkeypatch.setenv("SNT_ZOO_CACHE", str(tmp_path_factory.mktemp("cache")))


def _one_line_error(capsys):
  # The progress bar shares stderr (tqdm's convention); the error is one line.
  err = "\n".join(line for line in capsys.readouterr().err.splitlines()
                  if not line.startswith("step ")).strip()
  assert len(err.splitlines()) == 1 and err.startswith("Error"), err
  assert "Traceback" not in err
  return err


def _mnist_dir(directory, train_images=8, test_images=4, labels_shift=0):
  directory.mkdir(parents=True, exist_ok=True)
  rng = np.random.default_rng(0)
  for stem, count in (("train", train_images), ("t10k", test_images)):
    idx.write_idx(str(directory / f"{stem}-images-idx3-ubyte"),
                  rng.integers(0, 255, (count, 28, 28), np.uint8))
    idx.write_idx(str(directory / f"{stem}-labels-idx1-ubyte"),
                  (np.arange(count) % 10 + labels_shift).astype(np.uint8))
  return directory


@pytest.mark.parametrize("damage, expected", [
    ("no_train_images", "holds no images"),
    ("label_out_of_range", "out of range"),
    ("count_mismatch", "do not belong together"),
    ("truncated", "bytes"),
    ("not_idx", "magic"),
])
def test_unusable_mnist_files_are_named(tmp_path, capsys, damage, expected):
  data = tmp_path / "mnist"
  if damage == "no_train_images":
    _mnist_dir(data, train_images=0)
  elif damage == "label_out_of_range":
    _mnist_dir(data, labels_shift=5)
  else:
    _mnist_dir(data)
    images = data / "train-images-idx3-ubyte"
    labels = data / "train-labels-idx1-ubyte"
    if damage == "count_mismatch":
      idx.write_idx(str(labels), np.zeros([3], np.uint8))
    elif damage == "truncated":
      images.write_bytes(images.read_bytes()[:500])
    else:
      images.write_bytes(b"<html>Not Found</html>" * 10)
  code = cli.main(["train", *_QUICK, f"run_dir={tmp_path / 'run'}",
                   f"data.data_dir={data}"])
  err = _one_line_error(capsys)
  assert code == 2, err
  assert expected in err and str(data) in err, err
  assert not list((tmp_path / "run").glob("checkpoints/ckpt-*"))


@pytest.mark.parametrize("obstacle", ["run_dir", "checkpoints",
                                      "tensorboard"])
def test_a_file_in_the_way_is_named_before_training(tmp_path, capsys,
                                                    obstacle):
  run = tmp_path / "run"
  blocked = run if obstacle == "run_dir" else run / obstacle
  blocked.parent.mkdir(parents=True, exist_ok=True)
  blocked.write_text("a user's file")
  assert cli.main(["train", *_QUICK, f"run_dir={run}"]) == 2
  err = _one_line_error(capsys)
  assert str(blocked) in err and "is a file" in err, err
  assert blocked.read_text() == "a user's file"
  assert not (run / "metrics.jsonl").exists() if run.is_dir() else True


def test_a_run_dir_that_cannot_be_written_is_named(capsys):
  target = "/sys/snt-zoo-run"  # A read-only file system in containers.
  try:
    os.mkdir(target)
  except OSError as e:
    reason = e.errno
  else:
    os.rmdir(target)
    pytest.skip("/sys is writable here")
  assert reason in (errno.EROFS, errno.EPERM, errno.EACCES)
  assert cli.main(["train", *_QUICK, f"run_dir={target}"]) == 2
  err = _one_line_error(capsys)
  assert target in err and "writable" in err, err


def test_a_full_disk_during_a_save_keeps_the_earlier_checkpoints(
    tmp_path, capsys, monkeypatch):
  run = tmp_path / "run"
  original, calls = tf.train.CheckpointManager.save, []

  def filling_disk(self, *args, **kwargs):
    calls.append(kwargs.get("checkpoint_number"))
    if len(calls) > 1:
      raise tf.errors.ResourceExhaustedError(
          None, None, f"{self.directory}/ckpt-4_temp; No space left on device")
    return original(self, *args, **kwargs)

  monkeypatch.setattr(tf.train.CheckpointManager, "save", filling_disk)
  assert cli.main(["train", *_QUICK, f"run_dir={run}"]) == 1
  err = _one_line_error(capsys)
  assert "No space left on device" in err and "step 4" in err, err
  assert "run the same command to resume" in err
  assert calls == [2, 4]
  assert tf.train.latest_checkpoint(str(run / "checkpoints")).endswith(
      "ckpt-2")
  monkeypatch.setattr(tf.train.CheckpointManager, "save", original)
  assert cli.main(["train", *_QUICK, f"run_dir={run}"]) == 0
  assert "Resuming from" in capsys.readouterr().out
  assert tf.train.latest_checkpoint(str(run / "checkpoints")).endswith(
      "ckpt-4")


def _image_bytes(mode, fmt, size=(20, 16), **save):
  buffer = io.BytesIO()
  image = Image.new(mode, size)
  if mode == "P":
    image.putpalette([v for i in range(256) for v in (i, 255 - i, 0)])
  image.save(buffer, fmt, **save)
  return buffer.getvalue()


def _animated_gif():
  buffer = io.BytesIO()
  frames = [Image.new("P", (12, 12), color) for color in (0, 80, 160)]
  frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:])
  return buffer.getvalue()


# name -> (file bytes, None if it must be classified, else the reason).
_PREDICT_INPUTS = {
    "rgb.jpg": (_image_bytes("RGB", "JPEG"), None),
    "grey.png": (_image_bytes("L", "PNG"), None),
    "grey16.png": (_image_bytes("I;16", "PNG"), None),
    "cmyk.jpg": (_image_bytes("CMYK", "JPEG"), None),
    "palette_transparent.png": (
        _image_bytes("P", "PNG", transparency=0), None),
    "rgba.png": (_image_bytes("RGBA", "PNG"), None),
    "grey_alpha.png": (_image_bytes("LA", "PNG"), None),
    "bilevel.bmp": (_image_bytes("1", "BMP"), None),
    "animated.gif": (_animated_gif(), None),
    "float.tiff": (_image_bytes("F", "TIFF"), None),
    "webp_named.jpg": (_image_bytes("RGB", "WEBP"), None),
    "tiny_1x1.png": (_image_bytes("RGB", "PNG", size=(1, 1)), None),
    "empty.jpg": (b"", "not an image file"),
    "text.png": (b"hello, not an image", "not an image file"),
    "truncated.png": (_image_bytes("RGB", "PNG", size=(64, 64))[:60],
                      "cannot read the image"),
    "bomb.png": (_image_bytes("L", "PNG", size=(200, 200)),
                 "too large to decode safely"),
}


@pytest.mark.parametrize("channels", [1, 3])
def test_every_predict_input_is_classified_or_named(
    tmp_path, monkeypatch, channels):
  # A decompression bomb, scaled down: Pillow refuses images over twice
  # this many pixels (the 200x200 one), as it would a 180-megapixel file.
  monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 200 * 200 // 2 - 1)
  paths = []
  for name, (data, _) in _PREDICT_INPUTS.items():
    (tmp_path / name).write_bytes(data)
    paths.append(tmp_path / name)
  paths += [tmp_path / "missing.jpg", tmp_path]
  seen_shapes = []

  def probabilities(images):
    seen_shapes.append(images.shape)
    assert images.dtype == np.uint8
    return np.tile([[0.25, 0.75]], [len(images), 1])

  class FakeRuntime(runtimes.Runtime):
    format = "test"

    def probabilities(self, images):
      return probabilities(images)

  runtime = FakeRuntime(tmp_path, {"class_names": ["cat", "dog"],
                                   "channels": channels,
                                   "image_size": [28, 28]})
  results = {pathlib_name(r.path): r
             for r in predict.classify_files(paths, runtime)}
  assert len(results) == len(paths)
  for name, (_, reason) in _PREDICT_INPUTS.items():
    result = results[name]
    if reason is None:
      assert result.error is None, (name, result.error)
      assert result.top_k[0] == ("dog", pytest.approx(0.75)), name
    else:
      assert reason in result.error, (name, result.error)
  assert "no such file" in results["missing.jpg"].error
  assert "is a directory" in results[tmp_path.name].error
  assert all(shape[-1] == channels for shape in seen_shapes)


def pathlib_name(path):
  return os.path.basename(os.fspath(path).rstrip(os.sep))


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
  return train_offline(tmp_path_factory.mktemp("trained"),
                       "softmax_mnist_quick", *_QUICK[2:],
                       "train.precision=float32").run_dir.path


@pytest.mark.parametrize("case, expected", [
    ("missing_path", "does not exist"),
    ("not_a_run", "not a run directory"),
    ("unknown_split", "Unknown split"),
    ("damaged_checkpoints", "cannot be read"),
])
def test_bad_evaluate_inputs_are_named(tmp_path, capsys, trained_run, case,
                                       expected):
  argv = ["evaluate", str(trained_run)]
  if case == "missing_path":
    argv[1] = str(tmp_path / "nope")
  elif case == "not_a_run":
    argv[1] = str(tmp_path)
  elif case == "unknown_split":
    argv += ["--split", "nosuch"]
  else:
    run = tmp_path / "run"
    import shutil  # pylint: disable=g-import-not-at-top
    shutil.copytree(trained_run, run)
    for data in run.glob("checkpoints/**/*.data-*"):
      data.write_bytes(b"garbage")
    argv[1] = str(run)
  code = cli.main(argv)
  err = _one_line_error(capsys)
  assert code == 2 and expected in err, (code, err)
  if case == "damaged_checkpoints":
    # The original run is untouched, the copy's files are left as they are.
    assert all(p.read_bytes() == b"garbage"
               for p in (tmp_path / "run").glob("checkpoints/**/*.data-*"))
