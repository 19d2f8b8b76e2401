"""The machinery every fake shares: one pure handler, served over real HTTP or in-process.

A fake subclasses `FakeServer` and implements `handle(method, path, query, headers, body)`,
returning `(status, headers, body_bytes)`. The same handler then answers

- real HTTP on 127.0.0.1 (a free port, a background thread): `with FakeVK() as fake: ... fake.url`;
- in-process, without sockets: `httpx.Client(transport=fake.transport())` or
  `httpx.AsyncClient(transport=fake.async_transport())`.

Each handled request is recorded in `calls` (secrets masked), so tests can assert on the wire.
`faults` (apiforge.testing.faults) injects failures into both ways of serving alike: error answers,
dropped connections (a closed socket over HTTP, the httpx exception in-process), timeouts and latency.
"""

from __future__ import annotations

import asyncio
import email.parser
import email.policy
import json
import socket
import struct
import sys
import threading
import time
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, cast
from urllib.parse import parse_qsl, urlsplit

import attrs
import httpx

from apiforge.core.redact import MASK

if TYPE_CHECKING:
    from apiforge.testing.faults import Fault, Faults

Response = tuple[int, dict[str, str], bytes]
"""What a handler answers: HTTP status, headers and the body bytes."""

JSON_TYPE = "application/json; charset=utf-8"


@attrs.frozen
class RecordedCall:
    """One request as the fake saw it; secret values (tokens, session ids) are masked.

    `method` is the API's name for the call (`users.get`, `core/search_items`, `GET /api/v1/companies`);
    `params` are the body fields (VK form, Wialon's parsed `params` plus `svc`/`sid`, a REST JSON body);
    `query` the URL query fields (kept apart, so a test can check a token never travels in the URL).
    """

    method: str
    params: Mapping[str, Any]
    headers: Mapping[str, str]
    query: Mapping[str, str] = attrs.field(factory=dict[str, str])
    http_method: str = "POST"
    path: str = "/"


@attrs.frozen
class IncomingRequest:
    """One request as a fake receives it: HTTP method, path, query fields, lower-case headers, body."""

    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: bytes

    def form(self) -> dict[str, str]:
        """The form fields of the body (url-encoded or multipart)."""
        return parse_form(self.headers, self.body)


@attrs.frozen
class Served:
    """What one request came to: the answer (None: drop the connection), the fault that struck, the waits.

    `latency` is added to every answer; `hang` is how long a `timeout` fault holds its answer over HTTP.
    """

    response: Response | None
    fault: Fault | None = None
    latency: float = 0.0
    hang: float = 0.0


def json_response(payload: object, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    """A JSON answer."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    return status, {"Content-Type": JSON_TYPE, **(headers or {})}, body


def parse_form(headers: Mapping[str, str], body: bytes) -> dict[str, str]:
    """Form fields of a url-encoded or multipart body (file parts are kept as text when they decode)."""
    content_type = headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        return {name: value.decode("utf-8", "replace") for name, value in parse_multipart(content_type, body).items()}
    if not body:
        return {}
    return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))


def parse_multipart(content_type: str, body: bytes) -> dict[str, bytes]:
    """Parts of a multipart/form-data body, by field name."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    parts: dict[str, bytes] = {}
    if not message.is_multipart():
        return parts
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        payload = part.get_payload(decode=True)
        parts[str(name)] = payload if isinstance(payload, bytes) else b""
    return parts


def mask_fields(fields: Mapping[str, Any], secret_keys: frozenset[str]) -> dict[str, Any]:
    """`fields` with the values of `secret_keys` replaced by the mask."""
    return {key: MASK if key in secret_keys else value for key, value in fields.items()}


def as_object(value: object) -> dict[str, object] | None:
    """`value` as a JSON object (keys are strings in decoded JSON), or None when it is not one."""
    return cast("dict[str, object]", value) if isinstance(value, dict) else None


def as_array(value: object) -> list[object] | None:
    """`value` as a JSON array, or None when it is not one."""
    return cast("list[object]", value) if isinstance(value, list) else None


class FakeServer:
    """Base of the fakes: recording, the HTTP server thread and the in-process transports."""

    def __init__(self) -> None:
        # Imported here: the faults module builds on this one's helpers.
        from apiforge.testing.faults import Faults

        self.calls: list[RecordedCall] = []
        self.faults: Faults = Faults(self)
        """Fault injection: `fail_next(n, kind=...)`, `rate`, `latency`, the `log` of injected faults."""
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def lock(self) -> threading.RLock:
        """The lock every request is handled under: hold it to change the fake's state from another thread."""
        return self._lock

    # What a fake implements.

    def handle(self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes) -> Response:
        """Answer one request. Pure with respect to IO: state lives on the fake; `headers` keys are lower-case."""
        raise NotImplementedError

    # Shared by both ways of serving.

    def dispatch(self, method: str, url: str, headers: Mapping[str, str], body: bytes) -> Response:
        """Run the handler for one request, without faults (serialised: fakes keep plain-Python state)."""
        return self._run(_incoming(method, url, headers, body))

    def serve(self, method: str, url: str, headers: Mapping[str, str], body: bytes) -> Served:
        """Run one request through the faults and, unless a fault stops it first, the handler."""
        request = _incoming(method, url, headers, body)
        fault = self.faults.draw(request)
        latency = self.faults.latency
        if fault is None:
            return Served(self._run(request), latency=latency)
        response = self._run(request) if fault.processed else None
        if fault.action == "answer" and fault.answer is not None:
            response = fault.answer(self.faults, request)
        elif fault.action == "drop":
            response = None
        return Served(response, fault, latency, self.faults.hang if fault.action == "hang" else 0.0)

    def _run(self, request: IncomingRequest) -> Response:
        with self._lock:
            try:
                return self.handle(
                    request.method, request.path, dict(request.query), dict(request.headers), request.body
                )
            except Exception as exc:  # noqa: BLE001 - a bug in a fake is an HTTP 500, not a hung client
                return 500, {"Content-Type": "text/plain"}, f"fake server error: {type(exc).__name__}: {exc}".encode()

    def record(self, call: RecordedCall) -> None:
        with self._lock:
            self.calls.append(call)

    def calls_to(self, method: str) -> list[RecordedCall]:
        """The recorded calls of one API method."""
        with self._lock:
            return [call for call in self.calls if call.method == method]

    def reset_calls(self) -> None:
        with self._lock:
            self.calls.clear()

    # In-process transports.

    def _mock_handler(self, request: httpx.Request) -> httpx.Response:
        served = self.serve(request.method, str(request.url), dict(request.headers), request.content)
        if served.latency:
            time.sleep(served.latency)
        return _mock_response(request, served)

    async def _async_mock_handler(self, request: httpx.Request) -> httpx.Response:
        served = self.serve(request.method, str(request.url), dict(request.headers), request.content)
        if served.latency:
            await asyncio.sleep(served.latency)
        return _mock_response(request, served)

    def transport(self) -> httpx.MockTransport:
        """An in-process transport for `httpx.Client(transport=...)`: no sockets, the same handler."""
        return httpx.MockTransport(self._mock_handler)

    def async_transport(self) -> httpx.MockTransport:
        """An in-process transport for `httpx.AsyncClient(transport=...)` (latency awaits, never blocks the loop)."""
        return httpx.MockTransport(self._async_mock_handler)

    # Real HTTP.

    @property
    def url(self) -> str:
        """`http://127.0.0.1:<port>` of the running server (start it first, or use `with`)."""
        if self._server is None:
            raise RuntimeError(
                f"{type(self).__name__} is not serving HTTP: use `with {type(self).__name__}() as fake:`"
            )
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self, port: int = 0) -> Self:
        """Serve HTTP on 127.0.0.1 on `port` (0: a free one), in a background thread."""
        if self._server is not None:
            return self
        server = _QuietServer(("127.0.0.1", port), _handler_class(self))
        server.daemon_threads = True
        thread = threading.Thread(
            target=server.serve_forever, args=(0.02,), name=f"{type(self).__name__}-http", daemon=True
        )
        self._server, self._thread = server, thread
        thread.start()
        return self

    def stop(self) -> None:
        """Stop serving: shut the loop down, close the socket and join the thread."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.url if self._server is not None else "not serving HTTP"
        return f"<{type(self).__name__} {where}, {len(self.calls)} calls>"


def _incoming(method: str, url: str, headers: Mapping[str, str], body: bytes) -> IncomingRequest:
    split = urlsplit(url)
    query = dict(parse_qsl(split.query, keep_blank_values=True))
    lowered = {key.lower(): value for key, value in headers.items()}
    return IncomingRequest(method.upper(), split.path or "/", query, lowered, body)


def _mock_response(request: httpx.Request, served: Served) -> httpx.Response:
    """The in-process form of a served request: the response, or the exception httpx raises for the fault."""
    fault = served.fault
    if fault is not None and fault.action == "hang":
        # No socket, no client timeout to wait for: time out at once.
        raise httpx.ReadTimeout(f"timed out (injected fault {fault.name})", request=request)
    if served.response is None:
        if fault is not None and fault.processed:
            raise httpx.RemoteProtocolError(
                f"Server disconnected without sending a response (injected fault {fault.name})", request=request
            )
        name = fault.name if fault is not None else "reset_before"
        raise httpx.ConnectError(f"connection refused (injected fault {name})", request=request)
    status, headers, body = served.response
    return httpx.Response(status, headers=headers, content=body)


LISTEN_BACKLOG = 1024
"""Connections the fake's socket queues before it accepts them (the kernel caps it at net.core.somaxconn)."""


class _QuietServer(ThreadingHTTPServer):
    """A ThreadingHTTPServer that prints no traceback when a client goes away mid-request.

    Its listen backlog is large: socketserver's default of 5 refuses (or drops the SYNs of)
    connections beyond it, and a test making hundreds of concurrent calls then sees ReadErrors
    and connect timeouts that no real API server would cause.
    """

    request_queue_size = LISTEN_BACKLOG

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], OSError):
            return  # a client that timed out or was dropped: expected under fault injection
        super().handle_error(request, client_address)


def _handler_class(fake: FakeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in two writes: without TCP_NODELAY, Nagle's algorithm and the
        # client's delayed ACK hold every answer back some 40 ms.
        disable_nagle_algorithm = True

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {key: value for key, value in self.headers.items()}
            served = fake.serve(self.command, self.path, headers, body)
            if served.latency or served.hang:
                time.sleep(served.latency + served.hang)
            if served.response is None:
                self._drop()
                return
            status, answer_headers, answer = served.response
            try:
                self.send_response(status)
                for key, value in answer_headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(answer)
            except OSError:
                self.close_connection = True  # the client gave up waiting (a timeout fault)

        def _drop(self) -> None:
            """Close the connection without an answer; linger 0 makes the close a reset (RST)."""
            self.close_connection = True
            try:
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            except OSError:
                return  # already gone

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve

        def log_message(self, format: str, *args: Any) -> None:
            return  # quiet: tests read `fake.calls`, not stderr

    return Handler


__all__ = [
    "JSON_TYPE",
    "LISTEN_BACKLOG",
    "FakeServer",
    "IncomingRequest",
    "RecordedCall",
    "Response",
    "Served",
    "as_array",
    "as_object",
    "json_response",
    "mask_fields",
    "parse_form",
    "parse_multipart",
]
