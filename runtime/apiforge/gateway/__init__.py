"""apiforge.gateway: a WebSocket gateway pushing live API events to browsers and running typed commands.

    from apiforge.gateway import CommandGroup, Gateway, TokenStore

Needs the `websockets` package: `pip install 'apiforge[gateway]'`. Modules: `protocol` (the JSON
messages), `commands` (CommandGroup, typed payloads), `sessions` (connections, backpressure),
`auth` (verifiers, TokenStore), `relay` (event sources), `api` (SDK methods as commands),
`builtins` (subscribe, unsubscribe, gateway send), `server` (Gateway).
"""

from __future__ import annotations

import importlib

# Checked first so that a missing dependency names the extra that provides it.
try:
    importlib.import_module("websockets.asyncio.server")
except ImportError as error:
    raise ImportError(
        "apiforge.gateway needs the 'websockets' package (>= 14): pip install 'apiforge[gateway]'"
    ) from error

from apiforge.gateway.auth import TokenStore, Verifier
from apiforge.gateway.commands import Command, CommandGroup
from apiforge.gateway.protocol import ClientMessage, GatewayError
from apiforge.gateway.relay import AvlSource, QueueSource, WebhookSource, event_json
from apiforge.gateway.server import Gateway
from apiforge.gateway.sessions import SLOW_CONSUMER, Connection

__all__ = [
    "SLOW_CONSUMER",
    "AvlSource",
    "ClientMessage",
    "Command",
    "CommandGroup",
    "Connection",
    "Gateway",
    "GatewayError",
    "QueueSource",
    "TokenStore",
    "Verifier",
    "WebhookSource",
    "event_json",
]
