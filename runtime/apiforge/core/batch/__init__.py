"""Batching: many calls in one request — VK `execute` (up to 25 calls), Wialon `core/batch`.

    with vk.batch() as b:                      # async: `async with avk.batch() as b:`
        users = b.users.get(user_ids=[1])      # Pending[list[UsersUserFull]]
        sent = b.messages.send(peer_id=1, message="hi")
    users.result()                             # the value, or this call's own typed error

The pieces, one concern each: `Pending` (a typed pending result), planners (sans-IO: how an API
packs calls and reads results back: `VKExecutePlanner`, `WialonBatchPlanner`), `send_entries`
(the one effect pipeline both drivers run), the batch blocks (`SyncBatch`, `AsyncBatch`) and
`AutoBatcher` (async clients coalescing concurrent calls).
"""

from apiforge.core.batch.auto import DEFAULT_WINDOW, AutoBatcher
from apiforge.core.batch.context import AsyncBatch, BatchBase, SyncBatch
from apiforge.core.batch.errors import BatchCancelledError, NotBatchableError, NotSentError
from apiforge.core.batch.pending import Pending
from apiforge.core.batch.plan import BatchPlanner, Entry
from apiforge.core.batch.queue import BatchQueue
from apiforge.core.batch.send import send_entries
from apiforge.core.batch.vk import VKExecutePlanner
from apiforge.core.batch.wialon import WialonBatchPlanner

__all__ = [
    "DEFAULT_WINDOW",
    "AsyncBatch",
    "AutoBatcher",
    "BatchBase",
    "BatchCancelledError",
    "BatchPlanner",
    "BatchQueue",
    "Entry",
    "NotBatchableError",
    "NotSentError",
    "Pending",
    "SyncBatch",
    "VKExecutePlanner",
    "WialonBatchPlanner",
    "send_entries",
]
