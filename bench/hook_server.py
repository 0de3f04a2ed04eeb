"""A webhook receiver for ``python -m bench deliver``, in its own process (a receiver inside the sending process
would share its interpreter lock and slow both): ``python -m bench.hook_server PORT DELAY_S``.

Answers every ``POST`` with 200 after ``DELAY_S`` seconds (a remote endpoint's round trip), one thread per request.
"""

from __future__ import annotations

import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def serve(port: int, delay_s: float) -> None:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            time.sleep(delay_s)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


if __name__ == "__main__":
    serve(int(sys.argv[1]), float(sys.argv[2]))
