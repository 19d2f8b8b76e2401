"""A session several processes share (Wialon): one login for all of them, behind a lock in a store.

The protocol asks `shared_login` for a session instead of logging in itself when a `SessionStore`
is set. Under the store's lock it takes the session another process opened, unless that is the
one that just failed (`stale`): then it logs in, once, and stores the new session for the others.
Everything the store does is a `Remote` effect, so the sync and async drivers both carry it out.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping
from typing import Any, Protocol, cast

from apiforge.core.effects import Effect, Hold, Remote
from apiforge.core.types import JSON

Login = Callable[[], Generator[Effect, Any, Mapping[str, JSON]]]
"""Log in (the protocol's own request, as effects) and return the login response."""


class SessionStore(Protocol):
    """Where the processes on one account keep its session: a lock, and the last login response.

    `apiforge.redis.RedisSessionStore` implements it. Each method returns the effect that does it.
    """

    def lock(self, account: str) -> Remote:
        """Take the account's lock (waiting for it); the outcome is a handle for `unlock`."""
        ...

    def unlock(self, handle: object) -> Remote:
        """Give the lock back."""
        ...

    def load(self, account: str) -> Remote:
        """The stored login response of the account (a mapping with the session id in `eid`), or None."""
        ...

    def save(self, account: str, response: Mapping[str, JSON]) -> Remote:
        """Store the login response of a new session for the other processes."""
        ...

    def slot(self, session: str, group: str, size: int) -> Hold:
        """One of `size` slots of `group` ("requests", "heavy", ...) of the session, across every process."""
        ...


def shared_login(
    store: SessionStore, account: str, stale: str | None, login: Login
) -> Generator[Effect, Any, tuple[Mapping[str, JSON], bool]]:
    """The account's session: the stored one unless it is `stale` (the one that just failed), else a new
    login stored for the others. Returns the login response and whether this process logged in."""
    handle = yield store.lock(account)
    try:
        loaded: object = yield store.load(account)
        stored = cast("Mapping[str, JSON] | None", loaded if isinstance(loaded, Mapping) else None)
        if stored is not None and stored.get("eid") is not None and stored.get("eid") != stale:
            return stored, False
        response = yield from login()
        yield store.save(account, response)
        return response, True
    finally:
        yield store.unlock(handle)


__all__ = ["Login", "SessionStore", "shared_login"]
