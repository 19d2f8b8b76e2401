"""The protocol adapter and policy of each API's clients, built once for the sync and async twins."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from apiforge.core.client import DEFAULT, RateLimit, make_limiter, make_retry
from apiforge.core.pipeline import Policy
from apiforge.core.protocols.base import Protocol
from apiforge.core.ratelimit import RateLimiter, VKRateLimiter, Window
from apiforge.core.retry import RetryPolicy

if TYPE_CHECKING:
    from apiforge.core.auth.captcha import AsyncCaptchaHandler
    from apiforge.core.auth.pool import TokenSource
    from apiforge.core.auth.tokens import AsyncTokenStrategy, TokenKind, TokenStrategy
    from apiforge.core.protocols.vk import VKProtocol
    from apiforge.core.protocols.wialon import WialonProtocol


def _error_factory(package: str) -> Any:
    """The generated `error_class` of an API, imported when the first error arrives."""

    def error_class(code: int) -> Any:
        import importlib

        return importlib.import_module(f"apiforge.{package}.errors").error_class(code)

    return error_class


def vk_parts(
    *,
    token: TokenSource,
    token_kind: TokenKind,
    version: str,
    lang: str | None,
    base_url: str,
    rate_limit: RateLimit,
    rate_limits: Mapping[str, float],
    retry: RetryPolicy | None,
    max_retries: int | None,
    strategy: TokenStrategy | AsyncTokenStrategy | None = None,
    captcha_handler: AsyncCaptchaHandler | None = None,
    max_captcha_attempts: int = 5,
    sync: bool = False,
) -> tuple[VKProtocol, Policy]:
    """The adapter and policy of `VK(...)` (`sync=True`) or `AsyncVK(...)`.

    `rate_limits` are the published per-token rates by token kind (specs/vk/api.yaml); they
    apply unless the caller sets `rate_limit` (a number for every token, a RateLimiter, or None).
    """
    from apiforge.core.auth.hooks import ensure_sync
    from apiforge.core.auth.pool import TokenPool
    from apiforge.core.protocols.vk import VKProtocol

    owner = "VK" if sync else "AsyncVK"
    if isinstance(token, str) and not token:
        raise ValueError(f"VK needs an access token: {owner}(token=...)")
    pool = TokenPool.from_source(token, kind=token_kind, strategy=strategy, owner=owner)
    if sync:
        # The sync driver cannot await: refuse async hooks now rather than on the first call.
        ensure_sync(captcha_handler, f"{owner}(captcha_handler=...)")
        ensure_sync(getattr(strategy, "choose", None), f"{owner}(strategy=...).choose")
        ensure_sync(getattr(pool.provider, "provide", None), f"{owner}(token=<provider>).provide")
    protocol = VKProtocol(
        base_url=base_url,
        error_class=_error_factory("vk"),
        version=version,
        token=pool,
        lang=lang,
        captcha_handler=captcha_handler,
        max_captcha_attempts=max_captcha_attempts,
    )
    default = VKRateLimiter(rate_limits, default=rate_limits.get(token_kind, 3.0))
    return protocol, _policy(retry, max_retries, make_limiter(rate_limit, default))


def yclients_parts(
    *,
    partner_token: str,
    user_token: str | None,
    base_url: str,
    rate_limit: RateLimit,
    retry: RetryPolicy | None,
    max_retries: int | None,
) -> tuple[Protocol, Policy]:
    """The adapter and policy of `Yclients(...)` and `AsyncYclients(...)` (published limits: 5/s and 200/min)."""
    from apiforge.core.protocols.yclients import YclientsProtocol

    if not partner_token:
        raise ValueError("YCLIENTS needs a partner token: Yclients(partner_token=...)")
    protocol = YclientsProtocol(
        base_url=base_url, error_class=_error_factory("yclients"), partner_token=partner_token, user_token=user_token
    )
    default = RateLimiter([Window(5), Window(200, 60)])
    return protocol, _policy(retry, max_retries, make_limiter(rate_limit, default))


def wialon_parts(
    *,
    token: str | None,
    operate_as: str | None,
    base_url: str,
    rate_limit: RateLimit,
    retry: RetryPolicy | None,
    max_retries: int | None,
) -> tuple[WialonProtocol, Policy]:
    """The adapter and policy of `Wialon(...)` and `AsyncWialon(...)` (no client-side rate limit by default)."""
    from apiforge.core.protocols.wialon import WialonProtocol

    protocol = WialonProtocol(
        base_url=base_url, error_class=_error_factory("wialon"), token=token, operate_as=operate_as
    )
    protocol.secrets.hold(token)
    limiter = None if rate_limit is DEFAULT else make_limiter(rate_limit, None)
    return protocol, _policy(retry, max_retries, limiter)


def _policy(retry: RetryPolicy | None, max_retries: int | None, limiter: RateLimiter | None) -> Policy:
    # The layers of a client's retry settings: defaults < environment < `retry=` < `max_retries=`.
    return Policy(retry=make_retry(RetryPolicy.from_env(), retry, max_retries=max_retries), limiter=limiter)


__all__ = ["vk_parts", "wialon_parts", "yclients_parts"]
