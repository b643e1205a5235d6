"""zoo.visualize.actions: what `snt-zoo train` writes as a run goes."""

import tensorflow as tf
import pytest

from conftest import quick_config
from zoo import training
from zoo import visualize
from zoo.visualize import actions


pytestmark = pytest.mark.usefixtures("offline")
_config = quick_config


def test_training_actions_follow_the_config(tmp_path):
  plain = actions.training_actions(_config(tmp_path,
                                           "visualize.embeddings=false"))
  assert [type(a) for a in plain] == [actions.InputGridAction]
  default = actions.training_actions(_config(tmp_path))
  assert [type(a) for a in default] == [actions.InputGridAction,
                                        actions.EmbeddingAction]
  assert default[1].only_if_cheap
  embedded = actions.training_actions(_config(
      tmp_path, "visualize.embeddings=true", "visualize.embedding_examples=7"))
  assert [type(a) for a in embedded] == [actions.InputGridAction,
                                         actions.EmbeddingAction]
  assert embedded[1].max_examples == 7


def test_training_actions_write_the_projector_under_tensorboard(tmp_path):
  from google.protobuf import text_format  # pylint: disable=g-import-not-at-top
  from tensorboard.plugins import projector  # pylint: disable=g-import-not-at-top
  config = _config(tmp_path, "train.steps=10", "visualize.embeddings=true",
                   "visualize.embedding_examples=100")
  training.run(config, verbose=False,
               actions=visualize.training_actions(config))
  directory = tmp_path / "tensorboard" / "projector"
  parsed = text_format.Parse(
      (directory / "projector_config.pbtxt").read_text(),
      projector.ProjectorConfig())
  embedding = parsed.embeddings[0]
  rows = (directory / embedding.metadata_path).read_text().splitlines()
  assert rows[0] == "label\tprediction" and len(rows) == 101
  # The evaluation split is sorted by class; the sample still has them all.
  assert {row.split("\t")[0] for row in rows[1:]} == {str(d)
                                                       for d in range(10)}
  reader = tf.train.load_checkpoint(str(directory))
  assert reader.get_tensor(embedding.tensor_name).shape[0] == 100
  assert list(directory.glob("events.out.tfevents.*"))


class _FinishedRun:
  is_chief = True
  run_dir = model = None

  def __init__(self, image_size):
    self.image_size = image_size


def test_the_default_embedding_is_written_only_when_cheap(monkeypatch):
  written = []
  monkeypatch.setattr(actions.projector, "write_embeddings",
                      lambda *args, **kwargs: written.append(args))
  default = actions.EmbeddingAction(only_if_cheap=True)
  default.on_finish(_FinishedRun((71, 71)), None)  # xception_mnist_quick
  assert not written
  default.on_finish(_FinishedRun((28, 28)), None)
  actions.EmbeddingAction().on_finish(_FinishedRun((71, 71)), None)
  assert len(written) == 2
