"""zoo.layer_summary: the Keras-style layer table."""

import zoo
from zoo import layer_summary


def test_deep_mnist_table():
  summary = layer_summary.summarize("deep_mnist_cnn")
  names = [layer.name for layer in summary.layers]
  assert names == ["conv_pool_0", "conv_pool_1", "pre_logits", "hidden_0",
                   "logits"]
  first = summary.layers[0]
  assert first.output_shape == (1, 14, 14, 32)
  assert {v.name: v.shape for v in first.variables} == {
      "conv_pool_0/conv/w": (5, 5, 1, 32), "conv_pool_0/conv/b": (32,)}
  assert summary.trainable_parameters == 3_274_634
  text = summary.format()
  assert "Total trainable params: 3,274,634" in text
  assert "[5, 5, 1, 32]" in text and "[1, 7, 7, 64]" in text


def test_xception_71_total_matches_model():
  model = zoo.create_model("xception", num_classes=10, image_size=71)
  summary = layer_summary.summarize_model(model, 71)
  assert summary.input_shape == (1, 71, 71, 3)
  assert summary.trainable_parameters == model.num_parameters()
  assert (summary.trainable_parameters + summary.non_trainable_parameters ==
          model.num_parameters(trainable_only=False))
  layers = {layer.name: layer for layer in summary.layers}
  assert "(other)" not in layers
  assert layers["block14"].output_shape == (1, 3, 3, 2048)
  assert layers["entry_flow"].variables == ()  # All in block1..block4.
  assert all(v.name.startswith("entry_flow/block1/")
             for v in layers["block1"].variables)
  text = summary.format(show_non_trainable=True)
  assert f"Total trainable params: {model.num_parameters():,}" in text
  assert "moving_variance" in text
