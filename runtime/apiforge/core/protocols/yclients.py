"""YCLIENTS: REST + JSON, `Authorization: Bearer <partner>[, User <user>]`, the `{success, data, meta}` envelope."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast
from urllib.parse import quote

import httpx

from apiforge.core.call import Call
from apiforge.core.encoding import native
from apiforge.core.errors import APIError, ConfigurationError, DecodeError, HTTPStatusError
from apiforge.core.protocols.base import ErrorFactory, Protocol, file_part, json_object, read_json
from apiforge.core.retry import RetryVerdict

ACCEPT = "application/vnd.yclients.v2+json"
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


class YclientsProtocol(Protocol):
    api = "yclients"

    def __init__(
        self, *, base_url: str, error_class: ErrorFactory, partner_token: str, user_token: str | None = None
    ) -> None:
        super().__init__(base_url=base_url, error_class=error_class)
        self.partner_token = partner_token
        self.user_token = user_token

    def set_user_token(self, token: str | None) -> None:
        """Act as this user from now on (None: partner only)."""
        from apiforge.core.redact import register_secret

        register_secret(token)
        self.user_token = token

    def authorization(self, call: Call[Any]) -> str:
        needs_user = "user" in call.spec.token_kinds and "partner" not in call.spec.token_kinds
        if self.user_token is not None:
            return f"Bearer {self.partner_token}, User {self.user_token}"
        if needs_user:
            raise ConfigurationError(
                f"{call.method} needs a user token: pass user_token=... or call login(login, password) first"
            )
        return f"Bearer {self.partner_token}"

    def build_request(self, call: Call[Any], credential: object = None) -> httpx.Request:
        http_method, _, path = call.method.partition(" ")
        for name, value in call.path_params.items():
            # Escaped whole: a value can never add path segments.
            path = path.replace("{" + name + "}", quote(str(value), safe=""))
        query: list[tuple[str, str | int | float | bool | None]] = []
        for name, value in call.query.items():
            if isinstance(value, list):
                query.extend((f"{name}[]", str(v)) for v in cast("list[object]", value))
            else:
                query.append((name, str(value)))
        headers = {"Accept": ACCEPT, "Authorization": self.authorization(call)}
        url = self.base_url + path
        if call.files:
            # Image uploads: multipart with the form fields beside the file parts.
            files = {name: file_part(name, value) for name, value in call.files.items()}
            return httpx.Request(http_method, url, params=query, headers=headers, data=dict(call.params), files=files)
        if call.params:
            return httpx.Request(http_method, url, params=query, headers=headers, data=dict(call.params))
        if call.body is not None:
            headers["Content-Type"] = "application/json"
        return httpx.Request(http_method, url, params=query, headers=headers, json=native(call.body))

    def parse(self, call: Call[Any], response: httpx.Response) -> object:
        if response.status_code == 204 or (not response.content and response.status_code < 300):
            return None
        body = read_json(call.method, response)
        return self.parse_body(call.method, body, status_code=response.status_code, headers=response.headers)

    def parse_body(
        self, method: str, body: object, *, status_code: int | None = None, headers: Mapping[str, str] | None = None
    ) -> object:
        envelope = json_object(body)
        if envelope is None or "success" not in envelope:
            if status_code is not None and status_code >= 400:
                raise HTTPStatusError(method, status_code, str(body)[:500])
            raise DecodeError(method, "$", body, "expected the {success, data, meta} envelope")
        meta = json_object(envelope.get("meta")) or {}  # YCLIENTS sends [] for an empty meta
        failed = envelope.get("success") is False or (status_code is not None and status_code >= 400)
        if failed:
            status = status_code if status_code is not None and status_code >= 400 else 0
            message = str(meta.get("message") or envelope.get("message") or "request failed")
            retry_after = headers.get("Retry-After") if headers else None
            raise self.error_class(status)(
                method, status, message, errors=meta.get("errors"), meta=dict(meta), retry_after=retry_after
            )
        return envelope.get("data")

    def meta_of(self, body: object) -> Mapping[str, Any]:
        envelope = json_object(body)
        return (json_object(envelope.get("meta")) if envelope is not None else None) or {}

    def retry_verdict(self, error: APIError) -> RetryVerdict:
        if error.code == 429:
            return "rejected"
        return "transient" if error.code in RETRYABLE_STATUSES else None
