"""An HTTP server on 127.0.0.1 serving files the tests generate.

    with local_server.serve({"w.bin": b"..."}) as server:
      urlopen(server.url + "w.bin"); server.requests   # ["w.bin"]

`server.drops[name] = n` cuts the first n answers for `name` in half (a
dropped connection).
"""

import contextlib
import http.server
import threading
from typing import Dict, Optional


class _Handler(http.server.BaseHTTPRequestHandler):
  """Serves `server.files`, records requests, drops as `server.drops` says."""

  def do_GET(self):  # pylint: disable=invalid-name
    name = self.path.lstrip("/")
    body = self.server.files.get(name)
    if body is None:
      self.send_error(404)
      return
    self.server.requests.append(name)
    self.send_response(200)
    self.send_header("Content-Length", str(len(body)))
    self.end_headers()
    if self.server.drops.get(name, 0) > 0:
      self.server.drops[name] -= 1
      self.wfile.write(body[:len(body) // 2])
      self.wfile.flush()
      self.close_connection = True
      return
    self.wfile.write(body)

  def log_message(self, *args):
    del args


@contextlib.contextmanager
def serve(files: Optional[Dict[str, bytes]] = None):
  """A running server; `server.url` ends with "/"."""
  httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
  httpd.files, httpd.drops, httpd.requests = dict(files or {}), {}, []
  thread = threading.Thread(target=httpd.serve_forever, daemon=True)
  thread.start()
  httpd.url = f"http://127.0.0.1:{httpd.server_address[1]}/"
  try:
    yield httpd
  finally:
    httpd.shutdown()
    httpd.server_close()
