"""VK captcha (error 14): solve it with a handler and replay the call, or raise `CaptchaNeeded`.

VK answers error 14 with `captcha_sid` and `captcha_img` (the image URL); the same request
sent again with `captcha_sid` and `captcha_key` (the text on the image) goes through. A client
given `captcha_handler=` asks the handler — sync, or async on the async client — and replays,
at most `max_captcha_attempts` times per call; without a handler (or once the attempts are
spent, or when the handler returns None) the call raises `CaptchaNeeded`.

VK has two forms of the error. The classic one carries `captcha_sid` and `captcha_img`, and is
answered with `captcha_sid` + `captcha_key`. The newer one carries `redirect_uri`, a page where a
person passes VK ID Captcha and gets a success token; it is answered with `success_token` (and
`remixstlid` when the error had one). A handler taking two arguments gets `(captcha_sid, url)` where
`url` is the image or, for the newer form, the page; a handler taking one argument gets a `Captcha`
saying which form it is. Either returns the text (classic) or the success token (newer).

The adapter raises every error 14 of a call as CaptchaNeeded (so it is what the caller sees
whichever way the call ends); the solver only decides whether to answer it and replay.
"""

from __future__ import annotations

import inspect
import threading
import weakref
from collections.abc import Awaitable, Callable, Generator
from typing import Any, TypeAlias, cast

import attrs

from apiforge.core.call import Call
from apiforge.core.effects import Callback, Effect
from apiforge.core.errors import APIError, ConfigurationError

CAPTCHA_CODE = 14


@attrs.frozen
class Captcha:
    """One captcha VK asks for, as a one-argument handler receives it.

    `redirect_uri` set: the newer form; a person opens it, passes the check, and the handler returns
    the success token it gives. Otherwise the classic form: the handler returns the text on `img`.
    """

    sid: str
    img: str
    redirect_uri: str

    @property
    def url(self) -> str:
        """What a person opens: the page of the newer form, else the image."""
        return self.redirect_uri or self.img


CaptchaHandler: TypeAlias = Callable[[str, str], str | None] | Callable[[Captcha], str | None]
"""`handler(captcha_sid, url) -> answer` or `handler(captcha: Captcha) -> answer`; None gives up.

The answer is the text on the image (classic) or the success token of the `redirect_uri` page."""

AsyncCaptchaHandler: TypeAlias = (
    Callable[[str, str], str | Awaitable[str | None] | None] | Callable[[Captcha], str | Awaitable[str | None] | None]
)
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

    @property
    def redirect_uri(self) -> str:
        """The page of the newer form of the captcha ("" for the classic form)."""
        return str(self.details.get("redirect_uri") or "")

    @property
    def captcha(self) -> Captcha:
        """This captcha as a one-argument handler receives it."""
        return Captcha(sid=self.captcha_sid, img=self.captcha_img, redirect_uri=self.redirect_uri)

    def retry_params(self, key: str) -> dict[str, str]:
        """The parameters that answer this captcha.

        Classic: `captcha_sid` and `captcha_key` (the text). Newer (`redirect_uri`): `success_token`
        (what the page gave), with `remixstlid` when the error carried one.
        """
        if self.redirect_uri:
            params = {"success_token": key}
            remixstlid = self.details.get("remixstlid")
            if remixstlid is not None:
                params["remixstlid"] = str(remixstlid)
            return params
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
        self.takes_captcha = handler is not None and _takes_one_argument(handler)
        """The handler takes one argument: it gets a `Captcha`, not `(captcha_sid, url)`."""
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
        if self.handler is None or attempts >= self.max_attempts or not (needed.captcha_sid or needed.redirect_uri):
            return None
        captcha = needed.captcha
        arguments: tuple[object, ...] = (captcha,) if self.takes_captcha else (captcha.sid, captcha.url)
        key = yield Callback(self.handler, arguments)
        if key is None or key == "":
            return None
        if not isinstance(key, str):
            raise ConfigurationError(
                f"{call.method}: the captcha handler returned {type(key).__name__}; expected the text (str) or None"
            )
        replay = call.with_params(**needed.retry_params(key))
        self._attempts.set(replay, attempts + 1)
        return replay


def _takes_one_argument(handler: object) -> bool:
    """Does `handler` take exactly one positional argument (a `Captcha`)?"""
    try:
        signature = inspect.signature(cast("Callable[..., object]", handler))
    except (TypeError, ValueError):  # a builtin without a signature: the classic form
        return False
    positional = [
        p
        for p in signature.parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
    ]
    variadic = any(p.kind is p.VAR_POSITIONAL for p in signature.parameters.values())
    return len(positional) == 1 and not variadic


__all__ = [
    "CAPTCHA_CODE",
    "Captcha",
    "AsyncCaptchaHandler",
    "CaptchaHandler",
    "CaptchaNeeded",
    "CaptchaSolver",
    "captcha_needed",
]
