"""Tests for zoo.blocks.flows."""

import numpy as np
import pytest
import sonnet as snt
import tensorflow as tf

from zoo import EntryFlow, ExitFlow, MiddleFlow
from zoo.blocks import flows


def _bns(module):
  return [m for m in module.submodules if isinstance(m, snt.BatchNorm)]


def test_entry_flow_shapes_and_block_endpoints():
  flow = EntryFlow()
  out, endpoints = flow.with_endpoints(tf.zeros([1, 71, 71, 3]), False)
  assert out.shape == (1, 5, 5, 728)
  assert {k: v.shape[-1] for k, v in endpoints.items()} == {
      "block1": 64, "block2": 128, "block3": 256, "block4": 728}


def test_middle_flow_keeps_shape():
  flow = MiddleFlow(num_blocks=2)
  x = tf.random.normal([1, 3, 3, 728])
  out, endpoints = flow.with_endpoints(x, False)
  assert out.shape == x.shape
  assert list(endpoints) == ["block5", "block6"]


def test_exit_flow_shapes():
  out = ExitFlow()(tf.zeros([1, 5, 5, 728]), False)
  assert out.shape == (1, 3, 3, 2048)
  assert np.all(out.numpy() >= 0)  # Ends in a ReLU.


def test_variable_names_follow_keras_layers():
  flow = EntryFlow()
  flow(tf.zeros([1, 71, 71, 3]), False)
  names = {v.name for v in flow.trainable_variables}
  assert "entry_flow/block1/conv1/w:0" in names
  assert "entry_flow/block2/sepconv1/depthwise/w:0" in names
  assert "entry_flow/block2/sepconv2_bn/scale:0" in names
  assert "entry_flow/block4/shortcut/w:0" in names
  # No convolution has a bias: a BatchNorm follows each.
  assert not [n for n in names if n.endswith("/b:0")]
  # Stem: 2 convs + 2 BNs; each block: 2 separable convs (2 kernels each),
  # 2 BNs, a shortcut conv and its BN.
  assert len(flow.trainable_variables) == (2 + 2 * 2) + 3 * (4 + 4 + 1 + 2)


def test_batch_norm_defaults_are_keras():
  for bn in _bns(EntryFlow()):
    assert bn.moving_mean._decay == 0.99  # pylint: disable=protected-access
    assert bn._eps == 1e-3  # pylint: disable=protected-access
  bn = _bns(ExitFlow(bn_decay=0.9, bn_eps=1e-5))[0]
  assert bn.moving_mean._decay == 0.9 and bn._eps == 1e-5  # pylint: disable=protected-access


def test_training_mode_updates_moving_statistics_only_when_training():
  flow = MiddleFlow(num_blocks=1)
  x = tf.random.normal([2, 3, 3, 728], seed=1)
  flow(x, is_training=False)
  bn = _bns(flow)[0]
  before = bn.moving_mean.value.numpy().copy()
  flow(x, is_training=False)
  np.testing.assert_array_equal(bn.moving_mean.value.numpy(), before)
  flow(x, is_training=True)
  assert not np.array_equal(bn.moving_mean.value.numpy(), before)


def test_eager_equals_tf_function():
  flow = ExitFlow()
  x = tf.random.normal([1, 5, 5, 728], seed=2)
  np.testing.assert_allclose(flow(x, True).numpy(),
                             tf.function(flow)(x, True).numpy(),
                             rtol=1e-4, atol=1e-4)


def test_negative_middle_blocks():
  with pytest.raises(ValueError, match="num_blocks must be >= 0"):
    MiddleFlow(num_blocks=-1)


@pytest.mark.parametrize("channels", [728, 256])
def test_bfloat16_batch_norm_matches_a_float32_one(channels):
  """728 channels go through float32 (faster in oneDNN), 256 stay bfloat16;
  both give bfloat16 outputs equal to a float32 BatchNorm's within bfloat16
  rounding, and update the same float32 statistics."""
  images = tf.random.stateless_normal([4, 5, 5, channels], seed=[1, 2]) * 3.0
  low, full = flows.batch_norm("bn", 0.99, 1e-3), flows.batch_norm(
      "bn", 0.99, 1e-3)
  for bn in (low, full):  # Variables are float32, as a trainer builds them.
    bn(tf.zeros([1, 5, 5, channels]), is_training=False)
  got = low(tf.cast(images, tf.bfloat16), is_training=True)
  want = full(tf.cast(tf.cast(images, tf.bfloat16), tf.float32),
              is_training=True)
  assert got.dtype == tf.bfloat16
  np.testing.assert_allclose(tf.cast(got, tf.float32).numpy(), want.numpy(),
                             atol=0.05)
  np.testing.assert_allclose(low.moving_mean.value.numpy(),
                             full.moving_mean.value.numpy(), atol=1e-3)
  assert low.moving_mean.value.dtype == tf.float32


def test_separable_block_strides_and_projects():
  import sonnet as snt  # pylint: disable=g-import-not-at-top
  spec = flows.SeparableBlockSpec(
      "block1", (8, 8, 16), stride=2, shortcut="projection",
      depthwise_bn=True, padding=snt.pad.same)
  block = flows.SeparableBlock(spec)
  out = block(tf.random.normal([2, 9, 9, 4], seed=6), is_training=True)
  assert out.shape == (2, 5, 5, 16)
  names = {v.name for v in block.trainable_variables}
  assert "block1/sepconv3/depthwise_bn/scale:0" in names
  assert "block1/shortcut/conv/w:0" in names
  assert len(_bns(block)) == 3 + 3 + 1


def test_separable_block_without_shortcut_ends_in_its_activation():
  spec = flows.SeparableBlockSpec("exit", (6,), shortcut="none",
                                  leading_relu=False, activation=tf.nn.relu6)
  out = flows.SeparableBlock(spec)(
      tf.random.normal([1, 4, 4, 3], seed=7) * 50, False)
  assert np.all(out.numpy() >= 0) and np.all(out.numpy() <= 6)


@pytest.mark.parametrize("kwargs, message", [
    ({"shortcut": "conv"}, "shortcut must be"),
    ({"stride": 2}, "must be a 'projection'"),
])
def test_separable_block_errors(kwargs, message):
  with pytest.raises(ValueError, match=message):
    flows.SeparableBlock(flows.SeparableBlockSpec("b", (4,), **kwargs))


def test_separable_flow_names_its_blocks():
  flow = flows.SeparableFlow(
      [flows.SeparableBlockSpec(f"block{i}", (4, 4)) for i in (1, 2)],
      name="flow")
  out, endpoints = flow.with_endpoints(tf.zeros([1, 3, 3, 4]), False)
  assert out.shape == (1, 3, 3, 4) and list(endpoints) == ["block1", "block2"]
