"""Tests for zoo.flows."""

import numpy as np
import pytest
import sonnet as snt
import tensorflow as tf

from zoo import EntryFlow, ExitFlow, MiddleFlow


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
