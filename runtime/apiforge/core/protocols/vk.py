"""VK: POST https://api.vk.com/method/<name>, form-encoded; `{response}` or `{error}` in an HTTP 200.

Per attempt the adapter picks a token the method accepts (`credential`), rate-limits per token
(`rate_key`; `VKRateLimiter` gives each token the published rate of its kind), and answers a
captcha (error 14) through the client's handler (`recover`).
"""

from __future__ import annotations

import secrets
from collections.abc import Generator
from typing import Any

import httpx

from apiforge.core.auth.captcha import CAPTCHA_CODE, AsyncCaptchaHandler, CaptchaSolver, captcha_needed
from apiforge.core.auth.pool import TokenPool, TokenSource, allowed_kinds
from apiforge.core.auth.tokens import AsyncTokenStrategy, Token, TokenKind, TokenStrategy
from apiforge.core.call import Call
from apiforge.core.effects import Effect
from apiforge.core.errors import APIError, ConfigurationError, DecodeError, HTTPStatusError
from apiforge.core.protocols.base import ErrorFactory, Protocol, as_mapping, json_object, read_json
from apiforge.core.ratelimit import VKRateLimiter as VKRateLimiter  # re-exported: it was defined here first
from apiforge.core.redact import MASK, SECRET_KEYS
from apiforge.core.retry import RetryVerdict

# VK's own de-duplication key: a retried send with the same random_id is delivered once.
_NEEDS_RANDOM_ID = frozenset({"messages.send"})


def new_random_id() -> int:
    """A fresh `random_id` for a send: 31-bit and positive, as VK wants, from the OS's random source.

    Not from the `random` module: an app that seeds it (for its own reasons) would draw the same
    ids after every restart, and VK would silently drop each new message whose id it has seen
    from the same sender, answering with the old message's id as if all went well.
    """
    return secrets.randbelow(2**31 - 1) + 1


RETRYABLE_CODES = frozenset({6, 10})


class VKProtocol(Protocol):
    """The VK adapter: tokens (one, several with a strategy, or a provider), captcha, wire format.

    Args:
        token: what `VK(token=...)` accepts, or a ready TokenPool ("" for an adapter that never sends).
        token_kind: the kind of bare token strings.
        strategy: how one of several tokens is chosen (round-robin by default).
        captcha_handler: `(captcha_sid, captcha_img) -> key`, sync or async; None raises CaptchaNeeded.
        max_captcha_attempts: captchas answered per call before CaptchaNeeded is raised.
    """

    api = "vk"

    def __init__(
        self,
        *,
        base_url: str,
        error_class: ErrorFactory,
        version: str,
        token: TokenSource | TokenPool = "",
        token_kind: TokenKind = "user",
        strategy: TokenStrategy | AsyncTokenStrategy | None = None,
        lang: str | None = None,
        captcha_handler: AsyncCaptchaHandler | None = None,
        max_captcha_attempts: int = 5,
    ) -> None:
        super().__init__(base_url=base_url, error_class=error_class)
        self.version = version
        self.lang = lang
        if isinstance(token, TokenPool):
            self.tokens = token
        elif token == "":
            self.tokens = TokenPool(strategy=strategy, default_kind=token_kind)
        else:
            self.tokens = TokenPool.from_source(token, kind=token_kind, strategy=strategy)
        self.captcha = CaptchaSolver(captcha_handler, max_captcha_attempts)
        # Each answered captcha is a replay: the pipeline's cap must leave room for all of them.
        self.max_recoveries = max_captcha_attempts + 1

    def prepare(self, call: Call[Any]) -> Call[Any]:
        if call.method in _NEEDS_RANDOM_ID and "random_id" not in call.params:
            # Fixed before the first attempt and kept on every retry: the server drops duplicates.
            return call.with_params(random_id=str(new_random_id())).idempotent_from_now()
        if call.method in _NEEDS_RANDOM_ID and str(call.params["random_id"]) != "0":
            # The caller's own key works the same; 0 is VK's "no de-duplication", so a send with
            # random_id=0 stays non-idempotent and is not resent once it may have arrived.
            return call.idempotent_from_now()
        return call

    # Tokens.

    def credential(self, call: Call[Any]) -> Generator[Effect, Any, object]:
        """The token for this attempt: pinned, or chosen among those the method accepts."""
        token = yield from self.tokens.select(call.method, allowed_kinds(call.spec.token_kinds))
        return token

    def finished(self, call: Call[Any], credential: object, error: BaseException | None) -> None:
        if isinstance(credential, Token):
            self.tokens.release(credential)

    def rate_key(self, call: Call[Any], credential: object = None) -> tuple[str, float | None]:
        """One limit per token (`vk:<kind>:<hash>`); its rate is the limiter's (see VKRateLimiter)."""
        return (f"vk:{self._token(call, credential).key}", None)

    def _token(self, call: Call[Any], credential: object) -> Token:
        if isinstance(credential, Token):
            return credential
        if isinstance(credential, str) and credential:
            return Token(credential, self.tokens.default_kind)
        token = self.tokens.default()
        if token is None:
            raise ConfigurationError(f"{call.method}: this VK client has no access token")
        return token

    # Wire format.

    def build_request(self, call: Call[Any], credential: object = None) -> httpx.Request:
        data: dict[str, Any] = dict(call.params)
        data["access_token"] = self._token(call, credential).value
        data["v"] = self.version
        if self.lang is not None:
            data.setdefault("lang", self.lang)
        return httpx.Request("POST", f"{self.base_url}/method/{call.method}", data=data)

    def parse(self, call: Call[Any], response: httpx.Response) -> object:
        if response.status_code != 200:
            body = response.text
            if response.status_code >= 400 or not body:
                raise HTTPStatusError(call.method, response.status_code, body)
        try:
            return self.parse_body(call.method, read_json(call.method, response))
        except APIError as error:
            if error.code == CAPTCHA_CODE:
                # Raised as CaptchaNeeded (also the API's own class for 14), carrying the call to retry.
                raise captcha_needed(error, call, self.captcha.attempts(call)) from None
            raise

    def parse_body(self, method: str, body: object, *, status_code: int | None = None) -> object:
        envelope = as_mapping(method, body)
        if "error" in envelope and "response" not in envelope:
            raise self.make_error(method, envelope["error"])
        if "response" not in envelope:
            raise DecodeError(method, "$", body, "expected 'response' or 'error'")
        return envelope["response"]

    def make_error(self, method: str, raw: object) -> APIError:
        error = json_object(raw)
        if error is None:
            raise DecodeError(method, "$.error", raw, "expected an error object")
        code = error.get("error_code")
        if not isinstance(code, int):
            raise DecodeError(method, "$.error.error_code", code, "expected an integer error code")
        echoed: list[object] = error.get("request_params") or []
        params: list[dict[str, object]] = []
        for item in echoed:
            p = json_object(item)
            if p is not None:
                # VK echoes every parameter back, the access token included: secrets are masked here.
                params.append({"key": p.get("key"), "value": MASK if p.get("key") in SECRET_KEYS else p.get("value")})
        details = {k: v for k, v in error.items() if k not in ("error_code", "error_msg", "request_params")}
        return self.error_class(code)(method, code, str(error.get("error_msg", "")), request_params=params, **details)

    # Failures.

    def recover(self, call: Call[Any], error: APIError) -> Generator[Effect, Any, Call[Any] | None]:
        """A captcha answered by the client's handler: the same call with captcha_sid/captcha_key."""
        if error.code != CAPTCHA_CODE:
            return None
        return (yield from self.captcha.solve(call, error))

    def retry_verdict(self, error: APIError) -> RetryVerdict:
        if error.code == 6:
            return "rejected"
        return "transient" if error.code in RETRYABLE_CODES else None
