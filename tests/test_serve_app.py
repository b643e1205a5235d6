"""The server's application (`zoo.serve.app`): every route, batching, and
every bad input answered with one 4xx JSON line."""

import base64
import concurrent.futures
import io

import numpy as np
from PIL import Image
import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # pylint: disable=g-import-not-at-top

from zoo import run_serving  # pylint: disable=g-import-not-at-top
from zoo import serve  # pylint: disable=g-import-not-at-top
from zoo.serving import runtimes  # pylint: disable=g-import-not-at-top
from zoo.training.run_dir import RunDir  # pylint: disable=g-import-not-at-top

_LIMIT = 300_000  # Bytes: the test server's upload limit.


@pytest.fixture(scope="module")
def models(exported_run_dir):
  return {"run": run_serving.load(exported_run_dir),
          "export": run_serving.load(exported_run_dir / "export")}


@pytest.fixture(scope="module")
def client(models):
  app = serve.create_app(models, serve.ServeOptions(
      max_batch_size=8, max_wait_ms=50, max_upload_bytes=_LIMIT, top_k=3))
  with TestClient(app) as test_client:
    yield test_client


@pytest.fixture(scope="module")
def digits(exported_run_dir):
  images, labels = run_serving.split_as_uint8(RunDir(exported_run_dir),
                                              "test", max_examples=8)
  return images, labels


def _png(array: np.ndarray) -> bytes:
  buffer = io.BytesIO()
  Image.fromarray(array.squeeze(-1) if array.shape[-1] == 1 else array).save(
      buffer, format="PNG")
  return buffer.getvalue()


def _b64(data: bytes) -> dict:
  return {"b64": base64.b64encode(data).decode()}


def test_health_readiness_and_openapi(client):
  assert client.get("/healthz").json() == {"status": "alive"}
  ready = client.get("/readyz")
  assert ready.status_code == 200
  assert ready.json()["models"] == ["export", "run"]
  paths = client.get("/openapi.json").json()["paths"]
  for path in ("/v1/models/{name}:predict", "/v1/models/{name}/metadata",
               "/v1/models/{name}/upload", "/readyz", "/healthz"):
    assert path in paths
  assert "requestBody" in paths["/v1/models/{name}:predict"]["post"]
  assert client.get("/docs").status_code == 404  # Its viewer needs a CDN.


def test_status_and_metadata(client, models):
  status = client.get("/v1/models/run").json()
  assert status["model_version_status"][0]["state"] == "AVAILABLE"
  metadata = client.get("/v1/models/run/metadata").json()
  assert metadata["model_spec"]["name"] == "run"
  card = metadata["metadata"]
  assert card["class_names"] == models["run"].class_names
  assert card["image_size"] == [28, 28] and card["channels"] == 1
  assert card["normalization"] == models["run"].normalization
  assert card["model"] == "deep_mnist_cnn"
  assert card["parameters"] == sum(
      int(np.prod(v.shape)) for v in models["run"].model.trainable_variables)
  assert card["format"] == "run" and card["endpoints"] is True
  assert card["precision"] and card["data_source"]
  assert 0.0 <= card["evaluation"]["accuracy"] <= 1.0
  assert card["pictures"] == ["curves", "confusion"]
  export = client.get("/v1/models/export/metadata").json()["metadata"]
  assert export["format"] == "savedmodel" and export["endpoints"] is False
  assert export["evaluation"] == card["evaluation"]  # The run it records.
  assert client.get("/v1/models/run/versions/1/metadata").json() == metadata
  assert client.get("/v1/models/run/versions/1").json() == status
  missing = client.get("/v1/models/run/versions/2")
  assert missing.status_code == 404 and "version 1" in missing.json()["error"]
  listed = client.get("/v1/models").json()["models"]
  assert [m["name"] for m in listed] == ["run", "export"]


def test_an_export_moved_with_its_run_still_finds_the_run(models,
                                                          exported_run_dir):
  export = models["export"]
  recorded = export.info["run_dir"]
  try:
    export.info["run_dir"] = "/no/longer/here"
    assert run_serving.run_of(export).path == exported_run_dir
  finally:
    export.info["run_dir"] = recorded


def test_predict_lists_and_b64_give_the_runtime_answer(client, models,
                                                       digits):
  images, _ = digits
  expected = models["export"].probabilities(images[:2])
  versioned = client.post("/v1/models/export/versions/1:predict",
                          json={"instances": images[:2].tolist()})
  np.testing.assert_allclose(
      [p["probabilities"] for p in versioned.json()["predictions"]],
      expected, atol=1e-6)
  for body in ({"instances": images[:2].tolist()},
               {"instances": [_b64(_png(image)) for image in images[:2]]},
               {"instances": [image[..., 0].tolist()
                              for image in images[:2]]}):
    response = client.post("/v1/models/export:predict", json=body)
    assert response.status_code == 200, response.text
    predictions = response.json()["predictions"]
    assert len(predictions) == 2
    for prediction, row in zip(predictions, expected):
      np.testing.assert_allclose(prediction["probabilities"], row, atol=1e-6)
      assert prediction["classes"] == int(np.argmax(row))
      assert prediction["class_name"] == models["export"].class_names[
          int(np.argmax(row))]
      assert len(prediction["top_k"]) == 3
      assert prediction["top_k"][0]["class_name"] == prediction["class_name"]


def test_upload_classifies_each_file(client, models, digits):
  images, _ = digits
  files = [("files", (f"d{i}.png", _png(images[i]), "image/png"))
           for i in range(3)]
  response = client.post("/v1/models/run/upload", files=files)
  assert response.status_code == 200, response.text
  predictions = response.json()["predictions"]
  assert [p["filename"] for p in predictions] == ["d0.png", "d1.png",
                                                  "d2.png"]
  expected = models["run"].probabilities(images[:3])
  np.testing.assert_allclose([p["probabilities"] for p in predictions],
                             expected, atol=1e-5)


def test_concurrent_requests_are_batched_with_unbatched_answers(
    client, models, digits):
  images, _ = digits
  batcher = client.app.state.serving["served"]["export"].batcher
  batcher.batch_sizes.clear()

  def one(index):
    return client.post("/v1/models/export:predict",
                       json={"instances": [images[index].tolist()]})

  with concurrent.futures.ThreadPoolExecutor(8) as pool:
    responses = list(pool.map(one, range(8)))
  assert max(batcher.batch_sizes) > 1  # Some requests shared a model call.
  assert sum(batcher.batch_sizes) == 8
  for index, response in enumerate(responses):
    alone = models["export"].probabilities(images[index:index + 1])[0]
    prediction = response.json()["predictions"][0]
    # Equal up to float32 rounding: a batch may run other kernels.
    np.testing.assert_allclose(prediction["probabilities"], alone, atol=1e-5)
    assert prediction["classes"] == int(np.argmax(alone))


def test_activations_of_a_run_and_not_of_an_export(client, digits):
  images, _ = digits
  response = client.post("/v1/models/run/activations",
                         json={"instances": [images[0].tolist()]})
  assert response.status_code == 200, response.text
  layers = response.json()["layers"]
  assert [layer["name"] for layer in layers] == ["conv_pool_0",
                                                 "conv_pool_1"]
  assert layers[0]["shape"] == [14, 14, 32]
  picture = Image.open(io.BytesIO(base64.b64decode(layers[0]["png"])))
  assert picture.format == "PNG" and picture.width > 28
  upload = client.post("/v1/models/run/activations",
                       files={"files": ("d.png", _png(images[0]))})
  assert upload.json()["layers"][1]["png"] == layers[1]["png"]
  export = client.post("/v1/models/export/activations",
                       json={"instances": [images[0].tolist()]})
  assert export.status_code == 404
  assert "serve the run directory" in export.json()["error"]


def test_card_pictures(client):
  for name in ("curves", "confusion"):
    response = client.get(f"/v1/models/export/card/{name}.png")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(response.content)).size[0] > 100
  missing = client.get("/v1/models/run/card/filters.png")
  assert missing.status_code == 404
  assert "curves, confusion" in missing.json()["error"]


def test_the_page_and_its_assets_come_from_the_package(client):
  page = client.get("/")
  assert page.status_code == 200 and "<canvas" in page.text
  for asset in ("/static/app.js", "/static/style.css"):
    assert client.get(asset).status_code == 200
  assert "http" not in page.text.replace("http-equiv", "")  # No CDN.


def _truncated_png(digits) -> bytes:
  data = _png(np.repeat(digits[0][0], 3, axis=-1))
  return data[:len(data) // 2]


def _bomb(times: float = 2) -> bytes:
  side = int((Image.MAX_IMAGE_PIXELS * times) ** 0.5) + 64
  buffer = io.BytesIO()
  Image.new("1", (side, side)).save(buffer, format="PNG")
  return buffer.getvalue()


_BAD_JSON = {
    "not an image": ({"instances": [_b64(b"hello, not an image")]}, 400,
                     "not an image file"),
    "not base64": ({"instances": [{"b64": "%%%"}]}, 400, "not valid base64"),
    "other object": ({"instances": [{"pixels": []}]}, 400, '"b64"'),
    "strings": ({"instances": [[["a"]]]}, 400, "integers from 0 to 255"),
    "fractions": ({"instances": [[[0.5]]]}, 400, "fractional"),
    "out of range": ({"instances": [[[300]]]}, 400, "outside 0..255"),
    "ragged": ({"instances": [[[1, 2], [3]]]}, 400, "ragged"),
    "wrong rank": ({"instances": [[1, 2, 3]]}, 400, "has shape [3]"),
    "five channels": ({"instances": [np.zeros((4, 4, 5), int).tolist()]},
                      400, "5 channels"),
    "no instances": ({"inputs": []}, 400, '"instances"'),
    "empty image": ({"instances": [[[]]]}, 400, "has shape [1, 0, 1]"),
    "empty": ({"instances": []}, 400, "non-empty list"),
}


@pytest.mark.parametrize("case", sorted(_BAD_JSON))
def test_bad_json_gets_one_line_and_the_next_request_is_served(
    client, digits, case):
  body, status, message = _BAD_JSON[case]
  response = client.post("/v1/models/export:predict", json=body)
  assert response.status_code == status
  error = response.json()["error"]
  assert message in error and "\n" not in error
  good = client.post("/v1/models/export:predict",
                     json={"instances": [digits[0][0].tolist()]})
  assert good.status_code == 200


def test_bad_files_and_bodies(client, digits):
  cases = [
      (client.post("/v1/models/export:predict", content=b"{nope",
                   headers={"content-type": "application/json"}),
       400, "not JSON"),
      (client.post("/v1/models/export:predict",
                   content=b'{"instances": ' + b"[" * 100_000 + b"]" * 100_000
                   + b"}", headers={"content-type": "application/json"}),
       400, "nested too deeply"),
      (client.post("/v1/models/export:predict",
                   json={"instances": [_b64(_truncated_png(digits))]}),
       400, "cannot read the image"),
      (client.post("/v1/models/run/upload",
                   files={"files": ("bomb.png", _bomb())}),
       400, "too large to decode safely"),
      # Between Pillow's limit and twice it Pillow would decode (gigabytes).
      (client.post("/v1/models/run/upload",
                   files={"files": ("big.png", _bomb(1.05))}),
       400, "over the limit of"),
      (client.post("/v1/models/run/upload",
                   files={"files": ("big.bin", b"\0" * (_LIMIT + 1))}),
       413, "--max-upload-mb"),
      (client.post("/v1/models/run/upload", json={"instances": []}),
       415, "multipart/form-data"),
      (client.post("/v1/models/run/upload", data={"note": "x"},
                   files={"other": ("", b"")}),
       400, ""),
      (client.post("/v1/models/nope:predict", json={"instances": [[[0]]]}),
       404, "Unknown model 'nope'; this server has export, run"),
      (client.get("/v1/models/nope/metadata"), 404, "Unknown model"),
  ]
  for response, status, message in cases:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert message in error and "\n" not in error
  assert _bomb().__len__() < _LIMIT  # Refused for its pixels, not its size.
  assert client.get("/readyz").status_code == 200


def test_a_body_streamed_past_the_limit_is_refused(client):
  def chunks():
    for _ in range(_LIMIT // 10_000 + 2):
      yield b"0" * 10_000
  response = client.post("/v1/models/export:predict", content=chunks(),
                         headers={"content-type": "application/json"})
  assert response.status_code == 413
  assert "limit" in response.json()["error"]


class _FailingRuntime(runtimes.Runtime):
  format = "onnx"

  def probabilities(self, images):
    raise RuntimeError("out of memory\nmore lines")


def test_a_failing_model_is_a_json_500_and_the_server_goes_on(digits):
  failing = _FailingRuntime("/nowhere/model.onnx", {
      "class_names": ["a", "b"], "image_size": [28, 28], "channels": 1})
  app = serve.create_app({"failing": failing})
  with TestClient(app, raise_server_exceptions=False) as client:
    response = client.post("/v1/models/failing:predict",
                           json={"instances": [digits[0][0].tolist()]})
    assert response.status_code == 500
    assert response.json()["error"] == (
        "The server failed (RuntimeError: out of memory).")
    assert client.get("/readyz").status_code == 200
    metadata = client.get("/v1/models/failing/metadata").json()["metadata"]
    assert metadata["evaluation"] is None and metadata["pictures"] == []


def test_options_are_checked():
  with pytest.raises(ValueError, match="max_batch_size"):
    serve.ServeOptions(max_batch_size=0)
  with pytest.raises(ValueError, match="URL"):
    serve.create_app({"a/b": object()})
