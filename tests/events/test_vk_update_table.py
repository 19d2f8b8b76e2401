"""Every VK event type the schema describes has a typed update class, and a bot receives each of them typed."""

from __future__ import annotations

import enum
import itertools
import json
import types
import typing
from pathlib import Path
from typing import Any

import attrs
import pytest

from apiforge.core.converter import structure
from apiforge.core.events import BotLongPoll, Router, UnknownUpdate, decode_update
from apiforge.core.events.vk_updates import BotUpdate
from apiforge.core.types import JSON
from apiforge.testing import FakeVK
from apiforge.vk import VK
from apiforge.vk.models.callback import CallbackLikeAddRemove, CallbackMessage, CallbackType
from apiforge.vk.models.market import MarketOrder
from apiforge.vk.updates import UPDATES, LikeAdd, MarketOrderNew, MessageReply
from codegen.spec.load import SPECS_ROOT, load_api
from codegen.vk_updates import update_models
from tests.events.eventkit import GROUP_ID, NO_WAIT

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared/samples/vk"
# Real updates that do not fit the schema's models (the overlay should correct these models;
# when it does, the sample decodes and its name must leave this list).
# Updates the schema describes wrongly are corrected in specs/vk/overlay.yaml (each correction
# names its sample); none is left to arrive as UnknownUpdate.
KNOWN_SCHEMA_GAPS: dict[str, str] = {}


def test_the_table_covers_every_type_of_the_schema_enum() -> None:
    described = {member.value for member in CallbackType} - {"confirmation"}
    assert described <= set(UPDATES)


def test_the_generated_table_is_the_one_the_spec_gives() -> None:
    spec = load_api(SPECS_ROOT / "vk")
    table = update_models(spec)
    assert list(UPDATES) == list(table)
    for kind, cls in UPDATES.items():
        assert kind == cls.TYPE
        assert (cls.OBJECT is JSON) == (table[kind] is None), kind


def test_types_the_enum_omits_come_from_their_object_models() -> None:
    for kind in ("message_event", "like_add", "like_remove", "vkpay_transaction", "donut_subscription_create"):
        assert kind in UPDATES
    assert LikeAdd.OBJECT is CallbackLikeAddRemove
    assert MessageReply.OBJECT is CallbackMessage
    assert MarketOrderNew.OBJECT is MarketOrder


def minimal(tp: Any) -> Any:
    """The smallest JSON value of type `tp`: required fields only, each with a plain value."""
    origin = typing.get_origin(tp)
    args = [a for a in typing.get_args(tp) if a is not type(None)]
    if tp is JSON or tp is object or tp is Any:
        return {}
    if origin in (typing.Union, types.UnionType):
        members = set(map(typing.get_origin, args)) | set(args)
        return {} if dict in members and list in members else minimal(args[0])
    if origin is list:
        return []
    if origin is dict:
        return {}
    if origin is tuple:
        return [minimal(a) for a in args]
    if origin is typing.Literal:
        return args[0]
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return next(iter(tp)).value
    if tp is bool:
        return True
    if tp is int:
        return 1
    if tp is float:
        return 1.5
    if tp is str:
        return "text"
    if attrs.has(tp):
        hints = typing.get_type_hints(tp)
        return {
            field.metadata.get("wire", field.name): minimal(hints[field.name])
            for field in attrs.fields(tp)
            if field.default is attrs.NOTHING
        }
    raise AssertionError(f"no minimal value for {tp!r}")


@pytest.mark.parametrize("kind", list(UPDATES))
def test_each_type_decodes_into_its_class(kind: str) -> None:
    cls = UPDATES[kind]
    obj = minimal(cls.OBJECT)
    update = decode_update({"type": kind, "group_id": 1, "event_id": "e", "v": "5.199", "object": obj})
    assert type(update) is cls
    assert update.object == structure(obj, cls.OBJECT, method="expected")


def test_a_bot_receives_every_type_typed_exactly_once() -> None:
    router = Router()
    seen: dict[str, list[BotUpdate[object]]] = {}
    for kind, cls in UPDATES.items():

        def handler(update: BotUpdate[object], kind: str = kind) -> None:
            seen.setdefault(kind, []).append(update)

        router.add(cls, handler)
    with FakeVK(tokens={"t"}) as fake, VK(token="t", token_kind="group", base_url=fake.url, rate_limit=None) as vk:
        for kind, cls in UPDATES.items():
            fake.longpoll.push(kind, minimal(cls.OBJECT))
        updates = BotLongPoll(vk, group_id=GROUP_ID, retry=NO_WAIT, ts="1")
        stats = router.run_sync(itertools.islice(updates, len(UPDATES)))
    assert stats.handled == stats.received == len(UPDATES)
    assert {kind: len(got) for kind, got in seen.items()} == dict.fromkeys(UPDATES, 1)
    assert all(type(got[0]) is UPDATES[kind] for kind, got in seen.items())


def sample_updates() -> list[Path]:
    return sorted(SAMPLES.glob("botsLongPoll_update__*.json")) if SAMPLES.exists() else []


@pytest.mark.skipif(not SAMPLES.exists(), reason="the shared samples are not here")
@pytest.mark.parametrize("path", sample_updates(), ids=lambda p: p.name)
def test_real_updates_decode_typed_except_the_known_schema_gaps(path: Path) -> None:
    raw = json.loads(path.read_text(encoding="utf-8"))["body"]
    update = decode_update(raw)
    assert update.type == raw["type"]
    if path.name in KNOWN_SCHEMA_GAPS:
        assert isinstance(update, UnknownUpdate) and update.error is not None, "fixed upstream: drop it from the list"
    else:
        assert not isinstance(update, UnknownUpdate), update
        assert type(update) is UPDATES[raw["type"]]
