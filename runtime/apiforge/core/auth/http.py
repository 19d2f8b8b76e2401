"""Bearer and Basic authentication for any HTTP endpoint, as httpx auth objects.

    httpx.Client(auth=BearerAuth(token))
    httpx.get(url, auth=BasicAuth("user", password))

Secrets are registered for redaction when the object is made, and never shown in its repr.
"""

from __future__ import annotations

import base64
from collections.abc import Generator

import httpx

from apiforge.core.auth.tokens import Token
from apiforge.core.redact import MASK, register_secret


class BearerAuth(httpx.Auth):
    """`Authorization: Bearer <token>` on every request."""

    def __init__(self, token: str | Token) -> None:
        value = token.value if isinstance(token, Token) else token
        if not isinstance(value, str) or not value:
            raise ValueError(f"BearerAuth needs a non-empty token string; got {type(value).__name__}")
        register_secret(value)
        self._header = f"Bearer {value}"

    @property
    def authorization(self) -> str:
        """The Authorization header value (holds the secret: do not log it)."""
        return self._header

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._header
        yield request

    def __repr__(self) -> str:
        return f"BearerAuth({MASK})"


class BasicAuth(httpx.Auth):
    """`Authorization: Basic base64(user:password)` on every request (RFC 7617, UTF-8)."""

    def __init__(self, user: str, password: str) -> None:
        if not isinstance(user, str) or ":" in user:
            raise ValueError(f"BasicAuth user must be a string without ':'; got {user!r}")
        if not isinstance(password, str):
            raise ValueError(f"BasicAuth password must be a string; got {type(password).__name__}")
        self.user = user
        encoded = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        register_secret(password)
        register_secret(encoded)  # the header value gives the password away just as well
        self._header = f"Basic {encoded}"

    @property
    def authorization(self) -> str:
        """The Authorization header value (holds the secret: do not log it)."""
        return self._header

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._header
        yield request

    def __repr__(self) -> str:
        return f"BasicAuth(user={self.user!r}, password={MASK})"


__all__ = ["BasicAuth", "BearerAuth"]
