"""Tests for zoo.timm_port: timm's state dicts give timm's logits in the zoo.

The aligned Xceptions' logits checks are in test_aligned_xception.py; here
timm's `legacy_xception` goes into the zoo's `xception`, through every
source format. timm runs in its own process (tests/timm_reference.py).
"""

import importlib.util

import numpy as np
import pytest

import zoo
from zoo.timm_port import load_timm_weights

import timm_reference

_HAVE_TIMM = all(importlib.util.find_spec(m) for m in ("torch", "timm"))
_NEEDS_TIMM = pytest.mark.skipif(
    not _HAVE_TIMM, reason="needs torch and timm (pip install .[parity])")
# Every max-pool sees an odd map at 71: PyTorch's and TensorFlow's padding
# of a 3x3/2 pool agree there.
_SIZE = 71


@pytest.fixture(scope="module")
def legacy(tmp_path_factory):
  out = tmp_path_factory.mktemp("legacy_xception")
  return timm_reference.run("legacy_xception", _SIZE, out, pth=True)


def _xception(**kwargs):
  return zoo.create_model("xception", num_classes=10, image_size=_SIZE,
                          bn_eps=1e-5, **kwargs)


def _max_difference(model, io):
  return np.max(np.abs(model(io["images"], False).numpy() - io["logits"]))


@_NEEDS_TIMM
def test_legacy_xception_gives_timm_logits(legacy):
  weights, io = legacy
  model = _xception()
  copied = load_timm_weights(model, weights)
  state = np.load(weights)
  assert copied == len([k for k in state.files
                        if not k.endswith("num_batches_tracked")])
  assert model.num_parameters() == int(io["num_parameters"])
  assert _max_difference(model, io) < 1e-4


@_NEEDS_TIMM
def test_every_source_format(legacy, tmp_path):
  from safetensors.numpy import save_file  # pylint: disable=g-import-not-at-top
  weights, io = legacy
  state = dict(np.load(weights))
  save_file(state, str(tmp_path / "weights.safetensors"))
  for source in (state, tmp_path / "weights.safetensors",
                 str(weights.with_suffix(".pth"))):
    model = _xception()
    load_timm_weights(model, source)
    assert _max_difference(model, io) < 1e-4, source


@_NEEDS_TIMM
def test_backbone_only_and_eps_warning(legacy):
  weights, io = legacy
  model = zoo.create_model("xception", num_classes=3, image_size=_SIZE)
  with pytest.raises(ValueError, match="10 classes.*load_top=False"):
    load_timm_weights(model, weights)
  with pytest.warns(UserWarning, match="eps 1e-05.*bn_eps=1e-05"):
    load_timm_weights(model, weights, load_top=False)
  np.testing.assert_array_equal(
      model.entry_flow.blocks[0].conv1.w.numpy(),
      np.load(weights)["conv1.weight"].transpose(2, 3, 1, 0))
  del io


@_NEEDS_TIMM
def test_wrong_architecture_is_named(legacy):
  weights, _ = legacy
  model = zoo.create_model("xception41", image_size=64)
  with pytest.raises(ValueError, match="no 'stem.0.conv.weight'.*xception41"):
    load_timm_weights(model, weights)


def test_errors_without_torch(tmp_path):
  with pytest.raises(ValueError, match="fit a zoo AlignedXception or Xception"):
    load_timm_weights(zoo.create_model("deep_mnist_cnn"), {})
  model = zoo.create_model("mini_xception")
  with pytest.raises(ValueError, match="fit a zoo"):
    load_timm_weights(model, str(tmp_path / "missing.pth"))
  xception = _xception()
  with pytest.raises(FileNotFoundError, match="does not exist"):
    load_timm_weights(xception, str(tmp_path / "missing.pth"))
  (tmp_path / "weights.txt").write_text("")
  with pytest.raises(ValueError, match="expected a .pth"):
    load_timm_weights(xception, str(tmp_path / "weights.txt"))
  with pytest.raises(ValueError, match="no 'conv1.weight'.*legacy_xception"):
    load_timm_weights(xception, {"fc.weight": np.zeros((10, 2048))})
