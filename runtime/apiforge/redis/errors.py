"""The errors of apiforge.redis."""

from __future__ import annotations

from apiforge.core.errors import APIForgeError


class RedisUnavailableError(APIForgeError):
    """Redis could not be reached, and the component was told to fail rather than go on alone.

    The message names the component and the Redis host (never a password of the URL).
    """


__all__ = ["RedisUnavailableError"]
