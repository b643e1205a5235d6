"""tools/visualize.py on a tiny Deep-MNIST run (bundled sample, offline)."""

import json
import pathlib

import numpy as np
from PIL import Image
import pytest

from tools import train as train_tool
from tools import visualize

NUM_EVAL = 1500  # The bundled sample's test split.


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
  with pytest.MonkeyPatch.context() as patch:
    root = tmp_path_factory.mktemp("viz")
    patch.setenv("SNT_ZOO_OFFLINE", "1")
    patch.setenv("SNT_ZOO_CACHE", str(root / "cache"))
    path = root / "run"
    assert train_tool.main([
        "--config", "deep_mnist_quick", f"run_dir={path}", "train.steps=30",
        "train.log_every=10", "train.eval_every=20",
        "train.checkpoint_every=30", "visualize.embeddings=true",
        "visualize.embedding_examples=100"]) == 0
    yield path


@pytest.fixture(autouse=True)
def _offline(monkeypatch, tmp_path_factory):
  monkeypatch.setenv("SNT_ZOO_OFFLINE", "1")
  monkeypatch.setenv("SNT_ZOO_CACHE", str(tmp_path_factory.getbasetemp()))


def test_training_wrote_projector_files(run_dir):
  directory = run_dir / "visualize" / "embeddings"
  config = (directory / "projector_config.pbtxt").read_text()
  from google.protobuf import text_format
  from tensorboard.plugins import projector
  parsed = text_format.Parse(config, projector.ProjectorConfig())
  embedding = parsed.embeddings[0]
  assert list(embedding.sprite.single_image_dim) == [64, 64]
  rows = (directory / embedding.metadata_path).read_text().splitlines()
  assert rows[0] == "index\tlabel\tprediction" and len(rows) == 101
  import tensorflow as tf
  reader = tf.train.load_checkpoint(str(directory))
  assert reader.get_tensor(embedding.tensor_name).shape == (100, 3136)
  sprite = Image.open(directory / embedding.sprite.image_path)
  assert sprite.size == (10 * 64, 10 * 64)


def test_activations(run_dir, capsys):
  assert visualize.main(["activations", str(run_dir), "--num-images", "1"]) == 0
  printed = capsys.readouterr().out.split()
  names = sorted(pathlib.Path(p).name for p in printed)
  assert names == ["image0_conv_pool_0.png", "image0_conv_pool_1.png"]
  picture = Image.open(run_dir / "visualize/activations/image0_conv_pool_0.png")
  # Input + two 6x6 grids (32 channels) of 14x14 tiles enlarged to 28.
  grid = 6 * (28 + 1) + 1
  assert picture.height == grid + visualize.LABEL_HEIGHT
  assert picture.width > 2 * grid


def test_trained_activations_vary(run_dir):
  from zoo.training import run_dir as run_dir_lib
  model, config, _ = run_dir_lib.restore_model(run_dir)
  options = run_dir_lib.dataset_options(config, model)
  images, _ = visualize.eval_images(config, options, 2)
  activations = visualize.spatial_activations(model, images)
  assert list(activations) == ["conv_pool_0", "conv_pool_1"]
  for value in activations.values():
    assert value.std() > 0
    assert (value.reshape(-1, value.shape[-1]).std(axis=0) > 0).sum() > 1


def test_tile_grid_and_normalisation():
  tiles = np.stack([visualize.normalize_tile(np.full([3, 3], 7.0)),
                    visualize.normalize_tile(np.arange(9.).reshape(3, 3) * 1e9),
                    visualize.normalize_tile(np.zeros([3, 3]))])
  assert (tiles[0] == 128).all() and tiles[1].min() == 0
  assert tiles[1].max() == 255
  grid = visualize.tile_grid(tiles, pad=1, scale=2)
  assert grid.shape == (2 * 7 + 1, 2 * 7 + 1)  # 2x2 grid of 6x6 tiles.
  assert visualize.grid_shape(32) == (6, 6)
  assert visualize.grid_shape(2048) == (45, 46)


def test_filters(run_dir, capsys):
  assert visualize.main(["filters", str(run_dir)]) == 0
  assert capsys.readouterr().out.strip().endswith("filters.png")
  picture = Image.open(run_dir / "visualize/filters.png")
  # Two panels of 6x6 tiles of 5x5 filters enlarged 8 times, padding 2.
  panel = 6 * (5 * 8 + 2) + 2
  assert picture.height == panel + visualize.LABEL_HEIGHT
  assert picture.width >= 2 * panel + 16  # The caption may widen a panel.
  grid = visualize.filter_grid(np.random.randn(5, 5, 1, 32), scale=8)
  assert grid.shape == (panel, panel)
  rgb = visualize.filter_grid(np.random.randn(3, 3, 3, 32), scale=1)
  assert rgb.shape == (6 * 5 + 2, 6 * 5 + 2, 3)


def test_curves(run_dir):
  records = visualize.read_metrics(run_dir)
  assert {r["split"] for r in records} == {"train", "test"}
  path, = visualize.write_curves(run_dir)
  assert Image.open(path).size == (1100, 400)


def test_confusion(run_dir):
  path, csv = visualize.write_confusion(run_dir)
  assert Image.open(path).size[0] >= 500
  lines = csv.read_text().splitlines()
  assert lines[0].split(",")[1:] == [str(i) for i in range(10)]
  matrix = np.array([[int(x) for x in line.split(",")[1:]]
                     for line in lines[1:]])
  assert matrix.shape == (10, 10) and matrix.sum() == NUM_EVAL
  metrics = [r for r in visualize.read_metrics(run_dir) if r["split"] == "test"]
  assert np.trace(matrix) / NUM_EVAL == pytest.approx(
      max(r["accuracy"] for r in metrics), abs=1e-3)


def test_confusion_matrix_counts():
  matrix = visualize.confusion_matrix([0, 1, 1, 2], [0, 2, 1, 2], 3)
  assert matrix.tolist() == [[1, 0, 0], [0, 1, 1], [0, 0, 1]]


def test_embeddings_command(run_dir, capsys):
  out = run_dir / "other"
  assert visualize.main(["embeddings", str(run_dir), "--max-examples", "20",
                         "--out", str(out)]) == 0
  assert "projector_config.pbtxt" in capsys.readouterr().out
  rows = (out / "embeddings/metadata.tsv").read_text().splitlines()
  assert len(rows) == 21
  assert Image.open(out / "embeddings/sprite.png").size == (5 * 64, 5 * 64)


def test_init_histograms(tmp_path):
  path, = visualize.write_init_histograms("deep_mnist_cnn", tmp_path)
  assert Image.open(path).size[0] > 1000


def test_layers_cli(capsys):
  assert visualize.main(["layers", "--model", "tfjs_mnist_convnet"]) == 0
  text = capsys.readouterr().out
  assert "Total trainable params: 33,194" in text


def test_metrics_missing(tmp_path, capsys):
  assert visualize.main(["curves", str(tmp_path)]) == 2
  assert "metrics.jsonl" in capsys.readouterr().err


def test_metrics_resumed_steps(tmp_path):
  lines = [{"step": s, "split": split, "loss": 1.0 / s, "accuracy": 0.5}
           for s in (10, 20, 20) for split in ("train", "test")]
  (tmp_path / "metrics.jsonl").write_text(
      "".join(json.dumps(line) + "\n" for line in lines))
  path, = visualize.write_curves(tmp_path)
  assert path.is_file()
