"""`snt-zoo serve` as a real server process (`zoo.serve.server`): a bounded
load (`zoo.serve.load_test`), SIGTERM draining the request in flight, and
the command's bad arguments."""

import json
import signal
import socket
import threading
import time
import urllib.request

import numpy as np
import pytest

pytest.importorskip("uvicorn")

from zoo import cli  # pylint: disable=g-import-not-at-top
from zoo.serve import load_test  # pylint: disable=g-import-not-at-top

_WAIT_MS = 3000  # A lone request waits this long for company.


@pytest.fixture(scope="module")
def server(exported_run_dir):
  """The export served on a free port; a batch of 4 is sent at once, a lone
  request waits `_WAIT_MS`."""
  port = load_test.free_port()
  process = load_test.start_server(
      exported_run_dir / "export", port, "--max-batch-size", "4",
      "--max-wait-ms", str(_WAIT_MS), name="mnist")
  try:
    load_test.wait_ready(process, port)
    yield process, port
  finally:
    if process.poll() is None:
      load_test.stop_server(process)


def _body():
  return load_test.predict_body(np.zeros((28, 28, 1), np.uint8))


def test_a_bounded_load_stops_by_itself(server):
  _, port = server
  result = load_test.run_load("127.0.0.1", port, "/v1/models/mnist:predict",
                              _body(), clients=4, requests=12)
  assert (result.requests, result.errors) == (12, 0)
  assert result.requests_per_sec > 0
  assert 0 < result.p50_ms <= result.p99_ms
  refused = load_test.run_load("127.0.0.1", port, "/v1/models/nope:predict",
                               _body(), clients=2, requests=2)
  assert refused.errors == 2


def test_the_load_table():
  rows = [{"setup": "server, no batching", "clients": 8, "requests": 10,
           "errors": 0, "requests_per_sec": 12.34, "p50_ms": 5.0,
           "p99_ms": 9.5, "server_rss_mib": 512.0},
          {"setup": "in-process predict, batch 1", "clients": 1,
           "requests": 10, "errors": 0, "requests_per_sec": 99.0,
           "p50_ms": None, "p99_ms": None, "server_rss_mib": None}]
  table = load_test.format_table(rows).splitlines()
  assert table[2] == ("| server, no batching | 8 | 12.3 | 5.0 | 9.5 | 0 | "
                      "512 |")
  assert table[3].endswith("| 99.0 | - | - | 0 | - |")


def test_sigterm_answers_the_request_in_flight_then_exits_0(server):
  process, port = server
  answers = []

  def ask():
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/v1/models/mnist:predict", data=_body(),
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
      answers.append((response.status, json.loads(response.read())))

  thread = threading.Thread(target=ask)
  thread.start()
  time.sleep(_WAIT_MS / 3000)  # The request now waits in its batch.
  process.send_signal(signal.SIGTERM)
  thread.join(60)
  assert process.wait(timeout=60) == 0
  status, body = answers[0]
  assert status == 200 and len(body["predictions"]) == 1
  assert "Traceback" not in process.stderr.read().decode()


@pytest.mark.parametrize("argv, message", [
    ([], "Pass a model"),
    (["--model", "nameless"], "write NAME=PATH"),
    (["--model", "a=x", "--model", "a=y"], "twice"),
    (["--model", "a/b=x"], "cannot be part of a URL"),
    (["--name", "a"], "--name names PATH"),
    (["x", "--max-batch-size", "0"], "--max-batch-size must be at least 1"),
    (["x", "--max-upload-mb", "0"], "--max-upload-mb"),
    (["/no/such/run"], "does not exist"),
    (["x", "--port", "99999"], "is not a TCP port"),
    (["x", "--host", "no-such-host.invalid"], "does not resolve"),
])
def test_bad_arguments_exit_2(argv, message, capsys):
  assert cli.main(["serve", *argv]) == 2
  error = capsys.readouterr().err
  assert message in error and error.count("\n") == 1


def test_a_port_in_use_is_one_line_before_any_model_loads(capsys):
  with socket.socket() as taken:
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    assert cli.main(["serve", "/no/such/run", "--port", str(port)]) == 2
  error = capsys.readouterr().err
  assert f"Cannot listen on 127.0.0.1:{port}" in error
  assert error.count("\n") == 1
