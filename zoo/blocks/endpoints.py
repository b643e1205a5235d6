"""Named intermediate activations, the second output of blocks and models."""

from typing import Dict

import tensorflow as tf

#: Maps names (`block2`, `entry_flow`, `pre_logits`, `logits`, ...) to
#: activations, in network order.
Endpoints = Dict[str, tf.Tensor]
