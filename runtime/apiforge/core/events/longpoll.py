"""VK long poll, sans-IO: what to request next and what to do with a reply, for both drivers.

`LongPoll` is the state of one long-poll session (server, key, ts, updates not yet handed
out, consecutive failures) and decides the next action:

    Emit(update)        hand the next buffered update to the consumer
    Sleep(seconds)      back off after a network error
    FetchServer(call)   ask the API for a server, key and ts (groups/messages.getLongPollServer)
    Send(request)       poll: GET {server}?act=a_check&key=...&ts=...&wait=...

`run` turns those actions into a stream of effects (see `stream.py`); the API call goes
through the client's own pipeline, so it is retried and rate-limited like any call.

ts bookkeeping, so that nothing is lost or repeated: an update leaves the buffer as it is
handed out; the ts advances only when a reply's updates are in the buffer; `failed: 1` moves
to the ts the server gives; `failed: 2` fetches a new key and keeps the ts; `failed: 3` fetches
a new key and ts (the server says events may be lost: logged as a warning). `failed` answers in
a row back off (none after the first, then exponentially up to the retry policy's cap) so that a
server that keeps saying `failed` is not polled in a tight loop; a reply with updates resets it.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Generator, Iterable, Mapping
from typing import Any, Generic, TypeAlias, TypeVar, cast

import attrs
import httpx

from apiforge.core.call import Call
from apiforge.core.effects import Effect, Send, Sleep
from apiforge.core.errors import APIForgeError, DecodeError, HTTPStatusError, TransportError
from apiforge.core.events.stream import Emit, Steps
from apiforge.core.protocols.base import json_object, parse_json
from apiforge.core.redact import SecretHolder, mask
from apiforge.core.retry import RetryPolicy

T = TypeVar("T")
logger = logging.getLogger("apiforge.events")

# The HTTP read timeout is the poll's `wait` plus this margin: the server answers after `wait`.
READ_MARGIN = 10.0
CONNECT_TIMEOUT = 10.0
# After this many failures in a row the server is asked for again (it may have moved); ts is kept.
REFRESH_AFTER = 3


class LongPollError(APIForgeError):
    """The long poll cannot go on: the server answered something no retry can fix."""


@attrs.frozen(slots=True)
class FetchServer:
    """Ask the API for a long-poll server (the outcome is the method's typed result)."""

    call: Call[Any]


@attrs.frozen(slots=True, repr=False)
class Server:
    """Where and how to poll: the full URL, the session key (a secret) and the starting ts."""

    url: str
    key: str
    ts: str

    def __repr__(self) -> str:
        return f"Server(url={self.url!r}, key={mask(self.key)}, ts={self.ts!r})"


Action: TypeAlias = Emit[T] | Sleep | FetchServer | Send
Pipeline: TypeAlias = Callable[[Call[Any]], Generator[Effect, Any, object]]


class LongPoll(Generic[T]):
    """The state of one long-poll session. Subclasses say how to get a server and read updates.

    Args:
        wait: seconds the server may hold a poll open (1..90); the HTTP read timeout is longer.
        retry: the backoff between reconnects after network errors.
        max_reconnects: failures in a row before the error is raised (None: keep trying).
        ts: resume from this ts (e.g. saved by a previous run); None starts from the server's.
    """

    kind = "long poll"

    def __init__(self, *, wait: int, retry: RetryPolicy, max_reconnects: int | None, ts: str | None) -> None:
        if isinstance(wait, bool) or not isinstance(wait, int) or not 1 <= wait <= 90:
            raise ValueError(f"{self.kind}: wait must be a whole number of seconds from 1 to 90, got {wait!r}")
        if max_reconnects is not None and (isinstance(max_reconnects, bool) or max_reconnects < 0):
            raise ValueError(f"{self.kind}: max_reconnects must be None or a number >= 0, got {max_reconnects!r}")
        self.wait = wait
        self.retry = retry
        self.max_reconnects = max_reconnects
        self.url: str | None = None
        self.key: str | None = None
        self.ts: str | None = ts
        self._secrets = SecretHolder()  # the current key, masked in logs and errors while it is in use
        self.pending: deque[T] = deque()
        self.failures = 0
        """Failures in a row (network errors, bad replies); reset by a good reply."""
        self.reconnects = 0
        """Every failure since the start (for monitoring)."""
        self.failed_in_a_row = 0
        """`failed` answers in a row; reset by a reply with updates (see `_back_off_failed`)."""
        self._sleep: float | None = None

    # What a flavour of long poll provides.

    def server_call(self) -> Call[Any]:
        """The API call that returns a server, key and ts."""
        raise NotImplementedError

    def read_server(self, result: object) -> Server:
        """The server, key and ts in that call's result."""
        raise NotImplementedError

    def poll_params(self) -> dict[str, str]:
        """Query parameters beyond act, key, ts and wait."""
        return {}

    def decode(self, updates: list[object]) -> Iterable[T]:
        """The typed updates of one reply, in order, without the ones already handed out."""
        raise NotImplementedError

    def on_updates(self, reply: Mapping[str, Any]) -> None:
        """A good reply was read: keep what else it says (e.g. the user long poll's `pts`)."""

    def on_failed(self, code: object, reply: Mapping[str, Any]) -> None:
        """A `failed` code other than 1, 2 or 3."""
        raise LongPollError(f"{self.kind}: the server answered failed={code!r}, which no retry can fix")

    # The machine.

    def next_action(self) -> Action[T]:
        """What to do next."""
        if self.pending:
            return Emit(self.pending.popleft())
        if self._sleep is not None:
            seconds, self._sleep = self._sleep, None
            return Sleep(seconds)
        if self.url is None or self.key is None or self.ts is None:
            return FetchServer(self.server_call())
        return Send(self.poll_request())

    def poll_request(self) -> httpx.Request:
        """The next poll, with an HTTP read timeout longer than `wait`."""
        assert self.url is not None and self.key is not None and self.ts is not None
        params = {"act": "a_check", "key": self.key, "ts": self.ts, "wait": str(self.wait), **self.poll_params()}
        timeout = httpx.Timeout(self.wait + READ_MARGIN, connect=CONNECT_TIMEOUT)
        url = httpx.URL(self.url).copy_merge_params(params)
        return httpx.Request("GET", url, extensions={"timeout": timeout.as_dict()})

    def on_server(self, result: object) -> None:
        """The API gave a server: poll it, from our ts when we have one (key expiry keeps it)."""
        server = self.read_server(result)
        if server.key != self.key:
            self._secrets.drop(self.key)
            self._secrets.hold(server.key)
        self.url, self.key = server.url, server.key
        if self.ts is None:
            self.ts = server.ts

    def on_reply(self, response: httpx.Response) -> None:
        """Read one poll reply: buffer its updates and move on, or act on `failed`."""
        if response.status_code != 200:
            self.on_failure(HTTPStatusError(self.kind, response.status_code, response.text))
            return
        try:
            # Any body at all: deep nesting, invalid UTF-8, NaN... is a DecodeError, never a crash.
            body = parse_json(self.kind, response.content)
        except DecodeError as error:
            self.on_failure(error)
            return
        reply = json_object(body)
        if reply is None:
            self.on_failure(DecodeError(self.kind, "$", body, "expected a JSON object"))
            return
        failed = reply.get("failed")
        ts = reply.get("ts")
        if failed is None:
            updates = reply.get("updates")
            if not _is_ts(ts):
                self.on_failure(DecodeError(self.kind, "$.ts", ts, "expected a ts (a string or an integer)"))
            elif not isinstance(updates, list):
                self.on_failure(DecodeError(self.kind, "$.updates", updates, "expected a list of updates"))
            else:
                self.failures = 0
                self.failed_in_a_row = 0
                self.pending.extend(self.decode(cast("list[object]", updates)))
                self.ts = str(ts)
                self.on_updates(reply)
            return
        self.failures = 0
        self._back_off_failed()
        if failed == 1:
            if not _is_ts(ts):
                self.on_failure(DecodeError(self.kind, "$.ts", ts, "failed=1 without a ts to continue from"))
                return
            logger.info("%s: failed=1 (history outdated); continuing from ts %s", self.kind, ts)
            self.ts = str(ts)
        elif failed == 2:
            logger.info("%s: failed=2 (key expired); fetching a new key, keeping ts %s", self.kind, self.ts)
            self.key = None
        elif failed == 3:
            logger.warning(
                "%s: failed=3 (information lost); fetching a new key and ts: events after ts %s may be lost",
                self.kind,
                self.ts,
            )
            self.key = None
            self.ts = None
        else:
            self.on_failed(failed, reply)

    def _back_off_failed(self) -> None:
        """Count a `failed` answer; from the second in a row on, sleep before the next request.

        One `failed` now and then is routine (a key expires every few hours) and is acted on at
        once. A server that answers nothing else would otherwise be asked again without pause
        (200 polls in 9 s were seen): the waits double from the retry policy's base up to its cap.
        """
        self.failed_in_a_row += 1
        if self.failed_in_a_row > 1:
            self._sleep = self.retry.backoff(self.failed_in_a_row - 1)

    def on_failure(self, error: APIForgeError) -> None:
        """A poll or the server request failed: back off and try again, or give up after `max_reconnects`."""
        self.failures += 1
        self.reconnects += 1
        if self.max_reconnects is not None and self.failures > self.max_reconnects:
            raise error
        delay = self.retry.backoff(self.failures)
        if self.failures % REFRESH_AFTER == 0:
            self.key = None
        logger.warning("%s: %s; reconnecting in %.2fs (failure %d in a row)", self.kind, error, delay, self.failures)
        self._sleep = delay


def run(machine: LongPoll[T], pipeline: Pipeline) -> Steps[T]:
    """The long poll as a stream: the machine decides, this loop turns decisions into effects."""
    while True:
        action = machine.next_action()
        if isinstance(action, Emit | Sleep):
            yield action
        elif isinstance(action, FetchServer):
            try:
                result = yield from pipeline(action.call)
            except (TransportError, HTTPStatusError, DecodeError) as exc:
                # A body that does not decode (hostile or broken) is a failure like a network error.
                machine.on_failure(exc)
                continue
            try:
                machine.on_server(result)
            except DecodeError as exc:
                machine.on_failure(exc)
        else:
            try:
                response = yield action
            except TransportError as exc:
                machine.on_failure(exc)
                continue
            machine.on_reply(response)


def _is_ts(value: object) -> bool:
    return (isinstance(value, str) and value != "") or (isinstance(value, int) and not isinstance(value, bool))


__all__ = ["READ_MARGIN", "Action", "FetchServer", "LongPoll", "LongPollError", "Pipeline", "Server", "run"]
