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
from collections.abc import Callable, Generator, Mapping
from contextvars import ContextVar
from itertools import count
from typing import Any, Generic, TypeVar, cast

import httpx

from apiforge.core.call import Call, MethodSpec
from apiforge.core.converter import structure
from apiforge.core.effects import Acquire, Callback, Effect, Release, Send
from apiforge.core.errors import APIError, ConfigurationError, DecodeError, HTTPStatusError
from apiforge.core.protocols.base import ErrorFactory, Protocol, file_part, json_object, read_json
from apiforge.core.redact import register_secret
from apiforge.core.retry import RetryVerdict
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
        self.sid: str | None = None
        self.login_response: Mapping[str, JSON] | None = None
        self.ready = False
        """The session is open and its open steps have run: calls may use it without waiting."""
        self.session_serial = 0
        """Changes with every adopted session: names its semaphores, tells a step which session it served."""
        self.open_steps: list[SessionStep] = []
        """Run in order after every (re)login, while other calls wait for the session."""
        self.close_steps: list[SessionStep] = []
        """Run in order before the logout of `close()`; a failing step is logged, not raised."""
        self.no_token_message = "Wialon needs token=... to open a session"
        """The error text when a session must be opened and there is no token (an adopted session says why)."""

    def __repr__(self) -> str:
        state = "open" if self.sid is not None else "none"
        return f"<WialonProtocol {self.base_url} session={state}>"

    @property
    def endpoint(self) -> str:
        return f"{self.base_url}/wialon/ajax.html"

    def request_for(
        self, svc: str, params: Mapping[str, object], *, files: Mapping[str, object] | None = None
    ) -> httpx.Request:
        """A request for one service call, with the session id when there is one.

        Uploads are multipart: `svc`, `sid` and `params` travel as text parts next to the file
        parts (the server reads them from the body as it does from a url-encoded form), so the
        session id never appears in a URL, where HTTP logs would show it. `eventHash` is also
        sent as a part of its own, as Wialon's upload form does.
        """
        fields: dict[str, str] = {"svc": svc, "params": compact(dict(params))}
        if self.sid is not None and svc not in NO_SESSION:
            fields["sid"] = self.sid
        if files:
            event_hash = params.get("eventHash")
            if isinstance(event_hash, str):
                fields["eventHash"] = event_hash
            upload = {name: file_part(name, value) for name, value in files.items()}
            request = httpx.Request("POST", self.endpoint, data=fields, files=upload)
        else:
            request = httpx.Request("POST", self.endpoint, data=fields)
        request.extensions["apiforge_session"] = self.sid
        return request

    def events_request(self) -> httpx.Request:
        """A poll of `{base_url}/avl_evts`: the session id in a form body, never in the URL."""
        request = httpx.Request("POST", f"{self.base_url}/{AVL_EVENTS}", data={"sid": self.sid or ""})
        request.extensions["apiforge_session"] = self.sid
        return request

    def build_request(self, call: Call[Any], credential: object = None) -> httpx.Request:
        if call.method == AVL_EVENTS:
            return self.events_request()
        return self.request_for(call.method, call.params, files=call.files)

    # The session.

    def before_send(self, call: Call[Any]) -> Generator[Effect, Any, None]:
        if call.method in NO_SESSION or (self.sid is not None and (self.ready or in_session_steps(self))):
            return
        # No session yet, or one whose open steps are still running: wait for (or do) the login.
        yield from self.login()

    def login(self) -> Generator[Effect, Any, None]:
        """Log in with the token and run the open steps, once even when many calls need a session at once."""
        yield Acquire(LOGIN_LOCK)
        try:
            if self.sid is not None and not self.ready:
                self.forget()  # a login whose open steps never finished (its task was cancelled): start over
            if self.sid is None:
                if not self.token:
                    raise ConfigurationError(self.no_token_message)
                params: dict[str, object] = {"token": self.token, "fl": self.login_flags}
                if self.operate_as:
                    params["operateAs"] = self.operate_as
                response = yield Send(self.request_for("token/login", params))
                self.adopt(self.parse_body("token/login", read_json("token/login", response)), ready=False)
                yield from self._opened()
        finally:
            yield Release(LOGIN_LOCK)

    def adopt(self, login_response: object, *, ready: bool = True) -> None:
        """Take the session of a login (or core/duplicate) response; `ready=False` while open steps are due."""
        response = json_object(login_response)
        sid = response.get("eid") if response is not None else None
        if response is None or not isinstance(sid, str):
            raise DecodeError(
                "token/login", "$.eid", login_response, "a login response carries the session id in 'eid'"
            )
        register_secret(sid)
        self.sid = sid
        self.ready = ready
        self.login_response = cast("Mapping[str, JSON]", response)
        self.session_serial = next(_serials)

    def forget(self) -> None:
        """Drop the session without logging out (the server already ended it)."""
        self.sid = None
        self.ready = False

    def _opened(self) -> Generator[Effect, Any, None]:
        """Run the open steps; when one fails, end the half-opened session so the next call starts over."""
        try:
            yield from self._run_steps(self.open_steps)
        except BaseException:
            yield from self._logout()
            raise
        self.ready = True

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
        if error.code not in SESSION_ERRORS or call.method in NO_SESSION:
            return None
        if self.uid in _RUNNING_STEPS.get():
            # A hook's own call: the session being opened (or closed) is already gone. Fail the
            # hook instead of logging in again from inside the login.
            return None
        used = error.failed_session
        if used is None or used == self.sid:
            self.forget()  # the first call to see the dead session drops it; the others find it gone
        yield from self.login()
        return call

    def close(self) -> Generator[Effect, Any, None]:
        """Run the close steps, then log out (best effort: an unreachable server lets the session expire)."""
        if self.sid is None:
            return
        yield from self._run_steps(self.close_steps, keep_going=True)
        yield from self._logout()

    def _logout(self) -> Generator[Effect, Any, None]:
        if self.sid is None:
            return
        request = self.request_for("core/logout", {})
        self.forget()
        try:
            yield Send(request)
        except Exception:  # noqa: BLE001 - logging out is best effort; the session expires anyway
            return

    # Limits.

    def slots(self, call: Call[Any]) -> tuple[Acquire, ...]:
        """The per-session limits: one call per exclusive group, 3 heavy calls, 10 calls in all.

        Names carry the session's serial, so a new session starts with fresh semaphores; they are
        always taken in this order (exclusive, heavy, any), so two calls never wait on each other.
        """
        if self.sid is None or call.method in NO_SESSION:
            return ()
        prefix = f"wialon:{self.session_serial}"
        slots: list[Acquire] = []
        if call.spec.exclusive:
            slots.append(Acquire(f"{prefix}:exclusive:{call.spec.exclusive}", 1))
        if call.spec.heavy:
            slots.append(Acquire(f"{prefix}:heavy", MAX_HEAVY))
        slots.append(Acquire(f"{prefix}:requests", MAX_REQUESTS))
        return tuple(slots)

    # Responses.

    def parse(self, call: Call[Any], response: httpx.Response) -> object:
        if response.status_code != 200:
            raise HTTPStatusError(call.method, response.status_code, response.text)
        if call.result is bytes or _is_file(response):
            return response.content
        try:
            return self.parse_body(call.method, read_json(call.method, response))
        except APIError as exc:
            # Which session failed, for recover(); kept off `details`, which users log.
            exc.failed_session = response.request.extensions.get("apiforge_session")
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
        return self.error_class(code)(method, code, reason or f"error {code}", reason=reason)

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
    "AVL_EVENTS_SPEC",
    "HookResult",
    "MAX_HEAVY",
    "MAX_REQUESTS",
    "SessionHooks",
    "SessionStep",
    "WialonProtocol",
    "in_session_steps",
]
