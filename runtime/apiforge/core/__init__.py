"""apiforge.core: the hand-written runtime every generated client runs on.

A generated method builds a `Call` from its `MethodSpec`; the client runs it through the
sans-IO pipeline (`pipeline.run_call`) with one of two drivers (sync or async).
"""

from apiforge.core.call import PRESENT, Call, MethodSpec, Param, Variant
from apiforge.core.client import DEFAULT, AsyncClient, SyncClient
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
from apiforge.core.ratelimit import RateLimiter, Window
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
    "MethodSpec",
    "OpenIntEnum",
    "OpenStrEnum",
    "Page",
    "Paginator",
    "Param",
    "RateLimiter",
    "RetryPolicy",
    "SyncClient",
    "TransportError",
    "Variant",
    "Window",
]
