"""Tests for zoo.models.listing and `snt-zoo models`."""

import json

from zoo import cli
from zoo.models import listing


def test_a_row_has_parameters_input_tags_and_reference():
  row = listing.describe_model("softmax_regression")
  assert row == {
      "name": "softmax_regression", "parameters": 7850, "input": [28, 28, 1],
      "normalization": "unit", "num_classes": 10, "pretrained": [],
      "reference": "TensorFlow's MNIST for ML Beginners tutorial"}
  xception = listing.describe_model("xception", count_parameters=False)
  assert xception["pretrained"] == ["imagenet"]
  assert xception["input"] == [299, 299, 3]
  assert xception["parameters"] is None


def test_table_aligns_columns():
  table = listing.format_table([
      {"name": "a", "parameters": 1234, "input": [28, 28, 1],
       "pretrained": ["imagenet"], "reference": "keras"},
      {"name": "longer_name", "parameters": None, "input": [8, 8, 3],
       "pretrained": [], "reference": ""}])
  lines = table.splitlines()
  assert lines[0].split() == ["model", "parameters", "input", "pretrained",
                              "reference"]
  assert lines[1].split() == ["a", "1,234", "28x28x1", "imagenet", "keras"]
  assert lines[2].split() == ["longer_name", "-", "8x8x3", "-", "-"]
  assert lines[1].index("1,234") == lines[2].index("-")


def test_command_prints_json_and_rejects_unknown_names(capsys):
  assert cli.main(["models", "softmax_regression", "--json"]) == 0
  rows = json.loads(capsys.readouterr().out)
  assert [r["name"] for r in rows] == ["softmax_regression"]
  assert cli.main(["models", "softmax_regresion"]) == 2
  error = capsys.readouterr().err
  assert "Did you mean 'softmax_regression'" in error
