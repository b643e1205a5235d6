"""YAML for config files: safe, and strict about what a config never needs.

    data = strict_yaml.load(text)      # StrictYamlError on a bad document

On top of `yaml.safe_load` (no Python objects), a document is refused when
it repeats a key in one mapping (YAML would silently keep the last), uses
more than `MAX_ALIASES` aliases (a few nested anchors can expand to
billions of values), or nests deeper than `MAX_DEPTH`. TensorFlow-free.
"""

from typing import Any

import yaml

#: More aliases than any config needs; a "billion laughs" needs dozens.
MAX_ALIASES = 20
#: Deeper than any config section.
MAX_DEPTH = 20


class StrictYamlError(ValueError):
  """A YAML document a config must not be; the message says why."""


def _where(node) -> str:
  mark = getattr(node, "start_mark", None)
  return f" (line {mark.line + 1})" if mark is not None else ""


class _StrictLoader(yaml.SafeLoader):
  """SafeLoader counting aliases and depth, refusing duplicate keys."""

  def __init__(self, stream):
    super().__init__(stream)
    self._aliases = 0
    self._depth = 0

  def compose_node(self, parent, index):
    if self.check_event(yaml.AliasEvent):
      self._aliases += 1
      if self._aliases > MAX_ALIASES:
        raise StrictYamlError(
            f"uses more than {MAX_ALIASES} aliases (*name)"
            f"{_where(self.peek_event())}; a config needs few: write the "
            "values out.")
    self._depth += 1
    try:
      if self._depth > MAX_DEPTH:
        raise StrictYamlError(
            f"nests deeper than {MAX_DEPTH} levels"
            f"{_where(self.peek_event())}; a config has sections of "
            "sections of values, no more.")
      return super().compose_node(parent, index)
    finally:
      self._depth -= 1

  def construct_mapping(self, node, deep=False):
    if isinstance(node, yaml.MappingNode):
      self.flatten_mapping(node)  # `<<: *base` merges, then keys are checked.
    seen = set()
    for key_node, _ in node.value:
      key = self.construct_object(key_node, deep=True)
      try:
        duplicate = key in seen
      except TypeError:
        raise StrictYamlError(f"has a key that is not a name "
                              f"{_where(key_node)}.") from None
      if duplicate:
        raise StrictYamlError(
            f"repeats the key {key!r}{_where(key_node)}; keep one of them.")
      seen.add(key)
    return super().construct_mapping(node, deep=deep)


def load(text: str) -> Any:
  """Parses one YAML document strictly (see the module docstring).

  Raises:
    StrictYamlError: A repeated key, too many aliases or too deep nesting.
    yaml.YAMLError: Not YAML at all.
  """
  loader = _StrictLoader(text)
  try:
    return loader.get_single_data()
  finally:
    loader.dispose()
