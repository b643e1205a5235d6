"""Distributed training on CPU: MirroredStrategy and two worker processes."""

import json
import os
import pathlib
import socket
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from zoo.training import distribute  # pylint: disable=g-import-not-at-top,wrong-import-position


def _env(**extra):
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="",
             SNT_ZOO_OFFLINE="1", PYTHONPATH=str(ROOT))
  env.pop("TF_CONFIG", None)
  env.update(extra)
  return env


@pytest.fixture(scope="module")
def mirrored_results():
  done = subprocess.run(
      [sys.executable, str(ROOT / "tests" / "distribute_helper.py")],
      capture_output=True, text=True, timeout=600, env=_env(), check=False)
  assert done.returncode == 0, done.stderr[-3000:]
  return json.loads(done.stdout.strip().splitlines()[-1])


def test_two_replicas_match_one_device(mirrored_results):
  r = mirrored_results
  assert r["replicas"] == 2
  np.testing.assert_allclose(r["two_losses"], r["one_losses"], rtol=1e-5)
  assert r["moved"] > 0
  assert r["max_weight_diff"] < 1e-4


def test_sonnet_optimizers_refused_keras_picked(mirrored_results):
  assert mirrored_results["needs_keras"] == [True, False]
  assert mirrored_results["sonnet_refused"]
  # Sonnet's and tf_keras' Adam agree on one device.
  np.testing.assert_allclose(mirrored_results["snt_losses"],
                             mirrored_results["one_losses"], rtol=1e-2)


def test_sync_batch_norm_uses_global_statistics(mirrored_results):
  out_diff, mean_diff, var_diff = mirrored_results["sync_bn"]
  assert out_diff < 1e-4
  assert mean_diff < 1e-4
  # The single-device fused kernel updates the moving variance with the
  # unbiased batch variance (n / (n - 1), n = 200 here), the cross-replica
  # one with the biased variance; within 1%.
  assert var_diff < 0.01 * 9.0 * 1.5


def test_strategy_helpers_single_process():
  strategy = distribute.make_strategy({"strategy": "none"})
  assert strategy.num_replicas_in_sync == 1
  assert distribute.is_chief(strategy)
  assert not distribute.needs_keras_optimizers(strategy)
  dataset = tf.data.Dataset.range(4).batch(2)
  assert distribute.shard_for_worker(dataset, strategy) is dataset
  with pytest.raises(ValueError, match="Unknown distribute.strategy"):
    distribute.make_strategy({"strategy": "bogus"})


def test_multi_worker_needs_tf_config(monkeypatch):
  monkeypatch.delenv("TF_CONFIG", raising=False)
  with pytest.raises(ValueError, match="TF_CONFIG"):
    distribute.make_strategy({"strategy": "multi_worker"})


def _free_ports(count):
  sockets = [socket.socket() for _ in range(count)]
  for s in sockets:
    s.bind(("127.0.0.1", 0))
  ports = [s.getsockname()[1] for s in sockets]
  for s in sockets:
    s.close()
  return ports


def test_two_workers_end_with_identical_weights(tmp_path):
  ports = _free_ports(2)
  cluster = {"worker": [f"127.0.0.1:{p}" for p in ports]}
  run_dir = tmp_path / "run"
  processes = []
  for index in range(2):
    tf_config = json.dumps({"cluster": cluster,
                            "task": {"type": "worker", "index": index}})
    processes.append(subprocess.Popen(
        [sys.executable, str(ROOT / "tools" / "train.py"), "--config",
         "deep_mnist_quick", "model.name=softmax_regression",
         "distribute.strategy=multi_worker", "train.steps=5",
         "data.batch_size=16", "train.log_every=5", "train.eval_every=5",
         "train.checkpoint_every=5", f"run_dir={run_dir}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=_env(TF_CONFIG=tf_config)))
  outputs = []
  try:
    for process in processes:
      outputs.append(process.communicate(timeout=400))
  finally:
    for process in processes:
      if process.poll() is None:
        process.kill()
  for process, (_, err) in zip(processes, outputs):
    assert process.returncode == 0, err[-3000:]
  chief = tf.train.latest_checkpoint(str(run_dir / "checkpoints"))
  worker = tf.train.latest_checkpoint(str(run_dir / "worker-1-tmp"))
  assert chief and chief.endswith("-5")
  assert worker and worker.endswith("-5")
  # The best checkpoint too is the chief's alone; the other worker's copy
  # stays under its own directory (two writers of one file race).
  assert tf.train.latest_checkpoint(str(run_dir / "checkpoints" / "best"))
  assert tf.train.latest_checkpoint(str(run_dir / "worker-1-tmp" / "best"))
  chief_reader = tf.train.load_checkpoint(chief)
  worker_reader = tf.train.load_checkpoint(worker)
  names = sorted(n for n in chief_reader.get_variable_to_shape_map()
                 if n.startswith("model/head/logits/") and
                 "OPTIMIZER_SLOT" not in n)
  assert len(names) == 2  # The softmax layer's w and b.
  bias = chief_reader.get_tensor("model/head/logits/b/.ATTRIBUTES/"
                                 "VARIABLE_VALUE")
  assert np.abs(bias).max() > 0  # Trained away from its zero init.
  for name in names:
    np.testing.assert_array_equal(chief_reader.get_tensor(name),
                                  worker_reader.get_tensor(name))
  # Only the chief writes the config and metrics.
  assert (run_dir / "metrics.jsonl").exists()


def test_sync_batch_norm_xception_has_the_same_variables():
  from zoo.models import _registry  # pylint: disable=g-import-not-at-top
  images = tf.zeros([2, 71, 71, 3])
  names = []
  for sync in (False, True):
    model = _registry.create_model("xception", include_top=False,
                                   image_size=71,
                                   cross_replica_batch_norm=sync)
    model(images, is_training=False)
    names.append(sorted(v.name for v in model.variables))
  assert names[0] == names[1]
