"""VK Callback API: confirmation, the secret, typed updates, and clear errors on anything else."""

from __future__ import annotations

import json
from typing import Any

import pytest

from apiforge.core.events import OK, CallbackError, CallbackSecretError, UnknownUpdate, parse_callback
from apiforge.vk.updates import GroupJoin, MessageNew

SECRET = "callback-secret-0123"
CODE = "a1b2c3d4"


def event(**overrides: Any) -> dict[str, Any]:
    body = {
        "type": "group_join",
        "group_id": 1,
        "event_id": "e1",
        "v": "5.199",
        "object": {"user_id": 5, "join_type": "join"},
        "secret": SECRET,
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def test_a_confirmation_request_gets_the_code() -> None:
    body = json.dumps({"type": "confirmation", "group_id": 1}).encode()
    assert parse_callback(body, secret=SECRET, confirmation=CODE) == CODE
    assert (
        parse_callback({"type": "confirmation", "group_id": 1, "secret": SECRET}, secret=SECRET, confirmation=CODE)
        == CODE
    )


@pytest.mark.parametrize("form", ["bytes", "str", "dict"])
def test_an_event_is_the_same_typed_update_as_from_the_long_poll(form: str) -> None:
    raw = event()
    body: Any = {"bytes": json.dumps(raw).encode(), "str": json.dumps(raw), "dict": raw}[form]
    update = parse_callback(body, secret=SECRET, confirmation=CODE)
    assert isinstance(update, GroupJoin)
    assert (update.group_id, update.event_id, update.object.user_id) == (1, "e1", 5)
    assert OK == "ok"


def test_without_a_configured_secret_nothing_is_checked() -> None:
    update = parse_callback(event(secret=None), secret=None, confirmation=CODE)
    assert isinstance(update, GroupJoin)


def test_a_wrong_secret_is_refused_without_showing_either() -> None:
    with pytest.raises(CallbackSecretError, match="does not match") as caught:
        parse_callback(event(secret="forged-secret-999"), secret=SECRET, confirmation=CODE)
    assert SECRET not in str(caught.value) and "forged-secret-999" not in str(caught.value)


def test_a_missing_secret_is_refused() -> None:
    with pytest.raises(CallbackSecretError, match="has no 'secret'"):
        parse_callback(event(secret=None), secret=SECRET, confirmation=CODE)


def test_a_wrong_secret_on_a_confirmation_is_refused() -> None:
    with pytest.raises(CallbackSecretError):
        parse_callback({"type": "confirmation", "group_id": 1, "secret": "nope"}, secret=SECRET, confirmation=CODE)


def test_an_unknown_type_or_an_object_that_does_not_fit_is_an_unknown_update() -> None:
    unknown = parse_callback(event(type="new_thing", object={"x": 1}), secret=SECRET, confirmation=CODE)
    assert isinstance(unknown, UnknownUpdate) and unknown.type == "new_thing" and unknown.object == {"x": 1}
    misfit = parse_callback(event(object={"user_id": "five"}), secret=SECRET, confirmation=CODE)
    assert isinstance(misfit, UnknownUpdate) and misfit.error is not None and "user_id" in str(misfit.error)


def test_a_message_new_is_typed() -> None:
    message = {"id": 1, "date": 1, "peer_id": 5, "from_id": 5, "text": "hi", "conversation_message_id": 1, "out": 0}
    update = parse_callback(event(type="message_new", object={"message": message}), secret=SECRET, confirmation=CODE)
    assert isinstance(update, MessageNew)
    assert update.object.message is not None and update.object.message.text == "hi"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "the body is empty"),
        (b"{not json", "the body is not JSON"),
        (b"[1, 2]", "must be a JSON object, got list"),
        (json.dumps(event(type=None)).encode(), "'type' must be a non-empty string, got None"),
        (json.dumps(event(type="")).encode(), "'type' must be a non-empty string"),
        (json.dumps(event(group_id="one")).encode(), "group_join: 'group_id' must be an integer, got 'one'"),
        (json.dumps(event(event_id=5)).encode(), "'event_id' must be a string, got 5"),
        (json.dumps(event(object=None)).encode(), "group_join: the update has no 'object'"),
        (12, "expected the body as bytes, text or a dict, got int"),
    ],
)
def test_malformed_bodies_say_what_is_wrong(body: Any, message: str) -> None:
    with pytest.raises(CallbackError, match=message.replace("(", r"\(").replace("[", r"\[")) as caught:
        parse_callback(body, secret=SECRET, confirmation=CODE)
    assert str(caught.value).startswith("VK callback:")
    assert SECRET not in str(caught.value)
    assert isinstance(caught.value, ValueError)  # frameworks that map ValueError to 400 do the right thing
