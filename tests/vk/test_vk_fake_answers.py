"""FakeVK answers every method of `apiforge.vk.METHODS` with a value of the method's result type.

Each method is called through the generated client (in-process transport) with its required
arguments only (minimal values of their types), and the answer must decode into the declared
result type all the way down. Methods the fake has no handler for get the generic answer built
from the generated types (`apiforge.testing.instances`); the stateful handlers keep theirs.
"""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

import httpx
import pytest

from apiforge.core.auth import Token
from apiforge.core.converter import structure
from apiforge.testing import FakeVK
from apiforge.testing.instances import minimal_json
from apiforge.vk import METHODS, VK, AsyncVK
from apiforge.vk.models.users import UsersUserFull
from codegen.spec.naming import python_identifier
from tests.vk.conformance import problems

TOKENS = [Token("user-token", "user"), Token("group-token", "group"), Token("service-token", "service")]
TOKENS += [Token("open-token", "open")]

# The fake's stateful handlers need more than the schema requires (a peer, a message, a group).
HANDLER_ARGUMENTS: dict[str, dict[str, object]] = {
    "groups.getById": {"group_ids": ["apiclub"]},
    "messages.send": {"peer_id": 1, "message": "hi"},
    "messages.getHistory": {"peer_id": 1},
    "messages.getHistoryAttachments": {"peer_id": 1},
    "messages.markAsRead": {"peer_id": 1},
    "wall.post": {"message": "hi"},
    "wall.createComment": {"message": "hi"},
    "wall.getComments": {"post_id": 1},
    "wall.delete": {"post_id": 2},  # post 1 (seeded in `fake`) stays for edit, createComment, getComments
    "execute": {"code": 'return [API.users.get({"user_ids": "1"})];'},
}


@pytest.fixture(scope="module")
def fake() -> FakeVK:
    fake = FakeVK(tokens=[t.value for t in TOKENS])
    for text in ("first", "second"):  # the wall methods that need a post find posts 1 and 2 on the owner's wall
        fake.wall.add_post(fake.me, text)
    # The save methods take what an upload server answered: files staged as if uploaded.
    for name, kind in (("photos.saveMessagesPhoto", "photo_messages"), ("photos.saveWallPhoto", "photo_wall")):
        HANDLER_ARGUMENTS[name] = fake.uploads.stage(kind)
    album = fake.uploads.stage("photo_album", album_id="7")
    HANDLER_ARGUMENTS["photos.save"] = {k: album[k] for k in ("server", "photos_list", "hash")}
    HANDLER_ARGUMENTS["docs.save"] = fake.uploads.stage("doc")
    return fake


@pytest.fixture(scope="module")
def vk(fake: FakeVK) -> Iterator[VK]:
    with (
        httpx.Client(transport=fake.transport()) as http,
        VK(TOKENS, base_url="http://fake", rate_limit=None, max_retries=0, http_client=http) as client,
    ):
        yield client


def argument(tp: Any) -> object:
    """A minimal Python value of a parameter type (sequences as lists, models built from JSON)."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return argument(next(a for a in typing.get_args(tp) if a is not type(None)))
    if origin in (list, Sequence):
        return [argument(typing.get_args(tp)[0])]
    return structure(minimal_json(tp), tp, method="test")


def bound_method(client: object, name: str) -> Any:
    target: Any = client
    for part in METHODS[name].attribute.split("."):
        target = getattr(target, part)
    return target


def required_arguments(name: str, method: Any) -> dict[str, object]:
    """Every keyword-only parameter without a default, with a minimal value (or the handler's)."""
    hints = typing.get_type_hints(method)
    out: dict[str, object] = {}
    for param in inspect.signature(method).parameters.values():
        if param.kind is inspect.Parameter.KEYWORD_ONLY and param.default is inspect.Parameter.empty:
            out[param.name] = argument(hints[param.name])
    out.update(HANDLER_ARGUMENTS.get(name, {}))
    return out


def expected_type(name: str, kwargs: dict[str, object]) -> object:
    """The result type the client decodes into for these arguments (variants by wire name)."""
    spec = METHODS[name].spec
    wires = {python_identifier(p.wire): p.wire for p in spec.params}
    unknown = set(kwargs) - set(wires)
    assert not unknown, f"{name}: no wire name for {unknown}"
    return spec.result_type({wires[k]: v for k, v in kwargs.items()})


@pytest.mark.parametrize("name", sorted(METHODS))
def test_every_method_answers_with_its_result_type(name: str, vk: VK, fake: FakeVK) -> None:
    method = bound_method(vk, name)
    kwargs = required_arguments(name, method)
    result = method(**kwargs)
    found = problems(result, expected_type(name, kwargs))
    assert not found, f"{name}: {found[:3]}"
    assert fake.calls[-1].method == name


def test_stateful_handlers_are_kept(vk: VK, fake: FakeVK) -> None:
    users = vk.users.get(user_ids=[5])
    assert [(u.id, u.first_name) for u in users] == [(5, "Ilya")]
    assert isinstance(users[0], UsersUserFull)


def test_the_answer_follows_the_selected_variant(vk: VK) -> None:
    plain = vk.groups.get(user_id=1)
    extended = vk.groups.get(user_id=1, extended=True)
    assert plain.items == [1]
    assert extended.items[0].id == 1 and type(extended).__name__ == "GroupsGetObjectExtendedResponse"


def test_calls_inside_execute_get_the_same_answers(vk: VK) -> None:
    result = vk.execute(code="return [API.status.get({}), API.nope.nothing({})];")
    assert result == [{"text": "x"}, False]  # status.get's minimal answer; an unknown method fails alone


def test_unknown_method_is_error_3(fake: FakeVK) -> None:
    with httpx.Client(transport=fake.transport()) as http:
        answer = http.post("http://fake/method/nope.nothing", data={"access_token": "user-token", "v": "5.199"})
    assert answer.json()["error"]["error_code"] == 3


@pytest.fixture
async def avk(fake: FakeVK) -> AsyncIterator[AsyncVK]:
    async with (
        httpx.AsyncClient(transport=fake.async_transport()) as http,
        AsyncVK(TOKENS, base_url="http://fake", rate_limit=None, max_retries=0, http_client=http) as client,
    ):
        yield client


@pytest.mark.parametrize("name", ["photos.getAlbums", "wall.post", "market.get", "stories.get", "ads.getAccounts"])
async def test_the_async_client_gets_the_same_answers(name: str, avk: AsyncVK) -> None:
    method = bound_method(avk, name)
    kwargs = required_arguments(name, method)
    result = await method(**kwargs)
    assert not problems(result, expected_type(name, kwargs))
