"""zoo.visualize.projector: the TensorBoard projector embedding."""

from google.protobuf import text_format
import numpy as np
from PIL import Image
import pytest
from tensorboard.plugins import projector as tb_projector
import tensorflow as tf

from test_visualize import make_run, offline
from zoo.visualize import projector


@pytest.fixture(autouse=True)
def _offline(monkeypatch, tmp_path_factory):
  offline(monkeypatch, tmp_path_factory)


def test_sprite_image():
  sprite = projector.sprite_image(np.zeros([5, 28, 28, 1], np.uint8),
                                  thumb=10)
  assert sprite.size == (30, 30)
  assert sprite.getpixel((5, 5)) == (0, 0, 0)
  assert sprite.getpixel((25, 25)) == (255, 255, 255)  # Padding.


def test_metadata_tsv():
  assert projector.metadata_tsv([0, 1], [1, 1], ["cat", "dog"]) == (
      "label\tprediction\ncat\tdog\ndog\tdog\n")


def test_write_embeddings_under_tensorboard_with_every_class(
    tmp_path_factory):
  run = make_run(tmp_path_factory.getbasetemp())
  paths = projector.write_embeddings(run, max_examples=100)
  directory = run.tensorboard_dir / "projector"
  assert paths[0] == str(directory / "projector_config.pbtxt")
  parsed = text_format.Parse(
      (directory / "projector_config.pbtxt").read_text(),
      tb_projector.ProjectorConfig())
  embedding, = parsed.embeddings
  assert list(embedding.sprite.single_image_dim) == [64, 64]
  rows = (directory / embedding.metadata_path).read_text().splitlines()
  assert rows[0] == "label\tprediction" and len(rows) == 101
  labels = [row.split("\t")[0] for row in rows[1:]]
  # The bundled sample's test split is sorted by class: every digit is in.
  assert sorted(set(labels)) == [str(d) for d in range(10)]
  assert all(labels.count(str(d)) == 10 for d in range(10))
  reader = tf.train.load_checkpoint(str(directory))
  # What the logits layer sees: the 1,024-unit hidden layer, by its name.
  assert embedding.tensor_name == "hidden_0/.ATTRIBUTES/VARIABLE_VALUE"
  assert reader.get_tensor(embedding.tensor_name).shape == (100, 1024)
  assert Image.open(directory / embedding.sprite.image_path).size == (640,
                                                                      640)
  assert list(directory.glob("events.out.tfevents.*"))  # A TensorBoard run.


def test_write_embeddings_again_with_a_model(tmp_path_factory, tmp_path):
  run = make_run(tmp_path_factory.getbasetemp())
  model, _ = run.restore_model()
  projector.write_embeddings(run, model=model, max_examples=25, out=tmp_path)
  paths = projector.write_embeddings(run, model=model, max_examples=12,
                                     endpoint="logits", out=tmp_path)
  assert [p.name for p in tmp_path.glob("embedding-*.index")] == [
      "embedding-1.index"]  # The first one's files are gone.
  assert paths[1] == str(tmp_path / "embedding-1.index")
  reader = tf.train.load_checkpoint(str(tmp_path))
  assert reader.get_tensor(projector.TENSOR_NAME.format("logits")).shape == (
      12, 10)
  labels = [row.split("\t")[0] for row in
            (tmp_path / "metadata.tsv").read_text().splitlines()[1:]]
  assert len(set(labels)) == 10
