"""A real HTTP server on 127.0.0.1 for tests: programmable routes, recorded requests, injected faults.

Not a mock: clients talk HTTP over a socket to it exactly as to the real service. Each route is a
function of the request returning a `Reply` (status, JSON or raw body, headers, delay).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    raw: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0

    def encoded(self) -> bytes:
        if self.raw is not None:
            return self.raw
        return json.dumps(self.body).encode()


Handler = Callable[[Request], Reply]


class _Server(ThreadingHTTPServer):
    # the default listen backlog of 5 drops SYNs when a client opens many connections at once,
    # which costs a 1-second TCP retry each: real servers have deeper backlogs
    request_queue_size = 128


class StandIn:
    """`with StandIn() as server:` serves on `server.url` until the block ends."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Handler] = {}
        self.requests: list[Request] = []
        self.fallback: Handler = lambda req: Reply(404, {"code": "404", "msg": f"no route {req.path}"})
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def route(self, path: str, handler: Handler | Reply | Any, method: str = "GET") -> None:
        if isinstance(handler, Reply):
            reply = handler
            self.routes[(method, path)] = lambda _req: reply
        elif callable(handler):
            self.routes[(method, path)] = handler
        else:
            body = handler
            self.routes[(method, path)] = lambda _req: Reply(200, body)

    def calls(self, path: str | None = None) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if path is None or r.path == path]

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> StandIn:
        standin = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # headers and body go out as two writes: without this, Nagle + delayed ACK add 40 ms a call
            disable_nagle_algorithm = True

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(
                    method=self.command,
                    path=parts.path,
                    query=dict(parse_qsl(parts.query, keep_blank_values=True)),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=self.rfile.read(length) if length else b"",
                )
                with standin._lock:
                    standin.requests.append(request)
                handler = standin.routes.get((self.command, parts.path), standin.fallback)
                reply = handler(request)
                if reply.delay_s:
                    time.sleep(reply.delay_s)
                payload = reply.encoded()
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (time-out test): nothing to answer

            do_GET = _serve  # noqa: N815 - http.server's naming
            do_POST = _serve  # noqa: N815

            def log_message(self, format: str, *args: Any) -> None:
                del format, args  # keep test output quiet

        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> StandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens (connection refused)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
