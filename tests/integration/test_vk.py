"""VK clients against FakeVK: typed results, the wire format, de-duplicated sends, secrets kept secret."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from apiforge.testing import FakeVK
from apiforge.vk import VK, AsyncVK
from apiforge.vk.errors import AuthError
from apiforge.vk.models.groups import GroupsGetByIdObjectResponse
from apiforge.vk.models.users import UsersUserFull

TOKEN = "t"
WRONG_TOKEN = "vk1.a.WRONG-secret-token-0123456789"


@pytest.fixture
def fake(mode: str) -> Iterator[FakeVK]:
    fake = FakeVK(tokens={TOKEN})
    if mode == "http":
        with fake:
            yield fake
    else:
        yield fake


def make_vk(fake: FakeVK, mode: str, token: str = TOKEN) -> tuple[VK, httpx.Client | None]:
    if mode == "http":
        return VK(token=token, base_url=fake.url, rate_limit=None), None
    http = httpx.Client(transport=fake.transport())
    return VK(token=token, base_url="http://fake", rate_limit=None, http_client=http), http


@pytest.fixture
def vk(fake: FakeVK, mode: str) -> Iterator[VK]:
    client, http = make_vk(fake, mode)
    with client:
        yield client
    if http is not None:
        http.close()


@pytest.fixture
async def avk(fake: FakeVK, mode: str) -> AsyncIterator[AsyncVK]:
    if mode == "http":
        async with AsyncVK(token=TOKEN, base_url=fake.url, rate_limit=None) as client:
            yield client
    else:
        async with (
            httpx.AsyncClient(transport=fake.async_transport()) as http,
            AsyncVK(token=TOKEN, base_url="http://fake", rate_limit=None, http_client=http) as client,
        ):
            yield client


# users.get


def test_users_get_returns_typed_users(vk: VK, fake: FakeVK) -> None:
    users = vk.users.get(user_ids=[1, 5], fields=["photo_100"])

    assert [type(u) for u in users] == [UsersUserFull, UsersUserFull]
    assert [(u.id, u.first_name, u.last_name) for u in users] == [(1, "Pavel", "Durov"), (5, "Ilya", "Perekopsky")]
    assert users[0].photo_100 == "https://fake.vk/u1_100.jpg"
    assert users[0].photo_50 is None  # not asked for


def test_users_get_wire_format(vk: VK, fake: FakeVK) -> None:
    vk.users.get(user_ids=[1, 5], fields=["photo_100"])

    (call,) = fake.calls
    assert call.http_method == "POST"
    assert call.path == "/method/users.get"
    assert call.headers["content-type"] == "application/x-www-form-urlencoded"
    assert call.params == {"user_ids": "1,5", "fields": "photo_100", "access_token": "***", "v": "5.199"}
    assert call.query == {}  # the token travels in the body, never in the URL


async def test_users_get_async(avk: AsyncVK, fake: FakeVK) -> None:
    users = await avk.users.get(user_ids=[1, 5], fields=["photo_100"])

    assert [u.id for u in users] == [1, 5]
    assert isinstance(users[0], UsersUserFull)
    (call,) = fake.calls
    assert call.params["user_ids"] == "1,5"
    assert call.params["v"] == "5.199"
    assert "access_token" in call.params
    assert "access_token" not in call.query


# messages


def test_messages_send_fills_random_id(vk: VK, fake: FakeVK) -> None:
    first = vk.messages.send(peer_id=1, message="hi")
    second = vk.messages.send(peer_id=1, message="hi again")

    assert isinstance(first, int)
    assert first != second
    ids = [call.params["random_id"] for call in fake.calls_to("messages.send")]
    assert len(ids) == 2
    assert all(i.lstrip("-").isdigit() and int(i) != 0 for i in ids)
    assert ids[0] != ids[1]
    history = vk.messages.get_history(peer_id=1)
    assert history.count == 2
    assert [m.text for m in history.items] == ["hi again", "hi"]
    assert {m.id for m in history.items} == {first, second}


def test_messages_send_same_random_id_is_delivered_once(vk: VK, fake: FakeVK) -> None:
    first = vk.messages.send(peer_id=1, message="hi", random_id=424242)
    again = vk.messages.send(peer_id=1, message="hi", random_id=424242)

    assert first == again
    assert len(fake.messages) == 1
    assert vk.messages.get_history(peer_id=1).count == 1


async def test_messages_send_async(avk: AsyncVK, fake: FakeVK) -> None:
    message_id = await avk.messages.send(peer_id=7, message="hello")

    (call,) = fake.calls_to("messages.send")
    assert call.params["peer_id"] == "7"
    assert call.params["message"] == "hello"
    assert int(call.params["random_id"]) != 0
    history = await avk.messages.get_history(peer_id=7)
    assert [(m.id, m.text, m.peer_id) for m in history.items] == [(message_id, "hello", 7)]


# groups.getById


def test_groups_get_by_id(vk: VK, fake: FakeVK) -> None:
    answer = vk.groups.get_by_id(group_ids=["apiclub"])

    assert isinstance(answer, GroupsGetByIdObjectResponse)
    assert answer.groups is not None
    assert [(g.id, g.name, g.screen_name) for g in answer.groups] == [(1, "VK API", "apiclub")]
    assert answer.profiles == []
    assert fake.calls[0].params["group_ids"] == "apiclub"


async def test_groups_get_by_id_async(avk: AsyncVK) -> None:
    answer = await avk.groups.get_by_id(group_ids=["apiclub", "vk"])

    assert answer.groups is not None
    assert [g.screen_name for g in answer.groups] == ["apiclub", "vk"]


# errors and secrets


def _assert_secret_free(error: AuthError, token: str) -> None:
    assert token not in str(error)
    assert token not in repr(error)
    assert token not in repr(error.details)
    assert token not in repr(error.args)


def test_wrong_token_raises_auth_error_without_the_token(fake: FakeVK, mode: str) -> None:
    client, http = make_vk(fake, mode, token=WRONG_TOKEN)
    with client, pytest.raises(AuthError) as caught:
        client.users.get(user_ids=[1])
    if http is not None:
        http.close()

    error = caught.value
    assert error.code == 5
    assert error.method == "users.get"
    _assert_secret_free(error, WRONG_TOKEN)
    # The server echoed the token in request_params; the client masked it.
    echoed = {p["key"]: p["value"] for p in error.details["request_params"]}
    assert echoed["access_token"] == "***"
    assert echoed["v"] == "5.199"
    assert len(fake.calls) == 1  # an auth error is not retried


async def test_wrong_token_async(fake: FakeVK, mode: str) -> None:
    if mode == "http":
        client = AsyncVK(token=WRONG_TOKEN, base_url=fake.url, rate_limit=None)
        http = None
    else:
        http = httpx.AsyncClient(transport=fake.async_transport())
        client = AsyncVK(token=WRONG_TOKEN, base_url="http://fake", rate_limit=None, http_client=http)
    async with client:
        with pytest.raises(AuthError) as caught:
            await client.users.get(user_ids=[1])
    if http is not None:
        await http.aclose()
    _assert_secret_free(caught.value, WRONG_TOKEN)


def test_missing_token_on_the_wire_is_rejected(fake: FakeVK, mode: str) -> None:
    # Talk to the fake directly: no access_token at all is error 5, like VK.
    if mode == "http":
        response = httpx.post(f"{fake.url}/method/users.get", data={"v": "5.199"})
    else:
        with httpx.Client(transport=fake.transport()) as http:
            response = http.post("http://fake/method/users.get", data={"v": "5.199"})
    assert response.json()["error"]["error_code"] == 5


def test_unknown_method_is_error_3(vk: VK) -> None:
    from apiforge.core import Call, MethodSpec

    spec: MethodSpec[object] = MethodSpec(api="vk", name="nothing.here")
    with pytest.raises(Exception) as caught:
        vk.request(Call(spec=spec))
    assert getattr(caught.value, "code", None) == 3


def test_repr_has_no_token(fake: FakeVK, mode: str) -> None:
    client, http = make_vk(fake, mode, token=WRONG_TOKEN)
    with client:
        assert WRONG_TOKEN not in repr(client)
        assert WRONG_TOKEN not in str(client)
    if http is not None:
        http.close()
    assert "access_token" not in repr(fake)
