"""apiforge on several processes, coordinated through Redis (`pip install apiforge[redis]`).

- `RedisBackend`: one token's rate-limit schedule shared by every process (`RateLimiter(..., backend=...)`).

See docs/several-processes.md for what is shared, what is not, and what happens when Redis is down.
"""

from apiforge.redis.connection import Connection
from apiforge.redis.errors import RedisUnavailableError
from apiforge.redis.ratelimit import RedisBackend

__all__ = ["Connection", "RedisBackend", "RedisUnavailableError"]
