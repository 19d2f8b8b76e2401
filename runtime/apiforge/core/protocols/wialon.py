"""Wialon: POST /wialon/ajax.html with svc, params (JSON text) and sid; `{"error": N}` is an error unless N is 0.

The adapter owns the session: it logs in with the token before the first call, runs the
session-open steps (user hooks, event re-registration) while other calls wait, logs in again
once when the server says the session is gone (errors 1 and 1011), keeps the per-session
concurrency limits, and runs the session-close steps and logs out on close.
"""

from __future__ import annotations

import inspect
import json
import logging
import threading
from collections.abc import Callable, Generator, Mapping
from contextvars import ContextVar
from itertools import count
from typing import Any, Generic, TypeVar, cast

import attrs
import httpx

from apiforge.core.call import Call, MethodSpec
from apiforge.core.effects import Acquire, Callback, Effect, Hold, Release, Send
from apiforge.core.errors import APIError, ConfigurationError, DecodeError, HTTPStatusError
from apiforge.core.protocols.base import (
    ErrorFactory,
    Protocol,
    Taken,
    file_part,
    for_method,
    give_back,
    json_object,
    read_json,
    take_slot,
)
from apiforge.core.retry import RetryVerdict
from apiforge.core.sessions import SessionStore, shared_login
from apiforge.core.types import JSON

logger = logging.getLogger("apiforge")

SESSION_ERRORS = frozenset({1, 1011})
RETRYABLE_CODES = frozenset({9, 10})
RETRYABLE_REASONS = ("LIMIT api_concurrent", "LOCKER_ERROR")
NO_SESSION = frozenset({"token/login", "core/use_auth_hash", "core/login"})
# Login detail flags: basic, user and token info, items info
DEFAULT_LOGIN_FLAGS = 0x1 | 0x2 | 0x4
MAX_REQUESTS = 10
"""Requests one session may have in flight (Wialon's published limit)."""
MAX_HEAVY = 3
"""Resource-intensive requests (`MethodSpec.heavy`) one session may have in flight."""
AVL_EVENTS = "avl_evts"
"""The event-polling endpoint (`{base_url}/avl_evts`): not a service, no svc or params."""
AVL_EVENTS_SPEC: MethodSpec[JSON] = MethodSpec(api="wialon", name=AVL_EVENTS, result=JSON)
LOGIN_LOCK = "wialon:session"

SessionStep = Callable[[], Generator[Effect, Any, None]]
"""Work to do when a session opens or closes, as pipeline effects (runs in both drivers)."""

C = TypeVar("C")
R = TypeVar("R")
HookResult = TypeVar("HookResult")
"""What a session hook returns (ignored; a decorator gives the hook back unchanged)."""
# Protocols (by uid) whose session steps the current context is running: a call made by a step
# must not try to open a session itself (the lock is held by the step's own login).
_RUNNING_STEPS: ContextVar[frozenset[int]] = ContextVar("apiforge_wialon_session_steps", default=frozenset())
_uids = count(1)
_serials = count(1)


def compact(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


@attrs.define(eq=False)
class WialonSession:
    """One Wialon session: its id (never in reprs), its serial, the login response, whether it is ready.

    Calls hold the session they were admitted to (`WialonProtocol.admit`) and send its id, so a
    call never goes out without a session id, or with the id of a session opened after it started
    waiting; a session is current as long as it is the protocol's `session`.
    """

    sid: str = attrs.field(repr=False)
    serial: int
    login_response: Mapping[str, JSON] = attrs.field(repr=False)
    ready: bool = False
    """The open steps have run: calls may use the session without waiting."""


class WialonProtocol(Protocol):
    """The Wialon adapter and the state of one session (its id never leaves through reprs or logs)."""

    api = "wialon"

    def __init__(
        self,
        *,
        base_url: str,
        error_class: ErrorFactory,
        token: str | None,
        operate_as: str | None = None,
        login_flags: int = DEFAULT_LOGIN_FLAGS,
    ) -> None:
        super().__init__(base_url=base_url, error_class=error_class)
        self.uid = next(_uids)
        self.token = token
        self.operate_as = operate_as
        self.login_flags = login_flags
        self.session: WialonSession | None = None
        """The current session; None before the first login and from an expiry to the next login."""
        self.session_serial = 0
        """The serial of the last session adopted: tells a step (say, event registration) which session it served."""
        self.open_steps: list[SessionStep] = []
        """Run in order after every (re)login, while other calls wait for the session."""
        self.close_steps: list[SessionStep] = []
        """Run in order before the logout of `close()`; a failing step is logged, not raised."""
        # Threads of a sync client share the session: swapping it is a compare-and-set under this lock.
        self._swap = threading.Lock()
        self.sessions: SessionStore | None = None
        """A store shared with other processes on the account (`apiforge.redis.share_session`): one session for all."""
        self.stale_sid: str | None = None
        """The id of the session that just failed (set in `parse()`): a shared store's copy of it is not taken again."""
        self.no_token_message = "Wialon needs token=... to open a session"
        """The error text when a session must be opened and there is no token (an adopted session says why)."""

    def __repr__(self) -> str:
        state = "open" if self.session is not None else "none"
        return f"<WialonProtocol {self.base_url} session={state}>"

    @property
    def sid(self) -> str | None:
        """The id of the current session (None when there is none)."""
        session = self.session
        return session.sid if session is not None else None

    @property
    def ready(self) -> bool:
        """There is a session and its open steps have run."""
        session = self.session
        return session is not None and session.ready

    @property
    def login_response(self) -> Mapping[str, JSON] | None:
        """The login (or core/duplicate) response of the current session."""
        session = self.session
        return session.login_response if session is not None else None

    @property
    def endpoint(self) -> str:
        return f"{self.base_url}/wialon/ajax.html"

    def request_for(
        self,
        svc: str,
        params: Mapping[str, object],
        *,
        session: WialonSession | None,
        files: Mapping[str, object] | None = None,
    ) -> httpx.Request:
        """A request for one service call, in `session` (None: a call that needs none, like token/login).

        Uploads are multipart: `svc`, `sid` and `params` travel as text parts next to the file
        parts (the server reads them from the body as it does from a url-encoded form), so the
        session id never appears in a URL, where HTTP logs would show it. `eventHash` is also
        sent as a part of its own, as Wialon's upload form does.
        """
        fields: dict[str, str] = {"svc": svc, "params": compact(dict(params))}
        if session is not None and svc not in NO_SESSION:
            fields["sid"] = session.sid
        if files:
            event_hash = params.get("eventHash")
            if isinstance(event_hash, str):
                fields["eventHash"] = event_hash
            upload = {name: file_part(name, value) for name, value in files.items()}
            request = httpx.Request("POST", self.endpoint, data=fields, files=upload)
        else:
            request = httpx.Request("POST", self.endpoint, data=fields)
        request.extensions["apiforge_session"] = session
        return for_method(request, svc)

    def events_request(self, session: WialonSession | None) -> httpx.Request:
        """A poll of `{base_url}/avl_evts`: the session id in a form body, never in the URL."""
        sid = session.sid if session is not None else ""
        request = httpx.Request("POST", f"{self.base_url}/{AVL_EVENTS}", data={"sid": sid})
        request.extensions["apiforge_session"] = session
        return for_method(request, AVL_EVENTS)

    def build_request(self, call: Call[Any], credential: object = None) -> httpx.Request:
        # The credential is the session `admit()` gave the call.
        session = credential if isinstance(credential, WialonSession) else None
        if call.method == AVL_EVENTS:
            return self.events_request(session)
        return self.request_for(call.method, call.params, session=session, files=call.files)

    # The session.

    def _usable(self, session: WialonSession | None) -> bool:
        """Calls may go out in `session`: it is current and ready (a step's own calls need only the first)."""
        return session is not None and session is self.session and (session.ready or in_session_steps(self))

    def before_send(self, call: Call[Any]) -> Generator[Effect, Any, None]:
        if call.method in NO_SESSION or self._usable(self.session):
            return
        # No session yet, one that expired, or one whose open steps are still running: wait for (or do) the login.
        yield from self.login()

    def credential(self, call: Call[Any]) -> Generator[Effect, Any, object]:
        """The session the call is to go out in (None for the services that need none)."""
        return None if call.method in NO_SESSION else self.session
        yield  # pragma: no cover - makes this a generator

    def admit(self, call: Call[Any], credential: object, taken: list[Taken]) -> Generator[Effect, Any, object]:
        """Take the call's slots of its session; if the session ended meanwhile, wait for the next one.

        A call that waited for a slot of a session which expired while it waited gives the slots
        back and waits for the new session (logging in if nobody has yet), instead of sending
        the dead session's id or none at all. Returns the session the call goes out in.
        """
        if call.method in NO_SESSION:
            return None
        session = credential if isinstance(credential, WialonSession) else None
        while True:
            if session is not None and self._usable(session):
                for slot in self._slots_of(call, session):
                    yield from take_slot(slot, taken)
                if self._usable(session):
                    return session
                yield from give_back(taken)
            yield from self.before_send(call)
            session = self.session

    def login(self) -> Generator[Effect, Any, None]:
        """Log in with the token and run the open steps, once even when many calls need a session at once."""
        try:
            # Inside the try: an interrupt that lands just after the lock is taken still gives it back.
            yield Acquire(LOGIN_LOCK)
            stale = self.session
            if stale is not None and not stale.ready:
                # A login whose open steps never finished (its call was interrupted): end it and start over.
                yield from self._logout(stale)
            if self.session is None:
                if not self.token:
                    raise ConfigurationError(self.no_token_message)
                if self.sessions is None:
                    login_response = yield from self._token_login()
                else:
                    # Shared with other processes: take theirs, or log in once for all of them.
                    account = f"{self.base_url} {self.token} {self.operate_as or ''}"
                    login_response, _ = yield from shared_login(
                        self.sessions, account, self.stale_sid, self._token_login
                    )
                self.adopt(login_response, ready=False)
                yield from self._opened()
        finally:
            yield Release(LOGIN_LOCK)

    def _token_login(self) -> Generator[Effect, Any, Mapping[str, JSON]]:
        """token/login: the response that opens a session."""
        params: dict[str, object] = {"token": self.token, "fl": self.login_flags}
        if self.operate_as:
            params["operateAs"] = self.operate_as
        response = yield Send(self.request_for("token/login", params, session=None))
        body = self._login_body(response)
        found = json_object(body)
        if found is None:
            raise DecodeError("token/login", "$", body, "a login response is an object")
        return cast("Mapping[str, JSON]", found)

    def _login_body(self, response: httpx.Response) -> object:
        """The body of a token/login answer; any status but 200 (a proxy in front of Wialon) is an HTTPStatusError."""
        if response.status_code != 200:
            raise HTTPStatusError(
                "token/login", response.status_code, response.text, retry_after=response.headers.get("Retry-After")
            )
        return self.parse_body("token/login", read_json("token/login", response))

    def adopt(self, login_response: object, *, ready: bool = True) -> None:
        """Take the session of a login (or core/duplicate) response; `ready=False` while open steps are due."""
        response = json_object(login_response)
        sid = response.get("eid") if response is not None else None
        if response is None or not isinstance(sid, str):
            raise DecodeError(
                "token/login", "$.eid", login_response, "a login response carries the session id in 'eid'"
            )
        previous = self.session
        if previous is None or previous.sid != sid:
            # A session replaced: its id is dead, no need to mask it any longer.
            self.secrets.drop(previous.sid if previous is not None else None)
            self.secrets.hold(sid)
        serial = next(_serials)
        self.session = WialonSession(sid, serial, cast("Mapping[str, JSON]", response), ready)
        self.session_serial = serial

    def forget(self) -> None:
        """Drop the current session without logging out (the server already ended it)."""
        with self._swap:
            self._drop(self.session)

    def _ended(self, session: WialonSession) -> None:
        """`session` is over: drop it if it is still the current one (a newer session is left alone)."""
        with self._swap:
            if self.session is session:
                self._drop(session)

    def _drop(self, session: WialonSession | None) -> None:
        if session is not None:
            self.secrets.drop(session.sid)
        self.session = None

    def _opened(self) -> Generator[Effect, Any, None]:
        """Run the open steps; when one fails, end the half-opened session so the next call starts over."""
        session = self.session
        assert session is not None
        try:
            yield from self._run_steps(self.open_steps)
        except BaseException:
            yield from self._logout(session)
            raise
        session.ready = True

    def _run_steps(self, steps: list[SessionStep], *, keep_going: bool = False) -> Generator[Effect, Any, None]:
        previous = _RUNNING_STEPS.get()
        _RUNNING_STEPS.set(previous | {self.uid})
        try:
            for step in list(steps):
                try:
                    yield from step()
                except Exception:
                    if not keep_going:
                        raise
                    logger.exception("wialon: a session-close hook failed; closing the session anyway")
        finally:
            _RUNNING_STEPS.set(previous)

    def recover(self, call: Call[Any], error: APIError) -> Generator[Effect, Any, Call[Any] | None]:
        """Errors 1 and 1011: replay the call in a new session (`parse()` has dropped the dead one).

        The replay's `before_send` logs in, once for all the calls that saw the session end.
        """
        if error.code not in SESSION_ERRORS or call.method in NO_SESSION:
            return None
        if in_session_steps(self):
            # A hook's own call: the session being opened (or closed) is already gone. Fail the
            # hook instead of logging in again from inside the login.
            return None
        return call
        yield  # pragma: no cover - makes this a generator

    def close(self) -> Generator[Effect, Any, None]:
        """Run the close steps, then log out (best effort: an unreachable server lets the session expire)."""
        session = self.session
        if session is None:
            return
        yield from self._run_steps(self.close_steps, keep_going=True)
        if self.sessions is not None:
            self.forget()  # the session is shared: the other processes go on with it; it expires unused
            return
        yield from self._logout(session)

    def _logout(self, session: WialonSession) -> Generator[Effect, Any, None]:
        """End `session` at the server (best effort) and drop it."""
        request = self.request_for("core/logout", {}, session=session)
        self._ended(session)
        try:
            response = yield Send(request)
        except Exception as exc:  # noqa: BLE001 - logging out is best effort; the session expires anyway
            logger.info("wialon: core/logout failed (%s); the session will expire on its own", type(exc).__name__)
            return
        if response.status_code != 200:
            logger.info(
                "wialon: core/logout answered HTTP %d; the session will expire on its own", response.status_code
            )

    # Limits.

    def slots(self, call: Call[Any]) -> tuple[Acquire | Hold, ...]:
        """The per-session limits of `call` in the current session (`admit()` takes them)."""
        session = self.session
        if session is None or call.method in NO_SESSION:
            return ()
        return self._slots_of(call, session)

    def _slots_of(self, call: Call[Any], session: WialonSession) -> tuple[Acquire | Hold, ...]:
        """One call per exclusive group, 3 heavy calls, 10 calls in all, in `session`.

        Names carry the session's serial, so a new session starts with fresh semaphores (the
        drivers drop a semaphore once nobody holds or waits for it); they are always taken in
        this order (exclusive, heavy, any), so two calls never wait on each other. A session
        shared with other processes (`sessions`) adds the same limits across them, after this
        process's own.
        """
        prefix = f"wialon:{session.serial}"
        slots: list[Acquire | Hold] = []
        if call.spec.exclusive:
            slots.append(Acquire(f"{prefix}:exclusive:{call.spec.exclusive}", 1))
        if call.spec.heavy:
            slots.append(Acquire(f"{prefix}:heavy", MAX_HEAVY))
        slots.append(Acquire(f"{prefix}:requests", MAX_REQUESTS))
        if self.sessions is not None:
            # The session is shared: the limits hold across processes too (after this process's own).
            if call.spec.exclusive:
                slots.append(self.sessions.slot(session.sid, f"exclusive:{call.spec.exclusive}", 1))
            if call.spec.heavy:
                slots.append(self.sessions.slot(session.sid, "heavy", MAX_HEAVY))
            slots.append(self.sessions.slot(session.sid, "requests", MAX_REQUESTS))
        return tuple(slots)

    # Responses.

    def parse(self, call: Call[Any], response: httpx.Response) -> object:
        if response.status_code != 200:
            raise HTTPStatusError(
                call.method, response.status_code, response.text, retry_after=response.headers.get("Retry-After")
            )
        if call.result is bytes or _is_file(response):
            return response.content
        try:
            return self.parse_body(call.method, read_json(call.method, response))
        except APIError as exc:
            session = response.request.extensions.get("apiforge_session")
            if exc.code in SESSION_ERRORS and isinstance(session, WialonSession):
                # Dropped now, before the call gives its slots back: the calls waiting for them
                # then see the session gone and wait for the next one instead of sending in it.
                # A shared store's copy of it is not taken again (login()).
                self.stale_sid = session.sid
                self._ended(session)
            raise

    def parse_body(self, method: str, body: object, *, status_code: int | None = None) -> object:
        obj = json_object(body)
        if obj is not None and "error" in obj and obj["error"] != 0:
            raise self.make_error(method, obj)
        return body

    def make_error(self, method: str, body: Mapping[str, Any]) -> APIError:
        code = body["error"]
        if not isinstance(code, int):
            raise DecodeError(method, "$.error", code, "expected an integer error code")
        reason = str(body.get("reason", ""))
        error_class = self.error_class(code)
        return error_class(
            method, code, error_message(code, getattr(error_class, "meaning", ""), reason), reason=reason
        )

    def retry_verdict(self, error: APIError) -> RetryVerdict:
        if error.code in RETRYABLE_CODES:
            return "rejected"
        if error.code == 1003 and str(error.details.get("reason", "")).startswith(RETRYABLE_REASONS):
            return "rejected"
        return None


class SessionHooks(Generic[C, R]):
    """The `on_session_open` / `on_session_close` decorators of one Wialon client.

    A hook is a plain or (for the async client) async function. Open hooks receive the client
    and the login response and run after every login and re-login, before any waiting call
    goes on, so what they register (e.g. items for AVL events with core/update_data_flags)
    is in place for every call of the new session. Close hooks receive the client and run
    before the logout of `close()` / `logout()`, while the session still works.
    """

    def __init__(self, client: C, protocol: WialonProtocol, login_type: type[R], *, is_async: bool) -> None:
        # Not `_client`: with_options() leaves attributes named so (method groups) out of its copies.
        self._owner = client
        self._protocol = protocol
        self._login_type = login_type
        self._is_async = is_async

    def on_open(self, hook: Callable[[C, R], HookResult]) -> Callable[[C, R], HookResult]:
        """Decorator: run `hook(client, login_response)` after every (re)login."""
        self._check(hook, "on_session_open")

        def step() -> Generator[Effect, Any, None]:
            yield Callback(hook, (self._owner, self.login_response()))

        self._protocol.open_steps.append(step)
        return hook

    def on_close(self, hook: Callable[[C], HookResult]) -> Callable[[C], HookResult]:
        """Decorator: run `hook(client)` before the client logs out."""
        self._check(hook, "on_session_close")

        def step() -> Generator[Effect, Any, None]:
            yield Callback(hook, (self._owner,))

        self._protocol.close_steps.append(step)
        return hook

    def login_response(self) -> R:
        """The response of the login that opened the current session, typed."""
        # Imported here: the converter (and cattrs) load with the first decoded response, not with
        # `import apiforge.wialon`.
        from apiforge.core.converter import structure

        response: R = structure(self._protocol.login_response, self._login_type, method="token/login")
        return response

    def _check(self, hook: object, decorator: str) -> None:
        if not callable(hook):
            raise TypeError(f"{decorator}: expected a function, got {type(hook).__name__}")
        if not self._is_async and inspect.iscoroutinefunction(hook):
            name = getattr(hook, "__qualname__", repr(hook))
            raise ConfigurationError(
                f"{decorator}: {name} is async; a sync Wialon client runs sync hooks (use AsyncWialon for async ones)"
            )


def error_message(code: int, meaning: str, reason: str) -> str:
    """The message of a Wialon error: what its code means (from the spec), and the server's `reason`.

    `[7] Access denied`, `[1003] Only one request allowed at the moment (LIMIT api_concurrent)`;
    a code the spec does not list reads as its reason, or `error 1234` without one.
    """
    if not meaning:
        return reason or f"error {code}"
    return f"{meaning} ({reason})" if reason and reason != meaning else meaning


def in_session_steps(protocol: WialonProtocol) -> bool:
    """Is the current context running the open or close steps of `protocol`'s session?"""
    return protocol.uid in _RUNNING_STEPS.get()


def _is_file(response: httpx.Response) -> bool:
    disposition = response.headers.get("content-disposition", "")
    content_type = response.headers.get("content-type", "")
    return "attachment" in disposition or (
        bool(content_type) and "json" not in content_type and "text" not in content_type
    )


__all__ = [
    "AVL_EVENTS",
    "WialonSession",
    "AVL_EVENTS_SPEC",
    "HookResult",
    "MAX_HEAVY",
    "MAX_REQUESTS",
    "SessionHooks",
    "SessionStep",
    "WialonProtocol",
    "in_session_steps",
]
