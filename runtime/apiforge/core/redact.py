"""Keep secrets out of logs, reprs and exception texts.

Every secret a client holds (tokens, passwords, session ids) is registered here while the
client (or session, or `Token`) that holds it lives; texts meant for humans pass through
`redact_text` before they leave.

The registry must stay cheap for a process that opens clients and sessions for weeks:
registering a secret costs O(its length), masking a text costs O(the text's length), and
neither grows with the number of secrets registered. See `SecretRegistry` for how.
"""

from __future__ import annotations

import re
import threading
import weakref
from collections.abc import Iterator

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

# Gram lengths, longest first. A secret of length L is indexed in the tier of the longest gram K
# with 2K - 1 <= L (see SecretRegistry); MIN_LENGTH 4 always fits the last tier.
_TIERS = (8, 4, 2)

_Entry = tuple[str, int]
"""(secret, offset of the gram in the secret)."""


def _tier(length: int) -> int:
    return next(k for k in _TIERS if 2 * k - 1 <= length)


class SecretRegistry:
    """The secrets to mask, counted by holder, indexed so that masking never looks at each one.

    How a text is scanned: a secret of length L >= 2K - 1 is indexed under each of its first K
    grams of length K (the substrings at offsets 0..K-1). Wherever the secret occurs in a text,
    one of those grams starts at a position that is a multiple of K, so the scan looks up only
    the grams at positions 0, K, 2K, ... of the text: len(text) / K dictionary lookups per tier,
    each candidate checked with one `startswith`. Registration adds K index entries; releasing
    the last holder removes them. Index values are tuples, replaced rather than mutated, so
    `redact` reads without the lock while another thread registers.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holders: dict[str, int] = {}
        self._index: dict[int, dict[str, tuple[_Entry, ...]]] = {k: {} for k in _TIERS}

    def add(self, secret: str) -> None:
        """Hold `secret` once more; the first holder indexes it."""
        with self._lock:
            held = self._holders.get(secret, 0)
            self._holders[secret] = held + 1
            if held:
                return
            k = _tier(len(secret))
            index = self._index[k]
            for offset in range(k):
                gram = secret[offset : offset + k]
                index[gram] = (*index.get(gram, ()), (secret, offset))

    def discard(self, secret: str) -> None:
        """Hold `secret` once less; when nobody holds it any more it is no longer tracked."""
        with self._lock:
            held = self._holders.get(secret, 0)
            if held > 1:
                self._holders[secret] = held - 1
                return
            if not held:
                return
            del self._holders[secret]
            k = _tier(len(secret))
            index = self._index[k]
            for offset in range(k):
                gram = secret[offset : offset + k]
                left = tuple(entry for entry in index.get(gram, ()) if entry != (secret, offset))
                if left:
                    index[gram] = left
                else:
                    index.pop(gram, None)

    def __contains__(self, secret: object) -> bool:
        return secret in self._holders

    def __len__(self) -> int:
        return len(self._holders)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._holders))

    def copy(self) -> SecretRegistry:
        """A registry holding the same secrets as many times (the suite restores it after each test)."""
        other = SecretRegistry()
        with self._lock:
            other._holders = dict(self._holders)
            other._index = {k: dict(index) for k, index in self._index.items()}
        return other

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Where registered secrets occur in `text`: sorted, overlapping occurrences merged."""
        found: list[tuple[int, int]] = []
        end = len(text)
        for k, index in self._index.items():
            if not index:
                continue
            for position in range(0, end - k + 1, k):
                entries = index.get(text[position : position + k])
                if entries is None:
                    continue
                for secret, offset in entries:
                    start = position - offset
                    if start >= 0 and text.startswith(secret, start):
                        found.append((start, start + len(secret)))
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
    _registry.add(secret)
    if owner is not None:
        # Not at exit: the process is ending, and nothing is left to mask.
        weakref.finalize(owner, release_secret, secret).atexit = False


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
    return _KEYED.sub(lambda m: f"{m.group('key')}{m.group('sep')}{MASK}", text)


def mask(secret: str | None) -> str:
    """How a secret appears in a repr: never its value."""
    return "None" if secret is None else MASK


class SecretHolder:
    """The secrets one owner (a client's protocol) holds, released together when it closes."""

    __slots__ = ("_held",)

    def __init__(self) -> None:
        self._held: list[str] = []

    def hold(self, secret: str | None) -> None:
        """Register `secret` until `release_all` (or until this holder is garbage-collected)."""
        if not secret or len(secret) < MIN_LENGTH:
            return
        _registry.add(secret)
        self._held.append(secret)

    def drop(self, secret: str | None) -> None:
        """Release one hold of `secret` taken through this holder (e.g. a replaced user token)."""
        if secret in self._held:
            self._held.remove(secret)
            release_secret(secret)

    def __contains__(self, secret: object) -> bool:
        return secret in self._held

    def release_all(self) -> None:
        """Release every secret held here (the client closed)."""
        held, self._held = self._held, []
        for secret in held:
            release_secret(secret)

    def __del__(self) -> None:
        self.release_all()

    def __repr__(self) -> str:
        return f"<SecretHolder of {len(self._held)} secrets>"


__all__ = [
    "MASK",
    "MIN_LENGTH",
    "SECRET_KEYS",
    "SECRET_PARAMS",
    "SecretHolder",
    "SecretRegistry",
    "mask",
    "redact_text",
    "register_secret",
    "release_secret",
    "tracked_secrets",
]
