"""The tokens of one client: which of them may serve a call, which one does, and pinning.

`TokenPool.select` is sans-IO (a generator of effects): a user strategy or token provider runs
through the `Callback` effect, so one piece of logic serves the sync and the async client.

Pins live in a ContextVar: a thread starts with no pin, an asyncio task sees the pins of the
code that created it, and a pin set in one thread or task never shows in another.
"""

from __future__ import annotations

import contextvars
import itertools
from collections.abc import Awaitable, Callable, Generator, Mapping, Sequence
from types import MappingProxyType, TracebackType
from typing import Any, Generic, TypeAlias, TypeVar

from apiforge.core.auth.tokens import (
    ANY_KIND,
    TOKEN_KINDS,
    AsyncTokenProvider,
    AsyncTokenStrategy,
    LoadAware,
    RoundRobinStrategy,
    Token,
    TokenKind,
    TokenProvider,
    TokenStrategy,
    as_token,
)
from apiforge.core.effects import Callback, Effect
from apiforge.core.errors import ConfigurationError

C = TypeVar("C")
TokenSource: TypeAlias = str | Token | Sequence[str | Token] | TokenProvider | AsyncTokenProvider
"""What a client accepts as `token=`: one token, several, or a provider of tokens."""

PinReset: TypeAlias = contextvars.Token[Mapping[int, Token]]
_NO_PINS: Mapping[int, Token] = MappingProxyType({})
# One variable for every pool (ContextVars are meant to live at module level): pool id -> token.
_PINS: contextvars.ContextVar[Mapping[int, Token]] = contextvars.ContextVar("apiforge_pinned_tokens", default=_NO_PINS)
_pool_ids = itertools.count(1)


def describe_kinds(kinds: frozenset[TokenKind] | set[TokenKind]) -> str:
    """`user, group or service`, in the usual order."""
    ordered = [kind for kind in TOKEN_KINDS if kind in kinds]
    if not ordered:
        return "no"
    return ordered[0] if len(ordered) == 1 else f"{', '.join(ordered[:-1])} or {ordered[-1]}"


def allowed_kinds(token_kinds: Sequence[str]) -> frozenset[TokenKind]:
    """The kinds a method accepts: its spec's list, or any kind when the spec names none."""
    kinds: frozenset[TokenKind] = frozenset(kind for kind in TOKEN_KINDS if kind in token_kinds)
    return kinds or ANY_KIND


class TokenPool:
    """The tokens of one client, the strategy that picks one per call, and the pins on them.

    Either `tokens` (picked by `strategy`, round-robin by default) or a `provider` that hands
    out a token per call (e.g. from a token server).
    """

    def __init__(
        self,
        tokens: Sequence[Token] = (),
        *,
        strategy: TokenStrategy | AsyncTokenStrategy | None = None,
        provider: TokenProvider | AsyncTokenProvider | None = None,
        default_kind: TokenKind = "user",
    ) -> None:
        self.tokens = tuple(tokens)
        self.strategy: TokenStrategy | AsyncTokenStrategy = strategy or RoundRobinStrategy()
        self.provider = provider
        self.default_kind: TokenKind = default_kind
        self._id = next(_pool_ids)
        # Asked once: isinstance against a runtime-checkable Protocol inspects the class every time,
        # which cost more per call than the rest of choosing a token.
        self._load_aware: LoadAware | None = (
            self.strategy if provider is None and isinstance(self.strategy, LoadAware) else None
        )

    @classmethod
    def from_source(
        cls,
        source: TokenSource,
        *,
        kind: TokenKind = "user",
        strategy: TokenStrategy | AsyncTokenStrategy | None = None,
        owner: str = "VK",
    ) -> TokenPool:
        """A pool from what a user passed as `token=`; bare strings get `kind`.

        Bad input fails here, naming `owner(token=...)` and what was wrong (never the value).
        """
        if kind not in TOKEN_KINDS:
            raise ValueError(f"{owner}(token_kind=...) must be one of {', '.join(TOKEN_KINDS)}; got {kind!r}")
        if strategy is not None and not callable(getattr(strategy, "choose", None)):
            raise TypeError(
                f"{owner}(strategy=...): expected an object with choose(tokens, allowed_kinds); got {type(strategy).__name__}"
            )
        if isinstance(source, str | Token):
            return cls([as_token(source, kind)], strategy=strategy, default_kind=kind)
        if isinstance(source, Sequence):
            tokens: list[Token] = []
            for index, item in enumerate(source):
                if not isinstance(item, str | Token):
                    raise TypeError(
                        f"{owner}(token=[...]): item {index} is {type(item).__name__}; expected a str or a Token"
                    )
                tokens.append(as_token(item, kind))
            if not tokens:
                raise ValueError(f"{owner}(token=[]): give at least one access token")
            return cls(tokens, strategy=strategy, default_kind=kind)
        if callable(getattr(source, "provide", None)):
            if strategy is not None:
                raise ValueError(f"{owner}(strategy=...) needs a list of tokens; a token provider chooses by itself")
            return cls(provider=source, default_kind=kind)
        raise TypeError(
            f"{owner}(token=...): expected a token string, a Token, a list of them or a token provider;"
            f" got {type(source).__name__}"
        )

    @property
    def kinds(self) -> frozenset[TokenKind]:
        """The kinds of the tokens in the pool (empty with a provider)."""
        return frozenset(token.kind for token in self.tokens)

    def default(self) -> Token | None:
        """The token used when a request is built outside the pipeline: the pinned one, else the first."""
        return self.pinned() or (self.tokens[0] if self.tokens else None)

    # Choosing.

    def select(self, method: str, allowed: frozenset[TokenKind]) -> Generator[Effect, Any, Token]:
        """The token for one attempt of `method`, which accepts `allowed` kinds.

        Raises ConfigurationError before anything is sent when no token may serve the method.
        Every token returned must be given back with `release` when the attempt is over.
        """
        pinned = self.pinned()
        if pinned is not None:
            if pinned.kind not in allowed:
                raise ConfigurationError(
                    f"{method} accepts {describe_kinds(allowed)} tokens, and the token pinned here is a {pinned.kind} token"
                )
            self._started(pinned)
            return pinned
        if self.provider is not None:
            outcome = yield Callback(self.provider.provide, (allowed,))
            return self._provided(method, allowed, outcome)
        candidates = tuple(token for token in self.tokens if token.kind in allowed)
        if not candidates:
            raise ConfigurationError(
                f"{method} accepts {describe_kinds(allowed)} tokens, and this client has"
                f" {describe_kinds(self.kinds)} tokens only"
            )
        if len(candidates) == 1:
            self._started(candidates[0])
            return candidates[0]
        chosen = yield Callback(self.strategy.choose, (candidates, allowed))
        if not isinstance(chosen, Token):
            raise ConfigurationError(
                f"{method}: the token strategy {type(self.strategy).__name__} returned"
                f" {type(chosen).__name__}; expected one of the Tokens it was given"
            )
        if chosen.kind not in allowed:
            self.release(chosen)
            raise ConfigurationError(
                f"{method} accepts {describe_kinds(allowed)} tokens, and the token strategy"
                f" {type(self.strategy).__name__} chose a {chosen.kind} token"
            )
        return chosen

    def release(self, token: Token) -> None:
        """An attempt that `select` gave `token` to is over."""
        if self._load_aware is not None:
            self._load_aware.finished(token)

    def _started(self, token: Token) -> None:
        if self._load_aware is not None:
            self._load_aware.started(token)

    def _provided(self, method: str, allowed: frozenset[TokenKind], outcome: object) -> Token:
        if isinstance(outcome, str) and outcome:
            outcome = Token(outcome, self.default_kind)
        if not isinstance(outcome, Token):
            raise ConfigurationError(
                f"{method}: the token provider {type(self.provider).__name__} returned"
                f" {type(outcome).__name__}; expected a Token or a token string"
            )
        if outcome.kind not in allowed:
            raise ConfigurationError(
                f"{method} accepts {describe_kinds(allowed)} tokens, and the token provider"
                f" {type(self.provider).__name__} gave a {outcome.kind} token"
            )
        return outcome

    # Pinning.

    def pinned(self) -> Token | None:
        """The token pinned in the current thread or task, if any."""
        return _PINS.get().get(self._id)

    def pin(self, token: Token) -> PinReset:
        """Pin `token` in the current context; undo with `unpin(<the returned value>)`."""
        return _PINS.set(MappingProxyType({**_PINS.get(), self._id: token}))

    def unpin(self, reset: PinReset) -> None:
        """Restore the pins from before the matching `pin`."""
        _PINS.reset(reset)

    def pin_choice(self, given: str | Token | None, kind: TokenKind | None) -> Generator[Effect, Any, Token]:
        """The token a `pin_token(given, kind=kind)` block pins: `given`, or the strategy's choice."""
        if given is not None:
            token = self._known(given, kind)
            if kind is not None and token.kind != kind:
                raise ConfigurationError(f"pin_token(kind={kind!r}) was given a {token.kind} token")
            return token
        allowed: frozenset[TokenKind] = frozenset({kind}) if kind is not None else ANY_KIND
        token = yield from self.select("pin_token", allowed)
        self.release(token)  # choosing the pinned token is not a call in flight
        return token

    def _known(self, given: str | Token, kind: TokenKind | None) -> Token:
        if isinstance(given, Token):
            return given
        for token in self.tokens:
            if token.value == given:
                return token
        return Token(given, kind or self.default_kind)

    def __repr__(self) -> str:
        if self.provider is not None:
            return f"<TokenPool from {type(self.provider).__name__}>"
        return f"<TokenPool {len(self.tokens)} tokens ({describe_kinds(self.kinds)}), {type(self.strategy).__name__}>"


class TokenPin(Generic[C]):
    """`with client.pin_token() as c:` — every call in the block (in this thread) uses one token.

    The token is chosen when the block is entered (by the client's strategy), or given.
    """

    def __init__(
        self,
        client: C,
        pool: TokenPool,
        run: Callable[[Generator[Effect, Any, Token]], Token],
        token: str | Token | None = None,
        kind: TokenKind | None = None,
    ) -> None:
        self._client = client
        self._pool = pool
        self._run = run
        self._token = token
        self._kind: TokenKind | None = kind
        self._resets: list[PinReset] = []

    def __enter__(self) -> C:
        chosen = self._run(self._pool.pin_choice(self._token, self._kind))
        self._resets.append(self._pool.pin(chosen))
        return self._client

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._pool.unpin(self._resets.pop())


class AsyncTokenPin(Generic[C]):
    """`async with client.pin_token() as c:` — every call in the block (in this task, and in
    tasks it starts) uses one token, chosen on entry (the strategy may be async) or given."""

    def __init__(
        self,
        client: C,
        pool: TokenPool,
        run: Callable[[Generator[Effect, Any, Token]], Awaitable[Token]],
        token: str | Token | None = None,
        kind: TokenKind | None = None,
    ) -> None:
        self._client = client
        self._pool = pool
        self._run = run
        self._token = token
        self._kind: TokenKind | None = kind
        self._resets: list[PinReset] = []

    async def __aenter__(self) -> C:
        chosen = await self._run(self._pool.pin_choice(self._token, self._kind))
        self._resets.append(self._pool.pin(chosen))
        return self._client

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._pool.unpin(self._resets.pop())


__all__ = [
    "AsyncTokenPin",
    "PinReset",
    "TokenPin",
    "TokenPool",
    "TokenSource",
    "allowed_kinds",
    "describe_kinds",
]
