"""Keep secrets out of logs, reprs and exception texts.

Every secret a client holds (tokens, passwords, session ids) is registered here while the
client (or session, or `Token`) that holds it lives; texts meant for humans pass through
`redact_text` before they leave.

The registry must stay cheap for a process that opens clients and sessions for weeks:
registering a secret costs O(its length), masking a text costs O(the text's length), and
neither grows with the number of secrets registered. See `SecretRegistry` for how.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import threading
import weakref
from collections import deque
from collections.abc import Iterator, Mapping
from typing import Any, cast

MASK = "***"
MIN_LENGTH = 4
"""Shorter secrets are not tracked: masking every "abc" in every text would hide more than it protects."""

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
SECRET_PARAMS = frozenset({"password", "access_token", "user_token", "partner_token", "client_secret"})
"""Parameters whose values a client registers as secrets when a call sends them (a login's password)."""
_KEYED = re.compile(
    r"(?P<key>access_token|password|user_token|client_secret|sid|eid|authHash)(?P<sep>[\"']?\s*[=:]\s*[\"']?)(?P<value>[^&\s\"',}]+)"
)

# A JSON (or Python repr) string value under a secret key: masked whole, spaces and all
# ('"password": "secret pass"'). "code" and "key" are left out: error bodies carry codes, and VK's
# `request_params` name each parameter under "key"; a long-poll key is registered as a secret instead.
_QUOTED_KEYED = re.compile(
    r"""(?P<q>["'])(?P<key>access_token|token|user_token|partner_token|password|client_secret|sid|eid|authHash|captcha_key)(?P=q)(?P<sep>\s*:\s*)(?P<vq>["'])(?P<value>(?:\\.|(?!(?P=vq)).)*)(?P=vq)"""
)
# `token=` and `key=` in a query string (a long-poll URL's key), not inside longer names.
_QUERY_KEYED = re.compile(r"(?<![A-Za-z0-9_])(?P<key>token|key)=(?P<value>[^&\s\"',}]+)")

# Gram lengths, longest first. A secret of length L is indexed in the tier of the longest gram K
# with 2K - 1 <= L (see SecretRegistry); MIN_LENGTH 4 always fits the last tier.
_TIERS = (8, 4, 2)

_Entry = str | tuple[str, ...]
"""The secrets indexed under one gram: one (nearly always) or several. One is kept as the string
itself, not a tuple: the index is most of the registry's memory."""


def _secrets_of(entry: _Entry) -> tuple[str, ...]:
    return (entry,) if isinstance(entry, str) else entry


def _tier(length: int) -> int:
    return next(k for k in _TIERS if 2 * k - 1 <= length)


class SecretRegistry:
    """The secrets to mask, counted by holder, indexed so that masking never looks at each one.

    How a text is scanned: a secret of length L >= 2K - 1 is indexed under each of its first K
    grams of length K (the substrings at offsets 0..K-1). Wherever the secret occurs in a text,
    one of those grams starts at a position that is a multiple of K, so the scan looks up only
    the grams at positions 0, K, 2K, ... of the text: len(text) / K dictionary lookups per tier,
    each candidate checked with one `startswith`. Registration adds up to K index entries;
    releasing the last holder removes them. Index values are strings or tuples, replaced rather
    than mutated, so `redact` reads without the lock while another thread registers.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holders: dict[str, int] = {}
        self._index: dict[int, dict[str, _Entry]] = {k: {} for k in _TIERS}
        # Releases asked for by the garbage collector. It may run a finalizer in a thread that
        # holds the lock (any allocation can trigger it), so a finalizer only queues its release
        # (deque.append takes no lock) and the next registration, release or scan carries it out.
        self._later: deque[str] = deque()

    def discard_later(self, secret: str) -> None:
        """`discard` from a finalizer: queued, done by the next call that may take the lock."""
        self._later.append(secret)

    def _drain(self) -> None:
        # Called with the lock held.
        while self._later:
            self._discard(self._later.popleft())

    def add(self, secret: str) -> None:
        """Hold `secret` once more; the first holder indexes it."""
        with self._lock:
            self._drain()
            held = self._holders.get(secret, 0)
            self._holders[secret] = held + 1
            if held:
                return
            k = _tier(len(secret))
            index = self._index[k]
            for gram in {secret[offset : offset + k] for offset in range(k)}:
                entry = index.get(gram)
                if entry is None:
                    index[gram] = secret
                else:
                    index[gram] = (entry, secret) if isinstance(entry, str) else (*entry, secret)

    def discard(self, secret: str) -> None:
        """Hold `secret` once less; when nobody holds it any more it is no longer tracked."""
        with self._lock:
            self._drain()
            self._discard(secret)

    def _discard(self, secret: str) -> None:
        held = self._holders.get(secret, 0)
        if held > 1:
            self._holders[secret] = held - 1
            return
        if not held:
            return
        del self._holders[secret]
        k = _tier(len(secret))
        index = self._index[k]
        for gram in {secret[offset : offset + k] for offset in range(k)}:
            entry = index.get(gram)
            left = () if entry is None or entry == secret else tuple(s for s in _secrets_of(entry) if s != secret)
            if not left:
                index.pop(gram, None)
            else:
                index[gram] = left[0] if len(left) == 1 else left

    def __contains__(self, secret: object) -> bool:
        with self._lock:
            self._drain()
            return secret in self._holders

    def __len__(self) -> int:
        with self._lock:
            self._drain()
            return len(self._holders)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._holders))

    def copy(self) -> SecretRegistry:
        """A registry holding the same secrets as many times (the suite restores it after each test)."""
        other = SecretRegistry()
        with self._lock:
            self._drain()
            other._holders = dict(self._holders)
            other._index = {k: dict(index) for k, index in self._index.items()}
        return other

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Where registered secrets occur in `text`: sorted, overlapping occurrences merged."""
        if self._later and self._lock.acquire(blocking=False):
            try:
                self._drain()
            finally:
                self._lock.release()
        found: list[tuple[int, int]] = []
        end = len(text)
        for k, index in self._index.items():
            if not index:
                continue
            for position in range(0, end - k + 1, k):
                gram = text[position : position + k]
                entry = index.get(gram)
                if entry is None:
                    continue
                for secret in _secrets_of(entry):
                    # Where the gram sits among the secret's first K offsets (more than once in "aaaa...").
                    offset = secret.find(gram, 0, 2 * k - 1)
                    while offset != -1:
                        start = position - offset
                        if start >= 0 and text.startswith(secret, start):
                            found.append((start, start + len(secret)))
                        offset = secret.find(gram, offset + 1, 2 * k - 1)
        if not found:
            return found
        found.sort()
        merged = [found[0]]
        for start, stop in found[1:]:
            last_start, last_stop = merged[-1]
            if start < last_stop:  # overlapping secrets: mask their union, no piece of either shows
                merged[-1] = (last_start, max(last_stop, stop))
            else:
                merged.append((start, stop))
        return merged

    def redact(self, text: str) -> str:
        """`text` with every occurrence of a registered secret replaced by MASK."""
        spans = self.spans(text)
        if not spans:
            return text
        parts: list[str] = []
        cursor = 0
        for start, stop in spans:
            parts.append(text[cursor:start])
            parts.append(MASK)
            cursor = stop
        parts.append(text[cursor:])
        return "".join(parts)


_registry = SecretRegistry()


def register_secret(secret: str | None, owner: object = None) -> None:
    """Mask `secret` in every text redacted from now on.

    With an `owner` (a client's protocol, a session, a Token), the secret is released when the
    owner is garbage-collected; without one it is held until `release_secret`. A secret held
    by several owners stays masked until the last one lets go. Secrets shorter than 4
    characters are ignored.
    """
    if not secret or len(secret) < MIN_LENGTH:
        return
    registry = _registry
    registry.add(secret)
    if owner is not None:
        # Released from the registry it was added to; not at exit (nothing is left to mask then).
        weakref.finalize(owner, registry.discard_later, secret).atexit = False


def release_secret(secret: str | None) -> None:
    """Let go of a secret registered without an owner (a logged-out session id, a replaced token)."""
    if not secret or len(secret) < MIN_LENGTH:
        return
    _registry.discard(secret)


def tracked_secrets() -> int:
    """How many distinct secrets are masked right now (for leak checks and benchmarks)."""
    return len(_registry)


def redact_text(text: str) -> str:
    """`text` with every registered secret and every `access_token=...`-like value masked."""
    text = _registry.redact(text)
    text = _QUOTED_KEYED.sub(
        lambda m: f"{m.group('q')}{m.group('key')}{m.group('q')}{m.group('sep')}{m.group('vq')}{MASK}{m.group('vq')}",
        text,
    )
    text = _QUERY_KEYED.sub(lambda m: f"{m.group('key')}={MASK}", text)
    return _KEYED.sub(lambda m: f"{m.group('key')}{m.group('sep')}{MASK}", text)


_VALUE_KEYS = SECRET_KEYS - {"code", "key"}


def redact_value(value: object) -> object:
    """A copy of a decoded value (JSON-like: dicts, lists, strings) with every secret masked.

    Registered secrets are masked in every string; a string under a secret key (`SECRET_KEYS`, e.g. "password")
    (except "code" and "key", which VK uses for other things) becomes MASK. Other objects are returned as they are. What errors keep as their `.value`,
    `.details` or `.body`.
    """
    if isinstance(value, str):
        # Registered secrets only: keys are judged by the mapping around, and a URL such as a
        # captcha image's (`?sid=...`) must stay usable.
        return _registry.redact(value)
    if isinstance(value, Mapping):
        items = cast("Mapping[object, object]", value).items()
        return {
            key: MASK if key in _VALUE_KEYS and isinstance(item, str) else redact_value(item) for key, item in items
        }
    if isinstance(value, list | tuple):
        shown = [redact_value(item) for item in cast("list[object] | tuple[object, ...]", value)]
        return shown if isinstance(value, list) else tuple(shown)
    return value


class RedactingFilter(logging.Filter):
    """A logging filter that masks secrets in each record's message (its arguments merged in).

    apiforge puts one on its own loggers and on those of httpx, httpcore and websockets (a
    request line carries the URL; a WebSocket frame log carries the message). Add it to your
    own handlers too: `handler.addFilter(RedactingFilter())`.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and any(_is_frame(arg) for arg in args):
            # A websockets frame is shown shortened to its start and end: redact the whole payload
            # first, or the part of a token that is left would not be recognised.
            record.args = tuple(_redacted_frame(arg) if _is_frame(arg) else arg for arg in args)
        message = record.getMessage()
        redacted = redact_text(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
            # The traceback text is cached on the record by the first handler that formats it.
            record.exc_text = redact_text(logging.Formatter().formatException(record.exc_info))
        return True


def _is_frame(value: object) -> bool:
    return (
        dataclasses.is_dataclass(value)
        and hasattr(value, "opcode")
        and isinstance(getattr(value, "data", None), bytes | bytearray | memoryview)
    )


def _redacted_frame(frame: Any) -> str:
    try:
        text = bytes(frame.data).decode()
    except UnicodeDecodeError:
        return str(frame)
    return str(dataclasses.replace(frame, data=redact_text(text).encode()))


LOGGERS = (
    "apiforge",
    "apiforge.events",
    "apiforge.gateway",
    "httpx",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
    "websockets.client",
    "websockets.server",
    "websockets.protocol",
)
"""The loggers `RedactingFilter` is put on when apiforge is imported (a filter on a logger sees
only the records logged on that very logger, so each is named)."""
_FILTER = RedactingFilter()


def protect_logger(name: str) -> None:
    """Put apiforge's redacting filter on the logger `name` (once)."""
    logger = logging.getLogger(name)
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)


for _name in LOGGERS:
    protect_logger(_name)


def mask(secret: str | None) -> str:
    """How a secret appears in a repr: never its value."""
    return "None" if secret is None else MASK


class SecretHolder:
    """The secrets one owner (a client's protocol, a long poll, a token store) holds, released
    together when it closes (or when it is garbage-collected)."""

    __slots__ = ("_held",)

    def __init__(self) -> None:
        # Each with the registry it was added to, so that it is released from that one.
        self._held: list[tuple[SecretRegistry, str]] = []

    def hold(self, secret: str | None) -> None:
        """Register `secret` until `release_all` (or until this holder is garbage-collected)."""
        if not secret or len(secret) < MIN_LENGTH:
            return
        registry = _registry
        registry.add(secret)
        self._held.append((registry, secret))

    def drop(self, secret: str | None) -> None:
        """Release one hold of `secret` taken through this holder (e.g. a replaced user token)."""
        for index, (registry, held) in enumerate(self._held):
            if held == secret:
                del self._held[index]
                registry.discard(held)
                return

    def __contains__(self, secret: object) -> bool:
        return any(held == secret for _, held in self._held)

    def release_all(self) -> None:
        """Release every secret held here (the client closed)."""
        held, self._held = self._held, []
        for registry, secret in held:
            registry.discard(secret)

    def __del__(self) -> None:
        # Run by the garbage collector, possibly inside the registry's lock: queue, never lock.
        held, self._held = self._held, []
        for registry, secret in held:
            registry.discard_later(secret)

    def __repr__(self) -> str:
        return f"<SecretHolder of {len(self._held)} secrets>"


__all__ = [
    "LOGGERS",
    "MASK",
    "MIN_LENGTH",
    "SECRET_KEYS",
    "SECRET_PARAMS",
    "SecretHolder",
    "RedactingFilter",
    "SecretRegistry",
    "mask",
    "protect_logger",
    "redact_text",
    "redact_value",
    "register_secret",
    "release_secret",
    "tracked_secrets",
]
