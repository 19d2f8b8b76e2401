"""Per-call HTTP options of a `with_options(timeout=..., extra_headers=...)` view.

They are applied to each request the view's calls send (a login or re-login on the way
included), by wrapping the pipeline with `observe_sends`: the protocols build requests as
before and know nothing of it.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from typing import Any, TypeVar

import attrs
import httpx

from apiforge.core.effects import Effect
from apiforge.core.raw_response import observe_sends

T = TypeVar("T")


def _headers(value: Mapping[str, str]) -> Mapping[str, str]:
    for name, header in value.items():
        if not isinstance(name, str) or not isinstance(header, str):
            raise TypeError(f"extra_headers: names and values are str, got {name!r}: {type(header).__name__}")
    return dict(value)


def _timeout(value: float | httpx.Timeout | None) -> httpx.Timeout | None:
    if value is None or isinstance(value, httpx.Timeout):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ValueError(f"timeout must be a positive number of seconds or an httpx.Timeout, got {value!r}")
    return httpx.Timeout(float(value))


@attrs.frozen
class RequestOptions:
    """Headers added to, and the timeout of, every request of a client view."""

    headers: Mapping[str, str] = attrs.field(factory=dict[str, str], converter=_headers)
    timeout: httpx.Timeout | None = attrs.field(default=None, converter=_timeout)

    def merge(self, headers: Mapping[str, str] | None, timeout: float | httpx.Timeout | None) -> RequestOptions:
        """These options with more headers (replacing same-named ones) and, when given, another timeout."""
        return RequestOptions(
            headers={**self.headers, **(headers or {})}, timeout=self.timeout if timeout is None else timeout
        )

    def apply(self, request: httpx.Request) -> None:
        """Set the headers (replacing same-named ones the protocol set) and the timeout on `request`."""
        for name, value in self.headers.items():
            request.headers[name] = value
        if self.timeout is not None:
            request.extensions = {**request.extensions, "timeout": self.timeout.as_dict()}

    def wrap(self, pipeline: Generator[Effect, Any, T]) -> Generator[Effect, Any, T]:
        """`pipeline` with these options applied to each request it sends."""
        if not self.headers and self.timeout is None:
            return pipeline
        return observe_sends(pipeline, on_request=self.apply)

    def __repr__(self) -> str:
        # Header values may be credentials: names only.
        return f"RequestOptions(headers={sorted(self.headers)!r}, timeout={self.timeout!r})"


__all__ = ["RequestOptions"]
