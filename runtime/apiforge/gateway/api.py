"""SDK methods as gateway commands (opt-in): `Gateway.expose(client, allow=[...], prefix="vk")`.

    {"event": "vk messages.send", "token": "...", "payload": {"peer_id": 5, "message": "hi", "random_id": 1}}
        -> {"event": "vk messages.send ok", "payload": <the result as JSON>}

Each allowed method (a wire name from the API's generated `METHODS`, or its Python path such as
`companies.list`) becomes one protected command named `prefix + " " + <as written>`. It is called
with the server's credentials; payload keys are the method's Python parameter names, checked
against its signature before the call (unknown or missing required ones are named).
"""

from __future__ import annotations

import asyncio
import difflib
import importlib
import inspect
import typing
from collections.abc import Callable, Iterable, Mapping
from typing import Any, cast

import cattrs

from apiforge.core.client import AsyncClient, SyncClient
from apiforge.core.converter import fast, unstructure
from apiforge.core.errors import APIError, APIForgeError, TransportError
from apiforge.core.registry import MethodInfo
from apiforge.core.types import JSON
from apiforge.gateway.commands import CommandGroup, Handler, structure_payload
from apiforge.gateway.protocol import GatewayError
from apiforge.gateway.sessions import Connection


def api_commands(client: SyncClient | AsyncClient, *, allow: Iterable[str], prefix: str) -> CommandGroup:
    """A group of protected commands calling the allowed methods of `client`.

    Raises:
        ValueError: an allowed name is not a method of the client's API (close matches suggested).
    """
    if not isinstance(client, SyncClient | AsyncClient):
        raise TypeError(f"expose: expected an SDK client (VK, AsyncWialon, ...), got {type(client).__name__}")
    methods = _registry(client)
    by_attribute = {info.attribute: info for info in methods.values()}
    group = CommandGroup(prefix)
    for name in allow:
        info = methods.get(name) or by_attribute.get(name)
        if info is None:
            near = difflib.get_close_matches(name, [*methods, *by_attribute], n=3)
            hint = f" (did you mean {', '.join(near)}?)" if near else ""
            raise ValueError(f"expose: {name!r} is not a method of {type(client).__name__}{hint}")
        group.add(name, _handler(group.prefix, name, _resolve(client, info), client), protected=True)
    return group


def _registry(client: SyncClient | AsyncClient) -> Mapping[str, MethodInfo]:
    # A generated client lives in apiforge.<api>._client; its package holds the METHODS registry.
    package = type(client).__module__.rpartition(".")[0]
    registry: object = getattr(importlib.import_module(package), "METHODS", None)
    if not isinstance(registry, Mapping):
        raise TypeError(f"expose: {type(client).__name__} is not a generated API client (no METHODS registry)")
    return cast("Mapping[str, MethodInfo]", registry)


def _resolve(client: object, info: MethodInfo) -> Callable[..., object]:
    target: object = client
    for part in info.attribute.split("."):
        target = getattr(target, part)
    if not callable(target):
        raise TypeError(f"expose: {info.attribute} is not callable on {type(client).__name__}")
    return target


def _handler(prefix: str, name: str, method: Callable[..., object], client: SyncClient | AsyncClient) -> Handler:
    command = f"{prefix} {name}" if prefix else name
    parameters = [
        p for p in inspect.signature(method).parameters.values() if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    accepted = {p.name for p in parameters}
    hints = _hints(method)
    required = {p.name for p in parameters if p.default is inspect.Parameter.empty}

    async def call_method(connection: Connection, payload: JSON) -> JSON:
        if payload is None:
            payload = {}
        if not isinstance(payload, dict):
            raise GatewayError("invalid_payload", f"{command}: the payload must be an object of parameters")
        unknown = sorted(set(payload) - accepted)
        if unknown:
            raise GatewayError(
                "invalid_payload", f"{command}: unknown parameters {unknown} (accepted: {sorted(accepted)})"
            )
        missing = sorted(required - set(payload))
        if missing:
            raise GatewayError("invalid_payload", f"{command}: missing required parameters {missing}")
        arguments = {key: _typed(key, value, hints.get(key)) for key, value in payload.items()}
        try:
            if isinstance(client, SyncClient):
                result = await asyncio.to_thread(method, **arguments)  # a sync client must not block the loop
            else:
                result = method(**arguments)
                if inspect.isawaitable(result):
                    result = await result
        except APIError as error:
            raise GatewayError("api_error", str(error)) from None
        except TransportError as error:
            raise GatewayError("api_unavailable", str(error)) from None
        except (APIForgeError, TypeError, ValueError) as error:
            raise GatewayError("invalid_payload", f"{command}: {error}") from None
        data: JSON = unstructure(result)
        return data

    return call_method


def _hints(method: Callable[..., object]) -> dict[str, Any]:
    try:
        return typing.get_type_hints(method)
    except Exception:  # noqa: BLE001 - unresolvable annotations: values go to the SDK unchecked
        return {}


def _typed(name: str, value: JSON, tp: Any) -> object:
    """A parameter's JSON value as its annotated type (`$.<name>...` names what is wrong), or as is."""
    if tp is None or value is None:
        return value
    try:
        return fast.structure(value, tp)
    except cattrs.errors.StructureHandlerNotFoundError:
        return value  # a type the converter cannot build: the SDK checks it
    except Exception:  # noqa: BLE001 - explained by structure_payload's detailed pass
        pass
    try:
        return structure_payload(value, tp, path=f"$.{name}")
    except cattrs.errors.StructureHandlerNotFoundError:
        return value


__all__ = ["api_commands"]
