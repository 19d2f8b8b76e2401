"""What the event tests share: the fake's token and community, a backoff that does not wait."""

from __future__ import annotations

from apiforge.core.retry import RetryPolicy

TOKEN = "t"
GROUP_ID = 1
NO_WAIT = RetryPolicy(backoff_base=0.0, jitter=0.0)
"""Reconnect at once: the backoff itself is checked on the pure machine, not by sleeping."""
