"""Access tokens with their kind, and the strategies that choose one of several for a call.

A VK token is a user, community ("group"), service or "open" token; each method accepts some
kinds only. With several tokens a strategy picks one per call among those the method accepts:

    VK(token=[Token(a, "user"), Token(b, "user"), Token(c, "group")], strategy=LeastLoadedStrategy())

Your own strategy is any object with `choose(tokens, allowed_kinds) -> Token`; on the async
client `choose` may be a coroutine (e.g. it asks a token server). Built-in strategies are
thread-safe.
"""

from __future__ import annotations

import hashlib
import random
import threading
from collections.abc import Awaitable, Sequence
from typing import Literal, Protocol, get_args, runtime_checkable

import attrs

from apiforge.core.redact import MASK, register_secret

TokenKind = Literal["user", "group", "service", "open"]
"""What a VK token acts as: a user, a community, an app (service key), or the `open` kind."""

TOKEN_KINDS: tuple[TokenKind, ...] = get_args(TokenKind)
ANY_KIND: frozenset[TokenKind] = frozenset(TOKEN_KINDS)


def _check_value(instance: Token, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or not value:
        # The value itself is never shown: it may be a real token of the wrong type.
        raise ValueError(f"Token.value must be a non-empty string, got {type(value).__name__}")


def _check_kind(instance: Token, attribute: attrs.Attribute[TokenKind], value: TokenKind) -> None:
    if value not in TOKEN_KINDS:
        raise ValueError(f"Token.kind must be one of {', '.join(TOKEN_KINDS)}; got {value!r}")


@attrs.frozen(repr=False)
class Token:
    """An access token and its kind. Its repr never shows the value; creating one registers the
    value as a secret, so it is masked in every log line and exception text.

    `name` is an optional label for your own logs (`Token(v, "group", name="bot-1")`).
    """

    value: str = attrs.field(validator=_check_value)
    kind: TokenKind = attrs.field(default="user", validator=_check_kind)
    name: str | None = attrs.field(default=None, eq=False, kw_only=True)
    key: str = attrs.field(init=False, eq=False)
    """A stable, non-secret identifier (kind + a short hash of the value): the rate-limit key."""

    def __attrs_post_init__(self) -> None:
        register_secret(self.value, owner=self)  # masked while this Token lives
        # A hash, not the value: keys may end up in a shared limiter's store (e.g. Redis).
        object.__setattr__(self, "key", f"{self.kind}:{hashlib.sha256(self.value.encode()).hexdigest()[:16]}")

    def __repr__(self) -> str:
        label = f", name={self.name!r}" if self.name is not None else ""
        return f"Token(kind={self.kind!r}, value={MASK}{label})"

    __str__ = __repr__


def as_token(value: str | Token, kind: TokenKind) -> Token:
    """`value` as a Token: a bare string gets `kind`."""
    return value if isinstance(value, Token) else Token(value, kind)


class TokenStrategy(Protocol):
    """Chooses the token for a call, among the tokens the method accepts (never empty)."""

    def choose(self, tokens: Sequence[Token], allowed_kinds: frozenset[TokenKind], /) -> Token:
        """One of `tokens` (all of them are of `allowed_kinds`)."""
        ...


class AsyncTokenStrategy(Protocol):
    """A strategy for the async client: `choose` may return an awaitable (e.g. `async def`)."""

    def choose(self, tokens: Sequence[Token], allowed_kinds: frozenset[TokenKind], /) -> Token | Awaitable[Token]:
        """One of `tokens`, or an awaitable of it."""
        ...


class TokenProvider(Protocol):
    """A source of tokens instead of a fixed list (e.g. a token server): `VK(token=provider)`."""

    def provide(self, allowed_kinds: frozenset[TokenKind], /) -> Token | str:
        """A token of one of `allowed_kinds` (a bare string is taken as the client's `token_kind`)."""
        ...


class AsyncTokenProvider(Protocol):
    """A token provider for the async client: `provide` may return an awaitable."""

    def provide(self, allowed_kinds: frozenset[TokenKind], /) -> Token | str | Awaitable[Token | str]:
        """A token of one of `allowed_kinds`, or an awaitable of it."""
        ...


@runtime_checkable
class LoadAware(Protocol):
    """Optional hooks of a strategy that counts calls in flight.

    `choose` books the token it returns itself (under its own lock, so that concurrent choices
    see each other); `started` reports a call on a token the strategy did not choose (a pinned
    one, or the only token a method accepts); `finished` reports the end of every call.
    """

    def started(self, token: Token) -> None:
        """A call goes out on `token`, which this strategy did not choose."""
        ...

    def finished(self, token: Token) -> None:
        """A call on `token` is over (whatever its outcome)."""
        ...


class RandomStrategy:
    """A token picked uniformly at random; pass a seeded `random.Random` for a repeatable order."""

    def __init__(self, rng: random.Random | None = None) -> None:
        self._rng = rng or random.Random()
        self._lock = threading.Lock()

    def choose(self, tokens: Sequence[Token], allowed_kinds: frozenset[TokenKind], /) -> Token:
        """A random one of `tokens`."""
        with self._lock:
            return self._rng.choice(tokens)


class RoundRobinStrategy:
    """The tokens in turn. Each set of candidates (e.g. "user tokens", "user or group tokens")
    has its own turn, so every method's calls are spread evenly over the tokens it accepts."""

    def __init__(self) -> None:
        self._next: dict[tuple[Token, ...], int] = {}
        self._lock = threading.Lock()

    def choose(self, tokens: Sequence[Token], allowed_kinds: frozenset[TokenKind], /) -> Token:
        """The next of `tokens` in turn."""
        key = tuple(tokens)
        with self._lock:
            turn = self._next.get(key, 0)
            self._next[key] = (turn + 1) % len(key)
        return key[turn % len(key)]


class LeastRecentlyUsedStrategy:
    """The token whose last call went out longest ago (never-used tokens first, in list order)."""

    def __init__(self) -> None:
        # A use counter, not a clock: two uses can never tie, and tests need no time at all.
        self._last_use: dict[Token, int] = {}
        self._uses = 0
        self._lock = threading.Lock()

    def choose(self, tokens: Sequence[Token], allowed_kinds: frozenset[TokenKind], /) -> Token:
        """The least recently used of `tokens`."""
        with self._lock:
            chosen = min(tokens, key=lambda token: self._last_use.get(token, -1))
            self._mark(chosen)
            return chosen

    def started(self, token: Token) -> None:
        """A pinned call counts as a use."""
        with self._lock:
            self._mark(token)

    def finished(self, token: Token) -> None:
        """Nothing to do: only the start of a call matters here."""

    def _mark(self, token: Token) -> None:
        self._uses += 1
        self._last_use[token] = self._uses


class LeastLoadedStrategy:
    """The token with the fewest calls in flight; among equals, the least recently chosen."""

    def __init__(self) -> None:
        self._in_flight: dict[Token, int] = {}
        self._last_use: dict[Token, int] = {}
        self._uses = 0
        self._lock = threading.Lock()

    def choose(self, tokens: Sequence[Token], allowed_kinds: frozenset[TokenKind], /) -> Token:
        """The least loaded of `tokens`, booked at once."""
        with self._lock:
            chosen = min(tokens, key=lambda token: (self._in_flight.get(token, 0), self._last_use.get(token, -1)))
            self._book(chosen)
            return chosen

    def started(self, token: Token) -> None:
        """Count a call this strategy did not choose (a pinned token)."""
        with self._lock:
            self._book(token)

    def finished(self, token: Token) -> None:
        """One call fewer in flight on `token`."""
        with self._lock:
            left = self._in_flight.get(token, 0) - 1
            if left > 0:
                self._in_flight[token] = left
            else:
                self._in_flight.pop(token, None)

    def in_flight(self, token: Token) -> int:
        """Calls in flight on `token` right now."""
        with self._lock:
            return self._in_flight.get(token, 0)

    def _book(self, token: Token) -> None:
        self._in_flight[token] = self._in_flight.get(token, 0) + 1
        self._uses += 1
        self._last_use[token] = self._uses


__all__ = [
    "ANY_KIND",
    "TOKEN_KINDS",
    "AsyncTokenProvider",
    "AsyncTokenStrategy",
    "LeastLoadedStrategy",
    "LeastRecentlyUsedStrategy",
    "LoadAware",
    "RandomStrategy",
    "RoundRobinStrategy",
    "Token",
    "TokenKind",
    "TokenProvider",
    "TokenStrategy",
    "as_token",
]
