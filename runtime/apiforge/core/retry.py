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


class _Unset:
    """Marks a setting a RetryPolicy was not given (None cannot: `deadline=None` means no deadline)."""

    def __repr__(self) -> str:
        return "UNSET"


_UNSET: Any = _Unset()
# The settings and their built-in defaults: the bottom layer.
_DEFAULTS: dict[str, Any] = {
    "max_retries": 3,
    "backoff_base": 0.5,
    "backoff_max": 30.0,
    "jitter": 0.5,
    "deadline": 120.0,
    "retry_after_cap": 60.0,
}
# The environment variables that override them, the layer above.
_ENVIRONMENT = (
    ("max_retries", "APIFORGE_MAX_RETRIES"),
    ("backoff_base", "APIFORGE_BACKOFF_BASE"),
    ("backoff_max", "APIFORGE_BACKOFF_MAX"),
    ("jitter", "APIFORGE_RETRY_JITTER"),
)


def _env_setting(name: str, variable: str) -> float | None:
    """The value of `variable` for the setting `name`, checked; None when it is unset or empty."""
    raw = os.environ.get(variable)
    if raw is None or raw.strip() == "":
        return None
    whole, most = name == "max_retries", 1.0 if name == "jitter" else None
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"environment variable {variable}={raw!r} is not a number") from None
    if not (math.isfinite(value) and value >= 0 and (most is None or value <= most)) or (whole and value % 1):
        expected = (
            "a whole number >= 0" if whole else "a number >= 0" if most is None else f"a number from 0 to {most:g}"
        )
        raise ValueError(f"environment variable {variable}={raw!r}: expected {expected}")
    return int(value) if whole else value


def _not_negative(instance: object, attribute: attrs.Attribute[Any], value: float | None) -> None:
    if value is not None and not (math.isfinite(value) and value >= 0):
        raise ValueError(f"RetryPolicy: {attribute.name} must be a number >= 0, got {value!r}")


def _share(instance: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if not 0 <= value <= 1:
        raise ValueError(f"RetryPolicy: {attribute.name} must be from 0 to 1, got {value!r}")


@attrs.frozen(slots=True, init=False)
class RetryPolicy:
    """Exponential backoff with jitter, an attempt limit and a total deadline.

    A policy is layered: each setting it is given replaces the one below it, and each setting it
    is not given is taken from below. For a client the layers are, from the top: `with_options(retry=...)`
    for the calls of that view, the client's `retry=` argument, the environment (`APIFORGE_MAX_RETRIES`,
    `APIFORGE_BACKOFF_BASE`, `APIFORGE_BACKOFF_MAX`, `APIFORGE_RETRY_JITTER`), the defaults below.

        vk = VK(token, retry=RetryPolicy(max_retries=5, deadline=30))   # backoff: environment or default
        vk.with_options(retry=RetryPolicy(jitter=0)).users.get(...)      # still 5 retries, 30 s

    Args:
        max_retries: retries after the first attempt (default 3).
        backoff_base: seconds before the first retry; each next one waits twice as long (default 0.5).
        backoff_max: the longest backoff, in seconds (default 30).
        jitter: how far each wait may stray from the nominal backoff, as a share of it
            (default 0.5: from half to one and a half times it).
        deadline: seconds from the first attempt after which no retry is started (default 120;
            None: no limit).
        retry_after_cap: the longest wait a server's Retry-After can ask for, in seconds (default 60).
    """

    max_retries: int = attrs.field(validator=_not_negative)
    backoff_base: float = attrs.field(validator=_not_negative)
    backoff_max: float = attrs.field(validator=_not_negative)
    jitter: float = attrs.field(validator=_share)
    deadline: float | None = attrs.field(validator=_not_negative)
    retry_after_cap: float = attrs.field(validator=_not_negative)
    _given: frozenset[str] = attrs.field(init=False, eq=False, repr=False)

    def __init__(
        self,
        *,
        max_retries: int = _UNSET,
        backoff_base: float = _UNSET,
        backoff_max: float = _UNSET,
        jitter: float = _UNSET,
        deadline: float | None = _UNSET,
        retry_after_cap: float = _UNSET,
    ) -> None:
        given = {
            name: value
            for name, value in (
                ("max_retries", max_retries),
                ("backoff_base", backoff_base),
                ("backoff_max", backoff_max),
                ("jitter", jitter),
                ("deadline", deadline),
                ("retry_after_cap", retry_after_cap),
            )
            if value is not _UNSET
        }
        # Frozen: the attributes are set once, here, then checked by the fields' validators.
        for name, default in _DEFAULTS.items():
            object.__setattr__(self, name, given.get(name, default))
        object.__setattr__(self, "_given", frozenset(given))
        attrs.validate(self)

    @property
    def given(self) -> frozenset[str]:
        """The names of the settings this policy was given; the others are defaults, taken from below when layered."""
        return self._given

    def merge(self, override: RetryPolicy | None) -> RetryPolicy:
        """This policy with each setting `override` was given taken from `override`."""
        if override is None or not override.given:
            return self
        values = {name: getattr(self, name) for name in self._given}
        values.update({name: getattr(override, name) for name in override.given})
        return RetryPolicy(**values)

    @classmethod
    def from_env(cls, **overrides: Any) -> RetryPolicy:
        """The defaults, overridden by the environment, then by `overrides` (None keeps the value).

        Raises ValueError naming the variable when one is set to something unusable.
        """
        values: dict[str, Any] = {}
        for name, variable in _ENVIRONMENT:
            value = _env_setting(name, variable)
            if value is not None:
                values[name] = value
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
