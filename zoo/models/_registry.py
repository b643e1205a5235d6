"""Model registry: models are registered by name and built from keyword args.

It imports no model: each model module registers itself with
`@register_model`, and `zoo.models` imports the zoo's own model modules, so
importing this module (which imports its package first) sees them all.
"""

import difflib
import inspect
import warnings
from typing import Any, Callable, Dict, List

import sonnet as snt

_MODEL_FNS: Dict[str, Callable[..., snt.Module]] = {}


def register_model(fn: Callable[..., snt.Module]) -> Callable[..., snt.Module]:
  """Registers a model constructor under its function name.

  Args:
    fn: A function returning an `snt.Module`, whose keyword arguments are the
      model's hyperparameters.

  Returns:
    `fn`, unchanged, so this can be used as a decorator.
  """
  name = fn.__name__
  if name in _MODEL_FNS:
    warnings.warn(f"Model {name!r} is registered twice; the later one wins.")
  _MODEL_FNS[name] = fn
  return fn


def list_models() -> List[str]:
  """Returns the sorted names of all registered models."""
  return sorted(_MODEL_FNS)


def _lookup(name: str) -> Callable[..., snt.Module]:
  if name not in _MODEL_FNS:
    close = difflib.get_close_matches(name, _MODEL_FNS, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise ValueError(
        f"Unknown model {name!r}.{hint} Known models: {', '.join(list_models())}.")
  return _MODEL_FNS[name]


def model_arguments(name: str) -> Dict[str, Any]:
  """Returns the keyword arguments of a registered model and their defaults."""
  signature = inspect.signature(_lookup(name))
  return {
      key: param.default for key, param in signature.parameters.items()
      if param.kind in (param.KEYWORD_ONLY, param.POSITIONAL_OR_KEYWORD)
  }


def create_model(name: str, **kwargs: Any) -> snt.Module:
  """Builds the registered model `name`.

  Keyword arguments that are `None` are dropped, so config keys left unset keep
  the model's own defaults.

  Args:
    name: A name from `list_models()`.
    **kwargs: Hyperparameters of that model.

  Returns:
    The model, an `snt.Module` called as `model(images, is_training)`.

  Raises:
    ValueError: If `name` is unknown or an argument is not one of the model's.
  """
  fn = _lookup(name)
  kwargs = {k: v for k, v in kwargs.items() if v is not None}
  known = model_arguments(name)
  for key in kwargs:
    if key not in known:
      close = difflib.get_close_matches(key, known, n=1)
      hint = f" Did you mean {close[0]!r}?" if close else ""
      raise ValueError(
          f"Model {name!r} has no argument {key!r}.{hint} "
          f"Its arguments: {', '.join(sorted(known))}.")
  return fn(**kwargs)
