"""Keep secrets out of logs, reprs and exception texts.

Every secret a client holds (tokens, passwords, session ids) is registered here when the
client is created; texts meant for humans pass through `redact_text` before they leave.
"""

from __future__ import annotations

import re
import threading

MASK = "***"
_lock = threading.Lock()
_secrets: set[str] = set()
_pattern: re.Pattern[str] | None = None
# Parameter names whose values are secret wherever they appear (query strings, echoed params).
SECRET_KEYS = frozenset(
    {
        "access_token",
        "token",
        "password",
        "sid",
        "user_token",
        "partner_token",
        "client_secret",
        "code",
        "captcha_key",
        "authHash",
        "eid",
        "key",
    }
)
_KEYED = re.compile(
    r"(?P<key>access_token|password|user_token|client_secret|sid|eid|authHash)(?P<sep>[\"']?\s*[=:]\s*[\"']?)(?P<value>[^&\s\"',}]+)"
)


def register_secret(secret: str | None) -> None:
    """Remember a secret so that it is masked in every text redacted from now on."""
    global _pattern
    if not secret or len(secret) < 4:
        return
    with _lock:
        if secret in _secrets:
            return
        _secrets.add(secret)
        _pattern = re.compile("|".join(re.escape(s) for s in sorted(_secrets, key=len, reverse=True)))


def redact_text(text: str) -> str:
    """`text` with every registered secret and every `access_token=...`-like value masked."""
    pattern = _pattern
    if pattern is not None:
        text = pattern.sub(MASK, text)
    return _KEYED.sub(lambda m: f"{m.group('key')}{m.group('sep')}{MASK}", text)


def mask(secret: str | None) -> str:
    """How a secret appears in a repr: never its value."""
    return "None" if secret is None else MASK


__all__ = ["MASK", "SECRET_KEYS", "mask", "redact_text", "register_secret"]
