"""YCLIENTS: REST + JSON, `Authorization: Bearer <partner>[, User <user>]`, the `{success, data, meta}` envelope."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any, cast
from urllib.parse import quote, unquote

import httpx

from apiforge.core.call import Call
from apiforge.core.encoding import native
from apiforge.core.errors import APIError, ConfigurationError, DecodeError, HTTPStatusError
from apiforge.core.pagination import page_items, raw_page
from apiforge.core.protocols.base import ErrorFactory, Protocol, file_part, json_object, read_json
from apiforge.core.redact import SECRET_PARAMS
from apiforge.core.retry import RetryVerdict
from apiforge.core.types import JSON

ACCEPT = "application/vnd.yclients.v2+json"
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
GENERAL = ""
NOT_FOUND = 404
"""The `YclientsAPIError.errors` key of messages that name no field."""


class YclientsAPIError(APIError):
    """An error answered by YCLIENTS: the HTTP status as `code`, `meta.message` as `message`.

    Also `meta` (the envelope's meta, `{}` when it was `[]`), `errors` (`meta.errors` as
    field -> messages, whichever form the API used), `conflict` (409: the slot or resource is
    taken) and `licence_expired` (402, or 403 about the branch licence).
    """

    @property
    def meta(self) -> Mapping[str, JSON]:
        """The envelope's `meta` (empty when there was none)."""
        return cast("Mapping[str, JSON]", self.details.get("meta") or {})

    @property
    def errors(self) -> dict[str, list[str]]:
        """Validation messages by field (`""`: messages that name no field)."""
        return normalize_errors(self.details.get("errors"))

    @property
    def conflict(self) -> bool:
        """The request conflicts with the current state (HTTP 409, `meta.conflict`)."""
        return self.code == 409 or self.meta.get("conflict") is True

    @property
    def licence_expired(self) -> bool:
        """The branch's licence must be renewed (402; or 403 saying so)."""
        if self.code == 402:
            return True
        text = self.message.lower()
        return self.code == 403 and ("лиценз" in text or "licen" in text)


def normalize_errors(raw: object) -> dict[str, list[str]]:
    """`meta.errors` as field -> messages.

    Accepts the documented map `{"field": ["msg", ...]}` (or `{"field": "msg"}`), the list of
    `{field: msg}` objects, SMS-operator items `{field_name, error_message}`, and plain strings.
    """
    out: dict[str, list[str]] = {}

    def add(field: object, messages: object) -> None:
        items = cast("list[object]", messages) if isinstance(messages, list) else [messages]
        out.setdefault(str(field), []).extend(str(m) for m in items if m is not None)

    if isinstance(raw, Mapping):
        for field, messages in cast("Mapping[object, object]", raw).items():
            add(field, messages)
    elif isinstance(raw, list):
        for item in cast("list[object]", raw):
            entry = json_object(item)
            if entry is None:
                add(GENERAL, item)
            elif "field_name" in entry or "error_message" in entry:
                add(entry.get("field_name") or GENERAL, entry.get("error_message"))
            else:
                for field, messages in entry.items():
                    add(field, messages)
    elif isinstance(raw, str) and raw:
        add(GENERAL, raw)
    return out


class YclientsProtocol(Protocol):
    api = "yclients"

    def __init__(
        self, *, base_url: str, error_class: ErrorFactory, partner_token: str, user_token: str | None = None
    ) -> None:
        super().__init__(base_url=base_url, error_class=error_class)
        self.partner_token = partner_token
        self.user_token = user_token
        self.secrets.hold(partner_token)
        self.secrets.hold(user_token)

    def set_user_token(self, token: str | None) -> None:
        """Act as this user from now on (None: partner only)."""
        self.secrets.drop(self.user_token)  # the replaced token is no longer this client's to mask
        self.secrets.hold(token)
        self.user_token = token

    def rate_key(self, call: Call[Any], credential: object = None) -> tuple[str, float | None]:
        """One limit per partner token (the published limits are the partner token's), by a hash of it:
        the key may reach a shared limiter's store (Redis), the token must not."""
        import hashlib

        return (f"yclients:partner:{hashlib.sha256(self.partner_token.encode()).hexdigest()[:16]}", None)

    def authorization(self, call: Call[Any]) -> str:
        needs_user = "user" in call.spec.token_kinds and "partner" not in call.spec.token_kinds
        if self.user_token is not None:
            return f"Bearer {self.partner_token}, User {self.user_token}"
        if needs_user:
            raise ConfigurationError(
                f"{call.method} needs a user token: pass user_token=... or call login(login, password) first"
            )
        return f"Bearer {self.partner_token}"

    def prepare(self, call: Call[Any]) -> Call[Any]:
        """Refuse a path parameter that is not one segment; mask the passwords and tokens a call sends.

        The secrets (`auth.login`'s password) stay masked for as long as this client lives.
        """
        # Refused before the first attempt: before a rate-limit slot is taken or anything is sent.
        request_path(call)
        sent: list[object] = [call.params, call.query, call.body]
        for part in sent:
            if isinstance(part, Mapping):
                for name in SECRET_PARAMS.intersection(cast("Mapping[str, object]", part)):
                    value = cast("Mapping[str, object]", part)[name]
                    if isinstance(value, str) and value not in self.secrets:
                        self.secrets.hold(value)
        return call

    def build_request(self, call: Call[Any], credential: object = None) -> httpx.Request:
        http_method, path = request_path(call)
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

    def done_already(self, call: Call[Any], error: APIError) -> bool:
        """A retried DELETE answered 404: the earlier attempt (its answer lost) deleted the resource.

        DELETE is idempotent: what the caller wants, the resource gone, is the case. A DELETE whose
        first attempt is answered 404 still raises NotFoundError (nothing was there to delete).
        """
        return call.method.startswith("DELETE ") and error.code == NOT_FOUND

    def parse(self, call: Call[Any], response: httpx.Response) -> object:
        if response.status_code == 204 or (not response.content and response.status_code < 300):
            return None
        if call.result is bytes and response.status_code < 400:
            return response.content  # a document (the visit receipt PDF), not the JSON envelope
        body = read_json(call.method, response)
        return self.parse_body(
            call.method, body, status_code=response.status_code, headers=response.headers, items=page_items(call)
        )

    def parse_body(
        self,
        method: str,
        body: object,
        *,
        status_code: int | None = None,
        headers: Mapping[str, str] | None = None,
        items: str | None = None,
    ) -> object:
        """The `data` of an envelope (a list comes as a `Page` carrying `meta`), or raise its typed error.

        `items` names the property of an object `data` holding a page's items, for a call an
        iterator planned (`pagination.items`): the page is then that list (see `pagination.raw_page`).

        Some endpoints answer without the envelope — the API Blueprint and the OpenAPI document
        both show it (loyalty cards, visit loyalty, the SMS-operator and fiscal callbacks): with a
        success status an object, or a list of objects, is then the data itself (the declared
        result type still checks it); with an error status an error in their form
        (`error_code`, `error_message`, `errors`) raises the typed error of the status. Any other
        body without the envelope is a DecodeError, or an HTTPStatusError with an error status.
        """
        failed_status = status_code is not None and status_code >= 400
        envelope = json_object(body)
        if envelope is None or "success" not in envelope:
            if failed_status and _bare_error(body):
                raise self._error(method, status_code or 0, {}, _bare_message(body), headers, body=body)
            if failed_status:
                raise HTTPStatusError(method, status_code or 0, str(body)[:500])
            if _bare_data(body):
                return body if items is None else raw_page(body, {}, items)
            raise DecodeError(method, "$", body, "expected the {success, data, meta} envelope")
        meta: Mapping[str, Any] = json_object(envelope.get("meta")) or {}  # YCLIENTS sends [] for an empty meta
        if envelope.get("success") is False or failed_status:
            status = status_code if status_code is not None and status_code >= 400 else 0
            message = (
                meta.get("message") or envelope.get("message") or _errors_text(meta.get("errors")) or "request failed"
            )
            raise self._error(method, status, meta, str(message), headers)
        return raw_page(envelope.get("data"), cast("Mapping[str, JSON]", meta), items)

    def _error(
        self,
        method: str,
        status: int,
        meta: Mapping[str, Any],
        message: str,
        headers: Mapping[str, str] | None,
        **extra: object,
    ) -> APIError:
        retry_after = headers.get("Retry-After") if headers else None
        errors = meta.get("errors")
        if errors is None and "body" in extra:
            errors = (json_object(extra["body"]) or {}).get("errors")
        return self.error_class(status)(
            method, status, message, errors=errors, meta=dict(meta), retry_after=retry_after, **extra
        )

    def meta_of(self, body: object) -> Mapping[str, Any]:
        envelope = json_object(body)
        return (json_object(envelope.get("meta")) if envelope is not None else None) or {}

    def retry_verdict(self, error: APIError) -> RetryVerdict:
        if error.code == 429:
            return "rejected"
        return "transient" if error.code in RETRYABLE_STATUSES else None


def request_path(call: Call[Any]) -> tuple[str, str]:
    """The HTTP method and the path of `call`, its path parameters filled in (see `path_segment`)."""
    http_method, _, path = call.method.partition(" ")
    for name, value in call.path_params.items():
        path = path.replace("{" + name + "}", path_segment(call.method, name, value))
    return http_method, path


_PATH_BREAKERS = frozenset("/\\?#")
"""Characters that end a segment or the path itself, for httpx or for some server behind it."""
_MAX_DECODINGS = 8
"""Percent-decoding layers looked through: a proxy and a framework may each decode once more."""


def path_segment(method: str, name: str, value: object) -> str:
    """`value` escaped as exactly one path segment, or a ValueError naming method, parameter and value.

    `quote()` escapes `/`, `?` and `#` but leaves `.` alone, and httpx then removes dot segments:
    `user_id=".."` would turn `DELETE .../company/4564/users/{user_id}` into `DELETE .../company/4564`.
    So a value that is empty, `.` or `..`, or that holds a character that ends a segment or the
    path (`/`, `\\`, `?`, `#`, a control character) is refused — also when it is spelt
    percent-encoded (`%2e%2e`, `%2F`, `%252F`) or with look-alikes that Unicode normalization folds
    into one (fullwidth dots and solidus), since a server or a proxy in front of it may decode those.
    """
    text = str(value)
    problem = _segment_problem(text)
    if problem is not None:
        raise ValueError(f"{method}: path parameter {name}={value!r} {problem}")
    return quote(text, safe="")


def _segment_problem(text: str) -> str | None:
    """Why `text` cannot be one path segment, or None when it can."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid Unicode (it holds a lone surrogate)"
    layer = text
    for _ in range(_MAX_DECODINGS):
        folded = unicodedata.normalize("NFKC", layer)
        if folded.strip() in ("", ".", ".."):
            return "would not be a path segment of its own (empty, `.` or `..`)"
        if any(c in _PATH_BREAKERS or c < " " or c == "\x7f" for c in folded):
            return "would change the path (it holds `/`, `\\`, `?`, `#` or a control character)"
        decoded = unquote(layer)
        if decoded == layer:
            return None
        layer = decoded
    return "is percent-encoded too many times over"


def _bare_data(body: object) -> bool:
    """Is a body without the envelope an answer: an object, or a list of objects?"""
    if isinstance(body, list):
        return all(json_object(item) is not None for item in cast("list[object]", body))
    return json_object(body) is not None


def _bare_error(body: object) -> bool:
    """Is an error body without the envelope an API error: `error_code` / `error_message` / `errors`, or a
    list holding an error envelope (as the OpenAPI document shows a few)?"""
    obj = json_object(body)
    if obj is None and isinstance(body, list) and body:
        inner = json_object(cast("list[object]", body)[0])
        return inner is not None and inner.get("success") is False
    return obj is not None and bool({"error_code", "error_message", "errors"} & set(obj))


def _bare_message(body: object) -> str:
    """The message of an error body without the envelope (`message`, `error_message`, or an envelope inside a list)."""
    obj = json_object(body)
    if obj is None and isinstance(body, list) and body:
        obj = json_object(cast("list[object]", body)[0])
    if obj is None:
        return "request failed" if body in (None, "", [], {}) else f"{body}"[:200]
    meta = json_object(obj.get("meta")) or {}
    for value in (obj.get("message"), obj.get("error_message"), meta.get("message")):
        if isinstance(value, str) and value:
            return value
    return _errors_text(obj.get("errors")) or "request failed"


def _errors_text(raw: object) -> str:
    """Validation messages as one line (`field: message; ...`), for an error that has no message of its own."""
    return "; ".join(
        f"{field}: {message}" if field else message
        for field, messages in normalize_errors(raw).items()
        for message in messages
    )


__all__ = ["ACCEPT", "YclientsAPIError", "YclientsProtocol", "normalize_errors", "path_segment", "request_path"]
