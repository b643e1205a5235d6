"""zoo.visualize on a tiny Deep-MNIST run (bundled sample, offline)."""

import json
import pathlib

import numpy as np
from PIL import Image
import pytest
import tensorflow as tf

from zoo import cli
from zoo import training
from zoo import visualize
from zoo.training.run_dir import RunDir
from zoo.visualize import _common
from zoo.visualize import activations as activations_lib
from zoo.visualize import filters as filters_lib
from zoo.visualize import images as image_lib

NUM_EVAL = 1500  # The bundled sample's test split.


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
  with pytest.MonkeyPatch.context() as patch:
    root = tmp_path_factory.mktemp("viz")
    patch.setenv("SNT_ZOO_OFFLINE", "1")
    patch.setenv("SNT_ZOO_CACHE", str(root / "cache"))
    path = root / "run"
    training.run(training.load_config("deep_mnist_quick", [
        f"run_dir={path}", "train.steps=30", "train.log_every=10",
        "train.eval_every=20", "train.checkpoint_every=30",
        "visualize.embeddings=true", "visualize.embedding_examples=100"]),
                 verbose=False)
    yield path


@pytest.fixture(autouse=True)
def _offline(monkeypatch, tmp_path_factory):
  monkeypatch.setenv("SNT_ZOO_OFFLINE", "1")
  monkeypatch.setenv("SNT_ZOO_CACHE", str(tmp_path_factory.getbasetemp()))


def test_training_wrote_the_projector_under_tensorboard(run_dir):
  from google.protobuf import text_format  # pylint: disable=g-import-not-at-top
  from tensorboard.plugins import projector  # pylint: disable=g-import-not-at-top
  directory = run_dir / "tensorboard" / "projector"
  parsed = text_format.Parse(
      (directory / "projector_config.pbtxt").read_text(),
      projector.ProjectorConfig())
  embedding = parsed.embeddings[0]
  assert list(embedding.sprite.single_image_dim) == [64, 64]
  rows = (directory / embedding.metadata_path).read_text().splitlines()
  assert rows[0] == "label\tprediction" and len(rows) == 101
  # Every class is in the sample (the split is sorted by class).
  assert {row.split("\t")[0] for row in rows[1:]} == {str(d)
                                                       for d in range(10)}
  reader = tf.train.load_checkpoint(str(directory))
  assert reader.get_tensor(embedding.tensor_name).shape == (100, 3136)
  assert Image.open(directory / embedding.sprite.image_path).size == (640,
                                                                      640)
  assert list(directory.glob("events.out.tfevents.*"))  # A TensorBoard run.


def test_stratified_indices_cover_every_class():
  labels = np.repeat(np.arange(10), 150)  # Sorted by class.
  chosen = _common.stratified_indices(labels, 25, seed=0)
  counts = np.bincount(labels[chosen], minlength=10)
  assert len(chosen) == 25 and counts.min() == 2 and counts.max() == 3
  np.testing.assert_array_equal(chosen,
                                _common.stratified_indices(labels, 25, 0))
  assert len(_common.stratified_indices(labels[:3], 10)) == 3


def test_activations(run_dir):
  paths = visualize.write_activations(run_dir, num_images=1)
  names = sorted(pathlib.Path(p).name for p in paths)
  assert names == ["image0_conv_pool_0.png", "image0_conv_pool_1.png"]
  picture = Image.open(run_dir / "visualize/activations/image0_conv_pool_0.png")
  # Input + two 6x6 grids (32 channels) of 14x14 tiles enlarged to 28.
  grid = 6 * (28 + 1) + 1
  assert picture.height == grid + image_lib.LABEL_HEIGHT
  assert picture.width > 2 * grid


def test_trained_activations_vary(run_dir):
  run = RunDir(run_dir)
  model, _ = run.restore_model()
  images, _ = _common.eval_sample(run, 2)
  activations = activations_lib.spatial_activations(model, images)
  assert list(activations) == ["conv_pool_0", "conv_pool_1"]
  for value in activations.values():
    assert value.std() > 0
    assert (value.reshape(-1, value.shape[-1]).std(axis=0) > 0).sum() > 1


def test_tile_grid_and_normalisation():
  tiles = np.stack([
      image_lib.normalize_tile(np.full([3, 3], 7.0)),
      image_lib.normalize_tile(np.arange(9.).reshape(3, 3) * 1e9),
      image_lib.normalize_tile(np.zeros([3, 3]))])
  assert (tiles[0] == 128).all() and tiles[1].min() == 0
  assert tiles[1].max() == 255
  grid = image_lib.tile_grid(tiles, pad=1, scale=2)
  assert grid.shape == (2 * 7 + 1, 2 * 7 + 1)  # 2x2 grid of 6x6 tiles.
  assert image_lib.grid_shape(32) == (6, 6)
  assert image_lib.grid_shape(2048) == (45, 46)


def test_summary_grid_eagerly_and_in_a_function():
  batch = tf.reshape(tf.range(5 * 2 * 3 * 1, dtype=tf.float32) / 30.0,
                     [5, 2, 3, 1]) * 2.0 - 1.0
  grid = image_lib.summary_grid(batch, "symmetric")
  assert grid.shape == (1, 2 * 2, 3 * 3, 1)  # 5 images: 2 rows of 3.
  np.testing.assert_allclose(grid[0, :2, 3:6, 0],
                             (batch[1, :, :, 0] + 1.0) / 2.0, atol=1e-6)
  assert float(tf.reduce_max(grid[0, 2:, 6:, 0])) == 0.0  # Padding.
  compiled = tf.function(lambda x: image_lib.summary_grid(x, "symmetric"))
  np.testing.assert_allclose(compiled(batch), grid)


def test_filters(run_dir):
  path, = visualize.write_filters(run_dir)
  assert path.endswith("filters.png")
  picture = Image.open(path)
  # Two panels of 6x6 tiles of 5x5 filters enlarged 8 times, padding 2.
  panel = 6 * (5 * 8 + 2) + 2
  assert picture.height == panel + image_lib.LABEL_HEIGHT
  assert picture.width >= 2 * panel + 16  # The caption may widen a panel.
  grid = filters_lib.filter_grid(np.random.randn(5, 5, 1, 32), scale=8)
  assert grid.shape == (panel, panel)
  rgb = filters_lib.filter_grid(np.random.randn(3, 3, 3, 32), scale=1)
  assert rgb.shape == (6 * 5 + 2, 6 * 5 + 2, 3)


def test_curves(run_dir):
  records = RunDir(run_dir).read_metrics()
  assert {r["split"] for r in records} == {"train", "test"}
  path, = visualize.write_curves(run_dir)
  assert Image.open(path).size == (1100, 400)


def test_confusion(run_dir):
  path, csv = visualize.write_confusion(run_dir)
  assert Image.open(path).size[0] >= 500
  lines = pathlib.Path(csv).read_text().splitlines()
  assert lines[0].split(",")[1:] == [str(i) for i in range(10)]
  matrix = np.array([[int(x) for x in line.split(",")[1:]]
                     for line in lines[1:]])
  assert matrix.shape == (10, 10) and matrix.sum() == NUM_EVAL
  metrics = [r for r in RunDir(run_dir).read_metrics()
             if r["split"] == "test"]
  assert np.trace(matrix) / NUM_EVAL == pytest.approx(
      max(r["accuracy"] for r in metrics), abs=1e-3)


def test_embeddings_command(run_dir, capsys):
  assert cli.main(["visualize", "embeddings", str(run_dir),
                   "--max-examples", "20"]) == 0
  assert "projector_config.pbtxt" in capsys.readouterr().out
  directory = run_dir / "tensorboard" / "projector"
  rows = (directory / "metadata.tsv").read_text().splitlines()
  assert len(rows) == 21
  assert {row.split("\t")[0] for row in rows[1:]} == {str(d)
                                                       for d in range(10)}
  assert Image.open(directory / "sprite.png").size == (5 * 64, 5 * 64)


def test_init_histograms(tmp_path):
  path, = visualize.write_init_histograms("deep_mnist_cnn", tmp_path)
  assert Image.open(path).size[0] > 1000


def test_layers_command(capsys):
  assert cli.main(["visualize", "layers", "--model",
                   "tfjs_mnist_convnet"]) == 0
  assert "Total trainable params: 33,194" in capsys.readouterr().out


def test_metrics_missing(tmp_path, capsys):
  assert cli.main(["visualize", "curves", str(tmp_path)]) == 2
  err = capsys.readouterr().err
  assert "metrics.jsonl" in err and "Traceback" not in err


def test_metrics_resumed_steps(tmp_path):
  lines = [{"step": s, "split": split, "loss": 1.0 / s, "accuracy": 0.5}
           for s in (10, 20, 20) for split in ("train", "test")]
  (tmp_path / "metrics.jsonl").write_text(
      "".join(json.dumps(line) + "\n" for line in lines))
  path, = visualize.write_curves(tmp_path)
  assert pathlib.Path(path).is_file()
