"""The README's model table lists exactly the registered models."""

import re
from pathlib import Path

from zoo.models import _registry

_README = Path(__file__).resolve().parents[1] / "README.md"


def _table_models(text: str):
  """First-column names of the table under the README's "### Models"."""
  section = text.split("\n### Models\n", 1)[1].split("\n#", 1)[0]
  rows = [line for line in section.splitlines() if line.startswith("|")]
  assert rows, "no table under ### Models"
  names = []
  for row in rows[2:]:  # Past the header and its --- line.
    match = re.match(r"\|\s*`([^`]+)`\s*\|", row)
    assert match, f"first cell is not a `model_name`: {row}"
    names.append(match.group(1))
  return names


def _zoo_models():
  """Registered models defined in the zoo (tests may register their own)."""
  return [name for name in _registry.list_models()
          if _registry._MODEL_FNS[name].__module__.startswith("zoo.")]  # pylint: disable=protected-access


def test_the_table_lists_every_registered_model_once():
  names = _table_models(_README.read_text())
  assert len(names) == len(set(names)), names
  assert sorted(names) == _zoo_models()


def test_a_missing_row_is_caught():
  text = _README.read_text()
  row = next(line for line in text.splitlines()
             if line.startswith("| `softmax_regression` |"))
  assert "softmax_regression" not in _table_models(
      text.replace(row + "\n", ""))
