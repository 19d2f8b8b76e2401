"""apiforge.core: the hand-written runtime every generated client runs on.

A generated method builds a `Call` from its `MethodSpec`; the client runs it through the
sans-IO pipeline (`pipeline.run_call`) with one of two drivers (sync or async).

What the client constructors and `with_options` take is exported here too: `RetryPolicy`, and
for `rate_limit=` a `RateLimiter` (its `Window`s), a `VKRateLimiter` (per token kind) and the
`RateLimiterBackend` interface for a limiter shared by several processes (`LocalBackend`: in memory).
"""

from apiforge.core.call import PRESENT, Call, MethodSpec, Param, Variant
from apiforge.core.client import DEFAULT, AsyncClient, RateLimit, SyncClient
from apiforge.core.enums import OpenIntEnum, OpenStrEnum
from apiforge.core.errors import (
    APIError,
    APIForgeError,
    ConfigurationError,
    DecodeError,
    HTTPStatusError,
    TransportError,
)
from apiforge.core.pagination import Page, Paginator
from apiforge.core.ratelimit import LocalBackend, RateLimiter, RateLimiterBackend, VKRateLimiter, Window
from apiforge.core.retry import RetryPolicy
from apiforge.core.types import JSON

__all__ = [
    "DEFAULT",
    "JSON",
    "PRESENT",
    "APIError",
    "APIForgeError",
    "AsyncClient",
    "Call",
    "ConfigurationError",
    "DecodeError",
    "HTTPStatusError",
    "LocalBackend",
    "MethodSpec",
    "OpenIntEnum",
    "OpenStrEnum",
    "Page",
    "Paginator",
    "Param",
    "RateLimit",
    "RateLimiter",
    "RateLimiterBackend",
    "RetryPolicy",
    "SyncClient",
    "TransportError",
    "VKRateLimiter",
    "Variant",
    "Window",
]
