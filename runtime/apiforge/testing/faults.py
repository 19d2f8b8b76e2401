"""Fault injection for the fakes: fail the next requests, fail a share of them at random, add latency.

Every fake has a `faults` attribute:

    with FakeVK() as fake:
        fake.faults.fail_next(2, kind="http_503")   # the next two requests get HTTP 503
        fake.faults.rate = 0.2                       # then one request in five fails, kind drawn at random
        fake.faults.latency = 0.05                   # and every answer comes 50 ms late
        ...
        assert fake.faults.counts() == {"http_503": 2, ...}

`kinds` narrows what the rate draws from, `seed(n)` restarts its random draws, `log` lists every fault
injected (kind, call, processed or not), `clear()` stops injecting. Faults strike before the handler
runs, so a fault that processes nothing leaves no entry in `fake.calls` — only in `faults.log`.

Kinds that work with every fake:

- `http_500` (the handler ran, then the server failed), `http_502`, `http_503` (refused at the gateway:
  nothing processed);
- `reset_before`: the connection is dropped before the handler runs — nothing processed;
- `reset_after`: the handler runs (state changes), then the connection is dropped without an answer;
- `timeout`: the handler runs, the answer is held for `hang` seconds (set the client's timeout below it).

API errors: `vk_6` (too many requests per second; nothing processed), `vk_10` (internal error after the
handler ran), `wialon_1` (the session expired: the fake forgets it; only requests that carry a session),
`wialon_1003` (`LIMIT api_concurrent`), `yclients_429` (`Retry-After` in seconds) and `yclients_429_date`
(`Retry-After` as an HTTP date), both `retry_after` seconds ahead.

Over real HTTP a dropped connection is a closed socket — the client cannot tell `reset_before` from
`reset_after` and must assume the request may have arrived. In-process the same faults raise what httpx
raises: `ConnectError` for `reset_before`, `RemoteProtocolError` for `reset_after`, `ReadTimeout` at once
for `timeout`.
"""

from __future__ import annotations

import email.utils
import math
import random
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Literal, get_args

import attrs

from apiforge.testing._server import IncomingRequest, Response, json_response

if TYPE_CHECKING:
    from apiforge.testing._server import FakeServer

FaultKind = Literal[
    "http_500",
    "http_502",
    "http_503",
    "reset_before",
    "reset_after",
    "timeout",
    "vk_6",
    "vk_10",
    "wialon_1",
    "wialon_1003",
    "yclients_429",
    "yclients_429_date",
]
"""The name of a kind of fault."""
Action = Literal["answer", "drop", "hang"]
Answer = Callable[["Faults", IncomingRequest], Response]


@attrs.frozen
class Fault:
    """One kind of fault and what the fake does instead of (or after) answering.

    `processed` says whether the handler runs first (state changes as if the call succeeded);
    `action` is "answer" (send `answer(...)` instead), "drop" (close the connection without an answer)
    or "hang" (hold the answer `Faults.hang` seconds); `api` names the only fake it applies to.
    """

    name: FaultKind
    action: Action
    processed: bool
    api: str | None = None
    answer: Answer | None = None
    needs_session: bool = False


@attrs.frozen
class FaultRecord:
    """One injected fault: its kind, the call it struck (the API's name for it) and whether it was processed."""

    kind: FaultKind
    call: str
    http_method: str
    path: str
    processed: bool


def _plain(status: int, text: str) -> Answer:
    def answer(faults: Faults, request: IncomingRequest) -> Response:
        return status, {"Content-Type": "text/plain; charset=utf-8"}, text.encode()

    return answer


def _vk_error(code: int, message: str) -> Answer:
    def answer(faults: Faults, request: IncomingRequest) -> Response:
        from apiforge.testing.vk import FakeVK, VKError

        # Like VK, the error echoes every parameter, the access token included: clients must mask it.
        params = {**request.query, **request.form()}
        return json_response({"error": FakeVK.error_body(call_name(request), VKError(code, message), params)})

    return answer


def _wialon_expired(faults: Faults, request: IncomingRequest) -> Response:
    from apiforge.testing.wialon import FakeWialon

    fake = faults.fake
    sid = session_of(request)
    if isinstance(fake, FakeWialon) and sid:
        fake.expire_session(sid)
    return json_response({"error": 1})


def _wialon_busy(faults: Faults, request: IncomingRequest) -> Response:
    return json_response({"error": 1003, "reason": "LIMIT api_concurrent"})


def _yclients_429(http_date: bool) -> Answer:
    def answer(faults: Faults, request: IncomingRequest) -> Response:
        wait = faults.retry_after
        header = email.utils.formatdate(time.time() + wait, usegmt=True) if http_date else str(math.ceil(wait))
        body = {"success": False, "data": None, "meta": {"message": "Too many requests"}}
        return json_response(body, 429, {"Retry-After": header})

    return answer


KINDS: Mapping[str, Fault] = {
    fault.name: fault
    for fault in (
        Fault("http_500", "answer", processed=True, answer=_plain(500, "Internal Server Error")),
        Fault("http_502", "answer", processed=False, answer=_plain(502, "Bad Gateway")),
        Fault("http_503", "answer", processed=False, answer=_plain(503, "Service Unavailable")),
        Fault("reset_before", "drop", processed=False),
        Fault("reset_after", "drop", processed=True),
        Fault("timeout", "hang", processed=True),
        Fault("vk_6", "answer", processed=False, api="vk", answer=_vk_error(6, "Too many requests per second")),
        Fault("vk_10", "answer", processed=True, api="vk", answer=_vk_error(10, "Internal server error")),
        Fault("wialon_1", "answer", processed=False, api="wialon", answer=_wialon_expired, needs_session=True),
        Fault("wialon_1003", "answer", processed=False, api="wialon", answer=_wialon_busy),
        Fault("yclients_429", "answer", processed=False, api="yclients", answer=_yclients_429(False)),
        Fault("yclients_429_date", "answer", processed=False, api="yclients", answer=_yclients_429(True)),
    )
}
"""Every kind of fault, by name."""
assert set(KINDS) == set(get_args(FaultKind))

# The fakes' modules and classes: a fake is matched only against modules already imported (an object
# cannot be an instance of a class that was never loaded), so naming the API loads no other fake.
_FAKES = (
    ("vk", "apiforge.testing.vk", "FakeVK"),
    ("wialon", "apiforge.testing.wialon", "FakeWialon"),
    ("yclients", "apiforge.testing.yclients", "FakeYclients"),
)


def api_of(fake: object) -> str | None:
    """The API a fake serves ("vk", "wialon", "yclients"), or None for another FakeServer."""
    for api, module_name, class_name in _FAKES:
        module = sys.modules.get(module_name)
        cls: object = getattr(module, class_name, None) if module is not None else None
        if isinstance(cls, type) and isinstance(fake, cls):
            return api
    return None


def session_of(request: IncomingRequest) -> str | None:
    """The Wialon session id a request carries (form field, or query field of an upload)."""
    return request.form().get("sid") or request.query.get("sid") or None


def call_name(request: IncomingRequest) -> str:
    """The API's name for the call a request makes: `users.get`, `core/search_item`, `GET /api/v1/companies`."""
    if request.path.startswith("/method/"):
        return request.path[len("/method/") :]
    if request.path == "/wialon/ajax.html":
        svc = request.form().get("svc") or request.query.get("svc")
        if svc:
            return svc
    return f"{request.method} {request.path}"


class Faults:
    """The faults a fake injects: queued ones (`fail_next`), a random rate, latency.

    Thread-safe: the HTTP server answers each connection in its own thread.
    """

    def __init__(self, fake: FakeServer, *, seed: int = 0) -> None:
        self.fake = fake
        self.api = api_of(fake)
        self.log: list[FaultRecord] = []
        """Every fault injected so far, in order."""
        self.hang = 2.0
        """Seconds a `timeout` fault holds the answer over real HTTP (set the client's timeout below it)."""
        self.retry_after = 1.0
        """Seconds a YCLIENTS 429 asks the client to wait (in its `Retry-After`)."""
        self._lock = threading.Lock()
        self._rng = random.Random(seed)
        self._queue: deque[tuple[Fault, str | None]] = deque()  # each with the call it waits for, if any
        self._rate = 0.0
        self._latency = 0.0
        self._kinds: tuple[FaultKind, ...] = self.supported

    @property
    def supported(self) -> tuple[FaultKind, ...]:
        """The kinds this fake can inject: the generic ones and its own API's."""
        return tuple(fault.name for fault in KINDS.values() if fault.api is None or fault.api == self.api)

    @property
    def rate(self) -> float:
        """The share of requests (0 to 1) that get a fault drawn at random from `kinds`."""
        return self._rate

    @rate.setter
    def rate(self, value: float) -> None:
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"faults.rate: expected a share between 0 and 1, got {value!r}")
        self._rate = float(value)

    @property
    def latency(self) -> float:
        """Seconds every answer is delayed."""
        return self._latency

    @latency.setter
    def latency(self, value: float) -> None:
        if value < 0:
            raise ValueError(f"faults.latency: expected seconds >= 0, got {value!r}")
        self._latency = float(value)

    @property
    def kinds(self) -> tuple[FaultKind, ...]:
        """The kinds the random `rate` draws from (default: every kind this fake supports)."""
        return self._kinds

    @kinds.setter
    def kinds(self, names: Iterable[FaultKind]) -> None:
        chosen = tuple(names)
        if not chosen:
            raise ValueError("faults.kinds: name at least one kind of fault")
        for name in chosen:
            self._check(name, "faults.kinds")
        self._kinds = chosen

    def seed(self, seed: int) -> None:
        """Restart the random draws from `seed` (the same seed and requests give the same faults)."""
        with self._lock:
            self._rng.seed(seed)

    def fail_next(self, n: int = 1, kind: FaultKind = "http_500", *, call: str | None = None) -> None:
        """Inject `kind` into the next `n` requests it applies to (`wialon_1` waits for requests with a session).

        `call` narrows them to the requests of one call: its name as `call_name` gives it (`photos.save`,
        `POST /upload/photo_messages`); a name ending in `*` is a prefix (`POST /upload/*`).
        """
        if n < 1:
            raise ValueError(f"faults.fail_next: n must be at least 1, got {n!r}")
        fault = self._check(kind, "faults.fail_next")
        with self._lock:
            self._queue.extend([(fault, call)] * n)

    def clear(self) -> None:
        """No more faults: empty the queue, rate and latency back to 0 (the log is kept)."""
        with self._lock:
            self._queue.clear()
            self._rate = 0.0
            self._latency = 0.0

    def counts(self) -> dict[FaultKind, int]:
        """How many faults of each kind were injected."""
        with self._lock:
            return dict(Counter(record.kind for record in self.log))

    def pending(self) -> int:
        """How many queued faults have not struck yet."""
        with self._lock:
            return len(self._queue)

    def draw(self, request: IncomingRequest) -> Fault | None:
        """The fault for this request, if any (queued faults first, then the random rate); it is logged."""
        with self._lock:
            fault = self._take_queued(request)
            if fault is None and self._rate and self._rng.random() < self._rate:
                candidates = [KINDS[name] for name in self._kinds if _applies(KINDS[name], request)]
                fault = self._rng.choice(candidates) if candidates else None
            if fault is not None:
                record = FaultRecord(fault.name, call_name(request), request.method, request.path, fault.processed)
                self.log.append(record)
            return fault

    def _take_queued(self, request: IncomingRequest) -> Fault | None:
        for index, (fault, call) in enumerate(self._queue):
            if _applies(fault, request) and _targets(call, request):
                del self._queue[index]
                return fault
        return None

    def _check(self, name: str, where: str) -> Fault:
        # `name` is typed, but callers may be untyped code: a clear error beats a KeyError.
        kind = KINDS.get(name)
        if kind is None:
            raise ValueError(f"{where}: unknown kind {name!r}; expected one of {', '.join(KINDS)}")
        if kind.api is not None and kind.api != self.api:
            fake = type(self.fake).__name__
            raise ValueError(f"{where}: {name!r} is a {kind.api} fault; {fake} supports {', '.join(self.supported)}")
        return kind

    def __repr__(self) -> str:
        return f"<Faults rate={self._rate} latency={self._latency} queued={len(self._queue)} injected={len(self.log)}>"


def _applies(fault: Fault, request: IncomingRequest) -> bool:
    return not fault.needs_session or session_of(request) is not None


def _targets(call: str | None, request: IncomingRequest) -> bool:
    """Is `request` one of the call `fail_next(call=...)` named (any request when it named none)?"""
    if call is None:
        return True
    name = call_name(request)
    return name.startswith(call[:-1]) if call.endswith("*") else name == call


__all__ = ["KINDS", "Fault", "FaultKind", "FaultRecord", "Faults", "api_of", "call_name", "session_of"]
