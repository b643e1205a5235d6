"""The names a run config chooses from, importable without TensorFlow.

Each name's implementation lives in its own module (`optimizers`,
`schedules`, `precision`, `distribute`), which re-exports its tuple from
here, so a config is checked before TensorFlow loads.
"""

OPTIMIZERS = ("sgd", "momentum", "adam", "rmsprop")
SCHEDULES = ("constant", "exponential", "cosine")
AUTO = "auto"
# What a trainer computes in; `auto` resolves to one of these.
COMPUTE_PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16")
PRECISIONS = (AUTO,) + COMPUTE_PRECISIONS
STRATEGIES = ("none", "mirrored", "multi_worker", "tpu")
