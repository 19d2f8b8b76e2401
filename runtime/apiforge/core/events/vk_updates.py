"""VK community events (Bots Long Poll and Callback API), typed.

Each event type the VK schema describes has a class in the generated `apiforge.vk.updates`
(`MessageNew`, `GroupJoin`, ...), a `BotUpdate` whose `object` is the schema's model of that
event. `decode_update` picks the class by the update's `type`; a type it does not know, or an
object that does not match its model, arrives as an `UnknownUpdate` holding the raw JSON.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, ClassVar, Generic, TypeVar

import attrs

from apiforge.core.converter import structure
from apiforge.core.errors import APIForgeError, DecodeError
from apiforge.core.protocols.base import json_object
from apiforge.core.redact import redact_text
from apiforge.core.types import JSON

T_co = TypeVar("T_co", covariant=True)
logger = logging.getLogger("apiforge.events")


class UpdateFormatError(APIForgeError, ValueError):
    """An update (or a Callback API body) is not shaped like a VK event: names the field and the value."""


@attrs.frozen(kw_only=True)
class BotUpdate(Generic[T_co]):
    """One event of a community: its `type` (a class constant), where it comes from and its typed `object`.

    Attributes:
        group_id: the community the event belongs to.
        event_id: VK's id of the event (the same event delivered twice has the same id).
        v: the API version the object is formatted in.
        object: the event's object, as the schema's model of this type.
    """

    TYPE: ClassVar[str] = ""
    """The wire `type` of the updates of this class."""
    OBJECT: ClassVar[object] = JSON
    """The model the `object` is decoded into."""

    group_id: int
    event_id: str
    v: str | None = None
    object: T_co

    @property
    def type(self) -> str:
        """The wire `type` of this update (`message_new`, ...)."""
        return self.TYPE


@attrs.frozen(kw_only=True)
class UnknownUpdate(BotUpdate[JSON]):
    """An update this SDK cannot type: an unknown `type`, or an object its model does not decode.

    Attributes:
        raw_type: the update's wire `type`.
        error: why a known type's object could not be decoded (None when the type is unknown).
    """

    raw_type: str
    error: DecodeError | None = attrs.field(default=None, eq=False)

    @property
    def type(self) -> str:
        """The wire `type` of this update."""
        return self.raw_type


@attrs.frozen(slots=True)
class Envelope:
    """The parts of an update every type shares; `object` is still raw JSON."""

    type: str
    group_id: int
    event_id: str
    v: str | None
    object: JSON
    secret: str | None = attrs.field(default=None, repr=False)


def read_envelope(raw: object, *, source: str, need_object: bool = True) -> Envelope:
    """The envelope of an update, or an UpdateFormatError naming what is wrong."""
    update = json_object(raw)
    if update is None:
        raise UpdateFormatError(f"{source}: expected a JSON object, got {_shown(raw)}")
    kind = update.get("type")
    if not isinstance(kind, str) or not kind:
        raise UpdateFormatError(f"{source}: 'type' must be a non-empty string, got {_shown(kind)}")
    group_id = update.get("group_id")
    if isinstance(group_id, bool) or not isinstance(group_id, int):
        raise UpdateFormatError(f"{source}: {kind}: 'group_id' must be an integer, got {_shown(group_id)}")
    event_id = update.get("event_id", "")
    if not isinstance(event_id, str):
        raise UpdateFormatError(f"{source}: {kind}: 'event_id' must be a string, got {_shown(event_id)}")
    version = update.get("v")
    if version is not None and not isinstance(version, str):
        raise UpdateFormatError(f"{source}: {kind}: 'v' must be a string, got {_shown(version)}")
    if need_object and "object" not in update:
        raise UpdateFormatError(f"{source}: {kind}: the update has no 'object'")
    secret = update.get("secret")
    return Envelope(
        type=kind,
        group_id=group_id,
        event_id=event_id,
        v=version,
        object=update.get("object"),
        secret=secret if isinstance(secret, str) else None,
    )


def update_classes() -> Mapping[str, type[BotUpdate[object]]]:
    """The generated table: wire type -> update class, for every type the VK schema describes."""
    from apiforge.vk.updates import UPDATES

    return UPDATES


def decode_envelope(envelope: Envelope) -> BotUpdate[object]:
    """The typed update of an envelope; UnknownUpdate when its type is unknown or its object does not decode."""
    cls = update_classes().get(envelope.type)
    if cls is None:
        logger.debug("VK update of unknown type %r: delivered as UnknownUpdate", envelope.type)
        return _unknown(envelope, None)
    try:
        typed: Any = structure(envelope.object, cls.OBJECT, method=f"{envelope.type} update")
    except DecodeError as error:
        logger.warning("VK %s update %s does not match its model: %s", envelope.type, envelope.event_id, error)
        return _unknown(envelope, error)
    return cls(group_id=envelope.group_id, event_id=envelope.event_id, v=envelope.v, object=typed)


def decode_update(raw: object, *, source: str = "VK update") -> BotUpdate[object]:
    """The typed update of one raw update (parsed JSON); a malformed envelope raises UpdateFormatError."""
    return decode_envelope(read_envelope(raw, source=source))


def _unknown(envelope: Envelope, error: DecodeError | None) -> UnknownUpdate:
    return UnknownUpdate(
        group_id=envelope.group_id,
        event_id=envelope.event_id,
        v=envelope.v,
        object=envelope.object,
        raw_type=envelope.type,
        error=error,
    )


def _shown(value: object) -> str:
    text = repr(value)
    return redact_text(text if len(text) <= 100 else text[:100] + "...")


__all__ = [
    "BotUpdate",
    "Envelope",
    "UnknownUpdate",
    "UpdateFormatError",
    "decode_envelope",
    "decode_update",
    "read_envelope",
    "update_classes",
]
