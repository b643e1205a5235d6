"""The model registry as a table: what `snt-zoo models` prints.

    rows = listing.describe_models()          # one dict per registered model
    print(listing.format_table(rows))

Parameters are counted by building each model at its default input (one
forward pass of a zero image; nothing is cached on disk), so listing every
model takes a few seconds of CPU, most of it the largest Xceptions.
"""

from typing import Any, Dict, List, Optional, Sequence

import tensorflow as tf

from zoo.models import _registry
from zoo.models import pretrained


def describe_model(name: str, count_parameters: bool = True
                   ) -> Dict[str, Any]:
  """One registry row: name, parameters, default input, tags, reference.

  Args:
    name: A registered model name.
    count_parameters: Build the model to count its trainable parameters
      (else `parameters` is None).

  Returns:
    `{"name", "parameters", "input", "normalization", "num_classes",
    "pretrained", "reference"}`; `input` is `[H, W, C]`.
  """
  model = _registry.create_model(name)
  facts = model.data_config()
  height, width = facts["image_size"]
  parameters = None
  if count_parameters:
    model(tf.zeros([1, height, width, facts["channels"]]), is_training=False)
    parameters = model.num_parameters()
  return {
      "name": name,
      "parameters": parameters,
      "input": [height, width, facts["channels"]],
      "normalization": facts["normalization"],
      "num_classes": facts["num_classes"],
      "pretrained": pretrained.list_pretrained(name),
      "reference": _registry.model_reference(name),
  }


def describe_models(names: Optional[Sequence[str]] = None,
                    count_parameters: bool = True) -> List[Dict[str, Any]]:
  """`describe_model` of each name (default: every registered model)."""
  return [describe_model(name, count_parameters)
          for name in (names or _registry.list_models())]


def format_table(rows: Sequence[Dict[str, Any]]) -> str:
  """The rows as an aligned text table."""
  header = ("model", "parameters", "input", "pretrained", "reference")
  lines = [header]
  for row in rows:
    parameters = row["parameters"]
    lines.append((
        row["name"],
        "-" if parameters is None else f"{parameters:,}",
        "x".join(str(d) for d in row["input"]),
        ", ".join(row["pretrained"]) or "-",
        row["reference"] or "-",
    ))
  widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
  return "\n".join(
      "  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip()
      for line in lines)
