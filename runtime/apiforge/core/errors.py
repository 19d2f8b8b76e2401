"""The exception hierarchy of every apiforge client.

APIForgeError
├── ConfigurationError       a call cannot be made as asked (no suitable token, bad argument)
├── TransportError           the request did not complete (connect, read, timeout)
├── HTTPStatusError          an unexpected HTTP status with no API error in the body
├── APIError                 the API answered with an error (per-API subclasses, per code)
└── DecodeError              the response does not match the declared type
"""

from __future__ import annotations

from typing import Any, cast

from apiforge.core.redact import redact_text, redact_value


class APIForgeError(Exception):
    """Base of every error raised by apiforge."""


class ConfigurationError(APIForgeError):
    """A call cannot be made as asked: a missing token, an unusable argument."""


class TransportError(APIForgeError):
    """The request did not complete: connection refused or reset, timeout, broken response.

    `sent` tells whether the request may have reached the server (a non-idempotent call is
    not retried then).
    """

    def __init__(self, method: str, reason: str, *, sent: bool) -> None:
        super().__init__(f"{method}: {redact_text(reason)}")
        self.method = method
        self.sent = sent


class HTTPStatusError(APIForgeError):
    """An HTTP status the protocol does not expect, with no API error in the body."""

    def __init__(self, method: str, status_code: int, body: str, *, retry_after: str | None = None) -> None:
        super().__init__(f"{method}: HTTP {status_code}: {redact_text(body[:200])}")
        self.method = method
        self.status_code = status_code
        self.body = redact_text(body)
        """The response body, secrets masked."""
        # The server's Retry-After header, as sent (seconds or an HTTP date).
        self.retry_after = retry_after


class APIError(APIForgeError):
    """The API answered with an error. Each API subclasses it, with one class per code."""

    code: int = 0

    def __init__(self, method: str, code: int, message: str, **details: Any) -> None:
        self.method = method
        self.code = code
        self.message = redact_text(message)
        """The API's error message, secrets masked."""
        self.details: dict[str, Any] = cast("dict[str, Any]", redact_value(details))
        """The other fields of the error, secrets masked (a token echoed in VK's `request_params`)."""
        super().__init__(f"{method}: [{code}] {self.message}")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(method={self.method!r}, code={self.code}, message={self.message!r})"


class DecodeError(APIForgeError):
    """A response does not match its declared type: names the method, the field path and the value."""

    def __init__(self, method: str, path: str, value: object, reason: str) -> None:
        shown = repr(value)
        if len(shown) > 200:
            shown = shown[:200] + "..."
        super().__init__(redact_text(f"{method}: {path}: {reason} (got {shown})"))
        self.method = method
        self.path = path
        self.value = redact_value(value)
        """The value that did not match, secrets masked."""
        self.reason = reason


__all__ = ["APIError", "APIForgeError", "ConfigurationError", "DecodeError", "HTTPStatusError", "TransportError"]
