"""VK: POST https://api.vk.com/method/<name>, form-encoded; `{response}` or `{error}` in an HTTP 200."""

from __future__ import annotations

import random
from typing import Any

import httpx

from apiforge.core.call import Call
from apiforge.core.errors import APIError, DecodeError, HTTPStatusError
from apiforge.core.protocols.base import ErrorFactory, Protocol, as_mapping, json_object, read_json
from apiforge.core.redact import MASK, SECRET_KEYS
from apiforge.core.retry import RetryVerdict

# VK's own de-duplication key: a retried send with the same random_id is delivered once.
_NEEDS_RANDOM_ID = frozenset({"messages.send"})
RETRYABLE_CODES = frozenset({6, 10})


class VKProtocol(Protocol):
    api = "vk"

    def __init__(
        self,
        *,
        base_url: str,
        error_class: ErrorFactory,
        version: str,
        token: str,
        token_kind: str = "user",
        lang: str | None = None,
    ) -> None:
        super().__init__(base_url=base_url, error_class=error_class)
        self.version = version
        self.token = token
        self.token_kind = token_kind
        self.lang = lang

    def prepare(self, call: Call[Any]) -> Call[Any]:
        if call.method in _NEEDS_RANDOM_ID and "random_id" not in call.params:
            # Fixed before the first attempt and kept on every retry: the server drops duplicates.
            return call.with_params(random_id=str(random.randint(1, 2**31 - 1))).idempotent_from_now()
        if call.method in _NEEDS_RANDOM_ID:
            return call.idempotent_from_now()
        return call

    def rate_key(self, call: Call[Any], credential: object = None) -> tuple[str, float | None]:
        token = credential if isinstance(credential, str) else self.token
        return (f"vk:{id(token)}", None)

    def build_request(self, call: Call[Any], credential: object = None) -> httpx.Request:
        data: dict[str, Any] = dict(call.params)
        data["access_token"] = credential if isinstance(credential, str) else self.token
        data["v"] = self.version
        if self.lang is not None:
            data.setdefault("lang", self.lang)
        return httpx.Request("POST", f"{self.base_url}/method/{call.method}", data=data)

    def parse(self, call: Call[Any], response: httpx.Response) -> object:
        if response.status_code != 200:
            body = response.text
            if response.status_code >= 400 or not body:
                raise HTTPStatusError(call.method, response.status_code, body)
        return self.parse_body(call.method, read_json(call.method, response))

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
                params.append({"key": p.get("key"), "value": MASK if p.get("key") in SECRET_KEYS else p.get("value")})
        details = {k: v for k, v in error.items() if k not in ("error_code", "error_msg", "request_params")}
        return self.error_class(code)(method, code, str(error.get("error_msg", "")), request_params=params, **details)

    def retry_verdict(self, error: APIError) -> RetryVerdict:
        if error.code == 6:
            return "rejected"
        return "transient" if error.code in RETRYABLE_CODES else None
