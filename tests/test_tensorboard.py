"""One `tensorboard --logdir RUN_DIR` shows scalars, augmented inputs and the
projector embedding of a run."""

from tensorboard.backend.event_processing import event_accumulator

from zoo import training
from zoo import visualize


def _tags_by_plugin(directory):
  accumulator = event_accumulator.EventAccumulator(
      str(directory), size_guidance={event_accumulator.TENSORS: 0})
  accumulator.Reload()
  tags = {}
  for tag in accumulator.Tags()[event_accumulator.TENSORS]:
    plugin = accumulator.SummaryMetadata(tag).plugin_data.plugin_name
    tags.setdefault(plugin, set()).add(tag)
  return tags


def test_run_writes_scalars_images_and_embedding(tmp_path, monkeypatch,
                                                 capsys):
  monkeypatch.setenv("SNT_ZOO_OFFLINE", "1")
  monkeypatch.setenv("SNT_ZOO_CACHE", str(tmp_path / "cache"))
  run = tmp_path / "run"
  config = training.load_config("softmax_mnist_quick", [
      f"run_dir={run}", "train.steps=20", "train.log_every=10",
      "visualize.embeddings=true", "visualize.embedding_examples=100"])
  training.run(config, actions=visualize.training_actions(config))
  progress = [line for line in capsys.readouterr().err.splitlines()
              if line.startswith("step ")]
  assert progress and "\r" not in "".join(progress)
  assert progress[-1].startswith("step 20/20")

  train = _tags_by_plugin(run / "tensorboard" / "train")
  assert "augmented_inputs" in train["images"]
  assert {"loss", "accuracy", "learning_rate"} <= train["scalars"]
  assert {"loss", "accuracy"} <= _tags_by_plugin(
      run / "tensorboard" / "eval")["scalars"]
  projector = run / "tensorboard" / "projector"
  assert (projector / "projector_config.pbtxt").is_file()
