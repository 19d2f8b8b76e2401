"""Who a token belongs to: the gateway's pluggable verifier, and a small in-memory token store.

A verifier is any callable `token -> user id | None` (or an awaitable of it): a JWT check, a
lookup in your session store, or `TokenStore.verify` for tokens a login command issues.
Tokens are never logged, shown in reprs or echoed in errors.
"""

from __future__ import annotations

import inspect
import secrets
from collections.abc import Awaitable, Callable

from apiforge.core.redact import SecretHolder

Verifier = Callable[[str], "str | Awaitable[str | None] | None"]
"""Turns a token into the user id it belongs to, or None to refuse it."""


async def verify(verifier: Verifier, token: str) -> str | None:
    """The user id `verifier` gives `token` (awaited when it is async), or None when it refuses it.

    Raises:
        TypeError: the verifier returned something other than a string or None.
    """
    result = verifier(token)
    if inspect.isawaitable(result):
        result = await result
    if result is not None and not isinstance(result, str):
        raise TypeError(f"a gateway verifier must return a user id (str) or None, got {type(result).__name__}")
    return result


class TokenStore:
    """Opaque random tokens issued to users (e.g. by a login command); `verify` is a gateway verifier."""

    def __init__(self) -> None:
        self._users: dict[str, str] = {}
        self._secrets = SecretHolder()  # issued tokens are masked in logs until revoked

    def issue(self, user_id: str) -> str:
        """A new token for `user_id` (masked in apiforge's logs and errors until revoked)."""
        token = secrets.token_urlsafe(24)
        self._users[token] = user_id
        self._secrets.hold(token)
        return token

    def verify(self, token: str) -> str | None:
        """The user a token was issued to, or None (unknown or revoked)."""
        return self._users.get(token)

    def revoke(self, token: str) -> None:
        """Forget a token: it no longer verifies."""
        if self._users.pop(token, None) is not None:
            self._secrets.drop(token)

    def __repr__(self) -> str:
        return f"<TokenStore tokens={len(self._users)}>"


__all__ = ["TokenStore", "Verifier", "verify"]
