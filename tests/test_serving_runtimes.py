"""zoo.serving.runtimes: one interface for every export."""

import numpy as np
import pytest

from zoo.serving import artifact
from zoo.serving import runtimes


class _Constant(runtimes.Runtime):
  format = "test"

  def probabilities(self, images):
    assert images.dtype == np.uint8
    self.seen = images
    return np.tile([[0.2, 0.8]], [len(images), 1]).astype(np.float32)


def test_to_uint8_rounds_and_clips():
  values = np.array([-0.5, 0.0, 0.5 / 255, 1.6 / 255, 0.5, 1.0, 2.0])
  np.testing.assert_array_equal(runtimes.to_uint8(values),
                                [0, 0, 0, 2, 128, 255, 255])


def test_logits_quantise_once_and_keep_the_ranking(tmp_path):
  runtime = _Constant(tmp_path, {"class_names": ["a", "b"],
                                 "image_size": [2, 2], "channels": 1})
  logits = runtime.logits(np.full([3, 2, 2, 1], 0.5, np.float32))
  assert logits.dtype == np.float64 and logits.shape == (3, 2)
  np.testing.assert_allclose(np.exp(logits), [[0.2, 0.8]] * 3, rtol=1e-6)
  assert runtime.seen.dtype == np.uint8 and int(runtime.seen.max()) == 128
  assert runtime.class_names == ["a", "b"] and runtime.image_size == (2, 2)
  assert runtime.kind == "export" and runtime.config == {}


def test_load_export_refuses_what_is_no_export(tmp_path):
  with pytest.raises(FileNotFoundError, match="snt-zoo export RUN_DIR"):
    runtimes.load_export(tmp_path)


def test_a_damaged_model_file_is_one_line(tmp_path):
  broken = tmp_path / "model.tflite"
  broken.write_bytes(b"not a flatbuffer at all")
  with pytest.raises(artifact.ExportError, match="not a readable TensorFlow "
                     "Lite model.*--overwrite"):
    runtimes.load_export(broken)
