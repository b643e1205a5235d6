"""The HTTP server's application: TensorFlow Serving's REST API, uploads,
health, the run card and the page.

    app = create_app({"mnist": run_serving.load("runs/x")}, ServeOptions())
    uvicorn.run(app)                  # or zoo.serve.serve(...)

Routes (OpenAPI at /openapi.json; no /docs page, whose viewer would come
from a CDN):

    GET  /                                 the page (zoo/serve/static)
    GET  /healthz, /readyz                 liveness, readiness
    GET  /v1/models                        the served models
    GET  /v1/models/NAME                   status, as TensorFlow Serving
    GET  /v1/models/NAME/metadata          class names, input, run card
    POST /v1/models/NAME:predict           {"instances": [...]}
         (and under /v1/models/NAME/versions/1)
    POST /v1/models/NAME/upload            multipart image files
    POST /v1/models/NAME/activations       one image -> grids per block
    GET  /v1/models/NAME/card/PICTURE.png  curves, confusion

Every error is JSON `{"error": "<one line>"}` with a 4xx status for bad
input (a non-image, a truncated file, a decompression bomb, a body over
`max_upload_bytes`, a wrong shape, dtype or channel count, an unknown
model), so the next request is served as usual. Predictions go through a
`MicroBatcher` per model.
"""

import asyncio
import contextlib
import dataclasses
import pathlib
import shutil
import tempfile
from typing import Any, Dict, List, Optional

import numpy as np
from fastapi import FastAPI
from fastapi import Request
from fastapi.responses import FileResponse
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from zoo import predict
from zoo.serve import card as card_lib
from zoo.serve import inputs
from zoo.serve.batching import MicroBatcher
from zoo.serving import runtimes

STATIC_DIR = pathlib.Path(__file__).resolve().parent / "static"
#: The one model version served (TensorFlow Serving's URLs carry one).
VERSION = "1"


@dataclasses.dataclass
class ServeOptions:
  """How the server batches and what it accepts.

  Attributes:
    max_batch_size: Images per model call at most (1: no batching).
    max_wait_ms: How long a request waits for others to join its batch;
      with 0 (as TensorFlow Serving's default), a batch holds the requests
      that queued while the model ran the one before.
    max_upload_bytes: Largest request body; larger ones get 413.
    max_files: Files per upload at most.
    top_k: Classes listed per prediction.
    max_channels: Channels per block in the activation grids.
  """
  max_batch_size: int = 32
  max_wait_ms: float = 0.0
  max_upload_bytes: int = 10 * 1024 * 1024
  max_files: int = 64
  top_k: int = 5
  max_channels: int = 32

  def __post_init__(self):
    for name in ("max_batch_size", "max_upload_bytes", "max_files", "top_k",
                 "max_channels"):
      if int(getattr(self, name)) < 1:
        raise ValueError(f"{name} must be at least 1, got "
                         f"{getattr(self, name)}.")
    if float(self.max_wait_ms) < 0:
      raise ValueError(f"max_wait_ms must be 0 or more, got "
                       f"{self.max_wait_ms}.")


@dataclasses.dataclass
class _Served:
  name: str
  runtime: runtimes.Runtime
  batcher: MicroBatcher
  card: card_lib.RunCard


class _BodyLimit:
  """Refuses bodies over the limit with 413, by Content-Length or as read."""

  def __init__(self, app, limit: int):
    self.app = app
    self.limit = limit

  async def __call__(self, scope, receive, send):
    if scope["type"] != "http":
      return await self.app(scope, receive, send)
    headers = dict(scope.get("headers") or [])
    length = headers.get(b"content-length")
    if length is not None and length.isdigit() and int(length) > self.limit:
      response = _error(self._message(), 413)
      return await response(scope, receive, send)
    received = 0

    async def limited_receive():
      nonlocal received
      message = await receive()
      if message["type"] == "http.request":
        received += len(message.get("body", b""))
        if received > self.limit:
          raise inputs.InputError(self._message(), 413)
      return message

    return await self.app(scope, limited_receive, send)

  def _message(self) -> str:
    return (f"The request body is over the server's limit of "
            f"{self.limit} bytes; send smaller or fewer images, or start "
            "the server with a larger --max-upload-mb.")


def _error(message: str, status: int) -> JSONResponse:
  return JSONResponse({"error": message}, status_code=status)


def _prediction(row: np.ndarray, class_names: List[str],
                top_k: int) -> Dict[str, Any]:
  best = int(np.argmax(row))
  return {
      "probabilities": row.astype(float).tolist(),
      "classes": best,
      "class_name": class_names[best],
      "top_k": [{"class_name": name, "probability": probability}
                for name, probability in predict.top_classes(
                    row, class_names, top_k)],
  }


_JSON_BODY = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": {
        "type": "object", "required": ["instances"],
        "properties": {"instances": {
            "type": "array", "description":
                'Images: [height][width][channels] uint8 pixels, or '
                '{"b64": "<base64 image file>"}.',
            "items": {}}}}}}}}
_UPLOAD_BODY = {"requestBody": {"required": True, "content": {
    "multipart/form-data": {"schema": {
        "type": "object", "required": ["files"],
        "properties": {"files": {
            "type": "array",
            "items": {"type": "string", "format": "binary"}}}}}}}}


def check_model_name(name: str) -> None:
  """Raises ValueError for a model name that cannot be part of a URL."""
  if not name or not all(c.isalnum() or c in "-_." for c in name):
    raise ValueError(f"Model name {name!r} cannot be part of a URL; use "
                     "letters, digits, '-', '_' and '.'.")


def create_app(models: Dict[str, runtimes.Runtime],
               options: Optional[ServeOptions] = None) -> FastAPI:
  """The ASGI application serving `models` by name.

  Args:
    models: `{name: runtime}` (`zoo.run_serving.load`); names appear in the
      URLs.
    options: Batching and limits (default `ServeOptions()`).

  Raises:
    ValueError: No model, or a name that cannot be part of a URL.
  """
  options = options or ServeOptions()
  if not models:
    raise ValueError("Serve at least one model.")
  for name in models:
    check_model_name(name)
  state = {"ready": False, "served": {}}

  @contextlib.asynccontextmanager
  async def lifespan(_):
    cache = pathlib.Path(tempfile.mkdtemp(prefix="snt-zoo-serve-"))
    served = {}
    for name, runtime in models.items():
      batcher = MicroBatcher(runtime.probabilities, options.max_batch_size,
                             options.max_wait_ms)
      await batcher.start()
      served[name] = _Served(name, runtime, batcher,
                             card_lib.RunCard(runtime, cache / name))
    state["served"] = served
    state["ready"] = True
    try:
      yield
    finally:
      state["ready"] = False
      for entry in served.values():
        await entry.batcher.stop()
      shutil.rmtree(cache, ignore_errors=True)

  app = FastAPI(
      title="snt-zoo serve",
      description="TensorFlow Serving's REST API, image uploads and a page "
      "for the zoo's models.", version=VERSION, lifespan=lifespan,
      docs_url=None, redoc_url=None)  # Their viewers load from a CDN.
  app.add_middleware(_BodyLimit, limit=int(options.max_upload_bytes))
  app.state.options = options
  app.state.serving = state

  @app.exception_handler(inputs.InputError)
  async def _input_error(_, error: inputs.InputError):
    return _error(str(error), error.status)

  @app.exception_handler(StarletteHTTPException)
  async def _http_error(_, error: StarletteHTTPException):
    return _error(str(error.detail), error.status_code)

  @app.exception_handler(Exception)
  async def _server_error(_, error: Exception):
    message = str(error).strip().splitlines()[0] if str(error).strip() else (
        type(error).__name__)
    return _error(f"The server failed ({type(error).__name__}: {message}).",
                  500)

  @app.exception_handler(card_lib.Unavailable)
  async def _unavailable(_, error: card_lib.Unavailable):
    return _error(str(error), 404)

  def served(name: str) -> _Served:
    entry = state["served"].get(name)
    if entry is None:
      known = ", ".join(sorted(models))
      raise inputs.InputError(f"Unknown model {name!r}; this server has "
                              f"{known}.", 404)
    if not entry.batcher.running:
      raise inputs.InputError("The server is shutting down; retry on "
                              "another replica.", 503)
    return entry

  async def probabilities(entry: _Served,
                          images: List[np.ndarray]) -> np.ndarray:
    rows = await asyncio.gather(*(entry.batcher.submit(image[np.newaxis])
                                  for image in images))
    return np.concatenate(rows)

  async def uploaded_files(request: Request, entry: _Served,
                           limit: int) -> List[tuple]:
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
      raise inputs.InputError(
          "Send the images as multipart/form-data file fields (curl -F "
          "files=@digit.png).", 415)
    form = await request.form(max_files=limit, max_fields=limit)
    files = [(value.filename or key, await value.read())
             for key, value in form.multi_items()
             if not isinstance(value, str)]
    await form.close()
    if not files:
      raise inputs.InputError("The form holds no file; send one or more "
                              "image files (curl -F files=@digit.png).")
    return [(filename, inputs.decode_file(data, entry.runtime.channels,
                                          filename))
            for filename, data in files]

  # Health ---------------------------------------------------------------

  @app.get("/healthz", tags=["health"], summary="Liveness")
  async def healthz():
    return {"status": "alive"}

  @app.get("/readyz", tags=["health"], summary="Readiness: models loaded "
           "and batchers running")
  async def readyz():
    if not state["ready"]:
      return _error("Not ready: starting or shutting down.", 503)
    return {"status": "ready", "models": sorted(models)}

  # TensorFlow Serving's REST API ----------------------------------------

  @app.get("/v1/models", tags=["models"], summary="The served models")
  async def list_models():
    return {"models": [{"name": name, **served(name).card.describe()}
                       for name in models]}

  @app.get("/v1/models/{name}", tags=["models"],
           summary="Model status (TensorFlow Serving)")
  async def model_status(name: str):
    served(name)
    return {"model_version_status": [{
        "version": VERSION, "state": "AVAILABLE",
        "status": {"error_code": "OK", "error_message": ""}}]}

  @app.get("/v1/models/{name}/metadata", tags=["models"],
           summary="Class names, input, run card (TensorFlow Serving)")
  async def model_metadata(name: str):
    entry = served(name)
    return {"model_spec": {"name": name, "version": VERSION,
                           "signature_name": "serving_default"},
            "metadata": entry.card.describe()}

  @app.post("/v1/models/{name}:predict", tags=["models"],
            summary="Classify images (TensorFlow Serving)",
            openapi_extra=_JSON_BODY)
  async def model_predict(name: str, request: Request):
    entry = served(name)
    images = inputs.json_images(await request.body(), entry.runtime.channels)
    rows = await probabilities(entry, images)
    # A JSONResponse as such: FastAPI's encoder would walk every float.
    return JSONResponse({"predictions": [
        _prediction(row, entry.runtime.class_names, options.top_k)
        for row in rows]})

  def check_version(version: str) -> None:
    if version != VERSION:
      raise inputs.InputError(f"Version {version!r} is not served; this "
                              f"server has version {VERSION}.", 404)

  @app.get("/v1/models/{name}/versions/{version}", tags=["models"],
           summary="Model status of one version")
  async def version_status(name: str, version: str):
    check_version(version)
    return await model_status(name)

  @app.get("/v1/models/{name}/versions/{version}/metadata", tags=["models"],
           summary="Metadata of one version")
  async def version_metadata(name: str, version: str):
    check_version(version)
    return await model_metadata(name)

  @app.post("/v1/models/{name}/versions/{version}:predict", tags=["models"],
            summary="Classify images with one version",
            openapi_extra=_JSON_BODY)
  async def version_predict(name: str, version: str, request: Request):
    check_version(version)
    return await model_predict(name, request)

  @app.post("/v1/models/{name}/upload", tags=["page"],
            summary="Classify uploaded image files",
            openapi_extra=_UPLOAD_BODY)
  async def model_upload(name: str, request: Request):
    entry = served(name)
    files = await uploaded_files(request, entry, options.max_files)
    rows = await probabilities(entry, [image for _, image in files])
    return JSONResponse({"predictions": [
        dict(_prediction(row, entry.runtime.class_names, options.top_k),
             filename=filename)
        for (filename, _), row in zip(files, rows)]})

  @app.post("/v1/models/{name}/activations", tags=["page"],
            summary="What the network sees: one image's activations per "
            "block, as PNG channel grids", openapi_extra=_JSON_BODY)
  async def model_activations(name: str, request: Request):
    entry = served(name)
    card_lib.require_endpoints(entry.runtime)
    if request.headers.get("content-type", "").startswith("multipart/"):
      images = [image for _, image in
                await uploaded_files(request, entry, 1)]
    else:
      images = inputs.json_images(await request.body(),
                                  entry.runtime.channels)
    if len(images) != 1:
      raise inputs.InputError(f"Send one image, not {len(images)}.")
    layers = await entry.batcher.run(card_lib.activation_grids,
                                     entry.runtime, images[0],
                                     options.max_channels)
    return {"model": name, "layers": layers}

  @app.get("/v1/models/{name}/card/{picture}.png", tags=["page"],
           summary="The run card's pictures: curves, confusion",
           response_class=FileResponse)
  async def model_picture(name: str, picture: str):
    entry = served(name)
    path = await entry.batcher.run(entry.card.picture, picture)
    return FileResponse(path, media_type="image/png")

  # The page ---------------------------------------------------------------

  @app.get("/", include_in_schema=False)
  async def page():
    return FileResponse(STATIC_DIR / "index.html", media_type="text/html")

  app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
  return app


