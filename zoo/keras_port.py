"""Copies Keras Applications' Xception weights into the zoo's Xception.

This is how a user gets an ImageNet-pretrained Xception to fine-tune:

  keras_model = keras.applications.Xception(weights="imagenet")  # or a path
  model = zoo.create_model("xception")
  zoo.keras_port.load_keras_xception_weights(model, keras_model)

The zoo's module names follow Keras' layer names (`block2/sepconv1` is
`block2_sepconv1`); only the four 1x1 shortcut convolutions and their
BatchNorms are unnamed in Keras, and they are told apart by channel count.
"""

import os
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import sonnet as snt
import tensorflow as tf

from zoo.models.xception import Xception
from zoo.blocks.separable_conv import SeparableConv2D

# Downsampling blocks and the channels of their (unnamed in Keras) shortcut.
_SHORTCUT_CHANNELS = {"block2": 128, "block3": 256, "block4": 728,
                      "block13": 1024}
# Both keep `scale`, `offset` and debiased `moving_mean`/`moving_variance`.
_BATCH_NORMS = (snt.BatchNorm, snt.distribute.CrossReplicaBatchNorm)
# A moving average that has seen this many updates is fully debiased.
_CONVERGED_COUNTER = 1_000_000


def load_keras_xception_weights(model: Xception,
                                keras_model: Any,
                                load_top: Optional[bool] = None) -> int:
  """Copies every weight of a Keras Xception into `model`.

  Args:
    model: A zoo `Xception`, built or not.
    keras_model: A `keras.applications.Xception` (Keras 3 or tf_keras), or the
      path of a Keras Xception weights file (`.h5`), with or without the top.
    load_top: Whether to copy Keras' 1000-class `predictions` layer into the
      model's logits layer. `None` copies it when Keras has one, and fails if
      it does not fit; `False` keeps the model's own head (for fine-tuning on
      new classes); `True` requires it.

  Returns:
    The number of arrays copied.

  Raises:
    FileNotFoundError: If a weights path does not exist.
    ValueError: If the file is not a Keras Xception weights file, a shape
      differs, or the top does not match `model`'s head.
  """
  if not isinstance(model, Xception):
    raise ValueError(f"Expected a zoo Xception, got {type(model).__name__}.")
  if isinstance(keras_model, (str, os.PathLike)):
    keras_model = _keras_xception_from_file(os.fspath(keras_model))
  keras_layers = _keras_layers_by_name(keras_model)
  _build(model, keras_model)

  pairs = _sonnet_layers_by_keras_name(model)
  keras_has_top = "predictions" in keras_layers
  if load_top is None:
    load_top = keras_has_top
  if load_top:
    pairs["predictions"] = _matching_top(model, keras_layers, keras_has_top)

  copied = 0
  for keras_name, module in pairs.items():
    if keras_name not in keras_layers:
      raise ValueError(
          f"Keras model has no layer {keras_name!r}: is it an Xception?")
    arrays = keras_layers[keras_name].get_weights()
    copied += _assign(module, arrays, keras_name)
  return copied


def _keras_xception_from_file(path: str) -> Any:
  if not os.path.exists(path):
    raise FileNotFoundError(
        f"Keras weights file {path!r} does not exist. Download Keras' "
        "Xception weights (e.g. xception_weights_tf_dim_ordering_tf_kernels"
        "_notop.h5) and pass its path.")
  import h5py  # pylint: disable=g-import-not-at-top
  import keras  # pylint: disable=g-import-not-at-top
  try:
    with h5py.File(path, "r") as f:
      names = set(f.attrs.get("layer_names", [])) | set(f.keys())
      names = {n.decode() if isinstance(n, bytes) else n for n in names}
  except OSError as e:
    raise ValueError(
        f"{path!r} is not a readable HDF5 weights file ({e}). Download it "
        "again.") from e
  if "block14_sepconv2" not in names:
    raise ValueError(
        f"{path!r} holds no Xception weights (no layer 'block14_sepconv2').")
  return keras.applications.Xception(
      weights=path, include_top="predictions" in names)


def _keras_layers_by_name(keras_model: Any) -> Dict[str, Any]:
  """Names every weighted layer the way the zoo's modules are named."""
  layers = {}
  shortcuts = {}
  for layer in keras_model.layers:
    if not layer.weights:
      continue
    kind = type(layer).__name__
    if layer.name.startswith("block") or layer.name == "predictions":
      layers[layer.name] = layer
    elif kind in ("Conv2D", "BatchNormalization"):
      channels = int(layer.weights[0].shape[-1])
      shortcuts[(kind, channels)] = layer
  for block, channels in _SHORTCUT_CHANNELS.items():
    for kind, suffix in (("Conv2D", "shortcut"),
                         ("BatchNormalization", "shortcut_bn")):
      if (kind, channels) in shortcuts:
        layers[f"{block}_{suffix}"] = shortcuts[(kind, channels)]
  return layers


def _build(model: Xception, keras_model: Any) -> None:
  """Creates the model's variables with one inference pass."""
  height, width = keras_model.input_shape[1:3]
  if height is None or width is None:
    height, width = model.default_image_size
  model(tf.zeros([1, height, width, 3]), is_training=False)


def _sonnet_layers_by_keras_name(model: Xception) -> Dict[str, snt.Module]:
  """Maps Keras layer names to the zoo's leaf layers of the backbone."""
  pairs = {}
  for module in model.submodules:
    if _inside(module, "head"):
      continue
    path = module.name_scope.name.strip("/").split("/")
    if isinstance(module, (SeparableConv2D,) + _BATCH_NORMS) or (
        isinstance(module, snt.Conv2D) and path[-2] != _separable_parent(path)):
      pairs[f"{path[-2]}_{path[-1]}"] = module
  return pairs


def _inside(module: snt.Module, scope: str) -> bool:
  return f"/{scope}/" in "/" + module.name_scope.name


def _separable_parent(path: List[str]) -> str:
  """The pointwise conv of a SeparableConv2D is copied with its parent."""
  return path[-2] if path[-1] == "pointwise" else ""


def _matching_top(model: Xception, keras_layers: Dict[str, Any],
                  keras_has_top: bool) -> snt.Module:
  if not keras_has_top:
    raise ValueError(
        "load_top=True but the Keras model has no top: build it with "
        "include_top=True or pass load_top=False.")
  keras_classes = int(keras_layers["predictions"].weights[-1].shape[0])
  head = model.head
  if head is None or head.hidden or head.num_classes != keras_classes:
    ours = ("no head" if head is None else
            f"a head with hidden layers {[h.output_size for h in head.hidden]}"
            f" and {head.num_classes} classes")
    raise ValueError(
        f"Keras' top is a {keras_classes}-class Linear layer but this model "
        f"has {ours}. Pass load_top=False to copy only the backbone and keep "
        "this model's head (fine-tuning), or build the model with "
        f"num_classes={keras_classes} and no hidden layers.")
  return head.logits


def _assign(module: snt.Module, arrays: List[np.ndarray], name: str) -> int:
  if isinstance(module, _BATCH_NORMS):
    gamma, beta, mean, variance = arrays
    targets: List[Tuple[tf.Variable, np.ndarray]] = [
        (module.scale, gamma.reshape(module.scale.shape)),
        (module.offset, beta.reshape(module.offset.shape)),
    ]
    decay = float(module.moving_mean._decay)  # pylint: disable=protected-access
    for average, value in ((module.moving_mean, mean),
                           (module.moving_variance, variance)):
      targets += _moving_average_targets(average, value, decay)
  elif isinstance(module, SeparableConv2D):
    targets = [(module.depthwise.w, arrays[0]), (module.pointwise.w, arrays[1])]
  elif isinstance(module, snt.Conv2D):
    targets = [(module.w, arrays[0])]
  else:
    targets = [(module.w, arrays[0]), (module.b, arrays[1])]
  for variable, value in targets:
    if tuple(variable.shape) != tuple(np.shape(value)):
      raise ValueError(
          f"Shape mismatch for Keras layer {name!r}: {variable.name} is "
          f"{tuple(variable.shape)} but Keras has {tuple(np.shape(value))}.")
    variable.assign(np.asarray(value, dtype=variable.dtype.as_numpy_dtype))
  return len(arrays)


def _moving_average_targets(average: snt.Module, value: np.ndarray,
                            decay: float) -> List[Tuple[tf.Variable, Any]]:
  """Sets Sonnet's debiased EMA so its `average` is `value`, as if converged.

  Sonnet keeps `hidden`, `average = hidden / (1 - decay**counter)` and
  `counter`; all three must agree or the next training update jumps.
  """
  variables = {v.name.split("/")[-1].split(":")[0]: v
               for v in average.variables}
  counter = _CONVERGED_COUNTER
  debias = 1.0 - decay ** counter
  shape = variables["average"].shape
  value = np.reshape(value, shape)
  return [
      (variables["counter"], np.asarray(counter, dtype=np.int64)),
      (variables["hidden"], value * debias),
      (variables["average"], value),
  ]
