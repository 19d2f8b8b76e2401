"""The life of one call, written once as a generator of effects for both drivers.

prepare -> (before_send -> rate limit -> send -> parse) until success, recovery or give-up
-> decode. Everything here is policy; the drivers only carry out the effects.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Generator
from typing import Any, TypeVar

import attrs

from apiforge.core.call import Call
from apiforge.core.converter import structure
from apiforge.core.effects import Acquire, Effect, Release, Send, Sleep
from apiforge.core.errors import APIError, APIForgeError, HTTPStatusError, TransportError
from apiforge.core.protocols.base import Protocol
from apiforge.core.ratelimit import RateLimiter
from apiforge.core.retry import RetryPolicy
from apiforge.core.types import JSON

T = TypeVar("T")
logger = logging.getLogger("apiforge")
MAX_RECOVERIES = 3


@attrs.frozen
class Policy:
    """How a client runs its calls: retries, rate limits and the clock they are measured with."""

    retry: RetryPolicy = attrs.field(factory=RetryPolicy.from_env)
    limiter: RateLimiter | None = None
    clock: Callable[[], float] = time.monotonic


def decode(call: Call[T], payload: object) -> T:
    """The payload as the call's declared result type."""
    result = call.result
    if result is object or result is JSON or result is bytes:
        return payload  # type: ignore[return-value]
    return structure(payload, result, method=call.method)  # type: ignore[no-any-return]


def run_call(protocol: Protocol, policy: Policy, call: Call[T]) -> Generator[Effect, Any, T]:
    """Make `call`, retrying and recovering as the policy and the protocol allow."""
    call = protocol.prepare(call)
    started = policy.clock()
    attempt = 0
    recoveries = 0
    while True:
        attempt += 1
        sent_at = policy.clock()
        try:
            payload = yield from _attempt(protocol, policy, call)
        except APIError as error:
            replay = yield from protocol.recover(call, error)
            if replay is not None and recoveries < MAX_RECOVERIES:
                recoveries += 1
                logger.info("%s: recovered from %s, replaying", call.method, type(error).__name__)
                call = replay
                continue
            retry_in = _retry_wait(protocol, policy, call, error, attempt, started)
            if retry_in is None:
                raise
            yield Sleep(retry_in)
            continue
        except (TransportError, HTTPStatusError) as error:
            retry_in = _retry_wait(protocol, policy, call, error, attempt, started)
            if retry_in is None:
                raise
            yield Sleep(retry_in)
            continue
        logger.debug("%s: ok in %.3fs (attempt %d)", call.method, policy.clock() - sent_at, attempt)
        return decode(call, payload)


def _attempt(protocol: Protocol, policy: Policy, call: Call[Any]) -> Generator[Effect, Any, object]:
    """One try: session, credential, concurrency slots, rate limit, send, parse."""
    yield from protocol.before_send(call)
    credential = yield from protocol.credential(call)
    error: BaseException | None = None
    slots = protocol.slots(call)
    taken: list[Acquire] = []
    try:
        for slot in slots:
            yield slot
            taken.append(slot)
        if policy.limiter is not None:
            key, rate = protocol.rate_key(call, credential)
            wait = policy.limiter.reserve(key, policy.clock(), rate)
            if wait > 0:
                yield Sleep(wait)
        response = yield Send(protocol.build_request(call, credential))
        return protocol.parse(call, response)
    except BaseException as exc:
        error = exc
        raise
    finally:
        for slot in reversed(taken):
            yield Release(slot.name)
        protocol.finished(call, credential, error)


def _retry_wait(
    protocol: Protocol, policy: Policy, call: Call[Any], error: APIForgeError, attempt: int, started: float
) -> float | None:
    verdict = protocol.retry_verdict(error) if isinstance(error, APIError) else None
    wait = policy.retry.delay(
        error,
        retry_number=attempt,
        idempotent=call.idempotent,
        verdict=verdict,
        elapsed=policy.clock() - started,
    )
    if wait is not None:
        logger.info("%s: %s on attempt %d; retrying in %.2fs", call.method, type(error).__name__, attempt, wait)
    else:
        logger.debug("%s: %s on attempt %d; not retried", call.method, type(error).__name__, attempt)
    return wait


__all__ = ["Policy", "decode", "run_call"]
