"""`with vk.batch() as b:` against FakeVK: execute requests, per-call results and errors, safe scripts."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from apiforge.core import MethodSpec, Param, RateLimiter, Window
from apiforge.core.batch import BatchCancelledError, NotBatchableError, NotSentError, Pending
from apiforge.core.errors import ConfigurationError
from apiforge.testing import FakeVK
from apiforge.testing.vkscript import parse_script
from apiforge.vk import VK, AsyncVK
from apiforge.vk.errors import AuthError, ParamError
from apiforge.vk.methods.execute import _EXECUTE
from apiforge.vk.models.groups import GroupsGetByIdObjectResponse
from apiforge.vk.models.users import UsersUserFull

INJECTION = '"]); API.messages.send({"peer_id": 1, "message": "injected"}); return [("'


def scripts(fake: FakeVK) -> list[list[tuple[str, dict[str, object]]]]:
    """The calls of every execute request the fake received, in order."""
    return [parse_script(str(call.params["code"])) for call in fake.calls_to("execute")]


# request count and per-call results


def test_60_calls_go_out_as_3_execute_requests(vk: VK, fake_vk: FakeVK) -> None:
    with vk.batch() as b:
        pending = [b.users.get(user_ids=[1 if i % 2 else 5]) for i in range(60)]

    assert [call.method for call in fake_vk.calls] == ["execute"] * 3
    assert [len(calls) for calls in scripts(fake_vk)] == [25, 25, 10]
    for i, p in enumerate(pending):
        assert p.done
        (user,) = p.result()
        assert isinstance(user, UsersUserFull)
        assert user.id == (1 if i % 2 else 5)  # each call gets its own slot, in order


async def test_async_60_calls_go_out_as_3_execute_requests(avk: AsyncVK, fake_vk: FakeVK) -> None:
    async with avk.batch() as b:
        pending = [b.users.get(user_ids=[1 if i % 2 else 5]) for i in range(60)]

    assert [len(calls) for calls in scripts(fake_vk)] == [25, 25, 10]
    assert [p.result()[0].id for p in pending] == [1 if i % 2 else 5 for i in range(60)]
    assert [(await p)[0].id for p in pending[:3]] == [5, 1, 5]  # awaitable too, once settled


def test_results_are_decoded_into_each_calls_declared_type(vk: VK, fake_vk: FakeVK) -> None:
    with vk.batch() as b:
        users = b.users.get(user_ids=[1], fields=["photo_100"])
        groups = b.groups.get_by_id(group_ids=["apiclub"])
        sent = b.messages.send(peer_id=5, message="hi")

    assert users.result()[0].photo_100 == "https://fake.vk/u1_100.jpg"
    assert isinstance(groups.result(), GroupsGetByIdObjectResponse)
    assert groups.result().groups[0].screen_name == "apiclub"
    assert sent.result() == 1
    assert fake_vk.messages[0]["text"] == "hi"
    assert len(fake_vk.calls) == 1


def test_a_failing_call_in_the_middle_gets_its_own_typed_error(vk: VK, fake_vk: FakeVK) -> None:
    with vk.batch() as b:
        before = b.users.get(user_ids=[1])
        bad_group = b.groups.get_by_id(group_ids=["no_such_group"])
        middle = b.users.get(user_ids=[5])
        bad_send = b.messages.send(peer_id=5, message="")  # empty message: error 100 too
        after = b.groups.get_by_id(group_ids=["vk"])

    assert len(fake_vk.calls) == 1
    assert before.result()[0].id == 1
    assert middle.result()[0].id == 5
    assert after.result().groups[0].id == 22822305
    with pytest.raises(ParamError) as group_error:
        bad_group.result()
    assert group_error.value.code == 100
    assert group_error.value.method == "groups.getById"
    assert "no_such_group" in group_error.value.message  # its own entry of execute_errors, not the send's
    with pytest.raises(ParamError) as send_error:
        bad_send.result()
    assert send_error.value.method == "messages.send"
    assert "message is empty" in send_error.value.message
    assert fake_vk.messages == []


def test_errors_map_to_their_calls_in_every_chunk(vk: VK, fake_vk: FakeVK) -> None:
    with vk.batch() as b:
        pending = [b.groups.get_by_id(group_ids=["bad"] if i in (3, 24, 25, 40) else ["apiclub"]) for i in range(50)]

    assert len(fake_vk.calls_to("execute")) == 2
    failed = [i for i, p in enumerate(pending) if p.exception() is not None]
    assert failed == [3, 24, 25, 40]
    assert all(isinstance(pending[i].exception(), ParamError) for i in failed)


def test_a_whole_request_error_fails_every_call_of_the_chunk(make_vk: Callable[[str], VK], fake_vk: FakeVK) -> None:
    vk = make_vk("wrong-token")
    with vk.batch() as b:
        pending = [b.users.get(user_ids=[1]) for _ in range(26)]

    assert [c.method for c in fake_vk.calls] == ["execute", "users.get"]  # the 26th call went alone
    errors = [p.exception() for p in pending]
    assert all(isinstance(e, AuthError) for e in errors)
    assert errors[0] is errors[24]  # the one error of the one execute request
    assert errors[25] is not errors[0]


async def test_async_a_failing_call_gets_its_own_error(avk: AsyncVK, fake_vk: FakeVK) -> None:
    async with avk.batch() as b:
        good = b.users.get(user_ids=[5])
        bad = b.groups.get_by_id(group_ids=["nope"])

    assert (await good)[0].first_name == "Ilya"
    with pytest.raises(ParamError):
        await bad


# the script


def test_a_parameter_value_stays_data(vk: VK, fake_vk: FakeVK) -> None:
    with vk.batch() as b:
        sent = b.messages.send(peer_id=1, message=INJECTION)
        users = b.users.get(user_ids=[1])

    (calls,) = scripts(fake_vk)
    assert [method for method, _ in calls] == ["messages.send", "users.get"]
    assert calls[0][1]["message"] == INJECTION
    assert sent.result() == 1
    assert [m["text"] for m in fake_vk.messages] == [INJECTION]  # one message, sent verbatim
    assert users.result()[0].id == 1


def test_script_shape(vk: VK, fake_vk: FakeVK) -> None:
    with vk.batch() as b:
        b.users.get(user_ids=[1, 5], fields=["sex"])
        b.groups.get_by_id(group_ids=["apiclub"])

    (call,) = fake_vk.calls
    assert call.params["code"] == (
        'return [API.users.get({"user_ids":"1,5","fields":"sex"}),API.groups.getById({"group_ids":"apiclub"})];'
    )
    assert call.params["access_token"] == "***"  # the token travels beside the script, never in it
    assert "access_token" not in call.params["code"]


def test_messages_send_keeps_its_random_id(vk: VK, fake_vk: FakeVK) -> None:
    with vk.batch() as b:
        chosen = b.messages.send(peer_id=1, message="given", random_id=777)
        generated = b.messages.send(peer_id=1, message="filled in")

    ((_, given), (_, filled)) = scripts(fake_vk)[0]
    assert given["random_id"] == "777"
    assert str(filled["random_id"]).isdigit() and filled["random_id"] != "0"
    assert (chosen.result(), generated.result()) == (1, 2)
    assert [m["random_id"] for m in fake_vk.messages] == [777, int(str(filled["random_id"]))]


# what a batch refuses, and when results can be read


def test_non_batchable_methods_are_not_offered(vk: VK) -> None:
    with vk.batch() as b:
        assert not hasattr(b, "execute")
        assert hasattr(vk, "execute")


def test_a_non_batchable_call_is_refused_before_sending(vk: VK, fake_vk: FakeVK) -> None:
    with vk.batch() as b:
        queued = b.users.get(user_ids=[1])
        with pytest.raises(NotBatchableError, match=r"execute: cannot be batched"):
            b.add(_EXECUTE.call({"code": "return 1;"}))
        assert fake_vk.calls == []
    assert len(b) == 0
    assert queued.result()[0].id == 1
    assert [c.method for c in fake_vk.calls] == ["users.get"]  # the refused call never left


def test_a_method_name_unfit_for_a_script_is_refused(vk: VK, fake_vk: FakeVK) -> None:
    evil: MethodSpec[object] = MethodSpec(
        api="vk", name='users.get({});API.wall.post({"message":"x"})', params=(Param("q"),), batchable=True
    )
    with vk.batch() as b, pytest.raises(NotBatchableError, match=r"section\.method"):
        b.add(evil.call({"q": "1"}))
    assert fake_vk.calls == []


def test_results_cannot_be_read_before_the_batch_is_sent(vk: VK) -> None:
    with vk.batch() as b:
        pending = b.users.get(user_ids=[1])
        assert not pending.done
        with pytest.raises(NotSentError, match=r"users\.get: the batch has not been sent"):
            pending.result()
    assert pending.done


async def test_awaiting_inside_the_block_fails_instead_of_hanging(avk: AsyncVK, fake_vk: FakeVK) -> None:
    async with avk.batch() as b:
        pending = b.users.get(user_ids=[1])
        with pytest.raises(NotSentError):
            await pending
    assert (await pending)[0].id == 1


def test_send_inside_the_block_sends_what_is_queued(vk: VK, fake_vk: FakeVK) -> None:
    with vk.batch() as b:
        first = [b.users.get(user_ids=[1]) for _ in range(2)]
        b.send()
        assert [p.result()[0].id for p in first] == [1, 1]
        second = [b.users.get(user_ids=[5]) for _ in range(2)]
    assert [p.result()[0].id for p in second] == [5, 5]
    assert len(fake_vk.calls_to("execute")) == 2


def test_a_raising_block_sends_nothing(vk: VK, fake_vk: FakeVK) -> None:
    with pytest.raises(RuntimeError, match="boom"), vk.batch() as b:
        pending = b.users.get(user_ids=[1])
        raise RuntimeError("boom")
    assert fake_vk.calls == []
    with pytest.raises(BatchCancelledError, match=r"users\.get: not sent"):
        pending.result()


def test_a_finished_batch_takes_no_more_calls(vk: VK) -> None:
    with vk.batch() as b:
        pass
    with pytest.raises(ConfigurationError, match="already over"):
        b.users.get(user_ids=[1])


def test_a_lone_call_goes_out_as_itself(vk: VK, fake_vk: FakeVK) -> None:
    with vk.batch() as b:
        pending = b.users.get(user_ids=[5])
    assert [c.method for c in fake_vk.calls] == ["users.get"]
    assert pending.result()[0].id == 5


def test_an_empty_batch_sends_nothing(vk: VK, fake_vk: FakeVK) -> None:
    with vk.batch():
        pass
    assert fake_vk.calls == []


def test_pending_repr_shows_state_not_data(vk: VK) -> None:
    with vk.batch() as b:
        ok: Pending[list[UsersUserFull]] = b.users.get(user_ids=[1])
        bad = b.groups.get_by_id(group_ids=["nope"])
        assert repr(ok) == "<Pending users.get: queued>"
    assert repr(ok) == "<Pending users.get: ok>"
    assert repr(bad) == "<Pending groups.getById: ParamError>"


# rate limit


class CountingBackend:
    """A rate-limit backend that books every request and never makes one wait."""

    def __init__(self) -> None:
        self.reservations: list[str] = []

    def reserve(self, key: str, windows: object, now: float) -> float:
        self.reservations.append(key)
        return 0.0


def test_one_execute_is_one_request_for_the_rate_limit() -> None:
    fake = FakeVK(tokens={"t"})
    backend = CountingBackend()
    limiter = RateLimiter([Window(3, 1.1)], backend=backend)
    with (
        httpx.Client(transport=fake.transport()) as http,
        VK(token="t", base_url="http://fake", rate_limit=limiter, http_client=http) as vk,
    ):
        with vk.batch() as b:
            for _ in range(60):
                b.users.get(user_ids=[1])
        assert len(fake.calls_to("execute")) == 3
        assert len(backend.reservations) == 3
        vk.users.get(user_ids=[1])
        assert len(backend.reservations) == 4  # the limiter is really in the path
