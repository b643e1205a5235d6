"""Loading the models and running the ASGI server (uvicorn).

    models = load_models({"mnist": "runs/x"})
    serve(models, ServeOptions(), host="127.0.0.1", port=8501)

SIGTERM or Ctrl-C stops accepting connections, answers the requests in
flight (and those queued in a batch), then exits normally. With several
`workers`, uvicorn starts that many processes, each loading the models
itself (`app_from_environment`).
"""

import contextlib
import dataclasses
import json
import os
import socket
from typing import Dict, Mapping, Optional

from zoo import run_serving
from zoo.serve import app as app_lib
from zoo.serving import runtimes

#: Where a multi-worker server passes its models and options to workers.
WORKER_ENV = "SNT_ZOO_SERVE"


def load_models(paths: Mapping[str, os.PathLike],
                checkpoint: Optional[os.PathLike] = None
                ) -> Dict[str, runtimes.Runtime]:
  """`{name: path}` -> `{name: runtime}` (`zoo.run_serving.load`)."""
  return {name: run_serving.load(path, checkpoint)
          for name, path in paths.items()}


def default_name(runtime: runtimes.Runtime) -> str:
  """The URL name of a model served alone: its registered model name."""
  name = run_serving.model_card(runtime).get("model") or "model"
  return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)


def app_from_environment():
  """The application of one worker process, from `WORKER_ENV`."""
  spec = json.loads(os.environ[WORKER_ENV])
  return app_lib.create_app(load_models(spec["models"], spec["checkpoint"]),
                            app_lib.ServeOptions(**spec["options"]))


def check_address(host: str, port: int) -> None:
  """Raises ValueError (one line) unless this process can listen on
  `host:port` now: a port out of range, a host that does not resolve or an
  address in use is said before any model loads."""
  if not 0 <= port <= 65535:
    raise ValueError(f"--port {port} is not a TCP port; pass 0 to 65535 "
                     "(8501 is TensorFlow Serving's REST port).")
  try:
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
  except (socket.gaierror, UnicodeError) as e:
    raise ValueError(f"--host {host!r} does not resolve "
                     f"({getattr(e, 'strerror', None) or e}); pass an address "
                     "of this machine, e.g. 127.0.0.1 or 0.0.0.0.") from None
  family, kind, protocol, _, address = found[0]
  with socket.socket(family, kind, protocol) as probe:
    probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
      probe.bind(address)
    except OSError as e:
      raise ValueError(
          f"Cannot listen on {host}:{port} ({e.strerror or e}); pass another "
          "--port, or stop what listens there.") from None


def serve(paths: Mapping[str, os.PathLike],
          options: Optional[app_lib.ServeOptions] = None,
          host: str = "127.0.0.1", port: int = 8501, workers: int = 1,
          checkpoint: Optional[os.PathLike] = None,
          log_level: str = "info",
          models: Optional[Dict[str, runtimes.Runtime]] = None) -> None:
  """Serves the models until SIGTERM / SIGINT, then drains and returns.

  Args:
    paths: `{name: path}` of the models (runs, checkpoints or exports).
    options: Batching and limits.
    host: Interface to listen on (127.0.0.1: this machine only).
    port: TCP port (TensorFlow Serving's REST port is 8501).
    workers: Server processes.
    checkpoint: With run directories: the checkpoint to load.
    log_level: uvicorn's log level.
    models: The runtimes of `paths` when already loaded (one worker).

  Raises:
    ValueError: Workers under 1.
  """
  import uvicorn  # pylint: disable=g-import-not-at-top
  options = options or app_lib.ServeOptions()
  if workers < 1:
    raise ValueError(f"workers must be at least 1, got {workers}.")
  if workers > 1:
    os.environ[WORKER_ENV] = json.dumps({
        "models": {name: str(path) for name, path in paths.items()},
        "checkpoint": str(checkpoint) if checkpoint else None,
        "options": dataclasses.asdict(options)})
    uvicorn.run(f"{__name__}:app_from_environment", factory=True,
                host=host, port=port, workers=workers, log_level=log_level,
                timeout_graceful_shutdown=30)
    return
  models = models or load_models(paths, checkpoint)
  config = uvicorn.Config(app_lib.create_app(models, options), host=host,
                          port=port, log_level=log_level,
                          timeout_graceful_shutdown=30)
  _DrainingServer(config).run()


class _DrainingServer:
  """uvicorn's server, returning normally after a drained SIGTERM.

  uvicorn re-raises the signal it stopped on once it has drained, which
  would end the process as killed; a server that answered everything in
  flight has exited cleanly, so this one returns instead.
  """

  def __init__(self, config):
    import uvicorn  # pylint: disable=g-import-not-at-top

    class Server(uvicorn.Server):

      @contextlib.contextmanager
      def capture_signals(self):
        with super().capture_signals():
          yield
          captured = getattr(self, "_captured_signals", None)
          if isinstance(captured, list):
            captured.clear()

    self._server = Server(config)

  def run(self) -> None:
    self._server.run()
