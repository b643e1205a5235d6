"""The package's floors: which module may import which, and no import cycle.

Every `import` in `zoo/` and `datasets/` is read with `ast` (those inside
functions too), so an import hidden in a function cannot run back up.

    python tests/test_layering.py      # prints the layers and the edges
"""

import ast
import collections
import pathlib
import subprocess
import sys
from typing import Dict, Iterator, Set, Tuple

import pytest

_ROOT = pathlib.Path(__file__).resolve().parents[1]

#: Layers, lowest first: a module imports only its own layer and those below,
#: and never a name listed under `_FORBIDDEN` for it.
_LAYERS = (
    ("verified downloads and the cache", ("zoo.download",)),
    ("data, configs and metrics", ("zoo.datasets", "zoo.configs",
                                   "zoo.calibration", "zoo.cpu_defaults",
                                   "zoo.install", "zoo.startup",
                                   "zoo.suggest")),
    ("blocks", ("zoo.blocks",)),
    ("models", ("zoo.models", "zoo.keras_port", "zoo.timm_port",
                "zoo.layer_summary")),
    ("serving and training", ("zoo.serving", "zoo.training")),
    ("run-level tools", ("zoo.run_serving", "zoo.evaluation", "zoo.predict",
                         "zoo.format_comparison", "zoo.visualize",
                         "zoo.benchmark", "zoo.benchmark_process")),
    ("server", ("zoo.serve",)),
    ("command", ("zoo.cli",)),
)
#: Imports a prefix must never make, whatever the layers allow.
_FORBIDDEN = {
    "zoo.serving": ("zoo.training", "zoo.datasets.download", "zoo.download"),
    "zoo.training": ("zoo.serving",),
    "zoo.serve": ("zoo.training",),
    "zoo.blocks": ("zoo.models", "zoo.datasets", "zoo.calibration",
                   "zoo.download"),
    "zoo.models": ("zoo.datasets", "zoo.calibration"),
    "zoo.datasets": ("zoo.calibration",),
    "zoo.calibration": ("zoo.datasets",),
}


def _module_name(path: pathlib.Path) -> str:
  relative = path.relative_to(_ROOT).with_suffix("")
  parts = list(relative.parts)
  if parts[0] == "datasets":
    parts = ["zoo", *parts]
  if parts[-1] == "__init__":
    parts = parts[:-1]
  return ".".join(parts)


def _sources() -> Dict[str, pathlib.Path]:
  files = list((_ROOT / "zoo").rglob("*.py")) + list(
      (_ROOT / "datasets").rglob("*.py"))
  return {_module_name(p): p for p in files if "__pycache__" not in p.parts}


def _resolve(name: str, known: Set[str]) -> str:
  """The longest known module `name` is, or lies in."""
  while name and name not in known:
    name = name.rpartition(".")[0]
  return name


def _imports(module: str, path: pathlib.Path,
             known: Set[str]) -> Iterator[str]:
  """The zoo modules `module` imports (resolved to files that exist)."""
  is_package = path.name == "__init__.py"
  for node in ast.walk(ast.parse(path.read_text(), str(path))):
    if isinstance(node, ast.Import):
      names = [alias.name for alias in node.names]
    elif isinstance(node, ast.ImportFrom):
      base = node.module or ""
      if node.level:
        package = module if is_package else module.rpartition(".")[0]
        for _ in range(node.level - 1):
          package = package.rpartition(".")[0]
        base = f"{package}.{base}" if base else package
      names = [f"{base}.{alias.name}" for alias in node.names]
    else:
      continue
    for name in names:
      if name == "zoo" or name.startswith("zoo."):
        target = _resolve(name, known)
        if target and target != module:
          yield target


def import_graph() -> Dict[str, Set[str]]:
  """`{module: modules it imports}` over `zoo/` and `datasets/`."""
  sources = _sources()
  known = set(sources) | {"zoo.configs"}  # YAML files only.
  return {module: set(_imports(module, path, known))
          for module, path in sources.items()}


def _layer(module: str) -> Tuple[int, str]:
  for index, (_, prefixes) in enumerate(_LAYERS):
    for prefix in prefixes:
      if module == prefix or module.startswith(prefix + "."):
        return index, prefix
  raise KeyError(module)


def _cycles(graph: Dict[str, Set[str]]):
  """Strongly connected components with more than one module (Tarjan)."""
  index, low, on_stack, stack, found = {}, {}, set(), [], []
  counter = [0]

  def visit(node):
    index[node] = low[node] = counter[0]
    counter[0] += 1
    stack.append(node)
    on_stack.add(node)
    for target in graph.get(node, ()):
      if target not in index:
        visit(target)
        low[node] = min(low[node], low[target])
      elif target in on_stack:
        low[node] = min(low[node], index[target])
    if low[node] == index[node]:
      component = set()
      while True:
        member = stack.pop()
        on_stack.discard(member)
        component.add(member)
        if member == node:
          break
      if len(component) > 1:
        found.append(sorted(component))

  for node in sorted(graph):
    if node not in index:
      visit(node)
  return found


def test_every_module_has_a_layer():
  unplaced = [m for m in import_graph() if m != "zoo" and not _safe_layer(m)]
  assert not unplaced, f"give these a layer in _LAYERS: {unplaced}"


def _safe_layer(module):
  try:
    return _layer(module)
  except KeyError:
    return None


def test_no_import_cycle():
  graph = import_graph()
  # A package's __init__ importing its own modules is not a cycle.
  edges = {m: {t for t in targets if not m or not t.startswith(m + ".")}
           for m, targets in graph.items()}
  assert _cycles(edges) == []


def test_no_module_imports_above_its_layer():
  violations = []
  for module, targets in sorted(import_graph().items()):
    if module == "zoo":
      continue
    level, prefix = _layer(module)
    for target in sorted(targets):
      if target == "zoo":
        violations.append(f"{module} -> zoo (import the module itself)")
        continue
      target_level, _ = _layer(target)
      if target_level > level:
        violations.append(f"{module} -> {target} (up: "
                          f"{_LAYERS[level][0]} -> {_LAYERS[target_level][0]})")
      for banned in _FORBIDDEN.get(prefix, ()):
        if target == banned or target.startswith(banned + "."):
          violations.append(f"{module} -> {target} (forbidden)")
  assert violations == []


def test_the_layer_rules_catch_an_import_that_runs_up(tmp_path, monkeypatch):
  """The check itself: a serving module importing training is reported."""
  graph = import_graph()
  graph["zoo.serving.artifact"] = graph["zoo.serving.artifact"] | {
      "zoo.training.run_dir"}
  monkeypatch.setattr(sys.modules[__name__], "import_graph", lambda: graph)
  with pytest.raises(AssertionError, match="forbidden"):
    test_no_module_imports_above_its_layer()
  graph["zoo.models.base"] = graph["zoo.models.base"] | {"zoo.models.xception"}
  with pytest.raises(AssertionError):
    test_no_import_cycle()


def test_tools_only_parse_arguments():
  for path in sorted((_ROOT / "tools").glob("*.py")):
    targets = set()
    for node in ast.walk(ast.parse(path.read_text())):
      if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
          "zoo"):
        targets |= {f"{node.module}.{a.name}" for a in node.names}
      elif isinstance(node, ast.Import):
        targets |= {a.name for a in node.names if a.name.startswith("zoo")}
    assert targets <= {"zoo.cli", "zoo.datasets.mnist_sample"}, (path,
                                                                 targets)


def _python(code: str) -> subprocess.CompletedProcess:
  return subprocess.run([sys.executable, "-c", code], cwd=_ROOT,
                        capture_output=True, text=True, check=False)


def test_only_datasets_and_configs_resolve_to_checkout_folders():
  result = _python(
      "import importlib, zoo, zoo.datasets, zoo.configs\n"
      "for name in ('zoo.zoo', 'zoo.tools', 'zoo.docs', 'zoo.tests'):\n"
      "  try:\n"
      "    importlib.import_module(name)\n"
      "    print('imported', name)\n"
      "  except ImportError:\n"
      "    pass\n"
      "print(zoo.datasets.__file__)\n")
  assert result.returncode == 0, result.stderr
  lines = result.stdout.splitlines()
  assert not [line for line in lines if line.startswith("imported")]
  assert lines[-1].endswith("__init__.py")


def test_artifact_and_the_command_line_start_no_tensorflow():
  result = _python(
      "import sys\n"
      "from zoo.serving import artifact\n"
      "from zoo import cli\n"
      "cli.build_parser()\n"
      "print('tensorflow' in sys.modules)\n")
  assert result.returncode == 0, result.stderr
  assert result.stdout.strip() == "False"


def _report() -> str:
  graph = import_graph()
  lines = []
  by_layer = collections.defaultdict(list)
  for module in sorted(graph):
    if module != "zoo":
      by_layer[_layer(module)[0]].append(module)
  for level, (title, _) in enumerate(_LAYERS):
    lines.append(f"{level} {title}:")
    for module in by_layer[level]:
      targets = ", ".join(sorted(graph[module])) or "-"
      lines.append(f"    {module} -> {targets}")
  edges = sum(len(t) for t in graph.values())
  lines.append(f"{len(graph)} modules, {edges} import edges, cycles: "
               f"{_cycles(graph) or 'none'}")
  return "\n".join(lines)


if __name__ == "__main__":
  print(_report())
