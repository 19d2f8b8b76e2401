"""When and how long to wait before trying a call again."""

from __future__ import annotations

import email.utils
import math
import os
import random
import time
from typing import Any, Literal

import attrs

from apiforge.core.errors import APIError, APIForgeError, HTTPStatusError, TransportError

RetryVerdict = Literal["rejected", "transient"] | None


def _env_float(name: str, default: float, *, whole: bool = False, most: float | None = None) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"environment variable {name}={raw!r} is not a number") from None
    if not (math.isfinite(value) and value >= 0 and (most is None or value <= most)) or (whole and value % 1):
        expected = (
            "a whole number >= 0" if whole else "a number >= 0" if most is None else f"a number from 0 to {most:g}"
        )
        raise ValueError(f"environment variable {name}={raw!r}: expected {expected}")
    return value


def _not_negative(instance: object, attribute: attrs.Attribute[Any], value: float | None) -> None:
    if value is not None and not (math.isfinite(value) and value >= 0):
        raise ValueError(f"RetryPolicy: {attribute.name} must be a number >= 0, got {value!r}")


def _share(instance: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if not 0 <= value <= 1:
        raise ValueError(f"RetryPolicy: {attribute.name} must be from 0 to 1, got {value!r}")


@attrs.frozen(slots=True)
class RetryPolicy:
    """Exponential backoff with jitter, an attempt limit and a total deadline.

    Defaults can be overridden by the environment (`APIFORGE_MAX_RETRIES`,
    `APIFORGE_BACKOFF_BASE`, `APIFORGE_BACKOFF_MAX`, `APIFORGE_RETRY_JITTER`), and per client
    or per call by arguments.
    """

    max_retries: int = attrs.field(default=3, validator=_not_negative)
    backoff_base: float = attrs.field(default=0.5, validator=_not_negative)
    backoff_max: float = attrs.field(default=30.0, validator=_not_negative)
    jitter: float = attrs.field(default=0.5, validator=_share)
    """How far each wait may stray from the nominal backoff, as a share of it (0.5: from half to one and a half)."""
    deadline: float | None = attrs.field(default=120.0, validator=_not_negative)
    """Seconds from the first attempt: no retry is scheduled to start later (None: no limit)."""
    retry_after_cap: float = attrs.field(default=60.0, validator=_not_negative)
    """The longest wait a server's Retry-After can ask for."""

    @classmethod
    def from_env(cls, **overrides: Any) -> RetryPolicy:
        """The defaults, overridden by the environment, then by `overrides` (None keeps the value)."""
        defaults = attrs.fields(cls)
        values: dict[str, Any] = {
            "max_retries": int(_env_float("APIFORGE_MAX_RETRIES", defaults.max_retries.default, whole=True)),
            "backoff_base": _env_float("APIFORGE_BACKOFF_BASE", defaults.backoff_base.default),
            "backoff_max": _env_float("APIFORGE_BACKOFF_MAX", defaults.backoff_max.default),
            "jitter": _env_float("APIFORGE_RETRY_JITTER", defaults.jitter.default, most=1),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def backoff(self, retry_number: int, rng: random.Random | None = None) -> float:
        """The wait before retry number `retry_number` (1-based): base * 2^(n-1), capped, with jitter."""
        delay: float = min(self.backoff_max, self.backoff_base * (2.0 ** (retry_number - 1)))
        if self.jitter:
            delay *= 1 + self.jitter * ((rng or random).random() * 2 - 1)
        return max(0.0, delay)

    def delay(
        self, error: APIForgeError, *, retry_number: int, idempotent: bool, verdict: RetryVerdict, elapsed: float
    ) -> float | None:
        """Seconds to wait before retrying after `error`, or None when the call must not be retried."""
        if retry_number > self.max_retries:
            return None
        if not classify(error, idempotent=idempotent, verdict=verdict):
            return None
        wait = self.backoff(retry_number)
        retry_after = retry_after_seconds(error)
        if retry_after is not None:
            wait = max(wait, min(retry_after, self.retry_after_cap))
        if self.deadline is not None and elapsed + wait > self.deadline:
            return None
        return wait


def classify(error: APIForgeError, *, idempotent: bool, verdict: RetryVerdict) -> bool:
    """May a call that failed with `error` be tried again?

    `verdict` is the protocol's word on an API error: "rejected" when the server refused the
    request before doing anything (rate and concurrency limits) — safe to retry for any call;
    "transient" when it failed while it may have done something — retried for idempotent calls
    only; None when retrying cannot help.
    """
    if isinstance(error, TransportError):
        return idempotent or not error.sent
    if isinstance(error, HTTPStatusError):
        return error.status_code == 429 or (error.status_code >= 500 and idempotent)
    if isinstance(error, APIError):
        return verdict == "rejected" or (verdict == "transient" and idempotent)
    return False


def retry_after_seconds(error: APIForgeError, now: float | None = None) -> float | None:
    """The server's Retry-After (seconds or an HTTP date), when the error carries one."""
    if isinstance(error, APIError):
        raw = error.details.get("retry_after")
    elif isinstance(error, HTTPStatusError):
        raw = error.retry_after
    else:
        raw = None
    if raw is None:
        return None
    text = str(raw).strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


__all__ = ["RetryPolicy", "RetryVerdict", "classify", "retry_after_seconds"]
