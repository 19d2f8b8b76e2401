"""VK captcha (error 14): solve it with a handler and replay the call, or raise `CaptchaNeeded`.

VK answers error 14 with `captcha_sid` and `captcha_img` (the image URL); the same request
sent again with `captcha_sid` and `captcha_key` (the text on the image) goes through. A client
given `captcha_handler=` asks the handler — sync, or async on the async client — and replays,
at most `max_captcha_attempts` times per call; without a handler (or once the attempts are
spent, or when the handler returns None) the call raises `CaptchaNeeded`.

The adapter raises every error 14 of a call as CaptchaNeeded (so it is what the caller sees
whichever way the call ends); the solver only decides whether to answer it and replay.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Awaitable, Callable, Generator
from typing import Any, TypeAlias, cast

from apiforge.core.call import Call
from apiforge.core.effects import Callback, Effect
from apiforge.core.errors import APIError, ConfigurationError

CAPTCHA_CODE = 14

CaptchaHandler: TypeAlias = Callable[[str, str], str | None]
"""`handler(captcha_sid, captcha_img) -> key`: the text on the image, or None to give up."""

AsyncCaptchaHandler: TypeAlias = Callable[[str, str], str | Awaitable[str | None] | None]
"""A captcha handler for the async client: sync, or `async def`."""


class CaptchaNeeded(APIError):
    """VK wants a captcha solved (error 14) and no handler solved it.

    `captcha_sid` and `captcha_img` (the image URL) are what a person needs; the call can then
    be made again with the answer:

        try:
            vk.wall.post(owner_id=1, message="hi")
        except CaptchaNeeded as error:
            key = ask_a_human(error.captcha_img)
            vk.request(error.retry_call(key))

    A raised CaptchaNeeded is also an instance of the API's own class for code 14
    (`apiforge.vk.errors.CaptchaError`), so `except CaptchaError` and `except VKAPIError` catch it.
    """

    code = CAPTCHA_CODE
    call: Call[Any] | None = None
    """The call that needs the captcha (None when the error was decoded from a saved body)."""
    attempts: int = 0
    """How many captchas of this call a handler has already answered."""

    @property
    def captcha_sid(self) -> str:
        """The captcha's id, to send back as `captcha_sid`."""
        return str(self.details.get("captcha_sid") or "")

    @property
    def captcha_img(self) -> str:
        """The URL of the captcha image."""
        return str(self.details.get("captcha_img") or "")

    def retry_params(self, key: str) -> dict[str, str]:
        """The parameters that answer this captcha: `captcha_sid` and `captcha_key`."""
        return {"captcha_sid": self.captcha_sid, "captcha_key": key}

    def retry_call(self, key: str) -> Call[Any]:
        """The call that needed the captcha, with the answer added: pass it to `client.request`."""
        if self.call is None:
            raise ConfigurationError(
                f"{self.method}: this error was decoded from a saved body and has no call to retry; "
                "add retry_params(key) to the call's parameters yourself"
            )
        return self.call.with_params(**self.retry_params(key))


_joined: dict[type[APIError], type[CaptchaNeeded]] = {}
_joined_lock = threading.Lock()


def _needed_class(base: type[APIError]) -> type[CaptchaNeeded]:
    """CaptchaNeeded joined with the API's own class for code 14 (made once per class)."""
    if issubclass(base, CaptchaNeeded):
        return base
    with _joined_lock:
        joined = _joined.get(base)
        if joined is None:
            namespace = {"__module__": __name__, "__qualname__": "CaptchaNeeded", "__doc__": CaptchaNeeded.__doc__}
            joined = _joined[base] = cast(
                "type[CaptchaNeeded]", type("CaptchaNeeded", (CaptchaNeeded, base), namespace)
            )
        return joined


def captcha_needed(error: APIError, call: Call[Any] | None = None, attempts: int = 0) -> CaptchaNeeded:
    """`error` (an error 14) as a CaptchaNeeded that is also of `error`'s own class."""
    needed = _needed_class(type(error))(error.method, error.code, error.message, **error.details)
    needed.call = call
    needed.attempts = attempts
    return needed


class _PerCall:
    """A number kept per Call object, for as long as that object lives.

    Calls are immutable and a replay is a new Call, so the count cannot ride on the call
    itself; it is keyed by identity and dropped when the call is garbage-collected.
    """

    def __init__(self) -> None:
        self._counts: dict[int, int] = {}

    def get(self, call: Call[Any]) -> int:
        return self._counts.get(id(call), 0)

    def set(self, call: Call[Any], count: int) -> None:
        key = id(call)
        if key not in self._counts:
            weakref.finalize(call, self._counts.pop, key, None)
        self._counts[key] = count

    def __len__(self) -> int:
        return len(self._counts)


class CaptchaSolver:
    """Answers error 14 by asking `handler` and replaying the call, at most `max_attempts` times per call."""

    def __init__(self, handler: AsyncCaptchaHandler | None, max_attempts: int = 5) -> None:
        if handler is not None and not callable(handler):
            raise TypeError(f"captcha_handler must be callable (captcha_sid, captcha_img) -> key; got {handler!r}")
        if isinstance(max_attempts, bool) or not isinstance(max_attempts, int) or max_attempts < 0:
            raise ValueError(f"max_captcha_attempts must be a whole number >= 0; got {max_attempts!r}")
        self.handler = handler
        self.max_attempts = max_attempts
        self._attempts = _PerCall()

    def attempts(self, call: Call[Any]) -> int:
        """How many captchas of `call` (a replay of it) a handler has answered so far."""
        return self._attempts.get(call)

    def solve(self, call: Call[Any], error: APIError) -> Generator[Effect, Any, Call[Any] | None]:
        """The call to replay with the captcha answered, or None to let `error` be raised.

        None when there is no handler, when the call has used its attempts, or when the
        handler gives up (returns None or "").
        """
        attempts = self._attempts.get(call)
        needed = error if isinstance(error, CaptchaNeeded) else captcha_needed(error, call, attempts)
        if self.handler is None or attempts >= self.max_attempts or not needed.captcha_sid:
            return None
        key = yield Callback(self.handler, (needed.captcha_sid, needed.captcha_img))
        if key is None or key == "":
            return None
        if not isinstance(key, str):
            raise ConfigurationError(
                f"{call.method}: the captcha handler returned {type(key).__name__}; expected the text (str) or None"
            )
        replay = call.with_params(**needed.retry_params(key))
        self._attempts.set(replay, attempts + 1)
        return replay


__all__ = [
    "CAPTCHA_CODE",
    "AsyncCaptchaHandler",
    "CaptchaHandler",
    "CaptchaNeeded",
    "CaptchaSolver",
    "captcha_needed",
]
