"""The base of every generated client: configuration once, two thin drivers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, ParamSpec, Self, TypeAlias, TypeVar, overload

import attrs
import httpx

from apiforge.core.by_name import call_by_name
from apiforge.core.call import Call
from apiforge.core.drivers import AsyncDriver, SyncDriver
from apiforge.core.effects import Effect
from apiforge.core.pipeline import Policy, run_call
from apiforge.core.protocols.base import Protocol
from apiforge.core.ratelimit import RateLimiter
from apiforge.core.raw_response import RawResponse, is_recording, raw_response, record, recording
from apiforge.core.request_options import RequestOptions
from apiforge.core.retry import RetryPolicy
from apiforge.core.transport import DEFAULT_MAX_IN_FLIGHT, AsyncTransport, async_http_client
from apiforge.core.types import JSON

if TYPE_CHECKING:
    from apiforge.core.batch.auto import AutoBatcher

T = TypeVar("T")
P = ParamSpec("P")
G = TypeVar("G")
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)


class _Unset:
    def __repr__(self) -> str:
        return "DEFAULT"


DEFAULT: Any = _Unset()
"""Marks an argument left to the API's default (e.g. `rate_limit`: the published limit)."""


RateLimit: TypeAlias = float | RateLimiter | None
"""What `rate_limit=` accepts: requests per second, a limiter (per-kind rates, a shared backend), or None (off)."""


def make_limiter(rate_limit: RateLimit, default: RateLimiter | None) -> RateLimiter | None:
    """`rate_limit=None` turns limiting off; a number sets requests per second; a RateLimiter is used as it is;
    DEFAULT keeps `default` (the API's published limits)."""
    if rate_limit is DEFAULT:
        return default
    if rate_limit is None:
        return None
    if isinstance(rate_limit, RateLimiter):
        return rate_limit
    # bool is an int, but `rate_limit=True` is a mistake, not one request per second.
    if not isinstance(rate_limit, int | float) or isinstance(rate_limit, bool) or rate_limit <= 0:
        raise ValueError(
            f"rate_limit must be a positive number of requests per second, a RateLimiter or None, got {rate_limit!r}"
        )
    return RateLimiter.per_second(float(rate_limit))


def make_retry(
    base: RetryPolicy,
    retry: RetryPolicy | None = None,
    *,
    max_retries: int | None = None,
    deadline: float | None = DEFAULT,
) -> RetryPolicy:
    """`base` with the settings `retry` was given, then the shorthands (`max_retries`, `deadline`) on top.

    The shorthands win over the same setting in `retry`: they are the more specific way to say it.
    """
    policy = base.merge(retry)
    if max_retries is not None:
        policy = policy.merge(RetryPolicy(max_retries=max_retries))
    if deadline is not DEFAULT:
        policy = policy.merge(RetryPolicy(deadline=deadline))
    return policy


class BaseClient:
    """State shared by the sync and async clients of one API: the protocol adapter and the policy."""

    _protocol: Protocol
    _policy: Policy
    _owns_http: bool
    _options: RequestOptions = RequestOptions()
    """Headers and timeout of the requests of a `with_options` view (none on a client itself)."""

    def _configure(self, protocol: Protocol, policy: Policy) -> None:
        self._protocol = protocol
        self._policy = policy

    def with_options(
        self,
        *,
        retry: RetryPolicy | None = None,
        max_retries: int | None = None,
        deadline: float | None = DEFAULT,
        rate_limit: RateLimit = DEFAULT,
        timeout: float | httpx.Timeout | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Self:
        """A view of this client with other retry, rate-limit or HTTP settings, sharing its connection and session.

        `client.with_options(max_retries=0).users.get(...)`; the client itself keeps its settings.

        Args:
            retry: retry settings for the calls of the view: each setting the `RetryPolicy` is given
                replaces the client's, the others stay the client's.
            max_retries: shorthand for `retry=RetryPolicy(max_retries=...)`; wins over `retry`.
            deadline: shorthand for `retry=RetryPolicy(deadline=...)` (None: no limit); wins over `retry`.
            rate_limit: requests per second, a RateLimiter, or None (no client-side limit); by default the client's.
            timeout: seconds (or an httpx.Timeout) per request of the view's calls; by default the client's.
            extra_headers: HTTP headers added to every request of the view's calls (a view of a view
                keeps the first one's and adds these); they replace a same-named header of the API's.
                Not sent inside `batch()` blocks, whose requests carry several calls.
        """
        clone = object.__new__(type(self))
        clone.__dict__.update({k: v for k, v in self.__dict__.items() if not _is_group(v)})
        clone._policy = attrs.evolve(
            self._policy,
            retry=make_retry(self._policy.retry, retry, max_retries=max_retries, deadline=deadline),
            limiter=make_limiter(rate_limit, self._policy.limiter),
        )
        clone._options = self._options.merge(extra_headers, timeout)
        # The connection stays the original client's to close.
        clone._owns_http = False
        return clone

    def _pipeline(self, call: Call[T]) -> Generator[Effect, Any, T]:
        # The view's HTTP options and `with_raw_response` look at the requests; the pipeline is the same.
        return record(self._options.wrap(run_call(self._protocol, self._policy, call)))

    def _group(self, name: str, cls: Callable[[Self], G]) -> G:
        """The method group `name`, made on first use and kept (a property, not a cached_property: editors
        complete a property's value, and a cached_property's own attributes besides)."""
        group: G | None = self.__dict__.get(name)
        if group is None:
            group = self.__dict__[name] = cls(self)
        return group

    def _call_by_name(
        self, method: str, params: Mapping[str, object] | None, body: object, result: object
    ) -> Call[Any]:
        return call_by_name(self._protocol.api, method, params, body=body, result=result)

    def __repr__(self) -> str:
        # Secrets live in the protocol; nothing of them belongs here.
        return f"<{type(self).__name__} {self._protocol.base_url}>"


class SyncClient(BaseClient):
    """A client whose calls block. Use it as a context manager, or call close()."""

    _driver: SyncDriver
    _owns_http: bool

    def _start(self, http_client: httpx.Client | None, timeout: httpx.Timeout | float | None) -> None:
        self._owns_http = http_client is None
        http = http_client or httpx.Client(timeout=DEFAULT_TIMEOUT if timeout is None else timeout)
        self._driver = SyncDriver(http)

    def request(self, call: Call[T]) -> T:
        """Make one call and return its typed result."""
        return self._driver.run(self._pipeline(call))

    @overload
    def call(self, method: str, params: Mapping[str, object] | None = None, *, body: object = None) -> JSON: ...
    @overload
    def call(
        self, method: str, params: Mapping[str, object] | None = None, *, body: object = None, result: type[T]
    ) -> T: ...
    def call(
        self, method: str, params: Mapping[str, object] | None = None, *, body: object = None, result: object = JSON
    ) -> object:
        """Call any method by its wire name, with retries, limits, auth and sessions as a generated method.

        `vk.call("users.get", {"user_ids": 1})` returns the raw JSON payload; `result=` decodes it
        as that type instead (`result=list[UsersUserFull]`). `params` are wire names; those the
        spec declares are encoded as the spec says, the others are sent as given (lists comma-separated
        on VK). YCLIENTS: `yc.call("GET /api/v1/company/{company_id}/clients", {"company_id": 1})`
        fills the path from `params`, sends the rest as the query (GET, DELETE) or JSON body.

        Args:
            method: the wire name: `"users.get"`, `"core/search_items"`, `"GET /api/v1/companies"`.
            params: parameters by wire name.
            body: a YCLIENTS JSON body (the params then go in the query string).
            result: the type to decode the answer as (a model, `list[Model]`, `int`...); the raw JSON by default.
        """
        return self.request(self._call_by_name(method, params, body, result))

    def with_raw_response(self, method: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> RawResponse[T]:
        """Make a call and return its HTTP response beside its typed result.

        `raw = vk.with_raw_response(vk.users.get, user_ids=[1])`: `raw.status_code`, `raw.headers`,
        `raw.body` (parsed JSON) and `raw.parsed` (the `list[UsersUserFull]` the method returns).
        Any method of any group works, and `client.call` too.
        """
        with recording() as responses:
            parsed = method(*args, **kwargs)
        return raw_response(responses, parsed, method)

    def close(self) -> None:
        """End the API session (if the API has one) and release the connections."""
        try:
            self._driver.run(self._protocol.close())
        finally:
            self._protocol.secrets.release_all()  # a closed client's secrets need no masking
            if self._owns_http:
                self._driver.http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class AsyncClient(BaseClient):
    """A client whose calls are awaited. Use it as an async context manager, or await aclose()."""

    _driver: AsyncDriver
    _owns_http: bool
    _batcher: AutoBatcher | None = None
    """Auto-batching hook: when set, batchable calls are handed to it and may share a batch request."""

    def _start(
        self,
        http_client: httpx.AsyncClient | None,
        timeout: httpx.Timeout | float | None,
        *,
        transport: AsyncTransport | None = None,
        max_in_flight: int | None = DEFAULT_MAX_IN_FLIGHT,
    ) -> None:
        self._owns_http = http_client is None
        # A given http_client is used as it is: its transport and limits are the caller's.
        http = http_client or async_http_client(
            transport=transport,
            timeout=DEFAULT_TIMEOUT if timeout is None else httpx.Timeout(timeout),
            max_in_flight=max_in_flight,
        )
        self._driver = AsyncDriver(http)

    async def request(self, call: Call[T]) -> T:
        """Make one call and return its typed result (coalesced with concurrent calls when auto-batching)."""
        batcher = self._batcher
        # A call whose raw response is wanted, or with its own HTTP options, goes out as itself.
        if batcher is not None and batcher.accepts(call) and not is_recording() and self._options == RequestOptions():
            return await batcher.submit(call, self._protocol, self._policy)
        return await self._driver.run(self._pipeline(call))

    @overload
    async def call(self, method: str, params: Mapping[str, object] | None = None, *, body: object = None) -> JSON: ...
    @overload
    async def call(
        self, method: str, params: Mapping[str, object] | None = None, *, body: object = None, result: type[T]
    ) -> T: ...
    async def call(
        self, method: str, params: Mapping[str, object] | None = None, *, body: object = None, result: object = JSON
    ) -> object:
        """Call any method by its wire name, with retries, limits, auth and sessions as a generated method.

        `await vk.call("users.get", {"user_ids": 1})` returns the raw JSON payload; `result=` decodes
        it as that type. Concurrent calls share `execute` requests when auto-batching is on.
        See `SyncClient.call` for the parameters.
        """
        return await self.request(self._call_by_name(method, params, body, result))

    async def with_raw_response(
        self, method: Callable[P, Awaitable[T]], /, *args: P.args, **kwargs: P.kwargs
    ) -> RawResponse[T]:
        """Make a call and return its HTTP response beside its typed result.

        `raw = await vk.with_raw_response(vk.users.get, user_ids=[1])`: `raw.status_code`,
        `raw.headers`, `raw.body` (parsed JSON) and `raw.parsed` (what the method returns).
        """
        with recording() as responses:
            parsed = await method(*args, **kwargs)
        return raw_response(responses, parsed, method)

    async def aclose(self) -> None:
        """End the API session (if the API has one) and release the connections."""
        try:
            await self._driver.run(self._protocol.close())
        finally:
            self._protocol.secrets.release_all()  # a closed client's secrets need no masking
            if self._owns_http:
                await self._driver.http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()


def _is_group(value: object) -> bool:
    # Method groups cached on the client hold a reference to it; a clone builds its own.
    return getattr(value, "_client", None) is not None


__all__ = ["DEFAULT", "AsyncClient", "BaseClient", "RateLimit", "SyncClient", "make_limiter", "make_retry"]
