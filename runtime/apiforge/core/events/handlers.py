"""Event handlers with kinds and filters: the dispatch every event source shares, written once.

`EventHandlers` is sans-IO: it picks the first handler whose kind and filter accept an event
and calls it. Calling the registry itself is the sink a poller feeds: a sync handler runs,
an async handler's awaitable is returned for the (async) driver to await.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

import attrs

E = TypeVar("E")


@attrs.frozen
class Route(Generic[E]):
    """One registered handler: the event kind it takes (None: any) and an optional filter."""

    handler: Callable[[E], object]
    kind: str | None = None
    filter: Callable[[E], bool] | None = None

    def accepts(self, event: E, kind: str) -> bool:
        """Does this route take `event` (whose kind is `kind`)?"""
        if self.kind is not None and self.kind != kind:
            return False
        return self.filter is None or bool(self.filter(event))


class EventHandlers(Generic[E]):
    """Handlers in registration order; an event goes to the first one that accepts it.

    Args:
        kind_of: the kind of an event (e.g. Wialon's `t`: "m", "u", "d").
    """

    def __init__(self, kind_of: Callable[[E], str]) -> None:
        self._kind_of = kind_of
        self._routes: list[Route[E]] = []

    @property
    def routes(self) -> tuple[Route[E], ...]:
        """The registered routes, first match first."""
        return tuple(self._routes)

    def add(
        self, handler: Callable[[E], object], *, kind: str | None = None, filter: Callable[[E], bool] | None = None
    ) -> None:
        """Register `handler` for events of `kind` (None: every kind) that pass `filter`."""
        if not callable(handler):
            raise TypeError(f"an event handler must be callable, got {type(handler).__name__}")
        if filter is not None and not callable(filter):
            raise TypeError(f"an event filter must be callable, got {type(filter).__name__}")
        self._routes.append(Route(handler, kind, filter))

    def remove(self, handler: Callable[[E], object]) -> None:
        """Unregister every route of `handler`."""
        self._routes = [route for route in self._routes if route.handler is not handler]

    def match(self, event: E) -> Callable[[E], object] | None:
        """The handler of the first route that accepts `event`, or None."""
        kind = self._kind_of(event)
        for route in list(self._routes):
            if route.accepts(event, kind):
                return route.handler
        return None

    def __call__(self, event: E) -> object:
        """Dispatch `event`: the first matching handler's result (an awaitable for an async handler), or None."""
        handler = self.match(event)
        return None if handler is None else handler(event)


__all__ = ["EventHandlers", "Route"]
