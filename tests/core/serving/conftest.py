"""A tiny OpenAI-compatible fake on loopback (stdlib http.server) for the client's unit tests:
each test says what the server answers; the fake records what it was sent."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from core.serving import ServerConfig

# (status, body bytes) for a request (method, path, JSON body or None)
Reply = Callable[[str, str, Any], tuple[int, bytes]]


def json_reply(obj: Any, status: int = 200) -> tuple[int, bytes]:
    return status, json.dumps(obj).encode()


@dataclass
class FakeServer:
    url: str
    reply: Reply
    requests: list[tuple[str, str, Any, dict[str, str]]] = field(default_factory=list)

    def config(self, timeout_s: float = 2.0, api_key: str = "") -> ServerConfig:
        return ServerConfig(self.url, "tiny-gpt", api_key, timeout_s)


@pytest.fixture
def fake_server() -> Iterator[FakeServer]:
    fake = FakeServer("", lambda m, p, b: json_reply({}))

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, method: str) -> None:
            n = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(n)) if n else None
            fake.requests.append((method, self.path, body, dict(self.headers)))
            status, data = fake.reply(method, self.path, body)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self._answer("GET")

        def do_POST(self) -> None:
            self._answer("POST")

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A loopback port that accepts connections and never answers (a hung server)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    try:
        yield sock.getsockname()[1]
    finally:
        sock.close()


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on (a server that is down)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(autouse=True)
def fresh_failures() -> Iterator[None]:
    """Each test starts with no remembered server failure (core.serving.backend)."""
    from core.serving import backend

    backend.forget_failures()
    yield
    backend.forget_failures()
