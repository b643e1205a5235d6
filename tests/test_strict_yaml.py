"""Tests for zoo/training/strict_yaml.py: safe YAML with a config's limits."""

import pytest
import yaml

from zoo.training import strict_yaml


def test_a_plain_document_loads_as_safe_load_does():
  text = "a: 1\nb: [x, {c: 2.5}]\nd: null\n"
  assert strict_yaml.load(text) == yaml.safe_load(text)


def test_a_few_anchors_and_merges_still_load():
  assert strict_yaml.load("base: &b {x: 1}\nother: {<<: *b, y: 2}\n") == {
      "base": {"x": 1}, "other": {"x": 1, "y": 2}}


@pytest.mark.parametrize("text,match", [
    ("a: 1\na: 2\n", "repeats the key 'a' \\(line 2\\)"),
    ("x: &x [1]\n" + "".join(f"k{i}: *x\n" for i in range(30)), "aliases"),
    ("x: " + "[" * 30 + "]" * 30 + "\n", "nests deeper"),
])
def test_the_limits(text, match):
  with pytest.raises(strict_yaml.StrictYamlError, match=match):
    strict_yaml.load(text)


def test_no_python_objects():
  with pytest.raises(yaml.YAMLError):
    strict_yaml.load("a: !!python/object/apply:os.system [echo]\n")
