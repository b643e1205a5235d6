"""Model registry: models are registered by name and built from keyword args.

It imports no model: each model module registers itself with
`@register_model`, and `zoo.models` imports the zoo's own model modules, so
importing this module (which imports its package first) sees them all.

Models defined outside the zoo join the same registry in three ways, all
before a name is resolved: `import_models(["mypkg.models"])` (what a
config's `imports:` key and the command line's `--import` do), or an
installed package's entry point in the group `snt_zoo.models`
(`importlib.metadata`), loaded the first time a model name is looked up.
"""

import functools
import importlib
import importlib.metadata
import inspect
import warnings
from typing import Any, Callable, Dict, Iterable, List, Optional

import sonnet as snt

from zoo import suggest

#: The entry-point group an installed package registers its models under.
ENTRY_POINT_GROUP = "snt_zoo.models"

_MODEL_FNS: Dict[str, Callable[..., snt.Module]] = {}
_REFERENCES: Dict[str, str] = {}
# Entry points that failed to load: name -> one-line reason.
_BROKEN_ENTRY_POINTS: Dict[str, str] = {}
_entry_points_loaded = False


class ModelImportError(ImportError):
  """A module named to register models (config, flag, entry point) failed."""


def register_model(fn: Optional[Callable[..., snt.Module]] = None, *,
                   reference: str = "") -> Any:
  """Registers a model constructor under its function name.

      @register_model
      def tiny(num_classes: int = 10, image_size=28): ...

      @register_model(reference="keras.applications.MobileNet")
      def mobilenet_v1(...): ...

  Args:
    fn: A function returning an `snt.Module`, whose keyword arguments are the
      model's hyperparameters.
    reference: The implementation the model is checked against (parameter
      counts, logits), shown by `snt-zoo models`; "" for none.

  Returns:
    `fn`, unchanged, so this can be used as a decorator (with or without
    arguments).
  """
  if fn is None:
    return functools.partial(register_model, reference=reference)
  name = fn.__name__
  if name in _MODEL_FNS:
    if (_is_built_in(_MODEL_FNS[name]) and not _is_built_in(fn)):
      raise ValueError(
          f"Model {name!r} is one of the zoo's own ({_MODEL_FNS[name].__module__}"
          f"); register {fn.__module__}.{fn.__qualname__} under another name "
          "(the function's name is the model's).")
    warnings.warn(f"Model {name!r} is registered twice; the later one wins.")
  _MODEL_FNS[name] = fn
  _REFERENCES[name] = reference
  return fn


def _is_built_in(fn: Callable[..., Any]) -> bool:
  return fn.__module__.startswith("zoo.models.")


def import_models(modules: Iterable[str]) -> None:
  """Imports modules that register models (`imports:` / `--import`).

  Args:
    modules: Importable module names, e.g. `["mypkg.models"]`.

  Raises:
    ModelImportError: Naming the module that failed and its error.
  """
  for module in modules:
    if not isinstance(module, str) or not module:
      raise ModelImportError(
          f"imports: {module!r} is not a module name (e.g. mypkg.models).")
    try:
      importlib.import_module(module)
    except Exception as e:  # pylint: disable=broad-except
      raise ModelImportError(
          f"Cannot import model module {module!r}: {type(e).__name__}: "
          f"{str(e).splitlines()[0] if str(e) else ''} (is its package on "
          "PYTHONPATH or installed?)") from e


def defining_module(name: str) -> str:
  """The module whose import registers model `name` (what another process
  imports to know it; `zoo.models....` for the zoo's own)."""
  return _lookup(name).__module__


def load_entry_points() -> Dict[str, str]:
  """Loads every `snt_zoo.models` entry point once per process.

  A broken entry point does not stop the zoo: it is warned about in one line
  naming it, and named again if a model it should have registered is asked
  for.

  Returns:
    The broken entry points, `{name: reason}`.
  """
  global _entry_points_loaded
  if _entry_points_loaded:
    return dict(_BROKEN_ENTRY_POINTS)
  _entry_points_loaded = True
  for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
    try:
      entry_point.load()
    except Exception as e:  # pylint: disable=broad-except
      reason = (f"entry point {entry_point.name!r} ({entry_point.value}) in "
                f"group {ENTRY_POINT_GROUP} failed to load: "
                f"{type(e).__name__}: {e}").replace("\n", " ")
      _BROKEN_ENTRY_POINTS[entry_point.name] = reason
      warnings.warn(reason)
  return dict(_BROKEN_ENTRY_POINTS)


def list_models() -> List[str]:
  """Returns the sorted names of all registered models."""
  load_entry_points()
  return sorted(_MODEL_FNS)


def model_reference(name: str) -> str:
  """The implementation model `name` is checked against ("" if none)."""
  _lookup(name)
  return _REFERENCES.get(name, "")


def _lookup(name: str) -> Callable[..., snt.Module]:
  if name not in _MODEL_FNS:
    load_entry_points()
  if name not in _MODEL_FNS:
    broken = "".join(f" Not loaded: {reason}."
                     for reason in _BROKEN_ENTRY_POINTS.values())
    hint = suggest.did_you_mean(name, _MODEL_FNS)
    raise ValueError(
        f"Unknown model {name!r}.{hint} Known models: "
        f"{', '.join(list_models())}.{broken} A model of your own: pass "
        "--import MODULE or set imports: [MODULE] in the config.")
  return _MODEL_FNS[name]


def model_arguments(name: str) -> Dict[str, Any]:
  """Returns the keyword arguments of a registered model and their defaults."""
  signature = inspect.signature(_lookup(name))
  return {
      key: param.default for key, param in signature.parameters.items()
      if param.kind in (param.KEYWORD_ONLY, param.POSITIONAL_OR_KEYWORD)
  }


def create_model(name: str, pretrained: Optional[str] = None,
                 **kwargs: Any) -> snt.Module:
  """Builds the registered model `name`, optionally with published weights.

  Keyword arguments that are `None` are dropped, so config keys left unset keep
  the model's own defaults.

      zoo.create_model("xception", pretrained="imagenet")   # ImageNet top
      zoo.create_model("xception", pretrained="imagenet", num_classes=17)

  Args:
    name: A name from `list_models()`.
    pretrained: A weights tag of `zoo.models.pretrained` (e.g. "imagenet"):
      the publisher's file is downloaded once into the snt-zoo cache,
      verified and ported into the model; its classifier is copied only when
      the model's head fits it (else only the backbone).
    **kwargs: Hyperparameters of that model.

  Returns:
    The model, an `snt.Module` called as `model(images, is_training)`.

  Raises:
    ValueError: If `name` is unknown or an argument is not one of the model's,
      or `pretrained` is not a tag of the model.
  """
  if pretrained is not None:
    return _create_pretrained(name, pretrained, kwargs)
  fn = _lookup(name)
  kwargs = {k: v for k, v in kwargs.items() if v is not None}
  known = model_arguments(name)
  for key in kwargs:
    if key not in known:
      hint = suggest.did_you_mean(key, known)
      raise ValueError(
          f"Model {name!r} has no argument {key!r}.{hint} "
          f"Its arguments: {', '.join(sorted(known))}.")
  return fn(**kwargs)


def _create_pretrained(name: str, tag: str, kwargs: Dict[str, Any]):
  """`create_model` with the weights `tag` of `zoo.models.pretrained`."""
  from zoo.models import pretrained  # pylint: disable=g-import-not-at-top
  kwargs = {k: v for k, v in kwargs.items() if v is not None}
  arguments = {**model_arguments(name), **kwargs}
  weights, load_top = pretrained.select(name, tag, arguments)
  implied = {k: v for k, v in weights.model_kwargs.items()
             if k in arguments and k not in kwargs}
  model = create_model(name, **implied, **kwargs)
  pretrained.load_into(model, weights, load_top)
  return model
