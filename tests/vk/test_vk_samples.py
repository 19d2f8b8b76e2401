"""Real VK responses (../shared/samples/vk) decode through `apiforge.vk.decode_response`.

Every sample of a method of the 5.199 schema decodes into the method's typed result; error bodies
raise the typed error of their code (`ERRORS_BY_CODE`). Where a sample and the schema disagreed,
the sample won: specs/vk/overlay.yaml records each correction (its `reason` names the sample).

Samples are data of other projects, read in place (never copied here); the test skips when the
folder is absent. Files marked `method_not_in_vk_schema` describe no method of the schema.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import apiforge.vk
from apiforge.core.errors import DecodeError
from apiforge.vk import METHODS, decode_response
from apiforge.vk.errors import ERRORS_BY_CODE, VKAPIError
from tests.vk.conformance import problems

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared/samples/vk"

pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason=f"no VK samples at {SAMPLES}")

# Samples that are not the answer of an API method, so `decode_response` (which takes a method) has
# nothing to decode them as. Listed exactly: a new kind of sample must be looked at, not ignored.
NOT_METHOD_RESPONSES: dict[str, str] = {
    "botsLongPoll/a_check": "a Bots Long Poll server answer ({server}?act=a_check): the events client decodes it",
    "botsLongPoll/update": "one event of a Bots Long Poll answer: the events client decodes it",
    "upload/docs (upload server response)": "the upload server's answer to a file POST, the input of docs.save",
}

# Error bodies without a method: `(error)` samples are decoded as the method their `request_params`
# echo; the error class depends on the code only, so those without one use this method.
ERROR_FALLBACK_METHOD = "users.get"

# A body that is neither `{"response": ...}` nor `{"error": ...}`: the runtime must reject it.
NOT_A_VK_BODY: dict[str, str] = {
    "database.getSchools__1.json": "VkNet's GetSchools_BadQuery_EmptyList fixture is `{}`",
}

# Samples in the shape of an older API version, contradicted by the 5.199 schema and by other samples
# (the client always sends v=5.199): decoding them would need identifiers made optional, or a result
# type widened, for every caller, and would still drop the renamed field. They must fail loudly:
# sample -> (the path the DecodeError names, what the old shape is).
OLDER_VERSION_SHAPES: dict[str, tuple[str, str]] = {
    "database.getCities__1.json": ("$.items[0].id", "pre-5.0 `cid` (database.getRegions__1 & co. send `id`)"),
    "database.getCities__2.json": ("$.items[0].id", "pre-5.0 `cid`"),
    "database.getCitiesById__1.json": ("$[0].id", "pre-5.0 `cid` and `name` for `id` and `title`"),
    "database.getCountries__1.json": ("$.items[0].id", "pre-5.0 `cid`"),
    "database.getCountries__2.json": ("$.items[0].id", "pre-5.0 `cid`"),
    "database.getCountriesById__1.json": ("$[0].id", "pre-5.0 `cid` and `name`"),
    "groups.getInvites__1.json": ("$.items[0].id", "pre-5.0 `gid` (every other group sample sends `id`)"),
    "users.search__1.json": ("$.items[0].id", "pre-5.0 `uid` (every users.get sample sends `id`)"),
    "users.search__2.json": ("$.items[0].id", "pre-5.0 `uid`"),
    "users.search__3.json": ("$.items[0].id", "pre-5.0 `uid`"),
    "friends.get__2.json": ("$", "pre-5.0 bare id list (friends.get__1 is {count, items})"),
    "messages.getById__1.json": ("$.items[0].conversation_message_id", "pre-5.80 message: `body`, `user_id`"),
    "messages.getHistory__2.json": ("$.items[0].conversation_message_id", "pre-5.80 message: `body`, `user_id`"),
    "messages.getHistory__3.json": ("$.items[0].conversation_message_id", "pre-5.80 message: `body`, `user_id`"),
    "messages.getLongPollHistory__1.json": (
        "$.messages.items[0].conversation_message_id",
        "pre-5.80 message: `body`, `user_id`",
    ),
    "messages.search__1.json": ("$.items[0].conversation_message_id", "pre-5.80 message: `body`, `user_id`"),
    "stories.get__1.json": ("$.items[0]", "pre-5.113 lists of stories (the schema's stories_get_V5113_response)"),
    "stories.getReplies__1.json": ("$.items[0]", "pre-5.113 lists of stories"),
    "stories.getViewers__2.json": (
        "$.items[0].is_liked",
        "pre-5.115 bare users (the schema's stories_getViewers_extended_V5115_response)",
    ),
    "groups.getById__2.json": ("$", "pre-5.139 bare list (groups.getById__1 is {groups, profiles})"),
    "groups.getById__3.json": ("$", "pre-5.139 bare list"),
    "groups.getById__4.json": ("$", "pre-5.139 bare list"),
    "groups.getById__5.json": ("$", "pre-5.139 bare list"),
    "groups.getById__6.json": ("$", "pre-5.139 bare list"),
    "wall.getById__2.json": ("$", "older bare list (wall.getById__1 is {items, ...})"),
    "docs.save__2.json": ("$", "older bare list (docs.save__1 is {type, doc})"),
}

# VkNet fixtures record no request parameters. Where the body is a result variant, these are the
# parameters (wire names) the fixture's case name and the body's shape show were sent.
INFERRED_PARAMS: dict[str, dict[str, object]] = {
    "apps.getFriendsList__2.json": {"extended": 1},  # GetFriendsListEx_NormalCase: user objects
    "apps.getLeaderboard__1.json": {"extended": 1},  # GetLeaderboard_Extended: items + profiles
    "friends.get__1.json": {"fields": "first_name,last_name"},  # Get_FirstNameLastName_ListOfObjects
    "friends.getMutual__1.json": {"target_uids": "2744"},  # ListOfObjects: {id, common_friends}
    "friends.getOnline__1.json": {"online_mobile": 1},  # GetOnline_Ex: {online, online_mobile}
    "friends.getRequests__3.json": {"extended": 1},  # GetRequests_Extended_NormalCase: {user_id}
    "friends.getRequests__6.json": {"extended": 1},  # GetRequestsExtended: {user_id}
    "groups.get__1.json": {"extended": 1},  # Get_NormalCaseAllFields_ReturnFullGroupInfo
    "groups.getMembers__1.json": {"filter": "managers"},  # GetMembers: {id, role, permissions}
    "groups.getMembers__2.json": {"fields": "first_name,last_name"},  # AllInputParameters: user objects
    "groups.getRequests__1.json": {"fields": "first_name,last_name"},  # GetRequests_With_Fields
    "groups.isMember__1.json": {"user_ids": "4793858"},  # [{member, user_id}]
    "groups.isMember__2.json": {"user_ids": "4793858"},  # [{member, user_id}]
    "likes.getList__2.json": {"extended": 1},  # GetListEx_NormalCase: user objects
    "messages.send__1.json": {"peer_ids": "32190123"},  # MessagesSendToPeerIds_*_ArrayResult
    "messages.send__2.json": {"peer_ids": "32190123"},
    "messages.send__3.json": {"peer_ids": "32190123"},
    "messages.send__4.json": {"peer_ids": "32190123"},
    "messages.send__5.json": {"peer_ids": "32190123"},  # MessagesSendToUserIds_*_ArrayResult
    "messages.send__7.json": {"peer_ids": "32190123"},  # [{peer_id, message_id}]
    "messages.send__8.json": {"peer_ids": "32190123"},  # [{peer_id, message_id}]
    "users.getFollowers__1.json": {"fields": "sex,bdate,city,country"},  # GetFollowers_WithAllFields
    "users.getSubscriptions__1.json": {"extended": 1},  # GetSubscriptions_Extended: one mixed list
    "video.getAlbums__1.json": {"extended": 1},  # GetAlbums_NormalCase_Extended
}


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _all_samples() -> list[Path]:
    return sorted(SAMPLES.glob("*.json")) if SAMPLES.is_dir() else []


def _in_schema() -> list[Path]:
    return [p for p in _all_samples() if not _load(p).get("method_not_in_vk_schema")]


def _method_samples() -> list[Path]:
    special = NOT_A_VK_BODY.keys() | OLDER_VERSION_SHAPES.keys()
    return [p for p in _in_schema() if _load(p)["method"] in METHODS and p.name not in special]


def _error_samples() -> list[Path]:
    return [p for p in _in_schema() if _load(p)["method"] == "(error)"]


def _body(sample: dict[str, Any]) -> object:
    """The response body; a few fixtures keep only the payload, without its `{"response": ...}` envelope."""
    body: object = sample["body"]
    if "envelope" in str(sample.get("note", "")):
        assert isinstance(body, dict) and "response" not in body and "error" not in body
        return {"response": body}
    return body


def _error_code(body: object) -> int | None:
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        code = body["error"].get("error_code")
        return code if isinstance(code, int) else None
    return None


@pytest.mark.parametrize("path", _method_samples(), ids=lambda p: p.name)
def test_method_sample_decodes(path: Path) -> None:
    sample = _load(path)
    method, body = sample["method"], _body(sample)
    params = {**(sample.get("params") or {}), **INFERRED_PARAMS.get(path.name, {})}
    code = _error_code(body)
    if code is not None:
        with pytest.raises(VKAPIError) as info:
            decode_response(method, body, params)
        assert type(info.value) is ERRORS_BY_CODE[code]
        assert info.value.code == code
        return
    result = decode_response(method, body, params)
    found = problems(result, METHODS[method].spec.result_type(params))
    assert not found, f"{path.name}: {found[:3]}"


@pytest.mark.parametrize("path", _error_samples(), ids=lambda p: p.name)
def test_error_sample_raises_its_typed_error(path: Path) -> None:
    body = _load(path)["body"]
    code = _error_code(body)
    if code is None:
        # VkNet's ExecuteErrorsHandler: `execute` answered `response: null` plus `execute_errors`
        # for the failed calls inside it; the envelope is a response, not an error.
        assert isinstance(body, dict) and "execute_errors" in body
        assert decode_response("execute", body) is None
        return
    echoed = {p.get("key"): p.get("value") for p in body["error"].get("request_params", [])}
    method = echoed.get("method")
    method = method if method in METHODS else ERROR_FALLBACK_METHOD
    with pytest.raises(VKAPIError) as info:
        decode_response(method, body)
    expected = ERRORS_BY_CODE.get(code, VKAPIError)
    assert type(info.value) is expected, f"{path.name}: code {code} raised {type(info.value).__name__}"
    assert info.value.code == code
    for param in info.value.details.get("request_params", []):  # the echoed access token is masked
        assert param["key"] != "access_token" or param["value"] == "***"


@pytest.mark.parametrize("name", sorted(NOT_A_VK_BODY))
def test_body_that_is_neither_response_nor_error_is_rejected(name: str) -> None:
    sample = _load(SAMPLES / name)
    with pytest.raises(DecodeError, match="expected 'response' or 'error'"):
        decode_response(sample["method"], sample["body"], sample.get("params"))


@pytest.mark.parametrize("name", sorted(OLDER_VERSION_SHAPES))
def test_older_version_shape_fails_loudly(name: str) -> None:
    sample = _load(SAMPLES / name)
    path, _ = OLDER_VERSION_SHAPES[name]
    params = {**(sample.get("params") or {}), **INFERRED_PARAMS.get(name, {})}
    with pytest.raises(DecodeError) as info:
        decode_response(sample["method"], _body(sample), params)
    assert info.value.path == path


def test_every_sample_is_accounted_for() -> None:
    """Each in-schema sample is a method's answer, an error body, or a listed non-method answer."""
    methods = {_load(p)["method"] for p in _in_schema()}
    others = methods - set(METHODS) - {"(error)"}
    assert others == set(NOT_METHOD_RESPONSES)
    special = NOT_A_VK_BODY.keys() | OLDER_VERSION_SHAPES.keys() | INFERRED_PARAMS.keys()
    assert special <= {p.name for p in _in_schema()}, "a listed sample is gone: update the tables"
    assert len(_method_samples()) > 250


def test_sample_params_are_parameters_of_their_method() -> None:
    """What real calls sent exists in the spec (the 5.199 schema had no owner_id for wall.get)."""
    for path in _method_samples() + [SAMPLES / n for n in OLDER_VERSION_SHAPES]:
        sample = _load(path)
        wires = {p.wire for p in METHODS[sample["method"]].spec.params}
        assert set(sample.get("params") or {}) <= wires, path.name


@pytest.mark.parametrize("name", sorted(INFERRED_PARAMS))
def test_inferred_params_select_a_variant(name: str) -> None:
    """An inferred parameter must change the result type; otherwise it is not needed here."""
    sample = _load(SAMPLES / name)
    spec = METHODS[sample["method"]].spec
    assert spec.result_type(INFERRED_PARAMS[name]) is not spec.result, f"{name}: the default result needs no params"


def test_decode_response_is_the_public_entry_point() -> None:
    assert apiforge.vk.decode_response is decode_response
