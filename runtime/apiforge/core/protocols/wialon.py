"""Wialon: POST /wialon/ajax.html with svc, params (JSON text) and sid; `{"error": N}` is an error unless N is 0.

The adapter owns the session: it logs in with the token before the first call, logs in again
once when the server says the session is gone (errors 1 and 1011) and logs out on close.
"""

from __future__ import annotations

import json
from collections.abc import Generator, Mapping
from typing import Any

import httpx

from apiforge.core.call import Call
from apiforge.core.effects import Acquire, Effect, Release, Send
from apiforge.core.errors import APIError, DecodeError, HTTPStatusError
from apiforge.core.protocols.base import ErrorFactory, Protocol, file_part, json_object, read_json
from apiforge.core.retry import RetryVerdict

SESSION_ERRORS = frozenset({1, 1011})
RETRYABLE_CODES = frozenset({9, 10})
RETRYABLE_REASONS = ("LIMIT api_concurrent", "LOCKER_ERROR")
NO_SESSION = frozenset({"token/login", "core/use_auth_hash", "core/login"})
# Login detail flags: basic, user and token info, items info
DEFAULT_LOGIN_FLAGS = 0x1 | 0x2 | 0x4


def compact(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class WialonProtocol(Protocol):
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
        self.token = token
        self.operate_as = operate_as
        self.login_flags = login_flags
        self.sid: str | None = None
        self.login_response: Mapping[str, Any] | None = None

    @property
    def endpoint(self) -> str:
        return f"{self.base_url}/wialon/ajax.html"

    def request_for(
        self, svc: str, params: Mapping[str, object], *, files: Mapping[str, object] | None = None
    ) -> httpx.Request:
        """A request for one service call, with the session id when there is one."""
        fields: dict[str, str] = {"svc": svc, "params": compact(dict(params))}
        if self.sid is not None and svc not in NO_SESSION:
            fields["sid"] = self.sid
        if files:
            query = {k: v for k, v in fields.items() if k != "params"}
            upload = {name: file_part(name, value) for name, value in files.items()}
            request = httpx.Request(
                "POST", self.endpoint, params=query, data={"params": fields["params"]}, files=upload
            )
        else:
            request = httpx.Request("POST", self.endpoint, data=fields)
        request.extensions["apiforge_session"] = self.sid
        return request

    def build_request(self, call: Call[Any], credential: object = None) -> httpx.Request:
        return self.request_for(call.method, call.params, files=call.files)

    def before_send(self, call: Call[Any]) -> Generator[Effect, Any, None]:
        if call.method not in NO_SESSION and self.sid is None:
            yield from self.login()

    def login(self) -> Generator[Effect, Any, None]:
        """Log in with the token, once even when many calls need a session at the same time."""
        yield Acquire("wialon:session")
        try:
            if self.sid is None:
                if not self.token:
                    from apiforge.core.errors import ConfigurationError

                    raise ConfigurationError("Wialon needs token=... to open a session")
                params: dict[str, object] = {"token": self.token, "fl": self.login_flags}
                if self.operate_as:
                    params["operateAs"] = self.operate_as
                response = yield Send(self.request_for("token/login", params))
                self.adopt(self.parse_body("token/login", read_json("token/login", response)))
        finally:
            yield Release("wialon:session")

    def adopt(self, login_response: object) -> None:
        """Take the session of a login (or core/duplicate) response."""
        from apiforge.core.redact import register_secret

        response = json_object(login_response)
        sid = response.get("eid") if response is not None else None
        if response is None or not isinstance(sid, str):
            raise DecodeError(
                "token/login", "$.eid", login_response, "a login response carries the session id in 'eid'"
            )
        self.sid = sid
        register_secret(sid)
        self.login_response = response

    def recover(self, call: Call[Any], error: APIError) -> Generator[Effect, Any, Call[Any] | None]:
        if error.code not in SESSION_ERRORS or call.method in NO_SESSION:
            return None
        used = error.failed_session
        if used is None or used == self.sid:
            self.sid = None  # the first call to see the dead session drops it; the others find it gone
        yield from self.login()
        return call

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

    def close(self) -> Generator[Effect, Any, None]:
        if self.sid is None:
            return
        request = self.request_for("core/logout", {})
        self.sid = None
        try:
            yield Send(request)
        except Exception:  # noqa: BLE001 - logging out is best effort; the session expires anyway
            return


def _is_file(response: httpx.Response) -> bool:
    disposition = response.headers.get("content-disposition", "")
    content_type = response.headers.get("content-type", "")
    return "attachment" in disposition or (
        bool(content_type) and "json" not in content_type and "text" not in content_type
    )
