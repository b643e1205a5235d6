"""Tests for zoo.models.aligned_xception: timm's xception41/65/71 exactly.

The logits checks need PyTorch and timm (the `parity` extra); timm runs in
its own process (tests/timm_reference.py), never beside TensorFlow.
"""

import importlib.util

import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo.timm_port import load_timm_weights

import timm_reference

_HAVE_TIMM = all(importlib.util.find_spec(m) for m in ("torch", "timm"))
_NEEDS_TIMM = pytest.mark.skipif(
    not _HAVE_TIMM, reason="needs torch and timm (pip install .[parity])")
_SIZE = 64

#: timm 1.0.31's parameter counts with the 1000-class top.
TIMM_PARAMETERS = {"xception41": 26_969_560, "xception65": 39_916_312,
                   "xception71": 42_338_736}


@pytest.fixture(scope="module")
def xception71():
  """Built once: a 42M-parameter model takes seconds to initialise."""
  model = zoo.create_model("xception71", image_size=_SIZE)
  model(tf.zeros([1, _SIZE, _SIZE, 3]), is_training=False)
  return model


def test_parameter_count_equals_timm(xception71):
  assert xception71.num_parameters() == TIMM_PARAMETERS["xception71"]
  # Each model's count is checked against timm's own in the parity test.


def test_strided_blocks_replace_pooling(xception71):
  logits, endpoints = xception71.with_endpoints(
      tf.zeros([2, _SIZE, _SIZE, 3]), is_training=True)
  assert logits.shape == (2, 1000)
  sizes = {k: tuple(v.shape[1:]) for k, v in endpoints.items()
           if k.startswith("block") or k == "stem"}
  assert sizes["stem"] == (32, 32, 64)
  assert sizes["block1"] == (16, 16, 128)
  assert sizes["block2"] == (16, 16, 256)  # xception71 strides every other.
  assert sizes["block5"] == (4, 4, 728)
  assert sizes["block22"] == (2, 2, 1024)
  assert sizes["block23"] == (2, 2, 2048)
  assert len(sizes) == 24
  assert endpoints["pre_logits"].shape == (2, 2048)
  assert [flow.name for flow in xception71.flows] == [
      "entry_flow", "middle_flow", "exit_flow"]


def test_no_top_and_size_errors():
  model = zoo.create_model("xception41", include_top=False, image_size=_SIZE)
  assert model.head is None
  with pytest.raises(ValueError, match="at least 32x32"):
    zoo.create_model("xception41", image_size=16)


@_NEEDS_TIMM
@pytest.mark.parametrize("name", sorted(TIMM_PARAMETERS))
def test_same_logits_as_timm_after_porting(name, tmp_path):
  weights, io = timm_reference.run(name, _SIZE, tmp_path)
  model = zoo.create_model(name, num_classes=10, image_size=_SIZE)
  load_timm_weights(model, weights)
  assert model.num_parameters() == int(io["num_parameters"])
  logits, endpoints = model.with_endpoints(io["images"], is_training=False)
  assert np.max(np.abs(endpoints["pre_logits"].numpy() - io["features"])) < 1e-4
  assert np.max(np.abs(logits.numpy() - io["logits"])) < 1e-4
