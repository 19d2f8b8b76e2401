"""apiforge on several processes, coordinated through Redis (`pip install apiforge[redis]`).

- `RedisBackend`: one token's rate-limit schedule shared by every process (`RateLimiter(..., backend=...)`).
- `SharedBotLongPoll`: one VK Bots Long Poll for many workers: a leader (by lease) polls, a Redis
  Stream and a consumer group hand each event to one worker's `Router`; `SharedAvlPoll` does the
  same for Wialon AVL events.
- `share_session`: one Wialon session for every process on an account (`RedisSessionStore`): one
  login, one re-login after expiry.
- `Deduplicator`: an event handled by any process is not handled again (VK Callback API and
  YCLIENTS webhook retries), by an atomic set-if-absent with a TTL.

See docs/several-processes.md for what is shared, what is not, and what happens when Redis is down.
"""

from apiforge.redis.connection import Connection
from apiforge.redis.dedupe import Deduplicator, body_id
from apiforge.redis.errors import RedisUnavailableError
from apiforge.redis.lease import Lease
from apiforge.redis.longpoll import SharedAvlPoll, SharedBotLongPoll, SharedLongPoll
from apiforge.redis.ratelimit import RedisBackend
from apiforge.redis.sessions import RedisSessionStore, share_session

__all__ = [
    "Connection",
    "Deduplicator",
    "Lease",
    "RedisBackend",
    "RedisSessionStore",
    "RedisUnavailableError",
    "SharedAvlPoll",
    "SharedBotLongPoll",
    "SharedLongPoll",
    "body_id",
    "share_session",
]
