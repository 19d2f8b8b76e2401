"""The protocol adapter and policy of each API's clients, built once for the sync and async twins."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from apiforge.core.client import DEFAULT, make_limiter
from apiforge.core.pipeline import Policy
from apiforge.core.protocols.base import Protocol
from apiforge.core.ratelimit import RateLimiter, Window
from apiforge.core.redact import register_secret
from apiforge.core.retry import RetryPolicy


def _error_factory(package: str) -> Any:
    """The generated `error_class` of an API, imported when the first error arrives."""

    def error_class(code: int) -> Any:
        import importlib

        return importlib.import_module(f"apiforge.{package}.errors").error_class(code)

    return error_class


def vk_parts(
    *,
    token: str,
    token_kind: str,
    version: str,
    lang: str | None,
    base_url: str,
    rate_limit: Any,
    rate_limits: Mapping[str, float],
    max_retries: int | None,
) -> tuple[Protocol, Policy]:
    from apiforge.core.protocols.vk import VKProtocol

    if not token:
        raise ValueError("VK needs an access token: VK(token=...)")
    register_secret(token)
    protocol = VKProtocol(
        base_url=base_url,
        error_class=_error_factory("vk"),
        version=version,
        token=token,
        token_kind=token_kind,
        lang=lang,
    )
    # Windows of 1.1 s, not 1 s: requests timed exactly at the limit still get error 6.
    default = RateLimiter([Window(rate_limits.get(token_kind, 3.0), 1.1)])
    return protocol, Policy(
        retry=RetryPolicy.from_env(max_retries=max_retries), limiter=make_limiter(rate_limit, default)
    )


def yclients_parts(
    *, partner_token: str, user_token: str | None, base_url: str, rate_limit: Any, max_retries: int | None
) -> tuple[Protocol, Policy]:
    from apiforge.core.protocols.yclients import YclientsProtocol

    if not partner_token:
        raise ValueError("YCLIENTS needs a partner token: Yclients(partner_token=...)")
    register_secret(partner_token)
    register_secret(user_token)
    protocol = YclientsProtocol(
        base_url=base_url, error_class=_error_factory("yclients"), partner_token=partner_token, user_token=user_token
    )
    default = RateLimiter([Window(5), Window(200, 60)])
    return protocol, Policy(
        retry=RetryPolicy.from_env(max_retries=max_retries), limiter=make_limiter(rate_limit, default)
    )


def wialon_parts(
    *, token: str | None, operate_as: str | None, base_url: str, rate_limit: Any, max_retries: int | None
) -> tuple[Protocol, Policy]:
    from apiforge.core.protocols.wialon import WialonProtocol

    register_secret(token)
    protocol = WialonProtocol(
        base_url=base_url, error_class=_error_factory("wialon"), token=token, operate_as=operate_as
    )
    limiter = None if rate_limit is DEFAULT else make_limiter(rate_limit, None)
    return protocol, Policy(retry=RetryPolicy.from_env(max_retries=max_retries), limiter=limiter)


__all__ = ["vk_parts", "wialon_parts", "yclients_parts"]
