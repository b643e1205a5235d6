"""Tests for zoo.models.pretrained: weights by name, served from 127.0.0.1.

The served files are generated here (a randomly initialised Keras Xception
saved as Keras' legacy HDF5 weights, as Keras publishes them); the registry
entry is pointed at the local server. The command line's one-line offline
error and exit code 2 are checked in tests/test_own_models.py (one process
for both).
"""

import hashlib
import sys
from pathlib import Path

import numpy as np
import pytest

import local_server
import zoo
from zoo import download
from zoo.models import pretrained
from zoo.training import config as config_lib

_SIZE = 71


@pytest.fixture(scope="module")
def server():
  with local_server.serve() as httpd:
    yield httpd


@pytest.fixture(scope="module")
def keras_notop(tmp_path_factory):
  """A random Keras Xception without its top, and its legacy .h5 bytes."""
  import tf_keras  # pylint: disable=g-import-not-at-top
  model = tf_keras.applications.Xception(
      weights=None, include_top=False, pooling="avg",
      input_shape=(_SIZE, _SIZE, 3))
  rng = np.random.default_rng(0)
  # Informative BatchNorm statistics (Keras starts at mean 0, variance 1).
  statistics = [v for layer in model.layers
                if isinstance(layer, tf_keras.layers.BatchNormalization)
                for v in layer.weights]
  for variable in statistics:
    low = 0.5 if variable.name.endswith(("gamma:0", "variance:0")) else -0.2
    variable.assign(rng.uniform(low, low + 1.0 if low > 0 else 0.2,
                                variable.shape))
  path = tmp_path_factory.mktemp("keras") / "xception_notop.h5"
  model.save_weights(str(path))
  return model, path.read_bytes()


@pytest.fixture
def cache(tmp_path, monkeypatch):
  monkeypatch.setenv(download.CACHE_ENV, str(tmp_path / "cache"))
  monkeypatch.delenv(download.OFFLINE_ENV, raising=False)
  monkeypatch.delenv(pretrained.ALLOW_UNVERIFIED_ENV, raising=False)
  return tmp_path / "cache" / pretrained.CACHE_SUBDIR


def _entry(server, name, body, checksum="sha256", **fields):
  """Serves `body` as `name` and returns a registry file pointing at it."""
  server.files[name] = body
  if checksum == "sha256":
    checksum = "sha256:" + hashlib.sha256(body).hexdigest()
  fields.setdefault("port", "keras")
  fields.setdefault("loader", "load_keras_xception_weights")
  return pretrained.WeightsFile(url=server.url + name, filename=name,
                                checksum=checksum, licence="test", **fields)


def test_download_port_and_cache_reuse(server, keras_notop, cache,
                                       monkeypatch):
  keras_model, body = keras_notop
  entry = _entry(server, "xception_test_notop.h5", body, has_top=False,
                 model_kwargs={"image_size": _SIZE})
  monkeypatch.setitem(pretrained.REGISTRY, ("xception", "imagenet"), (entry,))
  before = len(server.requests)

  model = zoo.create_model("xception", pretrained="imagenet",
                           include_top=False)

  assert server.requests[before:] == ["xception_test_notop.h5"]
  assert sorted(p.name for p in cache.iterdir()) == ["xception_test_notop.h5"]
  assert model.default_image_size == (_SIZE, _SIZE)  # Implied by the file.
  images = np.random.default_rng(1).uniform(
      -1, 1, (2, _SIZE, _SIZE, 3)).astype(np.float32)
  expected = keras_model(images, training=False).numpy()
  assert np.max(np.abs(model(images, is_training=False).numpy() -
                       expected)) < 1e-4
  # A second use reads the cache and never asks the server.
  assert pretrained.weights_path("xception", "imagenet") == (
      cache / "xception_test_notop.h5")
  assert len(server.requests) == before + 1


def test_hash_mismatch_deletes_only_the_partial_file(server, cache,
                                                     monkeypatch):
  cache.mkdir(parents=True)
  mine = cache / "mine.h5"
  mine.write_bytes(b"the user's own file")
  entry = _entry(server, "bad.h5", b"tampered bytes",
                 checksum="md5:" + "0" * 32)
  monkeypatch.setitem(pretrained.REGISTRY, ("xception", "imagenet"), (entry,))
  with pytest.raises(download.DownloadError,
                     match=r"md5 checksum mismatch.*partial download was "
                     r"deleted.*bad.h5 was not written"):
    pretrained.weights_path("xception", "imagenet")
  assert sorted(p.name for p in cache.iterdir()) == ["mine.h5"]
  assert mine.read_bytes() == b"the user's own file"


def test_a_cached_file_that_fails_its_hash_is_kept_and_named(server, cache,
                                                             monkeypatch):
  entry = _entry(server, "w.h5", b"published bytes")
  monkeypatch.setitem(pretrained.REGISTRY, ("xception", "imagenet"), (entry,))
  cache.mkdir(parents=True)
  (cache / "w.h5").write_bytes(b"something else")
  with pytest.raises(pretrained.PretrainedError, match="left in place"):
    pretrained.weights_path("xception", "imagenet")
  assert (cache / "w.h5").read_bytes() == b"something else"


def test_offline_names_the_file_to_place_and_its_url(server, cache,
                                                     monkeypatch):
  entry = _entry(server, "off.h5", b"weights")
  monkeypatch.setitem(pretrained.REGISTRY, ("xception", "imagenet"), (entry,))
  monkeypatch.setenv(download.OFFLINE_ENV, "1")
  before = len(server.requests)
  with pytest.raises(pretrained.WeightsUnavailable) as error:
    pretrained.weights_path("xception", "imagenet")
  message = str(error.value)
  assert "\n" not in message
  assert str(cache / "off.h5") in message and entry.url in message
  assert len(server.requests) == before


def test_no_network_is_the_same_message(cache, monkeypatch):
  entry = pretrained.WeightsFile(
      url="http://127.0.0.1:9/gone.h5", filename="gone.h5",
      checksum="md5:" + "0" * 32, port="keras", loader="x", licence="test")
  monkeypatch.setitem(pretrained.REGISTRY, ("xception", "imagenet"), (entry,))
  with pytest.raises(pretrained.WeightsUnavailable,
                     match=r"cannot be downloaded.*place it at"):
    pretrained.weights_path("xception", "imagenet")
  assert not cache.exists() or not list(cache.iterdir())


def test_unverified_files_need_an_explicit_option(server, cache, monkeypatch):
  entry = _entry(server, "nohash.bin", b"x", checksum=None)
  monkeypatch.setitem(pretrained.REGISTRY, ("xception", "imagenet"), (entry,))
  with pytest.raises(pretrained.PretrainedError,
                     match=f"no hash.*{pretrained.ALLOW_UNVERIFIED_ENV}=1"):
    pretrained.weights_path("xception", "imagenet")
  assert pretrained.weights_path("xception", "imagenet",
                                 allow_unverified=True).read_bytes() == b"x"


def test_port_is_imported_by_name_and_told_whether_to_load_the_top(
    server, cache, monkeypatch):
  """Ports not installed here (timm, mobilenet) resolve the same way."""
  calls = []
  fake = type(sys)("fake_port")
  fake.load_fake = lambda model, path, load_top: calls.append(
      (model, Path(path).read_bytes(), load_top))
  monkeypatch.setitem(sys.modules, "fake_port", fake)
  monkeypatch.setitem(pretrained.PORTS, "fake", "fake_port")
  entry = _entry(server, "fake.bin", b"fake weights", port="fake",
                 loader="load_fake", requires={"num_classes": 10})
  monkeypatch.setitem(pretrained.REGISTRY, ("softmax_regression", "toy"),
                      (entry,))
  model = zoo.create_model("softmax_regression", pretrained="toy")
  assert calls == [(model, b"fake weights", False)]
  with pytest.raises(pretrained.PretrainedError,
                     match=r"has weights for num_classes in \[10\]; got "
                     r"num_classes=3"):
    zoo.create_model("softmax_regression", pretrained="toy", num_classes=3)


def test_unknown_tag_and_model_list_what_exists():
  with pytest.raises(ValueError, match=r"^No pretrained weights 'nope' for "
                     r"xception; its tags: imagenet\.$"):
    zoo.create_model("xception", pretrained="nope")
  with pytest.raises(ValueError, match=r"for 'deep_mnist_cnn'; models with "
                     r"weights: .*xception \(imagenet\)"):
    zoo.create_model("deep_mnist_cnn", pretrained="imagenet")


def test_the_top_file_is_chosen_only_for_the_publishers_head():
  top, load_top = pretrained.select("xception", "imagenet",
                                    {"num_classes": 1000})
  assert top.has_top and load_top
  notop, load_top = pretrained.select("xception", "imagenet",
                                      {"num_classes": 17})
  assert not notop.has_top and not load_top
  assert top.checksum == "md5:0a58e3b7378bc2990ea3b43d5981f1f6"
  small, _ = pretrained.select("mobilenet_v1", "imagenet",
                               {"alpha": 0.25, "num_classes": 1000})
  assert small.url.endswith("/mobilenet/mobilenet_2_5_224_tf.h5")


def test_config_checks_the_tag():
  with pytest.raises(config_lib.ConfigError,
                     match=r"finetune.pretrained: No pretrained weights for "
                     r"'deep_mnist_cnn'"):
    config_lib.load_config("deep_mnist_quick", ["finetune.pretrained=imagenet"])
  with pytest.raises(config_lib.ConfigError, match="one start only"):
    config_lib.load_config("xception_mnist_quick", [
        "finetune.pretrained=imagenet", "finetune.keras_weights=w.h5"])


def test_a_run_starts_from_cached_weights_offline(tmp_path, monkeypatch):
  """`finetune.pretrained` in a config: a cached file needs no network."""
  from conftest import train_offline  # pylint: disable=g-import-not-at-top
  calls = []
  fake = type(sys)("fake_port")
  fake.load_fake = lambda model, path, load_top: calls.append(
      (model.num_classes, Path(path).name, load_top))
  monkeypatch.setitem(sys.modules, "fake_port", fake)
  monkeypatch.setitem(pretrained.PORTS, "fake", "fake_port")
  body = b"cached weights"
  entry = pretrained.WeightsFile(
      url="http://127.0.0.1:9/toy.bin", filename="toy.bin",
      checksum="sha256:" + hashlib.sha256(body).hexdigest(), port="fake",
      loader="load_fake", licence="test", has_top=False)
  monkeypatch.setitem(pretrained.REGISTRY, ("softmax_regression", "toy"),
                      (entry,))
  (tmp_path / "cache" / "weights").mkdir(parents=True)
  (tmp_path / "cache" / "weights" / "toy.bin").write_bytes(body)
  result = train_offline(tmp_path, "softmax_mnist_quick",
                         "finetune.pretrained=toy", "train.steps=2")
  assert calls == [(10, "toy.bin", False)]
  assert result.run_dir.config["finetune"]["pretrained"] == "toy"
