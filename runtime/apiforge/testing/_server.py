"""The machinery every fake shares: one pure handler, served over real HTTP or in-process.

A fake subclasses `FakeServer` and implements `handle(method, path, query, headers, body)`,
returning `(status, headers, body_bytes)`. The same handler then answers

- real HTTP on 127.0.0.1 (a free port, a background thread): `with FakeVK() as fake: ... fake.url`;
- in-process, without sockets: `httpx.Client(transport=fake.transport())` or
  `httpx.AsyncClient(transport=fake.async_transport())`.

Each handled request is recorded in `calls` (secrets masked), so tests can assert on the wire.
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self, cast
from urllib.parse import parse_qsl, urlsplit

import attrs
import httpx

from apiforge.core.redact import MASK

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
        self.calls: list[RecordedCall] = []
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # What a fake implements.

    def handle(self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes) -> Response:
        """Answer one request. Pure with respect to IO: state lives on the fake; `headers` keys are lower-case."""
        raise NotImplementedError

    # Shared by both ways of serving.

    def dispatch(self, method: str, url: str, headers: Mapping[str, str], body: bytes) -> Response:
        """Run the handler for one request (serialised: fakes keep plain-Python state)."""
        split = urlsplit(url)
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        lowered = {key.lower(): value for key, value in headers.items()}
        with self._lock:
            try:
                return self.handle(method.upper(), split.path or "/", query, lowered, body)
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
        status, headers, body = self.dispatch(request.method, str(request.url), dict(request.headers), request.content)
        return httpx.Response(status, headers=headers, content=body)

    def transport(self) -> httpx.MockTransport:
        """An in-process transport for `httpx.Client(transport=...)`: no sockets, the same handler."""
        return httpx.MockTransport(self._mock_handler)

    def async_transport(self) -> httpx.MockTransport:
        """An in-process transport for `httpx.AsyncClient(transport=...)`."""
        return httpx.MockTransport(self._mock_handler)

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

    def start(self) -> Self:
        """Serve HTTP on 127.0.0.1 on a free port, in a background thread."""
        if self._server is not None:
            return self
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_class(self))
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


def _handler_class(fake: FakeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {key: value for key, value in self.headers.items()}
            status, answer_headers, answer = fake.dispatch(self.command, self.path, headers, body)
            self.send_response(status)
            for key, value in answer_headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(answer)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve

        def log_message(self, format: str, *args: Any) -> None:
            return  # quiet: tests read `fake.calls`, not stderr

    return Handler


__all__ = [
    "JSON_TYPE",
    "FakeServer",
    "RecordedCall",
    "Response",
    "as_array",
    "as_object",
    "json_response",
    "mask_fields",
    "parse_form",
    "parse_multipart",
]
