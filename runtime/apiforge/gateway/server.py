"""`Gateway`: the WebSocket server tying commands, sessions, auth and event relays together.

    gateway = Gateway(verifier=tokens.verify)
    gateway.include(chat)                                  # a CommandGroup
    gateway.relay(BotLongPoll(vk, group_id=1), topic="vk.messages")
    gateway.expose(vk, allow=["messages.send"], prefix="vk")

    async with gateway.serve("127.0.0.1", 8765):
        await asyncio.Event().wait()

Every connection is greeted with `{"event": "welcome", "payload": {"connection_id": "c1"}}`,
then each client message is handled in order (see `protocol` for the format, `commands` for the
reply convention). A message carrying a token is verified first: a refused token is an
`unauthorized` error and the command does not run; an accepted one makes the connection
addressable by that user id (`send_to_user`). Protected commands need such a token on every call.
"""

from __future__ import annotations

import asyncio
import contextlib
import difflib
import inspect
import logging
from collections.abc import AsyncGenerator, AsyncIterable, Iterable
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from apiforge.core.client import AsyncClient, SyncClient
from apiforge.core.converter import unstructure
from apiforge.core.types import JSON
from apiforge.gateway.api import api_commands
from apiforge.gateway.auth import Verifier, verify
from apiforge.gateway.builtins import WELCOME_EVENT, send_commands, topic_commands
from apiforge.gateway.commands import Command, CommandGroup
from apiforge.gateway.protocol import GatewayError, encode, encode_error, parse_client_message, peek_event, reply_event
from apiforge.gateway.relay import Serializer, event_json
from apiforge.gateway.sessions import DEFAULT_QUEUE_SIZE, DEFAULT_SEND_TIMEOUT, Connection, Sessions

logger = logging.getLogger("apiforge.gateway")


class Gateway:
    """A WebSocket gateway: typed commands, verified users, topics fed by event sources.

    Args:
        verifier: turns a token into a user id (None refuses it); without one, protected commands
            are refused.
        queue_size: messages a connection may have waiting to be written.
        send_timeout: seconds a relay waits for room in a full queue before it drops the connection
            as a slow consumer (a client that keeps reading is never dropped, however large a burst).
        protect_topics: whether `subscribe` needs a token for every topic, public ones included.
        allowed_origins: the web pages (`Origin` header values, e.g. "https://app.example.com")
            whose scripts may connect. By default only pages served from the gateway's own host
            and port may; "*" allows every page. Clients that send no `Origin` (not browsers)
            are always let in: the check stops other sites' pages from using a visitor's browser.

    A topic is private unless declared public (`relay(..., public=True)`): subscribing to it
    needs a token the verifier accepts, since relays carry what users write (VK messages).
    """

    def __init__(
        self,
        *,
        verifier: Verifier | None = None,
        queue_size: int = DEFAULT_QUEUE_SIZE,
        send_timeout: float = DEFAULT_SEND_TIMEOUT,
        protect_topics: bool = False,
        allowed_origins: Iterable[str] | None = None,
    ) -> None:
        if isinstance(queue_size, bool) or not isinstance(queue_size, int) or queue_size < 1:
            raise ValueError(f"Gateway: queue_size must be a positive integer, got {queue_size!r}")
        if isinstance(send_timeout, bool) or not isinstance(send_timeout, int | float) or not send_timeout > 0:
            raise ValueError(f"Gateway: send_timeout must be a positive number of seconds, got {send_timeout!r}")
        self.verifier = verifier
        self.queue_size = queue_size
        self.send_timeout = float(send_timeout)
        if isinstance(allowed_origins, str):
            raise TypeError(f"Gateway: allowed_origins must be a list of origins, got the string {allowed_origins!r}")
        self.allowed_origins: frozenset[str] | None = None if allowed_origins is None else frozenset(allowed_origins)
        self.sessions = Sessions()
        self.topics: set[str] = set()
        """Topics clients may subscribe to (every relay's topic, and those `declare_topic` adds)."""
        self.public_topics: set[str] = set()
        """Topics anyone may subscribe to without a token (declared with `public=True`)."""
        self.commands: dict[str, Command] = {}
        self._relays: list[tuple[AsyncIterable[Any], str, Serializer]] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._server: Server | None = None
        self.include(topic_commands(self, protected=protect_topics))
        self.include(send_commands(self))

    # Configuration.

    def include(self, group: CommandGroup) -> None:
        """Serve a group's commands.

        Raises:
            ValueError: a command of the group has the name of one already served (none is added).
        """
        clashes = sorted(command.name for command in group if command.name in self.commands)
        if clashes:
            raise ValueError(f"Gateway.include: commands {clashes} are already registered")
        for command in group:
            self.commands[command.name] = command

    def expose(self, client: SyncClient | AsyncClient, *, allow: Iterable[str], prefix: str) -> CommandGroup:
        """Serve SDK methods as protected commands `"<prefix> <method>"`, called with the client's credentials.

        Only the methods in `allow` (wire names such as "messages.send", or Python paths) are served.
        Returns the group added.
        """
        allowed = list(allow)
        if not allowed:
            raise ValueError("Gateway.expose: allow lists no method (nothing would be exposed)")
        group = api_commands(client, allow=allowed, prefix=prefix)
        self.include(group)
        return group

    def declare_topic(self, topic: str, *, public: bool = False) -> None:
        """Let clients subscribe to `topic` (for events you `publish` yourself).

        Only verified users may, unless `public` (anyone, no token).
        """
        if not isinstance(topic, str) or not topic:
            raise ValueError(f"a topic must be a non-empty string, got {topic!r}")
        self.topics.add(topic)
        if public:
            self.public_topics.add(topic)
        else:
            self.public_topics.discard(topic)

    def check_subscriber(self, connection: Connection, topic: str) -> None:
        """Raise GatewayError unless `connection` may subscribe to `topic` (known; public, or a verified user)."""
        self.check_topic(topic)
        if topic not in self.public_topics and connection.user_id is None:
            raise GatewayError("unauthorized", f"topic {topic!r} is private: subscribe with a 'token'")

    def check_topic(self, topic: str) -> None:
        """Raise GatewayError `unknown_topic` unless clients may subscribe to `topic`."""
        if topic not in self.topics:
            raise GatewayError("unknown_topic", f"no topic {topic!r} (topics: {sorted(self.topics)})")

    def relay(
        self, source: AsyncIterable[Any], *, topic: str, serialize: Serializer = event_json, public: bool = False
    ) -> None:
        """Push every event of `source` (an async iterable) to the connections subscribed to `topic`.

        The source is iterated while the gateway serves (from `serve()` on, or at once if it is
        serving already). `serialize` makes each event's payload (default: class name and fields).
        The topic is private (subscribers need a token) unless `public`.
        """
        if not hasattr(source, "__aiter__"):
            raise TypeError(f"Gateway.relay: the source must be an async iterable, got {type(source).__name__}")
        self.declare_topic(topic, public=public)
        self._relays.append((source, topic, serialize))
        if self._server is not None:
            self._start_relay(source, topic, serialize)

    # Sending.

    def send_to_connection(self, connection_id: str, event: str, payload: JSON = None) -> bool:
        """Queue a message to one connection; False when there is no such open connection."""
        connection = self.sessions.by_id.get(connection_id)
        return connection is not None and connection.send(event, payload)

    def send_to_user(self, user_id: str, event: str, payload: JSON = None) -> int:
        """Queue a message to every open connection of a user; returns how many got it."""
        text = encode(event, payload)
        return sum(connection.send_text(text) for connection in self.sessions.of_user(user_id))

    def publish(self, topic: str, payload: JSON) -> int:
        """Queue `{"event": topic, "payload": payload}` to the subscribers of `topic`; returns how many got it."""
        text = encode(topic, payload)
        return sum(connection.send_text(text) for connection in self.sessions.subscribers(topic))

    # Serving.

    @contextlib.asynccontextmanager
    async def serve(self, host: str = "127.0.0.1", port: int = 0, **options: Any) -> AsyncGenerator[Server]:
        """Serve on host:port (0: a free port; see `port`) while the block runs; relays run meanwhile.

        `options` go to `websockets.asyncio.server.serve` (e.g. `close_timeout`, `max_size`).
        """
        if self._server is not None:
            raise RuntimeError("Gateway.serve: this gateway is serving already")
        theirs = options.pop("process_request", None)

        def process_request(connection: ServerConnection, request: Request) -> Response | None:
            refused = self.check_origin(connection, request)
            if refused is not None or theirs is None:
                return refused
            answer: Response | None = theirs(connection, request)
            return answer

        async with serve(self.handle, host, port, process_request=process_request, **options) as server:
            self._server = server
            try:
                for source, topic, serialize in self._relays:
                    self._start_relay(source, topic, serialize)
                yield server
            finally:
                self._server = None
                tasks = list(self._tasks)
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)

    @property
    def port(self) -> int:
        """The port the gateway listens on (while serving)."""
        if self._server is None:
            raise RuntimeError("Gateway.port: the gateway is not serving")
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    def check_origin(self, connection: ServerConnection, request: Request) -> Response | None:
        """Refuse (403) a handshake from a page whose `Origin` may not connect; None lets it in."""
        origin = request.headers.get("Origin")
        if origin is None or self.origin_allowed(origin, request.headers.get("Host")):
            return None
        logger.info("gateway: refused a connection from origin %r", origin)
        return connection.respond(HTTPStatus.FORBIDDEN, f"origin {origin!r} may not connect to this gateway\n")

    def origin_allowed(self, origin: str, host: str | None) -> bool:
        """Whether a page of `origin` may connect (`host`: the Host the browser asked for)."""
        if self.allowed_origins is None:
            return host is not None and urlsplit(origin).netloc.lower() == host.lower()
        return "*" in self.allowed_origins or origin in self.allowed_origins

    async def handle(self, websocket: ServerConnection) -> None:
        """Serve one WebSocket connection until it closes (the `websockets` handler)."""
        connection = Connection(
            self.sessions.new_id(), websocket, queue_size=self.queue_size, on_drop=self.sessions.remove
        )
        self.sessions.add(connection)
        writer = asyncio.create_task(connection.pump(), name=f"apiforge-gateway-writer-{connection.id}")
        connection.send(WELCOME_EVENT, {"connection_id": connection.id})
        try:
            async for data in websocket:
                if not connection.open:
                    break
                await self.dispatch(connection, data)
        except ConnectionClosed:
            pass
        finally:
            connection.finish()
            self.sessions.remove(connection)
            writer.cancel()
            await asyncio.gather(writer, return_exceptions=True)

    async def dispatch(self, connection: Connection, data: str | bytes) -> None:
        """Handle one client message: parse, authenticate, run the command, queue the reply or the error."""
        event: str | None = None
        try:
            message = parse_client_message(data)
            event = message.event
            command = self.commands.get(message.event)
            if command is None:
                near = difflib.get_close_matches(message.event, list(self.commands), n=3)
                hint = f" (did you mean {', '.join(repr(n) for n in near)}?)" if near else ""
                raise GatewayError("unknown_command", f"no command {message.event!r}{hint}")
            if message.token is not None or command.protected:
                await self._authenticate(connection, command, message.token)
            if command.takes_payload:
                arguments: tuple[object, ...] = (connection, command.read_payload(message.payload))
            elif message.payload not in (None, {}):
                raise GatewayError("invalid_payload", f"{command.name}: takes no payload")
            else:
                arguments = (connection,)
            result = command.handler(*arguments)
            if inspect.isawaitable(result):
                result = await result
            if result is not None:
                connection.send_text(encode(reply_event(command.name), unstructure(result)))
        except GatewayError as error:
            connection.send_text(
                encode_error(error.name, error.detail, event if event is not None else peek_event(data))
            )
        except Exception:
            # The message is not logged: it may hold a token.
            logger.exception("gateway: command %r of connection %s failed", event, connection.id)
            connection.send_text(encode_error("internal", "the command failed on the server", event))

    async def _authenticate(self, connection: Connection, command: Command, token: str | None) -> None:
        if token is None:
            raise GatewayError("unauthorized", f"{command.name!r} is protected: send a 'token'")
        if self.verifier is None:
            raise GatewayError("unauthorized", "this gateway accepts no tokens (no verifier)")
        try:
            user_id = await verify(self.verifier, token)
        except Exception:
            logger.exception("gateway: the verifier failed (connection %s)", connection.id)
            raise GatewayError("unauthorized", "the token could not be verified") from None
        if user_id is None:
            raise GatewayError("unauthorized", "the token was not accepted")
        self.sessions.bind(connection, user_id)

    def _start_relay(self, source: AsyncIterable[Any], topic: str, serialize: Serializer) -> None:
        task = asyncio.get_running_loop().create_task(
            self._run_relay(source, topic, serialize), name=f"apiforge-gateway-relay-{topic}"
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run_relay(self, source: AsyncIterable[Any], topic: str, serialize: Serializer) -> None:
        try:
            async for event in source:
                try:
                    text = encode(topic, serialize(event))
                except Exception:
                    logger.exception("gateway: relay %r could not serialize a %s", topic, type(event).__name__)
                    continue
                await self._fan_out(topic, text)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("gateway: the source of relay %r failed; the relay stopped", topic)

    async def _fan_out(self, topic: str, text: str) -> None:
        # A source may hand over a burst without ever suspending (an AVL poll of a large fleet):
        # the writers only run while the relay waits, so it waits for room in a full queue rather
        # than dropping a client that reads; only a queue that stays full marks a slow consumer.
        full = [connection for connection in self.sessions.subscribers(topic) if not connection.offer(text)]
        if full:
            await asyncio.gather(*(connection.deliver(text, self.send_timeout) for connection in full))
        else:
            await asyncio.sleep(0)  # let the writers and the other connections' commands run

    def __repr__(self) -> str:
        return f"<Gateway connections={len(self.sessions)} commands={len(self.commands)} topics={sorted(self.topics)}>"


__all__ = ["Gateway"]
