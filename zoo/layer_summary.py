"""A Keras-style table of a model's layers, output shapes and variables.

    from zoo import layer_summary
    print(layer_summary.summarize("xception", image_size=71).format())

Each row is an endpoint of `model.with_endpoints` (a ConvPool, an Xception
block or flow, `pre_logits`, a head layer, `logits`) with its output shape,
followed by the variables that belong to it (shape and parameter count).
Variables are assigned to the innermost endpoint named in their path, e.g.
`xception/entry_flow/block1/conv1/w` to `block1`, not `entry_flow`.
"""

import dataclasses
import re
from typing import List, Optional, Sequence, Tuple, Union

import tensorflow as tf

from zoo.models import _registry
from zoo.models.base import ImageClassifier


@dataclasses.dataclass(frozen=True)
class VariableRow:
  """One variable: its name inside the model, shape and size."""
  name: str
  shape: Tuple[int, ...]
  num_parameters: int
  trainable: bool


@dataclasses.dataclass(frozen=True)
class LayerRow:
  """One endpoint: its output shape and the variables it owns."""
  name: str
  output_shape: Tuple[Optional[int], ...]
  variables: Tuple[VariableRow, ...]

  @property
  def num_parameters(self) -> int:
    """Trainable parameters of this layer."""
    return sum(v.num_parameters for v in self.variables if v.trainable)


@dataclasses.dataclass(frozen=True)
class Summary:
  """The whole table; `format()` renders it as text."""
  model_name: str
  input_shape: Tuple[int, ...]
  layers: Tuple[LayerRow, ...]

  @property
  def trainable_parameters(self) -> int:
    return sum(v.num_parameters for layer in self.layers
               for v in layer.variables if v.trainable)

  @property
  def non_trainable_parameters(self) -> int:
    return sum(v.num_parameters for layer in self.layers
               for v in layer.variables if not v.trainable)

  def format(self, show_variables: bool = True,
             show_non_trainable: bool = False) -> str:
    """Renders the table.

    Args:
      show_variables: List each variable under its layer.
      show_non_trainable: Also list non-trainable variables (BatchNorm moving
        statistics); they are always counted in the totals line.
    """
    header = ("Layer (variable)", "Output shape (variable shape)", "Params")
    rows: List[Tuple[str, str, str]] = []
    for layer in self.layers:
      rows.append((layer.name, _shape_text(layer.output_shape),
                   f"{layer.num_parameters:,}"))
      if show_variables:
        for var in layer.variables:
          if not var.trainable and not show_non_trainable:
            continue
          suffix = "" if var.trainable else " (non-trainable)"
          rows.append((f"  {var.name}", f"  {_shape_text(var.shape)}",
                       f"{var.num_parameters:,}{suffix}"))
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(3)]
    line_width = sum(widths) + 4
    lines = [f'Model: "{self.model_name}", input '
             f"{_shape_text(self.input_shape)}", "=" * line_width,
             _row_text(header, widths), "=" * line_width]
    for row in rows:
      if not row[0].startswith(" ") and len(lines) > 4:
        lines.append("-" * line_width)
      lines.append(_row_text(row, widths))
    lines += ["=" * line_width,
              f"Total trainable params: {self.trainable_parameters:,}",
              f"Non-trainable params: {self.non_trainable_parameters:,}"]
    return "\n".join(lines)


def _shape_text(shape: Sequence[Optional[int]]) -> str:
  return "[" + ", ".join("?" if d is None else str(d) for d in shape) + "]"


def _row_text(row: Sequence[str], widths: Sequence[int]) -> str:
  return (f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  "
          f"{row[2]:>{widths[2]}}")


def _relative_name(variable: tf.Variable, model: ImageClassifier) -> str:
  name = variable.name
  if name.endswith(":0"):
    name = name[:-2]
  prefix = model.name + "/"
  return name[len(prefix):] if name.startswith(prefix) else name


def summarize_model(model: ImageClassifier,
                    image_size: Union[None, int, Sequence[int]] = None,
                    batch_size: int = 1) -> Summary:
  """Builds the table of a model by running it once on zeros.

  Args:
    model: Any zoo ImageClassifier (built or not).
    image_size: Input height and width (int or pair); the model's default
      when None.
    batch_size: Batch dimension of the probe input and output shapes.
  """
  if image_size is None:
    height, width = model.default_image_size
  elif isinstance(image_size, int):
    height = width = image_size
  else:
    height, width = image_size
  input_shape = (batch_size, int(height), int(width), model.channels)
  _, endpoints = model.with_endpoints(tf.zeros(input_shape), is_training=False)
  names = list(endpoints)
  position = {name: i for i, name in enumerate(names)}
  owned = {name: [] for name in names}
  unassigned = []
  for variable in model.variables:
    relative = _relative_name(variable, model)
    parts = relative.split("/")
    owner = next((p for p in reversed(parts[:-1]) if p in position), None)
    row = VariableRow(relative, tuple(int(d) for d in variable.shape),
                      int(variable.shape.num_elements()),
                      bool(variable.trainable))
    (owned[owner] if owner else unassigned).append(row)
  layers = [LayerRow(name, tuple(endpoints[name].shape.as_list()),
                     tuple(sorted(owned[name], key=_natural_key)))
            for name in names]
  if unassigned:
    layers.append(LayerRow("(other)", (),
                           tuple(sorted(unassigned, key=_natural_key))))
  return Summary(model.name, input_shape, tuple(layers))


def _natural_key(row: VariableRow):
  """Sorts block2 before block10."""
  return [(0, int(t), "") if t.isdigit() else (1, 0, t)
          for t in re.split(r"(\d+)", row.name)]


def summarize(model_name: str,
              image_size: Union[None, int, Sequence[int]] = None,
              **model_kwargs) -> Summary:
  """Creates a registered model by name and summarises it.

  Args:
    model_name: A name from `zoo.list_models()`.
    image_size: Input size (side or `(height, width)`); default the
      model's own. Every model takes `image_size`.
    **model_kwargs: Passed to `zoo.create_model`.
  """
  kwargs = dict(model_kwargs)
  if image_size is not None:
    kwargs.setdefault("image_size", image_size)
  model = _registry.create_model(model_name, **kwargs)
  return summarize_model(model, image_size)
