"""`vk.bot_long_poll(...)` and `vk.user_long_poll(...)`: the long polls as methods of the VK clients.

Mixed into the generated clients (`class VK(VKEvents, ExecuteMethods)`): each is a client base,
so it must come first in the bases, in place of SyncClient / AsyncClient.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from apiforge.core.client import AsyncClient, SyncClient
from apiforge.core.retry import RetryPolicy

if TYPE_CHECKING:
    from apiforge.core.events.vk_bots import BotLongPoll
    from apiforge.core.events.vk_user import UserLongPoll


class VKEvents(SyncClient):
    """The long polls of the sync VK client (`for update in vk.bot_long_poll(group_id=...)`)."""

    def bot_long_poll(
        self,
        *,
        group_id: int,
        wait: int = 25,
        retry: RetryPolicy | None = None,
        max_reconnects: int | None = None,
        ts: str | None = None,
    ) -> BotLongPoll:
        """The community's events as typed updates (VK Bots Long Poll); see `BotLongPoll`."""
        from apiforge.core.events.vk_bots import BotLongPoll

        return BotLongPoll(self, group_id=group_id, wait=wait, retry=retry, max_reconnects=max_reconnects, ts=ts)

    def user_long_poll(
        self,
        *,
        mode: int | None = None,
        group_id: int | None = None,
        wait: int = 25,
        retry: RetryPolicy | None = None,
        max_reconnects: int | None = None,
        ts: str | None = None,
    ) -> UserLongPoll:
        """Message events of the token's user or community (VK User Long Poll); see `UserLongPoll`."""
        from apiforge.core.events.vk_user import DEFAULT_MODE, UserLongPoll

        return UserLongPoll(
            self,
            mode=DEFAULT_MODE if mode is None else mode,
            group_id=group_id,
            wait=wait,
            retry=retry,
            max_reconnects=max_reconnects,
            ts=ts,
        )


class AsyncVKEvents(AsyncClient):
    """The long polls of the async VK client (`async for update in vk.bot_long_poll(group_id=...)`)."""

    def bot_long_poll(
        self,
        *,
        group_id: int,
        wait: int = 25,
        retry: RetryPolicy | None = None,
        max_reconnects: int | None = None,
        ts: str | None = None,
    ) -> BotLongPoll:
        """The community's events as typed updates (VK Bots Long Poll); see `BotLongPoll`."""
        from apiforge.core.events.vk_bots import BotLongPoll

        return BotLongPoll(self, group_id=group_id, wait=wait, retry=retry, max_reconnects=max_reconnects, ts=ts)

    def user_long_poll(
        self,
        *,
        mode: int | None = None,
        group_id: int | None = None,
        wait: int = 25,
        retry: RetryPolicy | None = None,
        max_reconnects: int | None = None,
        ts: str | None = None,
    ) -> UserLongPoll:
        """Message events of the token's user or community (VK User Long Poll); see `UserLongPoll`."""
        from apiforge.core.events.vk_user import DEFAULT_MODE, UserLongPoll

        return UserLongPoll(
            self,
            mode=DEFAULT_MODE if mode is None else mode,
            group_id=group_id,
            wait=wait,
            retry=retry,
            max_reconnects=max_reconnects,
            ts=ts,
        )


__all__ = ["AsyncVKEvents", "VKEvents"]
