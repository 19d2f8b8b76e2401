"""VK OAuth 2.0, authorization code flow: the dialog URL, then code -> user access token.

    url = authorization_url(client_id=51234567, redirect_uri="https://example.com/vk", scope=["friends"], state=s)
    # ... the user comes back to redirect_uri?code=...&state=...
    with httpx.Client() as http:
        grant = exchange_code(http, client_id=51234567, client_secret=secret, redirect_uri=..., code=code)
    vk = VK(token=grant.token())

The request builder and the response parser are pure (sans-IO); `exchange_code` and
`exchange_code_async` only send. The exchange is a form POST, not a GET with the secret in the
query string: the client secret and the code stay out of URLs, so out of proxy logs and of
httpx's request log line. (`method="GET"` sends it the way VK's docs show, if ever needed.)
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Literal
from urllib.parse import urlencode

import attrs
import httpx

from apiforge.core.auth.tokens import Token
from apiforge.core.drivers import transport_error
from apiforge.core.errors import APIForgeError, DecodeError
from apiforge.core.protocols.base import json_object
from apiforge.core.redact import MASK, redact_text, register_secret

OAUTH_BASE = "https://oauth.vk.com"
# How errors name the exchange. Not "oauth/access_token": redaction masks whatever follows
# "access_token:" in a text, which would hide the error's path and reason.
_METHOD = "VK OAuth code exchange"


class OAuthError(APIForgeError):
    """The OAuth server refused: `error` (e.g. "invalid_grant") and its `description`."""

    def __init__(self, error: str, description: str, status_code: int | None = None) -> None:
        super().__init__(redact_text(f"VK OAuth: {error}: {description}" if description else f"VK OAuth: {error}"))
        self.error = error
        self.description = description
        self.status_code = status_code


@attrs.frozen(repr=False)
class OAuthGrant:
    """What the code bought: a user access token, its lifetime and its owner."""

    access_token: str
    expires_in: int
    """Seconds the token lives; 0 means it does not expire."""
    user_id: int | None = None
    email: str | None = None
    """Only when the `email` scope was asked for and the user has one."""
    extra: Mapping[str, object] = attrs.field(factory=dict[str, object])
    """Other fields of the answer (e.g. `access_token_<group_id>` of a community flow)."""

    def token(self) -> Token:
        """The access token as a user Token, ready for `VK(token=...)`."""
        return Token(self.access_token, "user")

    def __repr__(self) -> str:
        return f"OAuthGrant(access_token={MASK}, expires_in={self.expires_in}, user_id={self.user_id})"


def _client_id(client_id: int | str) -> str:
    text = str(client_id)
    if isinstance(client_id, bool) or not text.isdigit():
        raise ValueError(f"client_id must be the app's numeric id; got {client_id!r}")
    return text


def _scope(scope: int | str | Sequence[str] | None) -> str | None:
    if scope is None or isinstance(scope, int | str):
        return None if scope is None else str(scope)
    return ",".join(scope)


def authorization_url(
    client_id: int | str,
    redirect_uri: str,
    scope: int | str | Sequence[str] | None = None,
    state: str | None = None,
    response_type: Literal["code", "token"] = "code",
    display: Literal["page", "popup", "mobile"] = "page",
    v: str | None = None,
    *,
    revoke: bool = False,
    base_url: str = OAUTH_BASE,
) -> str:
    """The URL of VK's authorization dialog (https://oauth.vk.com/authorize) to send the user to.

    Args:
        client_id: the app's id.
        redirect_uri: where VK sends the user back with `?code=...&state=...`.
        scope: permissions: a bit mask, or names (`["friends", "photos"]` or `"friends,photos"`).
        state: an unguessable value you check when the user comes back (CSRF protection).
        response_type: "code" (server-side flow, then `exchange_code`) or "token" (implicit flow).
        display: "page", "popup" or "mobile".
        v: the API version to authorize for.
        revoke: ask the user again even if they allowed the app before.
        base_url: scheme and host of the OAuth server (a fake in tests).
    """
    if not redirect_uri:
        raise ValueError("authorization_url: redirect_uri is required")
    query: dict[str, str] = {"client_id": _client_id(client_id), "redirect_uri": redirect_uri, "display": display}
    scope_text = _scope(scope)
    if scope_text:
        query["scope"] = scope_text
    query["response_type"] = response_type
    if state is not None:
        query["state"] = state
    if v is not None:
        query["v"] = v
    if revoke:
        query["revoke"] = "1"
    return f"{base_url.rstrip('/')}/authorize?{urlencode(query)}"


def exchange_request(
    *,
    client_id: int | str,
    client_secret: str,
    redirect_uri: str,
    code: str,
    base_url: str = OAUTH_BASE,
    method: Literal["POST", "GET"] = "POST",
) -> httpx.Request:
    """The request that trades an authorization `code` for an access token (not sent)."""
    for name, value in (("client_secret", client_secret), ("redirect_uri", redirect_uri), ("code", code)):
        if not isinstance(value, str) or not value:
            raise ValueError(f"exchange_request: {name} must be a non-empty string")
    register_secret(client_secret)
    register_secret(code)  # a code is a credential too, for the hour it lives
    fields = {
        "client_id": _client_id(client_id),
        "client_secret": client_secret,
        "redirect_uri": redirect_uri,
        "code": code,
    }
    url = f"{base_url.rstrip('/')}/access_token"
    if method == "GET":
        return httpx.Request("GET", url, params=fields)
    return httpx.Request("POST", url, data=fields)


def parse_grant(body: object, status_code: int | None = None) -> OAuthGrant:
    """The grant in an OAuth answer (parsed JSON), or raise OAuthError with the server's reason."""
    answer = json_object(body)
    if answer is None:
        raise DecodeError(_METHOD, "$", body, "expected a JSON object")
    if "error" in answer:
        raise OAuthError(str(answer["error"]), str(answer.get("error_description") or ""), status_code)
    token = answer.get("access_token")
    if not isinstance(token, str) or not token:
        raise DecodeError(_METHOD, '$["access_token"]', token, "expected the access token string")
    register_secret(token)
    expires_in = answer.get("expires_in", 0)
    if not isinstance(expires_in, int) or isinstance(expires_in, bool):
        raise DecodeError(_METHOD, "$.expires_in", expires_in, "expected an integer number of seconds")
    user_id = answer.get("user_id")
    if user_id is not None and (not isinstance(user_id, int) or isinstance(user_id, bool)):
        raise DecodeError(_METHOD, "$.user_id", user_id, "expected an integer")
    email = answer.get("email")
    extra: dict[str, object] = {}
    for key, value in answer.items():
        if key in ("access_token", "expires_in", "user_id", "email"):
            continue
        if key.startswith("access_token") and isinstance(value, str):
            register_secret(value)
        extra[key] = value
    return OAuthGrant(
        access_token=token,
        expires_in=expires_in,
        user_id=user_id,
        email=email if isinstance(email, str) else None,
        extra=extra,
    )


def parse_grant_response(response: httpx.Response) -> OAuthGrant:
    """The grant in an HTTP answer of the token endpoint; OAuthError when refused, DecodeError when unreadable."""
    body: Any
    try:
        body = json.loads(response.content)
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nested too deeply to read
        if response.status_code >= 400:
            raise OAuthError("http_error", f"HTTP {response.status_code}", response.status_code) from None
        raise DecodeError(_METHOD, "$", response.text[:200], "the answer is not JSON") from None
    return parse_grant(body, response.status_code)


def exchange_code(
    http: httpx.Client,
    *,
    client_id: int | str,
    client_secret: str,
    redirect_uri: str,
    code: str,
    base_url: str = OAUTH_BASE,
    method: Literal["POST", "GET"] = "POST",
) -> OAuthGrant:
    """Trade an authorization `code` for a user access token, with a blocking httpx client."""
    request = exchange_request(
        client_id=client_id,
        client_secret=client_secret,
        redirect_uri=redirect_uri,
        code=code,
        base_url=base_url,
        method=method,
    )
    try:
        response = http.send(request)
    except httpx.TransportError as exc:
        raise transport_error(request, exc) from None
    return parse_grant_response(response)


async def exchange_code_async(
    http: httpx.AsyncClient,
    *,
    client_id: int | str,
    client_secret: str,
    redirect_uri: str,
    code: str,
    base_url: str = OAUTH_BASE,
    method: Literal["POST", "GET"] = "POST",
) -> OAuthGrant:
    """Trade an authorization `code` for a user access token, with an async httpx client."""
    request = exchange_request(
        client_id=client_id,
        client_secret=client_secret,
        redirect_uri=redirect_uri,
        code=code,
        base_url=base_url,
        method=method,
    )
    try:
        response = await http.send(request)
    except httpx.TransportError as exc:
        raise transport_error(request, exc) from None
    return parse_grant_response(response)


__all__ = [
    "OAUTH_BASE",
    "OAuthError",
    "OAuthGrant",
    "authorization_url",
    "exchange_code",
    "exchange_code_async",
    "exchange_request",
    "parse_grant",
    "parse_grant_response",
]
