"""Copies timm's (PyTorch Image Models) weights into the zoo's Xceptions.

    state_dict = timm.create_model("xception41", pretrained=True).state_dict()
    model = zoo.create_model("xception41")
    zoo.timm_port.load_timm_weights(model, state_dict)   # or a file path

timm's `xception41`, `xception65` and `xception71` go into the zoo's models
of the same names, timm's `legacy_xception` (itself a port of Keras') into
the zoo's `xception`. A source is a state dict (names to PyTorch tensors or
NumPy arrays) or a `.pth`/`.pt`, `.safetensors` or `.npz` file; only a `.pth`
needs PyTorch, imported when one is read, so the port works without it.

PyTorch convolutions pad symmetrically: the aligned Xceptions pad the same
way (`snt.pad.same`). The zoo's `xception` pads max-pools as TensorFlow does,
which equals PyTorch's on odd feature maps only (an input of 71 or 299 keeps
every pooled map odd). timm's `legacy_xception` normalises with epsilon 1e-5:
build the zoo model with `bn_eps=1e-5` to reproduce its logits.
"""

import os
import warnings
from typing import Any, Dict, List, Mapping, Optional, Tuple

import numpy as np
import sonnet as snt
import tensorflow as tf

from zoo.keras_port import assign_arrays
from zoo.models.aligned_xception import AlignedXception
from zoo.models.xception import Xception

#: timm's BatchNorm epsilon per zoo model class.
_TIMM_BN_EPS = {AlignedXception: 1e-3, Xception: 1e-5}
#: State-dict entries no zoo variable holds.
_IGNORED_SUFFIXES = (".num_batches_tracked",)
#: timm's legacy Xception blocks as (timm block, zoo flow, index in flow).
_LEGACY_BLOCKS = ((1, "entry_flow", 1), (2, "entry_flow", 2),
                  (3, "entry_flow", 3)) + tuple(
                      (t, "middle_flow", t - 4) for t in range(4, 12)) + (
                          (12, "exit_flow", 0),)

StateDict = Mapping[str, Any]


def load_timm_weights(model: Any, source: Any,
                      load_top: Optional[bool] = None) -> int:
  """Copies every weight of a timm Xception into the matching zoo model.

  Args:
    model: A zoo `AlignedXception` (`xception41/65/71`) or `Xception`.
    source: timm's state dict (PyTorch tensors or NumPy arrays by name), or
      the path of a `.pth`/`.pt`, `.safetensors` or `.npz` file holding one.
    load_top: Whether to copy timm's classifier into the model's logits
      layer. `None` copies it when the source has one, and fails if it does
      not fit; `False` keeps the model's own head (fine-tuning).

  Returns:
    The number of arrays copied (BatchNorm batch counters not counted).

  Raises:
    FileNotFoundError: If a path does not exist.
    ValueError: If the model has no timm counterpart, the source is not the
      same architecture (a missing or left-over name), or a shape differs.
  """
  pairs = _backbone_pairs(model)
  state = _numpy_state(source)
  _build(model)
  top_prefix = "head.fc" if isinstance(model, AlignedXception) else "fc"
  source_has_top = f"{top_prefix}.weight" in state
  if load_top is None:
    load_top = source_has_top
  if load_top:
    pairs.append((top_prefix, _matching_top(model, state, top_prefix,
                                            source_has_top)))
  _warn_on_eps(model)

  used = set()
  copied = 0
  for prefix, module in pairs:
    names, arrays = _arrays_for(module, prefix, state, _timm_name(model))
    used.update(names)
    copied += assign_arrays(module, arrays, prefix)
  left = sorted(name for name in state if name not in used and
                not name.endswith(_IGNORED_SUFFIXES) and
                not name.startswith(top_prefix + "."))
  if left:
    raise ValueError(
        f"The source has weights {model.name} has no place for "
        f"({', '.join(left[:3])}{', ...' if len(left) > 3 else ''}): is it "
        f"timm's {_timm_name(model)}?")
  return copied


def _timm_name(model: Any) -> str:
  return "legacy_xception" if isinstance(model, Xception) else model.name


def _backbone_pairs(model: Any) -> List[Tuple[str, snt.Module]]:
  """`(timm prefix, zoo leaf module)` for every layer but the classifier."""
  if isinstance(model, AlignedXception):
    return _aligned_pairs(model)
  if isinstance(model, Xception):
    return _legacy_pairs(model)
  raise ValueError(f"timm weights fit a zoo AlignedXception or Xception, got "
                   f"{type(model).__name__}.")


def _aligned_pairs(model: AlignedXception) -> List[Tuple[str, snt.Module]]:
  pairs = []
  for k, conv in enumerate(model.stem):
    pairs += [(f"stem.{k}.conv", conv.conv), (f"stem.{k}.bn", conv.bn)]
  blocks = [block for flow in model.flows for block in flow.blocks]
  for j, block in enumerate(blocks):
    if block.shortcut is not None:
      pairs += [(f"blocks.{j}.shortcut.conv", block.shortcut.conv),
                (f"blocks.{j}.shortcut.bn", block.shortcut.bn)]
    for i, (conv, bn) in enumerate(zip(block.convs, block.bns), start=1):
      prefix = f"blocks.{j}.stack.conv{i}"
      pairs += [(f"{prefix}.conv_dw", conv.depthwise),
                (f"{prefix}.bn_dw", conv.depthwise_bn),
                (f"{prefix}.conv_pw", conv.pointwise), (f"{prefix}.bn_pw", bn)]
  return pairs


def _legacy_pairs(model: Xception) -> List[Tuple[str, snt.Module]]:
  stem = model.entry_flow.blocks[0]
  pairs = [("conv1", stem.conv1), ("bn1", stem.conv1_bn),
           ("conv2", stem.conv2), ("bn2", stem.conv2_bn)]
  flows = {flow.name: flow for flow in (model.entry_flow, model.middle_flow,
                                        model.exit_flow)}
  for timm_block, flow, index in _LEGACY_BLOCKS:
    block = flows[flow].blocks[index]
    prefix = f"block{timm_block}"
    if getattr(block, "shortcut_bn", None) is not None:
      pairs += [(f"{prefix}.skip", block.shortcut),
                (f"{prefix}.skipbn", block.shortcut_bn)]
    # timm's `rep` is (ReLU, separable conv, BN) per conv, without the first
    # ReLU in block1 (the stem already ends in one).
    first = 0 if timm_block == 1 else 1
    for i, (conv, bn) in enumerate(zip(block.convs, block.bns)):
      pairs += [(f"{prefix}.rep.{first + 3 * i}.conv1", conv.depthwise),
                (f"{prefix}.rep.{first + 3 * i}.pointwise", conv.pointwise),
                (f"{prefix}.rep.{first + 3 * i + 1}", bn)]
  exit_convs = model.exit_flow.blocks[1]
  for i, (conv, bn) in enumerate(zip(exit_convs.convs, exit_convs.bns), 3):
    pairs += [(f"conv{i}.conv1", conv.depthwise),
              (f"conv{i}.pointwise", conv.pointwise), (f"bn{i}", bn)]
  return pairs


def _build(model: Any) -> None:
  height, width = model.default_image_size
  model(tf.zeros([1, height, width, model.channels]), is_training=False)


def _arrays_for(module: snt.Module, prefix: str, state: Dict[str, np.ndarray],
                timm_name: str) -> Tuple[List[str], List[Any]]:
  """The source arrays of `module`, converted to Keras' layout."""
  if isinstance(module, (snt.BatchNorm, snt.distribute.CrossReplicaBatchNorm)):
    suffixes = ("weight", "bias", "running_mean", "running_var")
  elif isinstance(module, snt.Linear):
    suffixes = ("weight", "bias")
  else:
    suffixes = ("weight",)
  names = [f"{prefix}.{suffix}" for suffix in suffixes]
  for name in names:
    if name not in state:
      raise ValueError(
          f"The source has no {name!r}: is it timm's {timm_name}?")
  arrays = [state[name] for name in names]
  if isinstance(module, snt.DepthwiseConv2D):
    kernel = arrays[0]  # (C * M, 1, kh, kw), output c * M + m.
    channels = int(module.w.shape[2])
    arrays = [kernel.reshape((channels, -1) + kernel.shape[2:]).transpose(
        2, 3, 0, 1)]
  elif isinstance(module, snt.Conv2D):
    arrays = [arrays[0].transpose(2, 3, 1, 0)]  # (O, I, kh, kw) -> HWIO.
  elif isinstance(module, snt.Linear):
    arrays = [arrays[0].T, arrays[1]]
  return names, arrays


def _matching_top(model: Any, state: Dict[str, np.ndarray], prefix: str,
                  source_has_top: bool) -> snt.Module:
  if not source_has_top:
    raise ValueError(f"load_top=True but the source has no classifier "
                     f"({prefix}.weight): pass load_top=False.")
  classes = int(state[f"{prefix}.weight"].shape[0])
  head = model.head
  if head is None or head.hidden or head.num_classes != classes:
    raise ValueError(
        f"timm's classifier has {classes} classes but this model's head does "
        "not fit it. Pass load_top=False to copy only the backbone, or build "
        f"the model with num_classes={classes} and no hidden layers.")
  return head.logits


def _warn_on_eps(model: Any) -> None:
  want = next(eps for cls, eps in _TIMM_BN_EPS.items()
              if isinstance(model, cls))
  for module in model.submodules:
    eps = getattr(module, "_eps", None)
    if eps is not None and abs(float(eps) - want) > 1e-12:
      warnings.warn(
          f"timm's {_timm_name(model)} normalises with BatchNorm eps {want} "
          f"but {model.name} uses {float(eps)}: build it with bn_eps={want} "
          "to reproduce timm's outputs.")
      return


def _numpy_state(source: Any) -> Dict[str, np.ndarray]:
  if isinstance(source, (str, os.PathLike)):
    source = _read_file(os.fspath(source))
  if not isinstance(source, Mapping):
    raise ValueError(f"Expected a state dict or a file path, got "
                     f"{type(source).__name__}.")
  for wrapper in ("state_dict", "model"):
    if isinstance(source.get(wrapper), Mapping):
      source = source[wrapper]
  return {name: _to_numpy(value) for name, value in source.items()}


def _to_numpy(value: Any) -> np.ndarray:
  if hasattr(value, "detach"):  # A PyTorch tensor.
    value = value.detach().cpu().float().numpy() if value.is_floating_point(
    ) else value.detach().cpu().numpy()
  return np.asarray(value)


def _read_file(path: str) -> Mapping[str, Any]:
  if not os.path.exists(path):
    raise FileNotFoundError(f"timm weights file {path!r} does not exist.")
  extension = os.path.splitext(path)[1].lower()
  if extension == ".npz":
    with np.load(path, allow_pickle=False) as arrays:
      return {name: arrays[name] for name in arrays.files}
  if extension == ".safetensors":
    from safetensors.numpy import load_file  # pylint: disable=g-import-not-at-top
    return load_file(path)
  if extension in (".pth", ".pt", ".bin"):
    try:
      import torch  # pylint: disable=g-import-not-at-top
    except ImportError as e:
      raise ValueError(
          f"Reading {path!r} needs PyTorch ({e}): install it, or save the "
          "state dict as .safetensors or .npz.") from e
    return torch.load(path, map_location="cpu", weights_only=True)
  raise ValueError(f"{path!r}: expected a .pth, .pt, .bin, .safetensors or "
                   ".npz file.")
