"""A bounded load test of the server against in-process prediction.

    rows = measure("runs/x/export", clients=(1, 8, 32), requests=400)
    print(format_table(rows))

`run_load` sends a fixed number of `:predict` requests from N concurrent
clients (threads with keep-alive connections) and stops by itself;
`measure` starts two servers on free ports of 127.0.0.1 (batching on, and
`max_batch_size=1`), loads them in turn with each client count for a few
rounds, reads their resident memory and compares with the same model
called in this process one image at a time, as `snt-zoo predict` does. Clients and server share
the machine, so the figures are the whole system's.
"""

import dataclasses
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from typing import Dict, List, Optional, Sequence

import numpy as np

from zoo import run_serving


@dataclasses.dataclass
class LoadResult:
  """Requests/s and latency of one load."""
  clients: int
  requests: int
  errors: int
  seconds: float
  requests_per_sec: float
  p50_ms: float
  p99_ms: float


def predict_body(image: np.ndarray) -> bytes:
  """The `:predict` body of one uint8 `[H, W, C]` image."""
  return json.dumps({"instances": [image.tolist()]}).encode()


def run_load(host: str, port: int, path: str, body: bytes, clients: int,
             requests: int, timeout: float = 60.0) -> LoadResult:
  """Sends `requests` POSTs of `body` from `clients` threads.

  Args:
    host: Server host.
    port: Server port.
    path: URL path, e.g. /v1/models/mnist:predict.
    body: JSON request body.
    clients: Concurrent connections.
    requests: Requests in all (shared among the clients).
    timeout: Socket timeout per request, in seconds.

  Returns:
    The `LoadResult`; a request answered with a status other than 200, or
    not at all, counts as an error.
  """
  if clients < 1 or requests < 1:
    raise ValueError("clients and requests must be at least 1.")
  latencies: List[float] = []
  errors = [0]
  remaining = [requests]
  lock = threading.Lock()
  headers = {"Content-Type": "application/json"}

  def client():
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    while True:
      with lock:
        if remaining[0] == 0:
          break
        remaining[0] -= 1
      start = time.perf_counter()
      try:
        connection.request("POST", path, body, headers)
        response = connection.getresponse()
        response.read()
        ok = response.status == 200
      except (OSError, http.client.HTTPException):
        connection.close()
        connection = http.client.HTTPConnection(host, port, timeout=timeout)
        ok = False
      elapsed = time.perf_counter() - start
      with lock:
        if ok:
          latencies.append(elapsed)
        else:
          errors[0] += 1
    connection.close()

  threads = [threading.Thread(target=client, daemon=True)
             for _ in range(clients)]
  start = time.perf_counter()
  for thread in threads:
    thread.start()
  for thread in threads:
    thread.join()
  seconds = time.perf_counter() - start
  milliseconds = np.array(latencies or [float("nan")]) * 1000.0
  return LoadResult(clients, requests, errors[0], seconds,
                    len(latencies) / seconds,
                    float(np.percentile(milliseconds, 50)),
                    float(np.percentile(milliseconds, 99)))


def in_process_rate(runtime, image: np.ndarray, requests: int,
                    batch_size: int = 1) -> float:
  """Images/s of `runtime.probabilities` in this process, `batch_size` at
  a time (after one warm-up call)."""
  batch = np.repeat(image[np.newaxis], batch_size, axis=0)
  runtime.probabilities(batch)
  calls = max(1, requests // batch_size)
  start = time.perf_counter()
  for _ in range(calls):
    runtime.probabilities(batch)
  return calls * batch_size / (time.perf_counter() - start)


def resident_mib(pid: int) -> Optional[float]:
  """Resident memory of a process in MiB (Linux /proc), or None."""
  try:
    with open(f"/proc/{pid}/status") as status:
      for line in status:
        if line.startswith("VmRSS:"):
          return int(line.split()[1]) / 1024.0
  except OSError:
    pass
  return None


def free_port() -> int:
  with socket.socket() as sock:
    sock.bind(("127.0.0.1", 0))
    return sock.getsockname()[1]


def wait_ready(process: subprocess.Popen, port: int,
               timeout: float = 120.0) -> None:
  """Waits for /readyz to answer 200.

  Raises:
    RuntimeError: If the server exits or is not ready within `timeout`.
  """
  deadline = time.monotonic() + timeout
  while time.monotonic() < deadline:
    if process.poll() is not None:
      raise RuntimeError(f"The server exited with {process.returncode}.")
    try:
      connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
      connection.request("GET", "/readyz")
      if connection.getresponse().status == 200:
        return
    except OSError:
      pass
    time.sleep(0.2)
  raise RuntimeError(f"The server was not ready within {timeout:.0f} s.")


def start_server(path: os.PathLike, port: int, *arguments: str,
                 name: str = "model") -> subprocess.Popen:
  """`snt-zoo serve PATH --name NAME --port PORT ...` as a subprocess."""
  return subprocess.Popen(
      [sys.executable, "-m", "zoo.cli", "serve", str(path), "--name", name,
       "--port", str(port), "--log-level", "warning", *arguments],
      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def stop_server(process: subprocess.Popen) -> int:
  process.terminate()
  try:
    return process.wait(timeout=60)
  except subprocess.TimeoutExpired:
    process.kill()
    return process.wait()


def measure(path: os.PathLike, clients: Sequence[int] = (1, 8, 32),
            requests: int = 400, max_batch_size: int = 32,
            max_wait_ms: float = 0.0, repeats: int = 3) -> List[Dict]:
  """The load table: each client count with and without batching.

  Both servers run at once and their loads alternate with the in-process
  calls, `repeats` rounds, so that a machine busy with other work slows
  all alike; each row is the round with the median requests/s.

  Args:
    path: What `snt-zoo serve` takes.
    clients: Concurrent client counts.
    requests: Requests per load.
    max_batch_size: The batching server's batch size.
    max_wait_ms: The batching server's wait.
    repeats: Rounds per row.

  Returns:
    Rows `{"setup", "clients", "requests", "errors", "requests_per_sec",
    "p50_ms", "p99_ms", "server_rss_mib"}`, the in-process rows first.
  """
  runtime = run_serving.load(path)
  height, width = runtime.image_size
  image = np.random.default_rng(0).integers(
      0, 256, (height, width, runtime.channels), dtype=np.uint8)
  body = predict_body(image)
  in_process = {1: [], max_batch_size: []}
  setups = {
      f"server, batching ({max_batch_size}, {max_wait_ms:g} ms)":
          ["--max-batch-size", str(max_batch_size),
           "--max-wait-ms", str(max_wait_ms)],
      "server, no batching": ["--max-batch-size", "1"]}
  servers = {}
  try:
    for setup, arguments in setups.items():
      port = free_port()
      servers[setup] = (start_server(path, port, *arguments), port)
    for process, port in servers.values():
      wait_ready(process, port)
      run_load("127.0.0.1", port, "/v1/models/model:predict", body, 1,
               20)  # Warm-up.
    results = {(setup, count): [] for setup in setups for count in clients}
    for _ in range(repeats):
      for batch_size, rates in in_process.items():
        rates.append(in_process_rate(runtime, image, requests, batch_size))
      for count in clients:
        for setup, (process, port) in servers.items():
          result = run_load("127.0.0.1", port, "/v1/models/model:predict",
                            body, count, requests)
          results[setup, count].append((result, resident_mib(process.pid)))
    rows = [{"setup": f"in-process predict, batch {batch_size}",
             "clients": 1, "requests": requests, "errors": 0,
             "requests_per_sec": sorted(rates)[len(rates) // 2],
             "p50_ms": None, "p99_ms": None, "server_rss_mib": None}
            for batch_size, rates in in_process.items()]
    for setup in setups:
      for count in clients:
        ranked = sorted(results[setup, count],
                        key=lambda pair: pair[0].requests_per_sec)
        result, rss = ranked[len(ranked) // 2]
        rows.append({"setup": setup, "clients": count,
                     "requests": result.requests, "errors": result.errors,
                     "requests_per_sec": result.requests_per_sec,
                     "p50_ms": result.p50_ms, "p99_ms": result.p99_ms,
                     "server_rss_mib": rss})
  finally:
    for process, _ in servers.values():
      stop_server(process)
  return rows


def format_table(rows: Sequence[Dict]) -> str:
  """The rows as a Markdown table."""
  def number(value, digits):
    return "-" if value is None else f"{value:.{digits}f}"
  lines = ["| setup | clients | requests/s | p50 ms | p99 ms | errors | "
           "server RSS MiB |", "|---|---:|---:|---:|---:|---:|---:|"]
  for row in rows:
    lines.append(
        f"| {row['setup']} | {row['clients']} | "
        f"{number(row['requests_per_sec'], 1)} | {number(row['p50_ms'], 1)} "
        f"| {number(row['p99_ms'], 1)} | {row['errors']} | "
        f"{number(row['server_rss_mib'], 0)} |")
  return "\n".join(lines)
