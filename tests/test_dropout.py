"""Tests for zoo.blocks.dropout."""

import numpy as np
import tensorflow as tf

from zoo import Dropout


def test_identity_when_not_training():
  x = tf.ones([100])
  np.testing.assert_array_equal(Dropout(0.5, seed=0)(x, False).numpy(), 1.0)


def test_drops_and_rescales_when_training():
  y = Dropout(0.5, seed=0)(tf.ones([10000]), True).numpy()
  assert set(np.unique(y)) == {0.0, 2.0}
  assert 0.45 < np.mean(y == 0) < 0.55


def test_same_seed_same_masks_and_state_is_checkpointed(tmp_path):
  x = tf.ones([64])
  first, second = Dropout(0.5, seed=7), Dropout(0.5, seed=7)
  np.testing.assert_array_equal(first(x, True).numpy(), second(x, True).numpy())
  # The generator state is saved: a restored module draws the same next mask.
  path = tf.train.Checkpoint(dropout=first).save(str(tmp_path / "ckpt"))
  expected = first(x, True).numpy()
  restored = Dropout(0.5, seed=123)
  tf.train.Checkpoint(dropout=restored).restore(path).assert_consumed()
  np.testing.assert_array_equal(restored(x, True).numpy(), expected)


def test_successive_calls_draw_new_masks():
  dropout = Dropout(0.5, seed=1)
  x = tf.ones([256])
  assert not np.array_equal(dropout(x, True).numpy(), dropout(x, True).numpy())
