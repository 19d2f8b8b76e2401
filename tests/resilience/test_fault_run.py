"""The fault run: 2,000 calls per API, sync and async, against fakes that fail one request in five.

The run makes 2,000 calls per API and flavour twice: in-process (a few seconds each), and over
real HTTP on 127.0.0.1 — sockets closed and reset, timeouts that really elapse — in 12-40 s each
on 2 cores (async is slower there: the fake's server threads compete with the client for them).

Every kind of fault a fake can inject is mixed in at random (seeded): 5xx answers, connections
dropped before and after the server processed the request, timeouts, and each API's own errors
(VK 6/10, Wialon 1 and 1003, YCLIENTS 429 with Retry-After in both forms). The clients run with
8 retries and a tiny backoff. What must hold:

- VK: no `messages.send` is lost (each the caller saw succeed is in the fake's history exactly
  once) and none is duplicated (no random_id, no text delivered twice);
- Wialon: expired sessions are logged into again and the calls replayed;
- YCLIENTS: a 429 waits at least its Retry-After; a call that is not idempotent (`clients.create`)
  is never resent once it may have reached the server: no client is created twice;
- no idempotent call runs out of retries;
- no secret (tokens, the session ids the fake issued, the user token, the password) appears in any
  log record or exception text.

The figures are printed: run `pytest -s tests/resilience/test_fault_run.py` to see them.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import logging
import random
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import httpx
import pytest

from apiforge.core import APIError, APIForgeError, HTTPStatusError, TransportError
from apiforge.core.client import AsyncClient, SyncClient
from apiforge.testing import FakeVK, FakeWialon, FakeYclients
from apiforge.testing._server import FakeServer, Response
from apiforge.testing.wialon import DEFAULT_UNITS
from apiforge.testing.yclients import FakeUser
from apiforge.vk import VK, AsyncVK
from apiforge.wialon import AsyncWialon, Wialon
from apiforge.wialon.models.search import ItemsType, SearchSpec
from apiforge.yclients import AsyncYclients, Yclients

CALLS = 2000  # per API, flavour and mode
FAULT_RATE = 0.2
MAX_RETRIES = 8
CONCURRENCY = 20
SEED = 20240601
CLIENT_TIMEOUT = 0.1  # over real HTTP: a `timeout` fault holds its answer longer than this
# Well past the client's timeout: on a loaded machine an event loop or a thread can be scheduled so
# late that an answer held only 0.2 s longer is already there when the timer fires, and the call
# succeeds with the fault unseen (CI once counted one fault fewer than retries + reports so).
HANG = 1.0
RETRY_AFTER = 10.0  # what a YCLIENTS 429 asks for; recorded, not slept (see Waits)
# Retry waits are milliseconds (APIFORGE_BACKOFF_BASE=0.001); a wait this long can only be a Retry-After.
# (Half of it: the HTTP-date form has whole seconds and the answer takes time to reach the client.)
RETRY_AFTER_SEEN = RETRY_AFTER / 2

VK_TOKEN = "vk1.a.FaultRun-Secret-Token-7c1d9e0b5a"
WIALON_TOKEN = "5dce19710a5e26ab8b7b8986cb3c49e5FAULTRUNSECRET0A7AEB8AFBFCEED7DC03BC48FF5F8"
PARTNER_TOKEN = "partner-FaultRun-Secret-41f2"
PASSWORD = "pw-FaultRun-Secret-93a7"
COMPANY = 4564
CREATED = "fault-run client"  # the names of the clients the YCLIENTS run creates
UNITS = {int(unit["id"]): str(unit["nm"]) for unit in DEFAULT_UNITS}

Client = SyncClient | AsyncClient
# The line each call logs at DEBUG when it is over (apiforge.core.pipeline.run_call).
CALL_LINE = re.compile(r"^.+?: (?P<outcome>ok|failed) in \d+\.\d{3}s \((?P<attempts>\d+) attempts?\)")


# Recording what happened.


class Waits:
    """The driver's sleep: records every wait the pipeline asks for; sleeps the backoff, not a Retry-After.

    Backoff waits are milliseconds (APIFORGE_BACKOFF_BASE=0.001) and really pass. A 429's Retry-After
    (RETRY_AFTER seconds, some hundred times per run) is only recorded: the run checks each was asked
    for without spending those minutes.
    """

    def __init__(self) -> None:
        self.asked: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.asked.append(seconds)
        time.sleep(seconds if seconds < RETRY_AFTER_SEEN else 0)

    async def async_sleep(self, seconds: float) -> None:
        self.asked.append(seconds)
        await asyncio.sleep(seconds if seconds < RETRY_AFTER_SEEN else 0)


@attrs.frozen
class Op:
    """One call of the run: what to call, what to check on its result, and whether it is idempotent."""

    name: str
    call: Callable[[Any], object]
    check: Callable[[Any], None]
    idempotent: bool = True


@attrs.define
class Tally:
    """The caller's view of a run."""

    done: int = 0
    exhausted: list[tuple[str, APIForgeError]] = attrs.field(factory=list)
    """Idempotent calls that failed after every retry: must stay empty."""
    not_retried: list[tuple[str, APIForgeError]] = attrs.field(factory=list)
    """Calls that are not idempotent, failed once the request may have reached the server: not resent by design."""
    texts: list[str] = attrs.field(factory=list)

    def failed(self, op: Op, error: APIForgeError) -> None:
        (self.exhausted if op.idempotent else self.not_retried).append((op.name, error))
        self.texts.extend(exception_texts(error))


def exception_texts(error: BaseException) -> list[str]:
    """What a user could print of an error: str and repr of it and its chain, and an API error's details."""
    texts: list[str] = []
    seen: BaseException | None = error
    while seen is not None:
        texts += [str(seen), repr(seen)]
        if isinstance(seen, APIError):
            texts.append(repr(seen.details))
        seen = seen.__cause__ or seen.__context__
    return texts


def run_sync(client: SyncClient, ops: list[Op], tally: Tally) -> None:
    for op in ops:
        try:
            op.check(op.call(client))
        except APIForgeError as error:
            tally.failed(op, error)
        tally.done += 1


async def run_async(client: AsyncClient, ops: list[Op], tally: Tally) -> None:
    pending = iter(ops)

    async def worker() -> None:
        for op in pending:
            try:
                result = op.call(client)
                op.check(await result if inspect.isawaitable(result) else result)
            except APIForgeError as error:
                tally.failed(op, error)
            tally.done += 1

    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))


# The three APIs.


class RunFake:
    """What every fault run needs of its fake."""

    def secrets(self) -> list[str]:
        raise NotImplementedError


class VKRun(FakeVK, RunFake):
    def __init__(self) -> None:
        super().__init__(tokens={VK_TOKEN})

    def secrets(self) -> list[str]:
        return [VK_TOKEN]


class WialonRun(FakeWialon, RunFake):
    """A FakeWialon that remembers every session id it issued, to search the run's texts for them."""

    def __init__(self) -> None:
        super().__init__(tokens={WIALON_TOKEN})
        self.issued: list[str] = []
        self.expired = 0  # live sessions ended by `wialon_1` faults

    def handle(self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes) -> Response:
        status, answer_headers, answer = super().handle(method, path, query, headers, body)
        issued = json.loads(answer) if status == 200 and b'"eid"' in answer else None
        if isinstance(issued, dict) and isinstance(issued.get("eid"), str):
            self.issued.append(issued["eid"])
        return status, answer_headers, answer

    def expire_session(self, sid: str | None = None) -> None:
        with self._lock:
            self.expired += sum(1 for live in self.sessions if sid is None or live == sid)
        super().expire_session(sid)

    def secrets(self) -> list[str]:
        return [WIALON_TOKEN, *self.issued]


class YclientsRun(FakeYclients, RunFake):
    def __init__(self) -> None:
        user = FakeUser(id=1001, login="admin", password=PASSWORD, companies=(COMPANY,))
        super().__init__(partner_tokens={PARTNER_TOKEN}, users=[user])

    def secrets(self) -> list[str]:
        return [PARTNER_TOKEN, PASSWORD, *self.user_tokens]

    def created(self) -> list[tuple[int, str]]:
        """(id, name) of every client the run's `clients.create` calls made, as the fake stored them."""
        return [(int(c["id"]), str(c["name"])) for c in self.clients[COMPANY].values() if CREATED in str(c["name"])]


def vk_ops(rng: random.Random, calls: int, sent: list[tuple[int, str]]) -> list[Op]:
    """Many sends, some reads."""
    ops: list[Op] = []
    for n in range(calls):
        roll = rng.random()
        if roll < 0.6:
            text, peer = f"fault-run message {n}", rng.choice([1, 5])
            ops.append(
                Op(
                    "messages.send",
                    lambda c, text=text, peer=peer: c.messages.send(peer_id=peer, message=text),
                    lambda message_id, text=text: sent.append((message_id, text)),
                )
            )
        elif roll < 0.85:
            ops.append(Op("users.get", lambda c: c.users.get(user_ids=[1, 5]), check_users))
        else:
            ops.append(Op("messages.getHistory", lambda c: c.messages.get_history(peer_id=5, count=5), check_history))
    return ops


def check_users(users: Any) -> None:
    assert [u.id for u in users] == [1, 5]


def check_history(history: Any) -> None:
    assert history.count >= len(history.items)


def wialon_ops(rng: random.Random, calls: int) -> list[Op]:
    ops: list[Op] = []
    spec = SearchSpec(items_type=ItemsType.UNIT, prop_name="sys_name", prop_value_mask="*", sort_type="sys_name")
    for _ in range(calls):
        if rng.random() < 0.6:
            unit = rng.choice(list(UNITS))
            ops.append(
                Op(
                    "core/search_item",
                    lambda c, unit=unit: c.core.search_item(id=unit, flags=1),
                    lambda found, unit=unit: check_unit(found, unit),
                )
            )
        else:
            ops.append(
                Op(
                    "core/search_items",
                    lambda c: c.core.search_items(spec=spec, force=1, flags=1, from_=0, to=0),
                    check_units,
                )
            )
    return ops


def check_unit(found: Any, unit: int) -> None:
    assert (found.item.id, found.item.nm) == (unit, UNITS[unit])


def check_units(found: Any) -> None:
    assert [item.nm for item in found.items] == sorted(UNITS.values())


def yclients_ops(rng: random.Random, calls: int, created: list[tuple[int, str]]) -> list[Op]:
    """Reads (a GET, and clients/search: a POST marked idempotent), and creations, which are not idempotent."""
    ops: list[Op] = []
    for n in range(calls):
        roll = rng.random()
        if roll < 0.55:
            ops.append(Op("GET /companies", lambda c: c.companies.list(), check_companies))
        elif roll < 0.8:
            page = rng.randint(1, 6)
            ops.append(
                Op(
                    "POST /clients/search",
                    lambda c, page=page: c.clients.search(company_id=COMPANY, page=page, page_size=10),
                    lambda found, page=page: check_clients(found, page),
                )
            )
        else:
            # A creation is never resent once it may have arrived: a retry could create the client twice.
            name = f"{CREATED} {n}"
            ops.append(
                Op(
                    "POST /clients",
                    lambda c, name=name, n=n: c.clients.create(company_id=COMPANY, name=name, phone=f"7999{n:07d}"),
                    lambda client, name=name: created.append((client.id, name)),
                    idempotent=False,
                )
            )
    return ops


def check_companies(companies: Any) -> None:
    assert [c.id for c in companies] == [4564, 4565]


def check_clients(found: Any, page: int) -> None:
    assert [c.id for c in found] == [COMPANY * 1000 + n for n in range((page - 1) * 10 + 1, page * 10 + 1)]


# The run.


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APIFORGE_MAX_RETRIES", str(MAX_RETRIES))
    monkeypatch.setenv("APIFORGE_BACKOFF_BASE", "0.001")
    monkeypatch.delenv("APIFORGE_BACKOFF_MAX", raising=False)
    monkeypatch.delenv("APIFORGE_RETRY_JITTER", raising=False)


@contextlib.contextmanager
def serving(fake: FakeServer, mode: str) -> Iterator[str]:
    """The base URL of `fake` (serving HTTP meanwhile in "http" mode)."""
    if mode == "http":
        with fake:
            yield fake.url
    else:
        yield "http://fake"


def client_for(api: str, fake: FakeServer, url: str, mode: str, flavour: str) -> Client:
    """The client of `api` for `fake`: over real HTTP with a short timeout, or over the in-process transport."""
    http: httpx.Client | httpx.AsyncClient | None = None
    is_async = flavour in ("async", "aiohttp")
    if mode == "inprocess":
        http = (
            httpx.AsyncClient(transport=fake.async_transport())
            if is_async
            else httpx.Client(transport=fake.transport())
        )
    common: dict[str, Any] = {"base_url": url, "rate_limit": None, "timeout": CLIENT_TIMEOUT, "http_client": http}
    if flavour == "aiohttp":
        common["transport"] = "aiohttp"
    if api == "vk":
        return (AsyncVK if is_async else VK)(token=VK_TOKEN, **common)
    if api == "wialon":
        return (AsyncWialon if is_async else Wialon)(token=WIALON_TOKEN, **common)
    return (AsyncYclients if is_async else Yclients)(partner_token=PARTNER_TOKEN, **common)


def make_fake(api: str) -> VKRun | WialonRun | YclientsRun:
    fake: VKRun | WialonRun | YclientsRun = {"vk": VKRun, "wialon": WialonRun, "yclients": YclientsRun}[api]()
    fake.faults.hang = HANG
    fake.faults.retry_after = RETRY_AFTER
    return fake


def drive_sync(client: Any, ops: list[Op], tally: Tally, api: str) -> None:
    """Log in where the API needs it, make every call, close the client (Wialon logs out)."""
    with client:
        if api == "yclients":
            client.login("admin", PASSWORD)
        run_sync(client, ops, tally)


async def drive_async(client: Any, ops: list[Op], tally: Tally, api: str) -> None:
    """The same, awaited, with CONCURRENCY calls in flight."""
    async with client:
        if api == "yclients":
            await client.login("admin", PASSWORD)
        await run_async(client, ops, tally)


def probe_every_kind(client: Any, fake: FakeServer, op: Op) -> list[str]:
    """Each kind once more with retries off: the exception texts a user would see of every fault."""
    texts: list[str] = []
    for kind in fake.faults.supported:
        fake.faults.fail_next(1, kind=kind)
        try:
            op.call(client.with_options(max_retries=0))
        except APIForgeError as error:
            texts += exception_texts(error)
    return texts


@pytest.mark.parametrize("flavour", ["sync", "async"])
@pytest.mark.parametrize("api", ["vk", "wialon", "yclients"])
def test_fault_run(api: str, flavour: str, mode: str, caplog: pytest.LogCaptureFixture) -> None:
    run_faults(api, flavour, mode, caplog, calls=CALLS)


@pytest.mark.parametrize("mode", ["http"])  # the transport is what the in-process mode replaces
@pytest.mark.parametrize("api", ["vk", "wialon", "yclients"])
def test_fault_run_over_aiohttp(api: str, mode: str, caplog: pytest.LogCaptureFixture) -> None:
    """The async clients over the aiohttp transport: the same run, at a quarter of the calls."""
    run_faults(api, "aiohttp", mode, caplog, calls=CALLS // 4)


def run_faults(api: str, flavour: str, mode: str, caplog: pytest.LogCaptureFixture, *, calls: int) -> None:
    """`calls` calls of `api` through a client of `flavour` (sync, async, aiohttp), faults injected; checked."""
    caplog.set_level(logging.DEBUG, logger="apiforge")
    rng = random.Random(SEED)
    fake = make_fake(api)
    fake.faults.seed(SEED)
    sent: list[tuple[int, str]] = []  # (message id, text) of each messages.send the caller saw succeed
    created: list[tuple[int, str]] = []  # (client id, name) of each clients.create the caller saw succeed
    if api == "vk":
        ops = vk_ops(rng, calls, sent)
    elif api == "wialon":
        ops = wialon_ops(rng, calls)
    else:
        ops = yclients_ops(rng, calls, created)
    tally = Tally()
    waits = Waits()

    with serving(fake, mode) as url:
        client = client_for(api, fake, url, mode, flavour)
        fake.faults.rate = FAULT_RATE
        started = time.monotonic()
        if isinstance(client, AsyncClient):
            client._driver.sleep = waits.async_sleep
            asyncio.run(drive_async(client, ops, tally, api))
        else:
            client._driver.sleep = waits.sleep
            drive_sync(client, ops, tally, api)
        duration = time.monotonic() - started
        fake.faults.rate = 0.0
        injected = Counter(fake.faults.counts())
        requests = len(fake.calls) + sum(not r.processed for r in fake.faults.log)
        messages = [r.getMessage() for r in caplog.records]
        call_lines = [m for r, m in zip(caplog.records, messages, strict=True) if r.levelno == logging.DEBUG]
        delivered = list(fake.messages) if isinstance(fake, VKRun) else []
        stored = fake.created() if isinstance(fake, YclientsRun) else []
        # Then each kind once with retries off, for the texts of the errors a user would see.
        probe = client_for(api, fake, url, mode, "sync")
        with probe:
            if api == "yclients":
                probe.login("admin", PASSWORD)
            # A read: the probe must not add messages or clients to what the run delivered.
            read = next(op for op in ops if op.idempotent and op.name != "messages.send")
            tally.texts += probe_every_kind(probe, fake, read)

    # The figures.
    finished = [match for m in call_lines if (match := CALL_LINE.match(m))]
    attempts = sum(int(match["attempts"]) for match in finished)
    retries = sum("retrying in" in m for m in messages)
    recoveries = sum("recovered from" in m for m in messages)
    retry_after_waits = sum(w >= RETRY_AFTER_SEEN for w in waits.asked)
    lost = duplicated = 0
    if isinstance(fake, VKRun):
        by_text = Counter(m["text"] for m in delivered)
        lost = sum(by_text[text] == 0 for _, text in sent)
        duplicated = sum(n - 1 for n in by_text.values() if n > 1)
        duplicated += sum(n - 1 for n in Counter(m["random_id"] for m in delivered).values() if n > 1)
    if isinstance(fake, YclientsRun):
        by_name = Counter(name for _, name in stored)
        lost = sum(by_name[name] == 0 for _, name in created)
        duplicated = sum(n - 1 for n in by_name.values() if n > 1)
    writes = {"vk": f"; sends {len(sent)}", "yclients": f"; creations {len(created)}"}.get(api)
    print(
        f"\nfault run {api}/{flavour}/{mode}: {tally.done} calls in {duration:.1f} s, {requests} requests;"
        f" {injected.total()} faults injected ({', '.join(f'{k} {n}' for k, n in sorted(injected.items()))});"
        f" {retries} retries, {recoveries} session recoveries, {retry_after_waits} Retry-After waits;"
        f" {len(finished)} calls logged with {attempts} attempts;"
        f" exhausted {len(tally.exhausted)}, not retried by design {len(tally.not_retried)}"
        + (f"{writes}, lost {lost}, duplicated {duplicated}" if writes else "")
    )

    # Every call was made and no idempotent call ran out of retries.
    assert tally.done == calls
    assert tally.exhausted == []
    # One DEBUG line per call (and the YCLIENTS login), whether it succeeded or failed in the end.
    assert len(finished) == tally.done + (api == "yclients")
    assert sum(match["outcome"] == "failed" for match in finished) == len(tally.exhausted) + len(tally.not_retried)
    # About one request in five failed, with every kind of fault the fake has.
    assert set(injected) == set(fake.faults.supported)
    assert 0.12 < injected.total() / requests < 0.28
    # Every fault struck an attempt that was then retried, repaired (Wialon) or, for a call that is not
    # idempotent, reported — except a fault on the re-login of a repair, which makes the repair's
    # failure one retry for both. A spurious client timeout could only add retries.
    assert retries + recoveries + len(tally.not_retried) >= injected.total() - injected["wialon_1"]

    if isinstance(fake, VKRun):
        assert len(sent) > calls / 2
        assert lost == 0
        assert duplicated == 0
        texts_by_id = {m["id"]: m["text"] for m in delivered}
        assert {message_id: texts_by_id.get(message_id) for message_id, _ in sent} == dict(sent)
        assert len(delivered) == len(sent)  # nothing delivered that the caller did not see succeed
    if isinstance(fake, WialonRun):
        # Sessions expired under the calls; each time the client logged in again and replayed the call
        # (every call returned its data). A repair whose re-login failed was retried instead.
        assert fake.expired > 0
        assert recoveries > 0
        assert len(fake.issued) >= 1 + fake.expired
    if isinstance(fake, YclientsRun):
        # Every 429 waited its Retry-After (seconds or date); no other wait comes near it.
        assert retry_after_waits == injected["yclients_429"] + injected["yclients_429_date"]
        # Each creation the caller saw succeed made its client, and no creation was sent twice. (A creation
        # that failed once it may have arrived may have made one too: it was reported, not resent.)
        assert len(created) > calls / 10
        assert lost == 0
        assert duplicated == 0
        assert set(created) <= set(stored)
        assert len(stored) <= len(created) + len(tally.not_retried)
        for _, error in tally.not_retried:
            may_have_arrived = (
                (isinstance(error, TransportError) and error.sent)
                or (isinstance(error, HTTPStatusError) and error.status_code >= 500)
                or (isinstance(error, APIError) and error.code >= 500)
            )
            assert may_have_arrived, error
    else:
        assert retry_after_waits == 0

    # No secret anywhere in what the run logged or raised.
    records = caplog.records
    texts = [r.getMessage() for r in records] + [r.exc_text or "" for r in records] + tally.texts
    texts += [repr(client), repr(probe)]
    secrets = fake.secrets()
    print(f"redaction: {len(texts)} log lines and exception texts searched for {len(secrets)} secrets")
    assert len(secrets) >= (1 if api == "vk" else 3)  # the tokens, and the session ids / user tokens issued
    for secret in secrets:
        leaks = [text for text in texts if secret in text]
        assert leaks == [], f"a secret leaked into {len(leaks)} texts, e.g. {leaks[0][:200]!r}"
