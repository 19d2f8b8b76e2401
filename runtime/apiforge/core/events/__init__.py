"""Events pushed by the APIs, fetched by pollers and handed to handlers (sans-IO dispatch, two drivers).

- `router.Router`: one typed dispatcher for every source (`@router.on(MessageNew, filter=...)`),
  with middlewares, a concurrency limit and a graceful stop; a router is also a callable sink.
- `vk_bots.BotLongPoll`, `vk_user.UserLongPoll`: VK long polls as sync or async iterators of
  typed events (`apiforge.vk.updates`, `vk_user`); `vk_callback.parse_callback` for the Callback API.
- `yclients_webhooks.parse_webhook`: YCLIENTS webhook bodies as typed events.
- `handlers.EventHandlers`: handlers registered with a kind and an optional filter; the first
  match wins. It is a plain callable sink, so a poller can feed it or any other callable.
- `wialon_avl`: the Wialon AVL event poller (`{base_url}/avl_evts`), sync and async.

    from apiforge.core.events import BotLongPoll, Router
    from apiforge.vk.updates import MessageNew

    router = Router()

    @router.on(MessageNew)
    def hello(update: MessageNew) -> None: ...

    with VK(token=..., token_kind="group") as vk:
        router.run_sync(BotLongPoll(vk, group_id=1))

Names other than `EventHandlers` and `Route` load on first access.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from apiforge.core.events.handlers import EventHandlers, Route

if TYPE_CHECKING:
    from apiforge.core.events.longpoll import LongPollError
    from apiforge.core.events.mixins import AsyncVKEvents, VKEvents
    from apiforge.core.events.router import Dispatch, Middleware, Router, RouterStats
    from apiforge.core.events.vk_bots import BotLongPoll
    from apiforge.core.events.vk_callback import OK, CallbackError, CallbackSecretError, parse_callback
    from apiforge.core.events.vk_updates import BotUpdate, UnknownUpdate, UpdateFormatError, decode_update
    from apiforge.core.events.vk_user import UserEvent, UserLongPoll
    from apiforge.core.events.yclients_webhooks import WebhookError, WebhookEvent, parse_webhook

_WHERE = {
    "AsyncVKEvents": "apiforge.core.events.mixins",
    "BotLongPoll": "apiforge.core.events.vk_bots",
    "BotUpdate": "apiforge.core.events.vk_updates",
    "CallbackError": "apiforge.core.events.vk_callback",
    "CallbackSecretError": "apiforge.core.events.vk_callback",
    "Dispatch": "apiforge.core.events.router",
    "LongPollError": "apiforge.core.events.longpoll",
    "Middleware": "apiforge.core.events.router",
    "OK": "apiforge.core.events.vk_callback",
    "Router": "apiforge.core.events.router",
    "RouterStats": "apiforge.core.events.router",
    "UnknownUpdate": "apiforge.core.events.vk_updates",
    "UpdateFormatError": "apiforge.core.events.vk_updates",
    "UserEvent": "apiforge.core.events.vk_user",
    "UserLongPoll": "apiforge.core.events.vk_user",
    "VKEvents": "apiforge.core.events.mixins",
    "WebhookError": "apiforge.core.events.yclients_webhooks",
    "WebhookEvent": "apiforge.core.events.yclients_webhooks",
    "decode_update": "apiforge.core.events.vk_updates",
    "parse_callback": "apiforge.core.events.vk_callback",
    "parse_webhook": "apiforge.core.events.yclients_webhooks",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_WHERE})


__all__ = [
    "OK",
    "AsyncVKEvents",
    "BotLongPoll",
    "BotUpdate",
    "CallbackError",
    "CallbackSecretError",
    "Dispatch",
    "EventHandlers",
    "LongPollError",
    "Middleware",
    "Route",
    "Router",
    "RouterStats",
    "UnknownUpdate",
    "UpdateFormatError",
    "UserEvent",
    "UserLongPoll",
    "VKEvents",
    "WebhookError",
    "WebhookEvent",
    "decode_update",
    "parse_callback",
    "parse_webhook",
]
