"""VK tokens: kinds, choice strategies, allowed kinds per method, pinning, per-token rate limits, secrecy.

The tokens a call really carried are read off the wire by a transport that wraps FakeVK's
handler; nothing sleeps (rate limits run on a fake clock) and the strategies are deterministic
(a use counter, a seeded RNG).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import random
import re
import threading
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from typing import Any
from urllib.parse import parse_qsl

import attrs
import httpx
import pytest

from apiforge.core import DEFAULT, ConfigurationError
from apiforge.core.auth import (
    LeastLoadedStrategy,
    LeastRecentlyUsedStrategy,
    RandomStrategy,
    RoundRobinStrategy,
    Token,
    TokenKind,
    TokenPool,
)
from apiforge.core.auth.pool import allowed_kinds
from apiforge.core.client import AsyncClient, SyncClient
from apiforge.core.effects import Callback
from apiforge.core.protocols.vk import VKRateLimiter
from apiforge.core.redact import MASK, redact_text
from apiforge.testing import FakeVK
from apiforge.vk import VK, AsyncVK
from apiforge.vk.errors import ParamError

GROUP_ONLY = ["groups.getTokenPermissions"]


def secret(label: str) -> str:
    """A token value no other test (and no ordinary text) contains: secrets are masked process-wide."""
    return f"vk1.a.{label}-{uuid.uuid4().hex}"


U1, U2, U3 = secret("user-one"), secret("user-two"), secret("user-three")
G1, S1 = secret("group-one"), secret("service-one")
KINDS: dict[str, TokenKind] = {U1: "user", U2: "user", U3: "user", G1: "group", S1: "service"}


class Wire:
    """FakeVK behind an in-process transport that notes which token each request carried."""

    def __init__(self, fake: FakeVK) -> None:
        self.fake = fake
        self.tokens: list[str] = []
        self.gate: asyncio.Event | None = None  # when set up, async requests wait for it

    def _record(self, request: httpx.Request) -> httpx.Response:
        form = dict(parse_qsl(request.content.decode()))
        self.tokens.append(form.get("access_token", ""))
        status, headers, body = self.fake.dispatch(
            request.method, str(request.url), dict(request.headers), request.content
        )
        return httpx.Response(status, headers=headers, content=body)

    def sync_client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self._record))

    def async_client(self) -> httpx.AsyncClient:
        async def handler(request: httpx.Request) -> httpx.Response:
            if self.gate is not None and not self.gate.is_set():
                await self.gate.wait()
            return self._record(request)

        return httpx.AsyncClient(transport=httpx.MockTransport(handler))


@pytest.fixture
def fake() -> FakeVK:
    fake = FakeVK(token_kinds={value: kind for value, kind in KINDS.items()})
    fake.methods["groups.getTokenPermissions"] = lambda params: {"mask": 1, "permissions": []}
    fake.methods["users.getFollowers"] = lambda params: {"count": 0, "items": []}
    fake.method_kinds["users.getFollowers"] = frozenset({"user", "service"})
    return fake


@pytest.fixture
def wire(fake: FakeVK) -> Wire:
    return Wire(fake)


@pytest.fixture
def make_vk(wire: Wire) -> Iterator[Callable[..., VK]]:
    made: list[VK] = []

    def make(token: Any, **options: Any) -> VK:
        options.setdefault("rate_limit", None)
        client = VK(token=token, base_url="http://fake.vk", http_client=wire.sync_client(), **options)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
async def make_avk(wire: Wire) -> AsyncIterator[Callable[..., AsyncVK]]:
    made: list[AsyncVK] = []

    def make(token: Any, **options: Any) -> AsyncVK:
        options.setdefault("rate_limit", None)
        client = AsyncVK(token=token, base_url="http://fake.vk", http_client=wire.async_client(), **options)
        made.append(client)
        return client

    yield make
    for client in made:
        await client.aclose()


# Token


def test_token_repr_and_str_never_show_the_value() -> None:
    value = secret("repr")
    token = Token(value, "group", name="bot-1")
    assert repr(token) == str(token) == f"Token(kind='group', value={MASK}, name='bot-1')"
    assert value not in repr([token]) and value not in repr({"t": token})


def test_a_token_registers_its_value_as_a_secret_while_it_lives() -> None:
    value = secret("registered")
    token = Token(value)
    assert redact_text(f"oops {value} leaked") == f"oops {MASK} leaked"
    del token  # nothing holds the value any more: the registry lets go of it (issue 16, item 4)
    gc.collect()
    assert redact_text(f"oops {value}") == f"oops {value}"


def test_token_key_is_stable_and_not_the_value() -> None:
    value = secret("key")
    a, b = Token(value, "user"), Token(value, "user")
    assert a == b and a.key == b.key and hash(a) == hash(b)
    assert a.key.startswith("user:") and value not in a.key
    assert Token(value, "group").key != a.key


@pytest.mark.parametrize(("value", "kind"), [("", "user"), (None, "user"), (secret("kind"), "community")])
def test_bad_tokens_are_refused_without_showing_the_value(value: Any, kind: Any) -> None:
    with pytest.raises(ValueError) as info:
        Token(value, kind)
    assert value is None or not value or value not in str(info.value)


# Strategies, on their own


def tokens(*values: str) -> tuple[Token, ...]:
    return tuple(Token(v, KINDS[v]) for v in values)


USER_TOKENS = tokens(U1, U2, U3)
ANY: frozenset[TokenKind] = frozenset({"user", "group", "service", "open"})


def test_round_robin_takes_turns_per_candidate_set() -> None:
    strategy = RoundRobinStrategy()
    picks = [strategy.choose(USER_TOKENS, ANY) for _ in range(7)]
    assert [t.value for t in picks] == [U1, U2, U3, U1, U2, U3, U1]
    # Another set of candidates has its own turn and does not disturb the first.
    assert strategy.choose(USER_TOKENS[:2], ANY).value == U1
    assert strategy.choose(USER_TOKENS, ANY).value == U2


def test_random_strategy_is_repeatable_with_a_seeded_rng() -> None:
    strategy = RandomStrategy(random.Random(42))
    expected = random.Random(42)
    picks = [strategy.choose(USER_TOKENS, ANY) for _ in range(30)]
    assert picks == [expected.choice(USER_TOKENS) for _ in range(30)]
    assert set(picks) == set(USER_TOKENS)


def test_least_recently_used_prefers_unused_then_oldest() -> None:
    strategy = LeastRecentlyUsedStrategy()
    assert [strategy.choose(USER_TOKENS, ANY).value for _ in range(3)] == [U1, U2, U3]
    strategy.started(USER_TOKENS[0])  # a pinned call on U1 counts as a use
    assert strategy.choose(USER_TOKENS, ANY).value == U2
    assert strategy.choose(USER_TOKENS, ANY).value == U3
    assert strategy.choose(USER_TOKENS, ANY).value == U1


def test_least_loaded_counts_calls_in_flight() -> None:
    strategy = LeastLoadedStrategy()
    first = strategy.choose(USER_TOKENS, ANY)
    second = strategy.choose(USER_TOKENS, ANY)
    third = strategy.choose(USER_TOKENS, ANY)
    assert [first.value, second.value, third.value] == [U1, U2, U3]
    strategy.finished(second)
    assert strategy.choose(USER_TOKENS, ANY) == second  # the only one with nothing in flight
    strategy.finished(first)
    strategy.finished(third)
    # U1 and U3 are idle again, U2 busy: of the idle two, U1 was chosen longer ago.
    assert strategy.choose(USER_TOKENS, ANY) == first
    assert [strategy.in_flight(t) for t in USER_TOKENS] == [1, 1, 0]


# Which tokens may serve a method


def run_sync(effects: Any) -> Any:
    """Drive a sans-IO generator whose only effects are sync callbacks."""
    outcome: Any = None
    while True:
        try:
            effect = effects.send(outcome)
        except StopIteration as stop:
            return stop.value
        assert isinstance(effect, Callback)
        function: Any = effect.function
        outcome = function(*effect.args)


class Recording:
    """A strategy that notes what it was offered and takes the last candidate."""

    def __init__(self) -> None:
        self.offered: list[tuple[tuple[str, ...], frozenset[TokenKind]]] = []

    def choose(self, candidates: Sequence[Token], kinds: frozenset[TokenKind]) -> Token:
        self.offered.append((tuple(t.value for t in candidates), kinds))
        return candidates[-1]


def test_the_strategy_only_sees_tokens_the_method_accepts() -> None:
    strategy = Recording()
    pool = TokenPool(tokens(U1, G1, S1, U2), strategy=strategy)
    chosen = run_sync(pool.select("messages.send", allowed_kinds(("user", "group"))))
    assert strategy.offered == [((U1, G1, U2), frozenset({"user", "group"}))]
    assert chosen.value == U2


def test_a_single_acceptable_token_needs_no_strategy() -> None:
    strategy = Recording()
    pool = TokenPool(tokens(U1, G1, U2), strategy=strategy)
    assert run_sync(pool.select("groups.getTokenPermissions", allowed_kinds(("group",)))).value == G1
    assert strategy.offered == []


def test_methods_without_token_kinds_accept_any_token() -> None:
    strategy = Recording()
    pool = TokenPool(tokens(S1, G1), strategy=strategy)
    run_sync(pool.select("bugtracker.getBugreports", allowed_kinds(())))
    assert strategy.offered == [((S1, G1), ANY)]


def test_no_acceptable_token_names_method_allowed_and_present_kinds() -> None:
    pool = TokenPool(tokens(U1, S1))
    with pytest.raises(ConfigurationError) as info:
        run_sync(pool.select("groups.getTokenPermissions", allowed_kinds(("group",))))
    assert str(info.value) == (
        "groups.getTokenPermissions accepts group tokens, and this client has user or service tokens only"
    )


def test_a_strategy_returning_a_wrong_kind_is_refused() -> None:
    class Rogue:
        def choose(self, candidates: Sequence[Token], kinds: frozenset[TokenKind]) -> Token:
            return Token(S1, "service")

    with pytest.raises(ConfigurationError, match=r"users\.getFollowers accepts user tokens.*chose a service token"):
        run_sync(TokenPool(tokens(U1, U2), strategy=Rogue()).select("users.getFollowers", allowed_kinds(("user",))))


@pytest.mark.parametrize(
    ("source", "error"),
    [
        ([], "VK\\(token=\\[\\]\\): give at least one access token"),
        ([U1, 5], "item 1 is int"),
        (42, "expected a token string, a Token, a list of them or a token provider; got int"),
    ],
)
def test_bad_token_arguments_fail_clearly(source: Any, error: str) -> None:
    with pytest.raises((TypeError, ValueError), match=error):
        VK(token=source)


def test_a_strategy_without_choose_is_refused() -> None:
    with pytest.raises(TypeError, match=re.escape("VK(strategy=...): expected an object with choose(")):
        VK(token=[U1, U2], strategy="round-robin")  # type: ignore[arg-type]


def test_bad_token_kind_fails_clearly() -> None:
    with pytest.raises(
        ValueError, match=re.escape("VK(token_kind=...) must be one of user, group, service, open; got 'bot'")
    ):
        VK(token=U1, token_kind="bot")  # type: ignore[arg-type]


# Clients: several tokens


def test_one_bare_token_still_works(make_vk: Callable[..., VK], wire: Wire) -> None:
    vk = make_vk(U1)
    assert [u.id for u in vk.users.get(user_ids=[1])] == [1]
    assert wire.tokens == [U1]


def test_tokens_take_turns_by_default(make_vk: Callable[..., VK], wire: Wire) -> None:
    vk = make_vk([U1, U2, U3])
    for _ in range(6):
        vk.users.get(user_ids=[1])
    assert wire.tokens == [U1, U2, U3, U1, U2, U3]


async def test_async_tokens_take_turns_by_default(make_avk: Callable[..., AsyncVK], wire: Wire) -> None:
    vk = make_avk([U1, U2])
    for _ in range(4):
        await vk.users.get(user_ids=[1])
    assert wire.tokens == [U1, U2, U1, U2]


def test_a_group_only_method_goes_to_the_group_token(make_vk: Callable[..., VK], wire: Wire) -> None:
    vk = make_vk([Token(U1, "user"), Token(G1, "group"), Token(U2, "user")])
    for _ in range(3):
        vk.groups.get_token_permissions()
        vk.users.get(user_ids=[1])
    assert wire.tokens[0::2] == [G1, G1, G1]
    assert wire.tokens[1::2] == [U1, G1, U2]  # users.get accepts all three, in turn


def test_no_acceptable_token_fails_before_sending(make_vk: Callable[..., VK], fake: FakeVK) -> None:
    vk = make_vk([U1, Token(S1, "service")])
    with pytest.raises(ConfigurationError) as info:
        vk.groups.get_token_permissions()
    assert "groups.getTokenPermissions accepts group tokens" in str(info.value)
    assert "user or service tokens" in str(info.value)
    assert fake.calls == []


async def test_async_no_acceptable_token_fails_before_sending(make_avk: Callable[..., AsyncVK], fake: FakeVK) -> None:
    vk = make_avk(Token(G1, "group"))
    with pytest.raises(ConfigurationError, match=re.escape("users.getFollowers accepts user or service tokens")):
        await vk.users.get_followers(user_id=1)
    assert fake.calls == []


def test_token_kind_applies_to_bare_strings(make_vk: Callable[..., VK], wire: Wire) -> None:
    vk = make_vk(G1, token_kind="group")
    vk.groups.get_token_permissions()
    assert wire.tokens == [G1]


def test_strategy_choice_is_used(make_vk: Callable[..., VK], wire: Wire) -> None:
    strategy = Recording()
    vk = make_vk([U1, U2, U3], strategy=strategy)
    vk.users.get(user_ids=[1])
    assert wire.tokens == [U3]
    assert strategy.offered == [((U1, U2, U3), frozenset({"user", "group", "service"}))]


class AsyncLast:
    """An async strategy (as if it asked a token server) that takes the last candidate."""

    def __init__(self) -> None:
        self.calls = 0

    async def choose(self, candidates: Sequence[Token], kinds: frozenset[TokenKind]) -> Token:
        self.calls += 1
        await asyncio.sleep(0)
        return candidates[-1]


async def test_async_strategy_on_the_async_client(make_avk: Callable[..., AsyncVK], wire: Wire) -> None:
    strategy = AsyncLast()
    vk = make_avk([U1, U2], strategy=strategy)
    await vk.users.get(user_ids=[1])
    assert (wire.tokens, strategy.calls) == ([U2], 1)


def test_async_strategy_on_the_sync_client_is_refused_at_once() -> None:
    with pytest.raises(ConfigurationError, match=re.escape("VK(strategy=...).choose is async")):
        VK(token=[U1, U2], strategy=AsyncLast())  # type: ignore[arg-type]


def test_a_hidden_async_strategy_is_refused_on_the_first_call(make_vk: Callable[..., VK], fake: FakeVK) -> None:
    class Sneaky:
        def choose(self, candidates: Sequence[Token], kinds: frozenset[TokenKind]) -> Awaitable[Token]:
            return AsyncLast().choose(candidates, kinds)  # not `async def`, but returns a coroutine

    vk = make_vk([U1, U2], strategy=Sneaky())
    with pytest.raises(ConfigurationError, match="is async; a sync client needs a sync hook"):
        vk.users.get(user_ids=[1])
    assert fake.calls == []


# Clients: token providers


class Provider:
    def __init__(self, value: str | Token) -> None:
        self.value = value
        self.asked: list[frozenset[TokenKind]] = []

    def provide(self, kinds: frozenset[TokenKind]) -> Token | str:
        self.asked.append(kinds)
        return self.value


def test_a_token_provider_is_asked_per_call(make_vk: Callable[..., VK], wire: Wire) -> None:
    provider = Provider(U2)
    vk = make_vk(provider)
    vk.users.get(user_ids=[1])
    vk.messages.get_history(peer_id=1)
    assert wire.tokens == [U2, U2]
    assert provider.asked == [frozenset({"user", "group", "service"}), frozenset({"user", "group"})]


async def test_an_async_token_provider(make_avk: Callable[..., AsyncVK], wire: Wire) -> None:
    class TokenServer:
        async def provide(self, kinds: frozenset[TokenKind]) -> Token:
            await asyncio.sleep(0)
            return Token(G1, "group") if "group" in kinds else Token(U1, "user")

    vk = make_avk(TokenServer())
    await vk.groups.get_token_permissions()
    await vk.users.get_followers(user_id=1)
    assert wire.tokens == [G1, U1]


def test_a_provider_giving_a_wrong_kind_fails_before_sending(make_vk: Callable[..., VK], fake: FakeVK) -> None:
    vk = make_vk(Provider(Token(U1, "user")))
    with pytest.raises(ConfigurationError, match="accepts group tokens, and the token provider Provider gave a user"):
        vk.groups.get_token_permissions()
    assert fake.calls == []


def test_a_provider_with_a_strategy_is_refused() -> None:
    with pytest.raises(ValueError, match=re.escape("VK(strategy=...) needs a list of tokens")):
        VK(token=Provider(U1), strategy=RoundRobinStrategy())


# Pinning


def test_pin_token_uses_one_token_for_the_block(make_vk: Callable[..., VK], wire: Wire) -> None:
    vk = make_vk([U1, U2, U3])
    vk.users.get(user_ids=[1])  # U1
    with vk.pin_token() as v:
        assert v is vk
        assert vk.pinned_token == Token(U2, "user")
        for _ in range(3):
            v.users.get(user_ids=[1])
    assert vk.pinned_token is None
    vk.users.get(user_ids=[1])
    assert wire.tokens == [U1, U2, U2, U2, U3]


def test_pin_a_given_token_and_nest_pins(make_vk: Callable[..., VK], wire: Wire) -> None:
    vk = make_vk([U1, U2, U3])
    with vk.pin_token(U3):
        vk.users.get(user_ids=[1])
        with vk.pin_token(Token(U1, "user")):
            vk.users.get(user_ids=[1])
        vk.users.get(user_ids=[1])
    assert wire.tokens == [U3, U1, U3]


def test_pin_by_kind(make_vk: Callable[..., VK], wire: Wire) -> None:
    vk = make_vk([Token(U1, "user"), Token(G1, "group")])
    with vk.pin_token(kind="group"):
        vk.users.get(user_ids=[1])
        vk.groups.get_token_permissions()
    assert wire.tokens == [G1, G1]


def test_a_pinned_token_of_the_wrong_kind_is_an_error_not_a_switch(make_vk: Callable[..., VK], fake: FakeVK) -> None:
    vk = make_vk([Token(U1, "user"), Token(G1, "group")])
    with vk.pin_token(U1), pytest.raises(ConfigurationError) as info:
        vk.groups.get_token_permissions()
    assert str(info.value) == (
        "groups.getTokenPermissions accepts group tokens, and the token pinned here is a user token"
    )
    assert fake.calls == []


def test_pins_are_per_client(make_vk: Callable[..., VK], wire: Wire) -> None:
    first, second = make_vk([U1, U2]), make_vk([U3, U2])
    with first.pin_token(U2):
        second.users.get(user_ids=[1])
        first.users.get(user_ids=[1])
    assert wire.tokens == [U3, U2]


def test_with_options_views_share_the_pin(make_vk: Callable[..., VK], wire: Wire) -> None:
    vk = make_vk([U1, U2])
    with vk.pin_token(U2):
        vk.with_options(max_retries=0).users.get(user_ids=[1])
    assert wire.tokens == [U2]


def test_pins_do_not_leak_between_threads(make_vk: Callable[..., VK], wire: Wire) -> None:
    vk = make_vk([U1, U2, U3])
    both_pinned = threading.Barrier(2)
    seen: dict[str, list[Token | None]] = {}
    errors: list[BaseException] = []

    def worker(value: str) -> None:
        try:
            with vk.pin_token(value):
                both_pinned.wait(timeout=10)  # both pins are in force at the same time
                seen[value] = []
                for _ in range(5):
                    vk.users.get(user_ids=[1])
                    seen[value].append(vk.pinned_token)
                both_pinned.wait(timeout=10)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(value,)) for value in (U1, U3)]
    with vk.pin_token(U2):  # the main thread's pin is invisible to the workers
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert vk.pinned_token == Token(U2, "user")
    assert errors == []
    assert seen == {U1: [Token(U1, "user")] * 5, U3: [Token(U3, "user")] * 5}
    assert sorted(wire.tokens) == sorted([U1] * 5 + [U3] * 5)


async def test_pins_do_not_leak_between_tasks(make_avk: Callable[..., AsyncVK], wire: Wire) -> None:
    vk = make_avk([U1, U2, U3])
    used: dict[str, list[str]] = {U1: [], U3: []}

    async def worker(value: str) -> None:
        async with vk.pin_token(value) as v:
            for _ in range(4):
                before = len(wire.tokens)
                await v.users.get(user_ids=[1])
                used[value].append(wire.tokens[before])
                await asyncio.sleep(0)  # let the other task run between calls

    await asyncio.gather(worker(U1), worker(U3))
    assert used == {U1: [U1] * 4, U3: [U3] * 4}
    assert vk.pinned_token is None


async def test_tasks_started_inside_a_pin_inherit_it(make_avk: Callable[..., AsyncVK], wire: Wire) -> None:
    vk = make_avk([U1, U2, U3])
    async with vk.pin_token(U3):
        await asyncio.gather(*(vk.users.get(user_ids=[1]) for _ in range(3)))
    outside = asyncio.create_task(vk.users.get(user_ids=[1]))
    await outside
    assert wire.tokens == [U3, U3, U3, U1]


async def test_async_pin_chosen_by_an_async_strategy(make_avk: Callable[..., AsyncVK], wire: Wire) -> None:
    strategy = AsyncLast()
    vk = make_avk([U1, U2], strategy=strategy)
    async with vk.pin_token() as v:
        await v.users.get(user_ids=[1])
        await v.users.get(user_ids=[1])
    assert wire.tokens == [U2, U2]
    assert strategy.calls == 1  # chosen once, on entry


# Least loaded, through the pipeline's `finished` hook


async def test_least_loaded_spreads_concurrent_calls(make_avk: Callable[..., AsyncVK], wire: Wire) -> None:
    strategy = LeastLoadedStrategy()
    vk = make_avk([U1, U2, U3], strategy=strategy)
    wire.gate = asyncio.Event()
    calls = [asyncio.create_task(vk.users.get(user_ids=[1])) for _ in range(3)]
    for _ in range(100):  # let the three calls reach the gate
        if sum(strategy.in_flight(t) for t in tokens(U1, U2, U3)) == 3:
            break
        await asyncio.sleep(0)
    # All three are in flight at once, one per token.
    assert [strategy.in_flight(t) for t in tokens(U1, U2, U3)] == [1, 1, 1]
    wire.gate.set()
    await asyncio.gather(*calls)
    assert sorted(wire.tokens) == sorted([U1, U2, U3])
    assert [strategy.in_flight(t) for t in tokens(U1, U2, U3)] == [0, 0, 0]


def test_least_loaded_frees_a_token_after_a_failed_call(make_vk: Callable[..., VK], wire: Wire) -> None:
    strategy = LeastLoadedStrategy()
    vk = make_vk([U1, U2], strategy=strategy)
    with pytest.raises(ParamError):
        vk.groups.get_by_id(group_ids=["no-such-group"])
    assert [strategy.in_flight(t) for t in tokens(U1, U2)] == [0, 0]
    with vk.pin_token(U2):
        vk.users.get(user_ids=[1])
    assert [strategy.in_flight(t) for t in tokens(U1, U2)] == [0, 0]


# Rate limits per token, at the rate of its kind


class Clock:
    """A monotonic clock that moves only when the driver sleeps."""

    def __init__(self) -> None:
        self.now = 500.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 6))
        self.now += seconds

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)


def on_clock(client: SyncClient | AsyncClient) -> Clock:
    clock = Clock()
    client._policy = attrs.evolve(client._policy, clock=clock)
    client._driver.sleep = clock.async_sleep if isinstance(client, AsyncClient) else clock.sleep
    return clock


def test_rate_keys_are_per_token_and_carry_no_secret(make_vk: Callable[..., VK]) -> None:
    protocol: Any = make_vk([U1, U2, Token(G1, "group")])._protocol
    call: Any = object()  # the key depends on the token only
    keys = {value: protocol.rate_key(call, Token(value, KINDS[value])) for value in (U1, U2, G1)}
    assert {rate for _, rate in keys.values()} == {None}  # the limiter decides the rate
    assert keys[U1][0].startswith("vk:user:") and keys[G1][0].startswith("vk:group:")
    assert len({key for key, _ in keys.values()}) == 3
    assert all(value not in key for value, (key, _) in keys.items())


def test_the_default_limiter_gives_each_kind_its_rate() -> None:
    limiter = VKRateLimiter({"user": 3, "group": 20}, default=3)
    user, group = f"vk:{Token(U1, 'user').key}", f"vk:{Token(G1, 'group').key}"
    # Spaced at each kind's pace: 20 per 1.1 s for the group, 3 per 1.1 s for the user.
    assert [limiter.reserve(group, 0.0) for _ in range(21)][-2:] == [pytest.approx(19 * 0.055), pytest.approx(1.1)]
    assert [limiter.reserve(user, 0.0) for _ in range(4)][-2:] == [pytest.approx(2.2 / 3), pytest.approx(1.1)]
    assert limiter.reserve("vk:odd-key", 0.0) == 0.0  # an unknown kind gets the default rate


def test_each_user_token_has_its_own_budget(make_vk: Callable[..., VK]) -> None:
    one = make_vk(U1, rate_limit=DEFAULT)
    clock = on_clock(one)
    for _ in range(6):
        one.users.get(user_ids=[1])
    assert clock.slept == [0.366667] * 5  # 3 per 1.1 s on one user token, spaced: each waits a third of it

    two = make_vk([U1, U2], rate_limit=DEFAULT)
    clock = on_clock(two)
    for _ in range(6):
        two.users.get(user_ids=[1])
    # Two schedules: the calls alternate between the tokens, so only every other one waits its token's turn.
    assert clock.slept == [0.366667] * 2


def test_a_number_set_later_holds_for_every_token(make_vk: Callable[..., VK]) -> None:
    vk = make_vk(G1, token_kind="group", rate_limit=DEFAULT)  # 20/s by default for a group token
    view = vk.with_options(rate_limit=2)
    clock = on_clock(view)
    for _ in range(3):
        view.groups.get_token_permissions()
    assert clock.slept == [0.55, 0.55]  # 2 per second (1.1 s with the margin), not the group's 20


async def test_a_group_token_gets_the_group_rate(make_avk: Callable[..., AsyncVK]) -> None:
    vk = make_avk(G1, token_kind="group", rate_limit=DEFAULT)
    clock = on_clock(vk)
    for _ in range(21):
        await vk.groups.get_token_permissions()
    assert clock.slept == [0.055] * 20  # 20 per 1.1 s, spaced


# Secrets


def test_no_token_in_logs_reprs_or_errors(
    make_vk: Callable[..., VK], fake: FakeVK, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    vk = make_vk([U1, Token(G1, "group"), Token(S1, "service")], strategy=LeastLoadedStrategy())
    texts: list[str] = [repr(vk), repr(vk._protocol.__dict__), repr(vk._tokens)]
    vk.users.get(user_ids=[1])
    with vk.pin_token(G1):
        vk.groups.get_token_permissions()
        try:
            vk.groups.get_by_id(group_ids=["no-such-group"])  # VK echoes the token in the error
        except ParamError as error:
            texts += [str(error), repr(error), repr(error.details)]
        try:
            vk.users.get_followers(user_id=1)  # no token of an accepted kind is pinned
        except ConfigurationError as error:
            texts += [str(error), repr(error)]
    texts += [record.getMessage() for record in caplog.records]
    texts += [repr(call) for call in fake.calls]
    assert any("users.get" in record.getMessage() for record in caplog.records)  # the DEBUG line per call
    joined = "\n".join(texts)
    for value in (U1, G1, S1):
        assert value not in joined
