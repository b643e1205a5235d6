"""Copies Keras Applications' weights into the zoo's Xception and MobileNet.

This is how a user gets an ImageNet-pretrained model to fine-tune:

  keras_model = keras.applications.Xception(weights="imagenet")  # or a path
  model = zoo.create_model("xception")
  zoo.keras_port.load_keras_weights(model, keras_model)

The same call serves `mobilenet_v1` (`keras.applications.MobileNet` of the
same `alpha` and `depth_multiplier`). The zoo's module names follow Keras'
layer names (`block2/sepconv1` is `block2_sepconv1`, MobileNet's `block3`
holds `conv_dw_3` and `conv_pw_3`); only Xception's four 1x1 shortcut
convolutions and their BatchNorms are unnamed in Keras, and they are told
apart by channel count.
"""

import dataclasses
import os
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np
import sonnet as snt
import tensorflow as tf

from zoo.blocks.separable_conv import SeparableConv2D
from zoo.models.mobilenet_v1 import MobileNetV1
from zoo.models.xception import Xception

# Downsampling blocks and the channels of their (unnamed in Keras) shortcut.
_SHORTCUT_CHANNELS = {"block2": 128, "block3": 256, "block4": 728,
                      "block13": 1024}
# Both keep `scale`, `offset` and debiased `moving_mean`/`moving_variance`.
_BATCH_NORMS = (snt.BatchNorm, snt.distribute.CrossReplicaBatchNorm)
# A moving average that has seen this many updates is fully debiased.
_CONVERGED_COUNTER = 1_000_000


@dataclasses.dataclass(frozen=True)
class _KerasArchitecture:
  """How one zoo model class corresponds to its Keras Application."""
  name: str
  #: A layer every weights file of the architecture has.
  marker_layer: str
  #: Keras' classifier layer.
  top_layer: str
  #: `(zoo model, weights path, include_top) -> Keras model`.
  from_file: Callable[[Any, str, bool], Any]
  #: `Keras model -> {layer name: layer}` of the weighted layers.
  keras_layers: Callable[[Any], Dict[str, Any]]
  #: `zoo model -> {Keras layer name: zoo module}` of the backbone.
  zoo_layers: Callable[[Any], Dict[str, snt.Module]]
  #: The published file names, for the missing-file message.
  example_file: str


def load_keras_weights(model: Any, source: Any,
                       load_top: Optional[bool] = None) -> int:
  """Copies every weight of a Keras Application into a zoo model.

  Args:
    model: A zoo `Xception` or `MobileNetV1`, built or not.
    source: The matching Keras model (`keras.applications.Xception` or
      `MobileNet`, Keras 3 or tf_keras), or the path of its weights file
      (`.h5`), with or without the top.
    load_top: Whether to copy Keras' classifier into the model's logits
      layer. `None` copies it when Keras has one, and fails if it does not
      fit; `False` keeps the model's own head (for fine-tuning on new
      classes); `True` requires it.

  Returns:
    The number of arrays copied.

  Raises:
    FileNotFoundError: If a weights path does not exist.
    ValueError: If the model has no Keras counterpart, the file or model is
      not of the same architecture, a shape differs, or the top does not
      match `model`'s head.
  """
  architecture = _architecture(model)
  if isinstance(source, (str, os.PathLike)):
    source = _keras_model_from_file(architecture, model, os.fspath(source))
  keras_layers = architecture.keras_layers(source)
  _build(model, source)

  pairs = architecture.zoo_layers(model)
  keras_has_top = architecture.top_layer in keras_layers
  if load_top is None:
    load_top = keras_has_top
  if load_top:
    pairs[architecture.top_layer] = _matching_top(
        model, keras_layers, keras_has_top, architecture.top_layer)

  copied = 0
  for keras_name, module in pairs.items():
    if keras_name not in keras_layers:
      raise ValueError(f"Keras model has no layer {keras_name!r}: is it a "
                       f"{architecture.name}?")
    arrays = keras_layers[keras_name].get_weights()
    copied += assign_arrays(module, arrays, keras_name)
  return copied


def load_keras_xception_weights(model: Xception,
                                keras_model: Any,
                                load_top: Optional[bool] = None) -> int:
  """`load_keras_weights` for an `Xception` only (see there).

  Raises:
    ValueError: If `model` is not a zoo Xception, or as `load_keras_weights`.
  """
  if not isinstance(model, Xception):
    raise ValueError(f"Expected a zoo Xception, got {type(model).__name__}.")
  return load_keras_weights(model, keras_model, load_top)


def _architecture(model: Any) -> _KerasArchitecture:
  for cls, architecture in _ARCHITECTURES:
    if isinstance(model, cls):
      return architecture
  names = ", ".join(cls.__name__ for cls, _ in _ARCHITECTURES)
  raise ValueError(f"Keras weights fit a zoo {names}, got "
                   f"{type(model).__name__}.")


def _keras_model_from_file(architecture: _KerasArchitecture, model: Any,
                           path: str) -> Any:
  if not os.path.exists(path):
    raise FileNotFoundError(
        f"Keras weights file {path!r} does not exist. Download Keras' "
        f"{architecture.name} weights (e.g. {architecture.example_file}) and "
        "pass its path.")
  import h5py  # pylint: disable=g-import-not-at-top
  try:
    with h5py.File(path, "r") as f:
      names = set(f.attrs.get("layer_names", [])) | set(f.keys())
      names = {n.decode() if isinstance(n, bytes) else n for n in names}
  except OSError as e:
    raise ValueError(
        f"{path!r} is not a readable HDF5 weights file ({e}). Download it "
        "again.") from e
  if architecture.marker_layer not in names:
    raise ValueError(
        f"{path!r} holds no {architecture.name} weights (no layer "
        f"{architecture.marker_layer!r}).")
  return architecture.from_file(model, path,
                                architecture.top_layer in names)


def _xception_from_file(model: Xception, path: str, include_top: bool) -> Any:
  del model  # Keras' Xception has no width options.
  import keras  # pylint: disable=g-import-not-at-top
  return keras.applications.Xception(weights=path, include_top=include_top)


def _mobilenet_from_file(model: MobileNetV1, path: str,
                         include_top: bool) -> Any:
  import keras  # pylint: disable=g-import-not-at-top
  return keras.applications.MobileNet(
      weights=path, include_top=include_top, alpha=model.alpha,
      depth_multiplier=model.depth_multiplier)


def _keras_layers_by_name(keras_model: Any) -> Dict[str, Any]:
  """Names every weighted layer the way the zoo's Xception modules are named."""
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


def _named_layers(keras_model: Any) -> Dict[str, Any]:
  return {layer.name: layer for layer in keras_model.layers if layer.weights}


def _build(model: Any, keras_model: Any) -> None:
  """Creates the model's variables with one inference pass."""
  height, width = keras_model.input_shape[1:3]
  if height is None or width is None:
    height, width = model.default_image_size
  model(tf.zeros([1, height, width, model.channels]), is_training=False)


def _xception_layers(model: Xception) -> Dict[str, snt.Module]:
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


def _mobilenet_layers(model: MobileNetV1) -> Dict[str, snt.Module]:
  """Keras' `conv_dw_3`, `conv_dw_3_bn`, `conv_pw_3`... for each block."""
  pairs = {"conv1": model.conv1.conv, "conv1_bn": model.conv1.bn}
  for i, block in enumerate(model.blocks.blocks, start=1):
    separable = block.convs[0]
    pairs[f"conv_dw_{i}"] = separable.depthwise
    pairs[f"conv_dw_{i}_bn"] = separable.depthwise_bn
    pairs[f"conv_pw_{i}"] = separable.pointwise
    pairs[f"conv_pw_{i}_bn"] = block.bns[0]
  return pairs


def _matching_top(model: Any, keras_layers: Dict[str, Any],
                  keras_has_top: bool, top_layer: str) -> snt.Module:
  if not keras_has_top:
    raise ValueError(
        "load_top=True but the Keras model has no top: build it with "
        "include_top=True or pass load_top=False.")
  keras_classes = int(keras_layers[top_layer].weights[-1].shape[0])
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


def assign_arrays(module: snt.Module, arrays: List[np.ndarray],
                  name: str) -> int:
  """Copies one layer's arrays, in Keras' layout and order, into `module`.

  Layouts: a BatchNorm takes `[gamma, beta, moving_mean, moving_variance]`
  (the moving statistics become a converged Sonnet moving average); a
  `SeparableConv2D` `[depthwise (kh, kw, C, M), pointwise (1, 1, C*M, O)]`;
  a convolution `[kernel (kh, kw, C, O)]`; a `Linear` `[kernel, bias]`, the
  kernel `(C, O)` or a 1x1 convolution's `(1, 1, C, O)`.

  Args:
    module: The zoo module.
    arrays: Its weights.
    name: The source layer's name, for errors.

  Returns:
    `len(arrays)`.

  Raises:
    ValueError: If a shape differs.
  """
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
  elif isinstance(module, (snt.Conv2D, snt.DepthwiseConv2D)):
    targets = [(module.w, arrays[0])]
  else:
    kernel = arrays[0]
    if np.ndim(kernel) == 4 and np.shape(kernel)[:2] == (1, 1):
      kernel = np.reshape(kernel, np.shape(kernel)[2:])
    targets = [(module.w, kernel), (module.b, arrays[1])]
  for variable, value in targets:
    if tuple(variable.shape) != tuple(np.shape(value)):
      raise ValueError(
          f"Shape mismatch for layer {name!r}: {variable.name} is "
          f"{tuple(variable.shape)} but the source has "
          f"{tuple(np.shape(value))}.")
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


_ARCHITECTURES = (
    (Xception, _KerasArchitecture(
        "Xception", "block14_sepconv2", "predictions", _xception_from_file,
        _keras_layers_by_name, _xception_layers,
        "xception_weights_tf_dim_ordering_tf_kernels_notop.h5")),
    (MobileNetV1, _KerasArchitecture(
        "MobileNet", "conv_pw_13", "conv_preds", _mobilenet_from_file,
        _named_layers, _mobilenet_layers, "mobilenet_1_0_224_tf_no_top.h5")),
)
