"""Run configuration: defaults, YAML files, dotted overrides, validation.

A config is a nested dict. Every key and its type is fixed by `DEFAULTS`
(the `model` section instead takes the registered model's own arguments), so
a misspelt key or a wrong type fails before any work starts, naming the key
and the closest valid one.

Loading and checking a config imports no TensorFlow (the zoo's model
arguments are read from the models' source until the registry is loaded),
so a wrong config is reported at once; `load_config(..., build_model=False)`
leaves out the one check that builds the model object.
"""

import ast
import copy
import importlib.metadata
import importlib.util
import math
import os
import pathlib
import sys
from typing import Any, Dict, Iterable, Optional

import yaml

from zoo import suggest
from zoo.training import choices
from zoo.training import run_dir as run_dir_lib
from zoo.training import strict_yaml
from zoo.datasets import options as data_options

Config = Dict[str, Any]

DEFAULTS: Config = {
    "run_dir": None,          # Default: runs/<config>-<timestamp>.
    # Resume even though model, data or optimizer settings changed.
    "allow_config_change": False,
    "seed": 0,
    # Modules that register models of your own, imported before the model
    # name is resolved (and again by evaluate/export/predict of the run).
    "imports": [],
    "model": {"name": "deep_mnist_cnn"},  # Plus the model's own arguments.
    "data": {
        "name": "mnist",
        # The data layer's own options (zoo.datasets.options), but `seed`
        # (the run's) and `channels` (the model's).
        **{k: v for k, v in data_options.PREPARE_OPTIONS.items()
           if k not in data_options.RUN_OWNED},
        "augment": dict(data_options.AUGMENT_OPTIONS),
        "batch_size": 50,
        "eval_batch_size": 500,
        "train_split": "train",
        "eval_split": "test",
    },
    "train": {
        "steps": 1000,
        "epochs": None,       # If set, steps = epochs * examples // batch.
        "optimizer": {
            "name": "adam",   # sgd | momentum | adam | rmsprop
            "learning_rate": 1e-3,
            "momentum": 0.9,
            "nesterov": False,
            "beta1": 0.9,
            "beta2": 0.999,
            "epsilon": 1e-8,
            "rmsprop_decay": 0.9,
        },
        "schedule": {
            "name": "constant",  # constant | exponential | cosine
            "decay_steps": 1000,
            "decay_rate": 0.5,
            "staircase": True,
            "warmup_steps": 0,
            "final_fraction": 0.0,  # Cosine floor, as a fraction of the peak.
        },
        "weight_decay": 0.0,  # Times sum(w**2) / 2 over kernels, not biases.
        "clip_grad_norm": None,
        "ema_decay": None,    # E.g. 0.999: evaluate an EMA of the weights.
        "log_every": 50,
        "eval_every": 500,
        "checkpoint_every": 500,
        "keep_checkpoints": 3,
        "jit_compile": False,
        # auto (bfloat16 where the hardware has it, else float32) | float32
        # | mixed_float16 | mixed_bfloat16; see zoo.training.precision.
        "precision": "auto",
    },
    "finetune": {
        "checkpoint": None,     # A run directory or checkpoint to start from.
        "keras_weights": None,  # A Keras Xception .h5 weights file.
        # A published weights tag (zoo.models.pretrained), e.g. imagenet.
        "pretrained": None,
        "freeze_backbone": False,
        "batch_norm_inference": False,
        "head_learning_rate": None,
    },
    "distribute": {
        "strategy": "none",   # none | mirrored | multi_worker | tpu
        "sync_batch_norm": False,
    },
    "visualize": {
        # Write a projector embedding at the end: true, false, or null (the
        # default): on when it is cheap (images of at most 32x32 pixels).
        "embeddings": None,
        "embedding_examples": 1000,
    },
}

# Written by a run into its config.yaml for the record; ignored on reading.
RUN_RECORD_KEYS = run_dir_lib.RECORD_KEYS
RESOLVED_PRECISION_KEY = run_dir_lib.RESOLVED_PRECISION_KEY


def default_config_dir() -> pathlib.Path:
  """Where config names are looked up: `$SNT_ZOO_CONFIG_DIR`, else the
  configs shipped with snt-zoo (`zoo.configs`: the checkout's configs/, or
  the installed copy)."""
  if os.environ.get("SNT_ZOO_CONFIG_DIR"):
    return pathlib.Path(os.environ["SNT_ZOO_CONFIG_DIR"])
  import zoo.configs  # pylint: disable=g-import-not-at-top
  return pathlib.Path(list(zoo.configs.__path__)[0])


# What checkpoints depend on: resuming with other values is refused. The
# precision is compared as resolved (`auto` keeps the run's first choice).
RESUME_SENSITIVE = ("seed", "model", "data", "train.optimizer",
                    "train.schedule", "train.weight_decay",
                    RESOLVED_PRECISION_KEY, "train.ema_decay",
                    "finetune")


def _flatten(config: Any, prefix: str = "") -> Dict[str, Any]:
  if not isinstance(config, dict):
    return {prefix.rstrip("."): config}
  flat = {}
  for key, value in config.items():
    flat.update(_flatten(value, f"{prefix}{key}."))
  return flat


def differences(old: Config, new: Config,
                prefixes: Iterable[str] = ("",)) -> list:
  """`key: old -> new` for every leaf under `prefixes` that differs."""
  old_flat, new_flat = _flatten(old), _flatten(new)
  changed = []
  for key in sorted(set(old_flat) | set(new_flat)):
    if not any(key == p or key.startswith(p + ".") or not p
               for p in prefixes):
      continue
    if old_flat.get(key) != new_flat.get(key):
      changed.append(f"{key}: {old_flat.get(key)!r} -> {new_flat.get(key)!r}")
  return changed


class ConfigError(ValueError):
  """A config key, value or file is wrong; the message says how to fix it."""


def find_config(name_or_path: str,
                config_dir: Optional[os.PathLike] = None) -> pathlib.Path:
  """Resolves `NAME`, `NAME.yaml` or a path to an existing config file."""
  config_dir = pathlib.Path(config_dir or default_config_dir())
  candidates = [pathlib.Path(name_or_path)]
  if not name_or_path.endswith((".yaml", ".yml")):
    candidates.append(config_dir / f"{name_or_path}.yaml")
  candidates.append(config_dir / name_or_path)
  for candidate in candidates:
    if candidate.is_file():
      return candidate
  known = sorted(p.stem for p in config_dir.glob("*.yaml"))
  hint = suggest.did_you_mean(pathlib.Path(name_or_path).stem, known)
  raise ConfigError(
      f"No config {name_or_path!r}.{hint} Configs in {config_dir}: "
      f"{', '.join(known) or 'none'}.")


def load_config(name_or_path: str,
                overrides: Iterable[str] = (),
                config_dir: Optional[os.PathLike] = None,
                build_model: bool = True) -> Config:
  """Reads a YAML config, applies `key=value` overrides and validates.

  Args:
    name_or_path: A name in `configs/` (with or without `.yaml`) or a path.
    overrides: Dotted assignments such as `train.steps=300`; values are
      parsed as YAML, so `true`, `1e-3` and `[1, 2]` have their types.
    config_dir: Where names are looked up (default: the checkout's configs/).
    build_model: Also build the model object to check its values (imports
      TensorFlow); `check_model(config)` does it later.

  Returns:
    The complete config: defaults, then the file, then the overrides.

  Raises:
    ConfigError: On a missing file, invalid YAML, an unknown key or a wrong
      type.
  """
  path = find_config(name_or_path, config_dir)
  try:
    loaded = strict_yaml.load(path.read_text()) or {}
  except strict_yaml.StrictYamlError as e:
    raise ConfigError(f"{path} {e}") from None
  except yaml.YAMLError as e:
    raise ConfigError(f"{path} is not valid YAML: {e}") from e
  if not isinstance(loaded, dict):
    raise ConfigError(f"{path} must hold a mapping of config sections.")
  config = merge(DEFAULTS, loaded)
  config = apply_overrides(config, overrides)
  config.setdefault("_name", path.stem)
  validate(config, build_model=build_model)
  return config


def merge(base: Config, update: Config, prefix: str = "") -> Config:
  """Returns `base` updated by `update`, recursing into sections."""
  merged = copy.deepcopy(base)
  for key, value in update.items():
    if isinstance(merged.get(key), dict) and isinstance(value, dict):
      merged[key] = merge(merged[key], value, f"{prefix}{key}.")
    else:
      merged[key] = copy.deepcopy(value)
  return merged


def apply_overrides(config: Config, overrides: Iterable[str]) -> Config:
  """Applies `a.b.c=value` strings to a copy of `config`."""
  config = copy.deepcopy(config)
  for override in overrides:
    key, sep, text = override.partition("=")
    if not sep or not key:
      raise ConfigError(
          f"Override {override!r} is not key=value (e.g. train.steps=300).")
    try:
      value = strict_yaml.load(text)
    except strict_yaml.StrictYamlError as e:
      raise ConfigError(f"Override {override!r} {e}") from None
    except yaml.YAMLError as e:
      raise ConfigError(f"Override {override!r}: bad value: {e}") from e
    node = config
    parts = key.split(".")
    for i, part in enumerate(parts[:-1]):
      child = node.get(part)
      if not isinstance(child, dict):
        _unknown(".".join(parts[:i + 1]), node, ".".join(parts[:i]))
      node = child
    if isinstance(node.get(parts[-1]), dict) and isinstance(value, dict):
      # `train.optimizer={name: sgd}` changes those keys, keeps the rest.
      value = merge(node[parts[-1]], value)
    node[parts[-1]] = value
  return config


def validate(config: Config, build_model: bool = True) -> None:
  """Checks every key and type against `DEFAULTS` and the model's arguments.

  Args:
    config: A complete config.
    build_model: Also build the model object to check its values (imports
      TensorFlow).

  Raises:
    ConfigError: Naming the bad key and the closest valid one.
  """
  _check_section(config, DEFAULTS, "", skip=("model",) + RUN_RECORD_KEYS)
  _import_models(config.get("imports"))
  _check_numbers(config)
  _check_unset_types(config)
  model = config.get("model")
  if not isinstance(model, dict) or "name" not in model:
    raise ConfigError("Config needs a model section with a name, e.g. "
                      "model: {name: deep_mnist_cnn}.")
  if not isinstance(model["name"], str):
    raise ConfigError(f"model.name must be a model's name (a string), got "
                      f"{model['name']!r}; choose one of "
                      f"{', '.join(_model_names())}.")
  try:
    arguments = _model_arguments(model["name"])
  except ValueError as e:
    raise ConfigError(f"model.name: {e}") from e
  if "image_shape" in model and "image_shape" not in arguments:
    raise ConfigError(
        f"model.image_shape is now two keys: model.image_size=[H, W] and "
        f"model.channels=C (got image_shape={model['image_shape']!r}).")
  # `null` unsets a model argument (the model's default applies).
  _check_section({k: v for k, v in model.items()
                  if k != "name" and v is not None}, arguments, "model.",
                 skip=())
  if (config.get("distribute", {}).get("sync_batch_norm") and
      "cross_replica_batch_norm" not in arguments):
    raise ConfigError(
        f"distribute.sync_batch_norm: model {model['name']} has no BatchNorm "
        "to synchronise (only xception has); set it to false.")
  _check_values(config)
  if build_model:
    check_model(config)


def _model_arguments(name: str) -> Dict[str, Any]:
  """A model's keyword arguments and defaults, without TensorFlow if it can.

  Once the registry is loaded (a model was built, or one registered) it
  answers; before that the zoo's own model modules are read as source.

  Raises:
    ValueError: If `name` is no model, naming the closest one.
  """
  if "zoo.models._registry" in sys.modules:
    return sys.modules["zoo.models._registry"].model_arguments(name)
  declared = _declared_models()
  if name not in declared and _has_entry_points():
    # An installed package may register it: the registry loads them all.
    from zoo.models import _registry  # pylint: disable=g-import-not-at-top
    return _registry.model_arguments(name)
  if name not in declared:
    hint = suggest.did_you_mean(name, declared)
    raise ValueError(f"Unknown model {name!r}.{hint} Known models: "
                     f"{', '.join(sorted(declared))}.")
  return declared[name]


def check_model_name(name: str) -> None:
  """Checks that a model called `name` exists, without TensorFlow if it can
  (as config checks do).

  Raises:
    ValueError: If `name` is no model, naming the closest one.
  """
  _model_arguments(name)


def _model_names() -> Iterable[str]:
  """Every model name, from the registry once it is loaded."""
  if "zoo.models._registry" in sys.modules:
    return sys.modules["zoo.models._registry"].list_models()
  return sorted(_declared_models())


def _has_entry_points() -> bool:
  """Whether an installed package declares models (`snt_zoo.models`)."""
  return bool(importlib.metadata.entry_points(group=_ENTRY_POINT_GROUP))


#: The entry-point group of installed packages' models (as the registry's).
_ENTRY_POINT_GROUP = "snt_zoo.models"


def _declared_models() -> Dict[str, Dict[str, Any]]:
  """`{name: {argument: default}}` of every `@register_model` function in
  the zoo's model modules, read with `ast` (a default that is not a literal
  or a module constant reads as None, which accepts any type)."""
  folder = importlib.util.find_spec("zoo.models").submodule_search_locations
  declared = {}
  for path in sorted(pathlib.Path(list(folder)[0]).glob("*.py")):
    tree = ast.parse(path.read_text())
    constants = {target.id: node.value for node in tree.body
                 if isinstance(node, ast.Assign)
                 for target in node.targets if isinstance(target, ast.Name)}
    for node in tree.body:
      if not isinstance(node, ast.FunctionDef) or not any(
          _names_register_model(d) for d in node.decorator_list):
        continue
      args = node.args
      positional = args.posonlyargs + args.args
      defaults = ([None] * (len(positional) - len(args.defaults)) +
                  list(args.defaults))
      pairs = list(zip(positional, defaults)) + list(
          zip(args.kwonlyargs, args.kw_defaults))
      declared[node.name] = {arg.arg: _literal(default, constants)
                             for arg, default in pairs}
  return declared


def _names_register_model(decorator: ast.AST) -> bool:
  """`@register_model` or `@register_model(reference=...)`."""
  if isinstance(decorator, ast.Call):
    decorator = decorator.func
  return getattr(decorator, "id", getattr(decorator, "attr", None)) == (
      "register_model")


def _literal(node: Optional[ast.AST], constants: Dict[str, ast.AST]) -> Any:
  if isinstance(node, ast.Name) and node.id in constants:
    node = constants[node.id]
  try:
    return ast.literal_eval(node) if node is not None else None
  except ValueError:
    return None


def _import_models(modules: Any) -> None:
  """Imports the config's `imports` (modules that register models)."""
  if modules is None:
    return
  if not isinstance(modules, (list, tuple)) or not all(
      isinstance(m, str) and m for m in modules):
    raise ConfigError(f"imports must be a list of module names, e.g. "
                      f"imports: [mypkg.models]; got {modules!r}.")
  if not modules:
    return  # The registry (and TensorFlow) load later, when needed.
  from zoo.models import _registry  # pylint: disable=g-import-not-at-top
  try:
    _registry.import_models(modules)
  except _registry.ModelImportError as e:
    raise ConfigError(f"imports: {e}") from e


def _check_pretrained(config: Config) -> None:
  """`finetune.pretrained` names published weights of the model."""
  finetune = config["finetune"]
  tag = finetune.get("pretrained")
  if not tag:
    return
  if finetune["keras_weights"] or finetune["checkpoint"]:
    raise ConfigError(
        "finetune.pretrained starts from published weights; unset "
        "finetune.keras_weights and finetune.checkpoint (one start only).")
  from zoo.models import pretrained  # pylint: disable=g-import-not-at-top
  name = config["model"]["name"]
  arguments = {**_model_arguments(name),
               **{k: v for k, v in config["model"].items()
                  if k != "name" and v is not None}}
  try:
    pretrained.select(name, tag, arguments)
  except pretrained.PretrainedError as e:
    raise ConfigError(f"finetune.pretrained: {e}") from e


#: The largest integer a count or size may be (TensorFlow's int32).
MAX_INT = 2**31 - 1
#: `seed` seeds NumPy too, which takes 32-bit unsigned seeds.
_INT_LIMITS = {"seed": (0, 2**32 - 1)}


def _leaves(value: Any, key: str):
  """`(dotted key, value)` of every leaf, list items included."""
  if isinstance(value, dict):
    for child, item in value.items():
      yield from _leaves(item, f"{key}.{child}" if key else str(child))
  elif isinstance(value, (list, tuple)):
    for index, item in enumerate(value):
      yield from _leaves(item, f"{key}[{index}]")
  else:
    yield key, value


def _check_numbers(config: Config) -> None:
  """Refuses NaN, infinities and integers no counter can hold, anywhere."""
  for key, value in _leaves(config, ""):
    if isinstance(value, float) and not math.isfinite(value):
      raise ConfigError(f"{key}={value!r} is not a finite number; set a "
                        "finite value (or remove the key for its default).")
    if isinstance(value, int) and not isinstance(value, bool):
      low, high = _INT_LIMITS.get(key, (-MAX_INT, MAX_INT))
      if not low <= value <= high:
        raise ConfigError(f"{key}={value!r} is out of range: it must be "
                          f">= {low} and <= {high}.")


#: Keys whose default is null (or empty): the type a value must have.
_UNSET_TYPES = {
    "run_dir": "path",
    "data.data_dir": "path",
    "train.epochs": "number",
    "train.clip_grad_norm": "number",
    "train.ema_decay": "number",
    "finetune.checkpoint": "path",
    "finetune.keras_weights": "path",
    "finetune.head_learning_rate": "number",
}


def _check_unset_types(config: Config) -> None:
  """Types of the keys `DEFAULTS` cannot type (null defaults)."""
  unset = dict(_UNSET_TYPES)
  for key, default in _leaves(DEFAULTS, ""):
    if default is None and key not in unset:
      unset[key] = "any"
  for key in _RANGES:
    unset.setdefault(key, "number")
  for key, kind in unset.items():
    value = _get(config, key)
    if value is None or kind == "any":
      continue
    if kind == "number" and (isinstance(value, bool) or
                             not isinstance(value, (int, float))):
      if isinstance(value, str):
        try:
          value = float(value)  # YAML 1.1 reads `1e-4` as a string.
        except ValueError:
          value = None
        if value is not None and math.isfinite(value):
          _set(config, key, value)
          continue
      raise ConfigError(f"{key} must be a number, got {_get(config, key)!r}"
                        f" ({type(_get(config, key)).__name__}).")
    if kind == "path" and not isinstance(value, (str, os.PathLike)):
      raise ConfigError(f"{key} must be a path (a string), got {value!r} "
                        f"({type(value).__name__}).")


def _set(config: Config, key: str, value: Any) -> None:
  *parents, leaf = key.split(".")
  node = config
  for part in parents:
    node = node[part]
  node[leaf] = value


def _choices() -> Dict[str, Iterable[str]]:
  """Allowed names of the keys that name a thing, from where each is made."""
  return {
      "train.optimizer.name": choices.OPTIMIZERS,
      "train.schedule.name": choices.SCHEDULES,
      "train.precision": choices.PRECISIONS,
      "distribute.strategy": choices.STRATEGIES,
      "data.on_corrupt": data_options.ON_CORRUPT,
      "data.name": data_options.DATASET_NAMES,
  }


# key -> (lowest, highest, whether each end is allowed), None: unbounded.
_RANGES = {
    "train.steps": (1, None, True, True),
    "train.epochs": (0, None, False, True),
    "train.log_every": (1, None, True, True),
    "train.eval_every": (1, None, True, True),
    "train.checkpoint_every": (1, None, True, True),
    "train.keep_checkpoints": (1, None, True, True),
    "train.weight_decay": (0, None, True, True),
    "train.clip_grad_norm": (0, None, False, True),
    "train.ema_decay": (0, 1, False, False),
    "train.optimizer.learning_rate": (0, None, False, True),
    "train.optimizer.momentum": (0, 1, True, False),
    "train.optimizer.beta1": (0, 1, True, False),
    "train.optimizer.beta2": (0, 1, True, False),
    "train.optimizer.epsilon": (0, None, False, True),
    "train.optimizer.rmsprop_decay": (0, 1, True, False),
    "train.schedule.decay_steps": (1, None, True, True),
    "train.schedule.decay_rate": (0, None, False, True),
    "train.schedule.warmup_steps": (0, None, True, True),
    "train.schedule.final_fraction": (0, 1, True, True),
    "data.batch_size": (1, None, True, True),
    "data.eval_batch_size": (1, None, True, True),
    "data.validation_fraction": (0, 1, True, False),
    "data.split_ratio": (0, 1, False, True),
    "data.split_index": (0, 3, True, True),  # 0: ignore datasplits.mat.
    "data.augment.brightness": (0, 255, True, True),
    "finetune.head_learning_rate": (0, None, False, True),
    "visualize.embedding_examples": (1, None, True, True),
}


def _get(config: Config, key: str) -> Any:
  node = config
  for part in key.split("."):
    if not isinstance(node, dict) or part not in node:
      return None
    node = node[part]
  return node


def _describe_range(low, high, low_ok, high_ok) -> str:
  parts = []
  if low is not None:
    parts.append(f"{'>=' if low_ok else '>'} {low}")
  if high is not None:
    parts.append(f"{'<=' if high_ok else '<'} {high}")
  return " and ".join(parts)


def _check_values(config: Config) -> None:
  """Checks names against their choices and numbers against their ranges."""
  for key, allowed in _choices().items():
    value = _get(config, key)
    if key == "data.name" and data_options.is_tfds_name(value):
      continue  # Any TensorFlow Datasets name; checked when the data loads.
    if value is None:
      # Every named key has a default; null would reach the code as None.
      also = " or tfds:<name>" if key == "data.name" else ""
      raise ConfigError(f"{key} is null; set one of {', '.join(allowed)}"
                        f"{also} (default {_get(DEFAULTS, key)!r}).")
    if value not in allowed:
      hint = suggest.did_you_mean(value, allowed)
      also = " or tfds:<name>" if key == "data.name" else ""
      raise ConfigError(f"{key}={value!r} is not one of "
                        f"{', '.join(allowed)}{also}.{hint}")
  if _get(config, "data.name") == "image_folder" and not _get(
      config, "data.data_dir"):
    raise ConfigError(
        "data.data_dir is required with data.name=image_folder: set "
        "data.data_dir=ROOT, the folder of class folders (ROOT/<class>/*.jpg "
        "or ROOT/train/<class>/*.jpg).")
  for key, (low, high, low_ok, high_ok) in _RANGES.items():
    value = _get(config, key)
    if value is None:
      continue
    too_low = low is not None and (value < low if low_ok else value <= low)
    too_high = high is not None and (value > high if high_ok else
                                     value >= high)
    if too_low or too_high:
      raise ConfigError(f"{key}={value!r} is out of range: it must be "
                        f"{_describe_range(low, high, low_ok, high_ok)}.")
  if _get(config, "visualize.embeddings") not in (None, True, False):
    raise ConfigError(
        f"visualize.embeddings={_get(config, 'visualize.embeddings')!r} must "
        "be true, false or null (on for images of at most 32x32 pixels).")
  contrast = _get(config, "data.augment.contrast")
  if contrast is not None and (
      not isinstance(contrast, (list, tuple)) or len(contrast) != 2 or
      not all(isinstance(c, (int, float)) for c in contrast) or
      not 0 <= contrast[0] <= contrast[1]):
    raise ConfigError(f"data.augment.contrast={contrast!r} must be [lower, "
                      "upper] with 0 <= lower <= upper, e.g. [0.2, 1.8].")
  size = _get(config, "data.image_size")
  if size is not None and not (
      (isinstance(size, int) and size >= 1) or
      (isinstance(size, (list, tuple)) and len(size) == 2 and
       all(isinstance(s, int) and s >= 1 for s in size))):
    raise ConfigError(f"data.image_size={size!r} must be a positive integer "
                      "or [height, width].")
  if config["finetune"]["freeze_backbone"] and (
      not config["finetune"]["checkpoint"] and
      not config["finetune"]["keras_weights"] and
      not config["finetune"].get("pretrained")):
    raise ConfigError("finetune.freeze_backbone=true needs starting weights: "
                      "set finetune.checkpoint, finetune.keras_weights or "
                      "finetune.pretrained.")
  _check_pretrained(config)


def check_data(config: Config) -> None:
  """Raises `DatasetError` if the config's data is certainly not there (a
  missing data_dir, an empty cache with downloads off), without TensorFlow."""
  from zoo.datasets import availability  # pylint: disable=g-import-not-at-top
  availability.check(config["data"]["name"], config["data"].get("data_dir"))


def check_model(config: Config) -> None:
  """Builds the model object (cheap: no weights yet) to check its values.

  Creating a Sonnet module starts TensorFlow's runtime, which multi-worker
  and TPU strategies must configure first; for those the model's own
  constructor checks its values when the run builds it.
  """
  model_config = config["model"]
  if config["distribute"]["strategy"] in ("multi_worker", "tpu"):
    return
  kwargs = {k: v for k, v in model_config.items()
            if k != "name" and v is not None}
  from zoo.models import _registry  # pylint: disable=g-import-not-at-top
  try:
    model = _registry.create_model(model_config["name"], **kwargs)
  except (ValueError, TypeError) as e:
    raise ConfigError(f"model: {e}") from e
  dropout = kwargs.get("dropout_rate")
  if dropout is not None and not 0 <= dropout < 1:
    raise ConfigError(f"model.dropout_rate={dropout!r} is out of range: it "
                      "must be >= 0 and < 1.")
  size = _get(config, "data.image_size")
  if size is None:
    return
  height, width = (size, size) if isinstance(size, int) else size
  if min(height, width) < model.min_image_size:
    raise ConfigError(
        f"data.image_size={size!r} is too small for {model_config['name']}, "
        f"which needs at least {model.min_image_size}x{model.min_image_size}"
        f"; set data.image_size >= {model.min_image_size}.")
  if model.fixed_image_size and (height, width) != tuple(
      model.fixed_image_size):
    fixed = model.fixed_image_size
    raise ConfigError(
        f"data.image_size={size!r} does not fit {model_config['name']}, "
        f"which takes {fixed[0]}x{fixed[1]} images; remove data.image_size "
        "or set model.image_size to match.")


def _check_section(section: Config, defaults: Config, prefix: str,
                   skip: Iterable[str]) -> None:
  for key, value in section.items():
    if key in skip:
      continue
    if key not in defaults:
      _unknown(prefix + key, defaults, prefix.rstrip("."))
    default = defaults[key]
    if isinstance(default, dict):
      if not isinstance(value, dict):
        raise ConfigError(f"{prefix}{key} must be a section (mapping), got "
                          f"{value!r}.")
      _check_section(value, default, f"{prefix}{key}.", skip=())
    elif isinstance(default, float) and isinstance(value, str):
      # YAML 1.1 reads `1e-4` (no dot) as a string; accept it as a number.
      try:
        section[key] = float(value)
      except ValueError:
        raise ConfigError(f"{prefix}{key} must be a number, got {value!r}.")
    elif prefix == "model." and key == "image_size" and _is_size_pair(value):
      pass  # A model's image_size is an int or [height, width].
    elif not _type_ok(value, default):
      raise ConfigError(
          f"{prefix}{key} must be {_type_name(default)}, got {value!r} "
          f"({type(value).__name__}).")


def _is_size_pair(value: Any) -> bool:
  """`[height, width]`: two positive integers."""
  return (isinstance(value, (list, tuple)) and len(value) == 2 and
          all(isinstance(v, int) and not isinstance(v, bool) and v > 0
              for v in value))


def _type_ok(value: Any, default: Any) -> bool:
  if default is None or value is None:
    return True
  if isinstance(default, bool):
    return isinstance(value, bool)
  if isinstance(default, int):
    return isinstance(value, int) and not isinstance(value, bool)
  if isinstance(default, float):
    return isinstance(value, (int, float)) and not isinstance(value, bool)
  if isinstance(default, (list, tuple)):
    return isinstance(value, (list, tuple))
  return isinstance(value, type(default))


def _type_name(default: Any) -> str:
  if isinstance(default, bool):
    return "true or false"
  if isinstance(default, (list, tuple)):
    return "a list"
  return {int: "an integer", float: "a number", str: "a string"}.get(
      type(default), type(default).__name__)


def _unknown(key: str, known: Config, section: str) -> None:
  leaf = key.split(".")[-1]
  hint = suggest.did_you_mean(leaf, [k for k in known if k != "_name"],
                              prefix=f"{section}." if section else "")
  raise ConfigError(
      f"Unknown config key {key!r}.{hint} Valid keys"
      f"{' in ' + section if section else ''}: "
      f"{', '.join(sorted(k for k in known if k != '_name'))}.")


def dump_config(config: Config, path: os.PathLike) -> None:
  """Writes the resolved config as YAML."""
  pathlib.Path(path).write_text(
      yaml.safe_dump({k: v for k, v in config.items()}, sort_keys=False))
