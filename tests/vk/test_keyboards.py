"""Keyboards and carousels for bots: the JSON VK gets, VK's limits as clear errors, and messages.send taking them."""

from __future__ import annotations

import inspect
import json
from collections.abc import Iterator

import pytest

from apiforge.core.encoding import to_json_text
from apiforge.core.keyboards import (
    KeyboardError,
    callback_button,
    carousel,
    element,
    keyboard,
    link_button,
    location_button,
    open_app_button,
    text_button,
    vkpay_button,
)
from apiforge.testing.vk import FakeVK
from apiforge.vk import VK, AsyncVK
from apiforge.vk.errors import VKAPIError
from apiforge.vk.models.messages import MessagesKeyboardButton, MessagesTemplateElement


def wire(value: object) -> object:
    return json.loads(to_json_text(value))


def buttons(n: int) -> list[MessagesKeyboardButton]:
    return [text_button(f"b{i}") for i in range(n)]


def test_every_kind_of_button_on_the_wire() -> None:
    built = keyboard(
        [text_button("Yes", color="positive", payload={"answer": "yes"}), callback_button("Later", color="primary")],
        [link_button("Site", "https://vk.com/dev")],
        [location_button()],
        [vkpay_button("action=transfer-to-group&group_id=1")],
        [open_app_button("Shop", app_id=6979558, owner_id=-1, hash="menu")],
        one_time=True,
    )
    assert wire(built) == {
        "one_time": True,
        "inline": False,
        "buttons": [
            [
                {"action": {"type": "text", "label": "Yes", "payload": '{"answer":"yes"}'}, "color": "positive"},
                {"action": {"type": "callback", "label": "Later"}, "color": "primary"},
            ],
            [{"action": {"type": "open_link", "label": "Site", "link": "https://vk.com/dev"}}],
            [{"action": {"type": "location"}}],
            [{"action": {"type": "vkpay", "hash": "action=transfer-to-group&group_id=1"}}],
            [{"action": {"type": "open_app", "label": "Shop", "app_id": 6979558, "owner_id": -1, "hash": "menu"}}],
        ],
    }


def test_the_empty_keyboard_removes_the_one_shown() -> None:
    assert wire(keyboard()) == {"one_time": False, "inline": False, "buttons": []}


@pytest.mark.parametrize(
    ("rows", "inline", "error"),
    [
        ([buttons(1)] * 11, False, "a keyboard has at most 10 rows, got 11"),
        ([buttons(5)] * 9, False, "a keyboard has at most 40 buttons, got 45"),
        ([buttons(1)] * 7, True, "an inline keyboard has at most 6 rows, got 7"),
        ([buttons(5)] * 2 + [buttons(1)], True, "an inline keyboard has at most 10 buttons, got 11"),
        ([buttons(6)], False, "keyboard row 1: at most 5 buttons in a row, got 6"),
        ([buttons(1), []], False, "keyboard row 2: a row needs at least one button"),
        ([buttons(1), [location_button(), text_button("x")]], False, "row 2: a location button takes a whole row"),
        ([[vkpay_button("h"), text_button("x")]], True, "row 1: a vkpay button takes a whole row"),
        ([[text_button("x"), open_app_button("A", app_id=1, owner_id=-1)]], False, "open_app button 'A' takes a whole"),
    ],
)
def test_limits_are_clear_errors(rows: list[list[MessagesKeyboardButton]], inline: bool, error: str) -> None:
    with pytest.raises(KeyboardError, match=error):
        keyboard(*rows, inline=inline)


def test_limits_are_reached_not_exceeded() -> None:
    assert len(keyboard(*[buttons(5)] * 8).buttons) == 8  # 40 buttons
    assert len(keyboard(*[buttons(1)] * 10).buttons) == 10
    assert len(keyboard(*[buttons(5), buttons(5)], inline=True).buttons) == 2  # 10 buttons
    assert len(keyboard(*[buttons(1)] * 6, inline=True).buttons) == 6


def test_bad_buttons_are_clear_errors() -> None:
    with pytest.raises(KeyboardError, match="label has 41 characters, at most 40"):
        text_button("x" * 41)
    with pytest.raises(KeyboardError, match="callback button: payload has 256 characters of JSON, at most 255"):
        callback_button("x", payload={"k": "v" * 248})
    with pytest.raises(KeyboardError, match="color must be primary, default, positive or negative, got 'red'"):
        text_button("x", color="red")  # type: ignore[arg-type]
    with pytest.raises(KeyboardError, match="link must be an http"):
        link_button("x", "vk.com")
    with pytest.raises(KeyboardError, match="an inline keyboard cannot be one_time"):
        keyboard([text_button("x")], inline=True, one_time=True)


def card(title: str, n: int = 1) -> MessagesTemplateElement:
    return element(title=title, description="about " + title, buttons=buttons(n))


def test_carousel_on_the_wire() -> None:
    built = carousel(
        element(
            title="Tea",
            description="Green",
            photo_id="-1_456239017",
            buttons=[text_button("Buy", payload={"sku": 1})],
            open_photo=True,
        ),
        element(
            title="Coffee",
            description="Dark",
            photo_id="-1_456239018",
            buttons=[link_button("More", "https://example.com/coffee")],
            link="https://example.com/coffee",
        ),
    )
    assert wire(built) == {
        "type": "carousel",
        "elements": [
            {
                "title": "Tea",
                "description": "Green",
                "photo_id": "-1_456239017",
                "buttons": [{"action": {"type": "text", "label": "Buy", "payload": '{"sku":1}'}, "color": "default"}],
                "action": {"type": "open_photo"},
            },
            {
                "title": "Coffee",
                "description": "Dark",
                "photo_id": "-1_456239018",
                "buttons": [{"action": {"type": "open_link", "label": "More", "link": "https://example.com/coffee"}}],
                "action": {"type": "open_link", "link": "https://example.com/coffee"},
            },
        ],
    }


def test_carousel_limits_are_clear_errors() -> None:
    assert len(carousel(*[card(f"c{i}") for i in range(10)]).elements) == 10
    with pytest.raises(KeyboardError, match="a carousel has 1 to 10 elements, got 11"):
        carousel(*[card(f"c{i}") for i in range(11)])
    with pytest.raises(KeyboardError, match="a carousel has 1 to 10 elements, got 0"):
        carousel()
    with pytest.raises(KeyboardError, match="carousel element 'Tea': 1 to 3 buttons, got 4"):
        element(title="Tea", description="d", buttons=buttons(4))
    with pytest.raises(KeyboardError, match="carousel element 2: 2 buttons; every element needs the same number"):
        carousel(card("a", 1), card("b", 2))
    with pytest.raises(KeyboardError, match="carousel element 2: has photo_id; every element needs what the first"):
        carousel(card("a"), element(photo_id="1_2", buttons=buttons(1)))
    with pytest.raises(KeyboardError, match="title has 81 characters, at most 80"):
        element(title="t" * 81, description="d", buttons=buttons(1))
    with pytest.raises(KeyboardError, match="give a photo_id, or a title and a description"):
        element(title="Tea", buttons=buttons(1))
    with pytest.raises(KeyboardError, match="a location button cannot be on a carousel element"):
        element(title="Tea", description="d", buttons=[location_button()])
    with pytest.raises(KeyboardError, match="photo_id must be <owner_id>_<id>, got 'photo1_2'"):
        element(photo_id="photo1_2", buttons=buttons(1))


@pytest.fixture
def fake() -> Iterator[FakeVK]:
    with FakeVK() as fake:
        yield fake


def test_messages_send_takes_the_builders_results(fake: FakeVK) -> None:
    menu = keyboard([text_button("Yes", color="positive"), callback_button("No")], [location_button()], one_time=True)
    cards = carousel(card("Tea"), card("Coffee"))
    with VK(token="t", base_url=fake.url, rate_limit=None) as vk:
        vk.messages.send(peer_id=5, message="Menu", keyboard=menu, template=cards)
        vk.messages.send(peer_id=5, message="Raw", keyboard=to_json_text(menu), template=to_json_text(cards))
        history = vk.messages.get_history(peer_id=5, rev=1)
    first, second = fake.messages
    assert first["keyboard"] == {**wire(menu), "author_id": 1}  # type: ignore[dict-item]
    assert first["template"] == wire(cards)
    assert (second["keyboard"], second["template"]) == (first["keyboard"], first["template"])  # str: sent as it is
    keyboard_back = history.items[0].keyboard
    assert keyboard_back is not None and wire(keyboard_back) == {**wire(menu), "author_id": 1}  # type: ignore[dict-item]


async def test_async_messages_send_takes_the_builders_results(fake: FakeVK) -> None:
    menu = keyboard([callback_button("Go", payload={"step": 2})], inline=True)
    async with AsyncVK(token="t", base_url=fake.url, rate_limit=None) as vk:
        await vk.messages.send(peer_id=5, message="Go?", keyboard=menu, template=carousel(card("Tea")))
    assert fake.messages[-1]["keyboard"]["inline"] is True
    assert fake.messages[-1]["template"]["elements"][0]["title"] == "Tea"


def test_the_fake_refuses_what_vk_refuses(fake: FakeVK) -> None:
    # A keyboard made without the builder, over VK's limit: the fake's own check answers error 911.
    rows = [[{"action": {"type": "text", "label": "x"}}]] * 11
    with VK(token="t", base_url=fake.url, rate_limit=None) as vk:
        with pytest.raises(VKAPIError, match=r"\[911\] Keyboard format is invalid: too many rows"):
            vk.messages.send(peer_id=5, message="x", keyboard=json.dumps({"one_time": False, "buttons": rows}))
        with pytest.raises(VKAPIError, match="template is invalid: elements have different numbers of buttons"):
            bad = wire(carousel(card("a")))
            bad["elements"].append({**bad["elements"][0], "buttons": bad["elements"][0]["buttons"] * 2})  # type: ignore[index]
            vk.messages.send(peer_id=5, message="x", template=json.dumps(bad))
    assert fake.messages == []


@pytest.mark.parametrize("method", ["send", "edit"])
def test_keyboard_and_template_parameters_are_typed_and_sent_as_json(method: str) -> None:
    from apiforge.vk import METHODS
    from apiforge.vk.methods.messages import AsyncMessagesMethods, MessagesMethods

    wire = {p.wire: p for p in METHODS[f"messages.{method}"].spec.params}
    assert wire["keyboard"].encoding == wire["template"].encoding == "json"
    for cls in (MessagesMethods, AsyncMessagesMethods):
        params = inspect.signature(getattr(cls, method)).parameters
        assert params["keyboard"].annotation == "MessagesKeyboard | str | None"
        assert params["template"].annotation == "MessagesTemplate | str | None"
