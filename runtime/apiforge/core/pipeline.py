"""The life of one call, written once as a generator of effects for both drivers.

prepare -> (before_send -> rate limit -> send -> parse) until success, recovery or give-up
-> decode. Everything here is policy; the drivers only carry out the effects.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Generator
from typing import Any, TypeVar, cast

import attrs

from apiforge.core.call import Call
from apiforge.core.effects import Effect, Reserve, Send, Sleep
from apiforge.core.errors import APIError, APIForgeError, DecodeError, HTTPStatusError, TransportError
from apiforge.core.pagination import Page, decode_page, page_item_type
from apiforge.core.protocols.base import Protocol, Taken, for_method, give_back
from apiforge.core.ratelimit import RateLimiter
from apiforge.core.redact import redact_text
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
    if page_item_type(result) is not None:
        return decode_page(call, payload)  # type: ignore[return-value]
    if isinstance(payload, Page):
        payload = list(cast("Page[object]", payload))  # a page of raw items is a plain list to other result types
    if result is object or result is JSON or result is bytes:
        return payload  # type: ignore[return-value]
    # cattrs loads on the first decode, not on `import apiforge.<api>` (see bench/import_vk.py).
    from apiforge.core.converter import structure

    return structure(payload, result, method=call.method)  # type: ignore[no-any-return]


def run_call(protocol: Protocol, policy: Policy, call: Call[T]) -> Generator[Effect, Any, T]:
    """Make `call`, retrying and recovering as the policy and the protocol allow.

    Logs one DEBUG line per call when it is over, whether it succeeded or failed: the method, the
    attempts made and the time since it started (waits for rate limits and backoff included).
    Each retry and each recovery is logged at INFO as it happens.
    """
    started = policy.clock()
    tally = _Tally()
    try:
        result = yield from _run(protocol, policy, call, tally)
    except GeneratorExit:
        # The driver dropped the call (its generator was closed): nothing finished to report.
        raise
    except BaseException as error:
        logger.debug(
            "%s: failed in %.3fs (%s): %s: %s",
            call.method,
            policy.clock() - started,
            _attempts(tally.attempts),
            type(error).__name__,
            # apiforge's errors are redacted already; a user hook's exception may not be.
            redact_text(str(error)),
        )
        raise
    logger.debug("%s: ok in %.3fs (%s)", call.method, policy.clock() - started, _attempts(tally.attempts))
    return result


def _attempts(count: int) -> str:
    return "1 attempt" if count == 1 else f"{count} attempts"


@attrs.define
class _Tally:
    """How many attempts a call has made so far (read by run_call's log line, also when the call fails)."""

    attempts: int = 0


def _run(protocol: Protocol, policy: Policy, call: Call[T], tally: _Tally) -> Generator[Effect, Any, T]:
    call = protocol.prepare(call)
    started = policy.clock()
    recoveries = 0
    retries = 0  # failures retried so far; replays after a repair do not count
    maybe_done = False  # an earlier attempt that failed may have been processed by the server
    while True:
        tally.attempts += 1
        attempt = tally.attempts
        progress = _Progress()
        try:
            payload = yield from _attempt(protocol, policy, call, progress)
        except (APIError, TransportError, HTTPStatusError) as error:
            failure: APIForgeError = error
            if maybe_done and isinstance(error, APIError) and protocol.done_already(call, error):
                # Say, a retried DELETE answered 404: the attempt that seemed to fail deleted it.
                try:
                    done = decode(call, None)
                except DecodeError:
                    raise error from None  # a result with a body cannot be rebuilt from the lost answer
                logger.info(
                    "%s: %s on a retry after an attempt that may have been processed: taken as done",
                    call.method,
                    type(error).__name__,
                )
                return done
            # Repairs (a new session after an expiry) are not retries, but the retry budget widens their cap:
            # a client that allows many retries expects to ride out many failures, expiries included.
            cap = max(MAX_RECOVERIES, policy.retry.max_retries, protocol.max_recoveries)
            if isinstance(error, APIError) and recoveries < cap:
                try:
                    replay = yield from protocol.recover(call, error)
                except (APIError, TransportError, HTTPStatusError) as repair_error:
                    # The repair failed (say, the re-login hit a network fault): the call was not replayed,
                    # so this is retried like any attempt that failed before sending.
                    replay, failure, progress.sent = None, repair_error, False
                if replay is not None:
                    recoveries += 1
                    logger.info("%s: recovered from %s, replaying", call.method, type(error).__name__)
                    call = replay
                    continue
            retry_in = _retry_wait(
                protocol, policy, call, failure, attempt, retries + 1, started, reached=progress.sent
            )
            if retry_in is None:
                if failure is error:
                    raise
                raise failure from error
            retries += 1
            maybe_done = maybe_done or (progress.sent and _may_have_been_processed(protocol, failure))
            yield Sleep(retry_in)
            continue
        return decode(call, payload)


def _may_have_been_processed(protocol: Protocol, failure: APIForgeError) -> bool:
    """Could the server have done the call whose attempt failed so? (Refusals and connections never made: no.)"""
    if isinstance(failure, TransportError):
        return failure.sent
    if isinstance(failure, APIError):
        return protocol.retry_verdict(failure) != "rejected"
    return True  # an HTTP error status: a gateway's 502 does not say what the server behind it did


@attrs.define
class _Progress:
    """How far an attempt got: `sent` once the call's own request went to the driver.

    A failure before that (a login, a token fetch) cannot have done the call itself, so it is
    retried even when the call is not idempotent.
    """

    sent: bool = False


def _attempt(
    protocol: Protocol, policy: Policy, call: Call[Any], progress: _Progress
) -> Generator[Effect, Any, object]:
    """One try: session, credential, concurrency slots, rate limit, send, parse."""
    yield from protocol.before_send(call)
    credential = yield from protocol.credential(call)
    error: BaseException | None = None
    taken: list[Taken] = []
    try:
        credential = yield from protocol.admit(call, credential, taken)
        if policy.limiter is not None:
            key, rate = protocol.rate_key(call, credential)
            yield from _wait_for_turn(policy, policy.limiter, key, rate)
        request = for_method(protocol.build_request(call, credential), call.method)
        progress.sent = True
        response = yield Send(request)
        return protocol.parse(call, response)
    except BaseException as exc:
        error = exc
        raise
    finally:
        try:
            yield from give_back(taken)
        finally:
            protocol.finished(call, credential, error)


MAX_REBOOKINGS = 3
"""How often one attempt books its turn again after waking too late for the one it had (see _wait_for_turn)."""


def _wait_for_turn(policy: Policy, limiter: RateLimiter, key: str, rate: float | None) -> Generator[Effect, Any, None]:
    """Book a turn under `key` and wait for it; book again if the wait overran it by more than half the margin.

    A request that goes late (the booking's answer came back slowly, the thread or the event loop
    woke late) may meet, at the server, a request booked a whole window after its turn: the margin
    covers transit, not a late start. Its turn stays booked (the schedule only grows stricter); it
    takes a new one, from now. The booking is an effect: the async driver awaits a shared limiter
    (Redis) instead of blocking its loop.
    """
    for rebooking in range(MAX_REBOOKINGS + 1):
        asked = policy.clock()
        wait = yield Reserve(limiter, key, rate, asked)
        if wait > 0:
            yield Sleep(wait)
        late = policy.clock() - asked - wait
        if limiter.margin == 0 or late <= limiter.margin / 2 or rebooking == MAX_REBOOKINGS:
            return
        logger.debug("rate limit %s: woke %.3fs after the turn booked; booking again", key, late)


def _retry_wait(
    protocol: Protocol,
    policy: Policy,
    call: Call[Any],
    error: APIForgeError,
    attempt: int,
    retry_number: int,
    started: float,
    *,
    reached: bool,
) -> float | None:
    verdict = protocol.retry_verdict(error) if isinstance(error, APIError) else None
    wait = policy.retry.delay(
        error,
        retry_number=retry_number,
        idempotent=call.idempotent or not reached,
        verdict=verdict,
        elapsed=policy.clock() - started,
    )
    if wait is not None:
        logger.info("%s: %s on attempt %d; retrying in %.2fs", call.method, type(error).__name__, attempt, wait)
    # A failure that is not retried ends the call: run_call's line reports it.
    return wait


__all__ = ["Policy", "decode", "run_call"]
