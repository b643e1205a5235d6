"""`snt-zoo serve`: an HTTP server and a page for any run or export.

    from zoo import serve
    serve.serve({"mnist": "runs/x/export"}, serve.ServeOptions(), port=8501)
    app = serve.create_app({"mnist": runtime})       # for tests, ASGI hosts

`app` (TensorFlow Serving's REST API, uploads, health, the page), `batching`
(the micro-batcher), `inputs` (request bodies -> images), `card` (the run
card and the activations), `server` (uvicorn) and `load_test`. Needs the
`serve` extra (FastAPI, uvicorn, python-multipart).
"""

from zoo.serve.app import create_app
from zoo.serve.app import ServeOptions
from zoo.serve.server import load_models
from zoo.serve.server import serve

__all__ = ["create_app", "load_models", "serve", "ServeOptions"]
