"""The sans-IO parts of batching: VKScript building, result mapping, pending results, the send pipeline."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Generator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from apiforge.core import JSON, MethodSpec, Param
from apiforge.core.batch import NotBatchableError, NotSentError, Pending, VKExecutePlanner, WialonBatchPlanner
from apiforge.core.batch.plan import Entry
from apiforge.core.batch.send import observe_response, send_entries
from apiforge.core.batch.vkscript import build_script
from apiforge.core.effects import Effect, Send
from apiforge.core.errors import ConfigurationError, DecodeError
from apiforge.core.pipeline import Policy
from apiforge.core.protocols.vk import VKProtocol
from apiforge.core.protocols.wialon import WialonProtocol
from apiforge.core.retry import RetryPolicy
from apiforge.testing.vkscript import parse_script
from apiforge.vk import errors as vk_errors
from apiforge.vk.models.users import UsersUserFull
from apiforge.wialon import errors as wialon_errors

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared/samples"

USERS_GET: MethodSpec[list[UsersUserFull]] = MethodSpec(
    api="vk", name="users.get", params=(Param("user_ids", "form", "csv"),), result=list[UsersUserFull], batchable=True
)
REMOVE_CHAT_USER: MethodSpec[int] = MethodSpec(
    api="vk", name="messages.removeChatUser", params=(Param("chat_id"),), result=int, batchable=True
)
IS_MEMBER: MethodSpec[bool] = MethodSpec(api="vk", name="groups.isMember", result=bool, batchable=True)
SEARCH_ITEM: MethodSpec[JSON] = MethodSpec(
    api="wialon", name="core/search_item", params=(Param("id", "params", "native"),), result=JSON, batchable=True
)


def vk_protocol() -> VKProtocol:
    return VKProtocol(
        base_url="http://vk.invalid", error_class=vk_errors.error_class, version="5.199", token="planner-test-token"
    )


def wialon_protocol() -> WialonProtocol:
    return WialonProtocol(base_url="http://wialon.invalid", error_class=wialon_errors.error_class, token=None)


def entries(*specs_and_values: tuple[MethodSpec[Any], dict[str, object]]) -> list[Entry]:
    return [Entry(spec.call(values), Pending(spec.name)) for spec, values in specs_and_values]


# VKScript


def test_the_script_is_json_arguments_in_a_return_list() -> None:
    script = build_script([("users.get", {"user_ids": "1,5"}), ("messages.send", {"message": 'a"b\\c'})])
    assert script == 'return [API.users.get({"user_ids":"1,5"}),API.messages.send({"message":"a\\"b\\\\c"})];'


def test_js_line_separators_are_escaped() -> None:
    script = build_script([("messages.send", {"message": "a\u2028b\u2029c\nd"})])
    assert "\u2028" not in script and "\u2029" not in script and "\n" not in script
    assert parse_script(script) == [("messages.send", {"message": "a\u2028b\u2029c\nd"})]


@given(st.lists(st.dictionaries(st.text(), st.text() | st.integers()), min_size=1, max_size=25))
def test_any_parameter_value_stays_data(params: list[dict[str, object]]) -> None:
    calls = [("messages.send", p) for p in params]
    assert parse_script(build_script(calls)) == calls  # the same calls, nothing more, values intact


@pytest.mark.parametrize(
    "name", ["users", "users.get.x", "users.get()", "users.get;", "users.get({});API.wall.post", "юзер.get", ""]
)
def test_method_names_must_be_section_dot_method(name: str) -> None:
    with pytest.raises(NotBatchableError, match=r"section\.method"):
        build_script([(name, {})])


def test_values_that_are_not_json_data_are_named() -> None:
    with pytest.raises(ConfigurationError, match=r"users.get: parameter 'x': nan cannot be sent inside execute"):
        build_script([("users.get", {"x": float("nan")})])
    with pytest.raises(ConfigurationError, match=r"users.get: parameter 'y': .*object"):
        build_script([("users.get", {"y": object()})])


def test_at_most_25_calls_per_script() -> None:
    with pytest.raises(ConfigurationError, match="at most 25 calls, got 26"):
        build_script([("users.get", {})] * 26)


# VK: slots and execute_errors


def test_false_slots_take_the_errors_of_their_methods_in_order() -> None:
    batch = entries(
        (USERS_GET, {"user_ids": [1]}),
        (REMOVE_CHAT_USER, {"chat_id": 1}),
        (USERS_GET, {"user_ids": [2]}),
        (REMOVE_CHAT_USER, {"chat_id": 2}),
    )
    body = {
        "response": [False, False, [{"id": 2, "first_name": "A", "last_name": "B"}], False],
        "execute_errors": [
            {"method": "messages.removeChatUser", "error_code": 935, "error_msg": "User not found in chat"},
            {"method": "users.get", "error_code": 113, "error_msg": "Invalid user id"},
            {"method": "messages.removeChatUser", "error_code": 15, "error_msg": "Access denied"},
        ],
    }
    VKExecutePlanner().settle(vk_protocol(), batch, body["response"], body)

    first, second, third, fourth = (e.pending for e in batch)
    assert (type(first.exception()), getattr(first.exception(), "code", None)) == (vk_errors.ParamUserIdError, 113)
    assert isinstance(second.exception(), vk_errors.APIError) and second.exception().code == 935  # type: ignore[union-attr]
    assert third.result()[0].id == 2
    assert fourth.exception().code == 15  # type: ignore[union-attr]
    assert fourth.exception().method == "messages.removeChatUser"  # type: ignore[union-attr]


def test_a_bare_false_is_a_value_only_where_false_is_a_result() -> None:
    batch = entries((IS_MEMBER, {}), (USERS_GET, {}))
    VKExecutePlanner().settle(vk_protocol(), batch, [False, False], {"response": [False, False]})
    assert batch[0].pending.result() is False
    with pytest.raises(DecodeError, match="no execute_errors entry"):
        batch[1].pending.result()


def test_a_response_of_the_wrong_length_fails_every_call() -> None:
    batch = entries((USERS_GET, {}), (USERS_GET, {}))
    VKExecutePlanner().settle(vk_protocol(), batch, [[]], {"response": [[]]})
    for entry in batch:
        with pytest.raises(DecodeError, match=r"\$.response: expected a list of 2 results"):
            entry.pending.result()


def test_the_real_execute_errors_sample() -> None:
    path = SAMPLES / "vk" / "execute__1.json"
    if not path.exists():
        pytest.skip("../shared/samples is not here")
    body = json.loads(path.read_text(encoding="utf-8"))["body"]  # response null, three execute_errors
    batch = entries((REMOVE_CHAT_USER, {"chat_id": 1}), (REMOVE_CHAT_USER, {"chat_id": 2}))
    VKExecutePlanner().settle(vk_protocol(), batch, body["response"], body)
    codes = [e.pending.exception().code for e in batch]  # type: ignore[union-attr]
    assert codes == [1, 935]
    assert isinstance(batch[0].pending.exception(), vk_errors.UnknownError)


def test_the_execute_request_is_idempotent_only_when_every_call_is() -> None:
    planner = VKExecutePlanner()
    reads = [USERS_GET.call({"user_ids": [1]}).idempotent_from_now()] * 2
    assert planner.request(reads).idempotent
    assert not planner.request([*reads, REMOVE_CHAT_USER.call({"chat_id": 1})]).idempotent


def test_the_execute_request_needs_a_token_kind_every_call_accepts() -> None:
    group_only: MethodSpec[int] = MethodSpec(api="vk", name="groups.ban", batchable=True, token_kinds=("group",))
    user_only: MethodSpec[int] = MethodSpec(api="vk", name="account.ban", batchable=True, token_kinds=("user",))
    planner = VKExecutePlanner()
    assert planner.request([USERS_GET.call({}), group_only.call({})]).spec.token_kinds == ("group",)
    # No kind fits both: refused before sending (an empty token_kinds would read as "any token").
    with pytest.raises(ConfigurationError, match=r"account\.ban, groups\.ban"):
        planner.request([group_only.call({}), user_only.call({})])


# Wialon: items


def test_wialon_items_read_as_lone_answers() -> None:
    batch = entries((SEARCH_ITEM, {"id": 1}), (SEARCH_ITEM, {"id": 2}), (SEARCH_ITEM, {"id": 3}))
    payload = [{"item": {"id": 1}}, {"error": 1003, "reason": "LIMIT api_concurrent"}, {"error": 0}]
    WialonBatchPlanner().settle(wialon_protocol(), batch, payload, payload)
    assert batch[0].pending.result() == {"item": {"id": 1}}
    error = batch[1].pending.exception()
    assert isinstance(error, wialon_errors.OnlyOneRequestError)
    assert error.details["reason"] == "LIMIT api_concurrent"
    assert batch[2].pending.result() == {"error": 0}  # error 0 is success


def test_error_10_is_a_skip_only_after_a_failure_with_stop_on_error() -> None:
    batch = entries((SEARCH_ITEM, {"id": 1}), (SEARCH_ITEM, {"id": 2}))
    WialonBatchPlanner(stop_on_error=True).settle(wialon_protocol(), batch, [{"error": 10}, {"error": 10}], None)
    first, second = (e.pending.exception() for e in batch)
    assert isinstance(first, wialon_errors.ConcurrencyLimitError) and "skipped" not in first.details
    assert isinstance(second, wialon_errors.ConcurrencyLimitError) and second.details["skipped"] is True


def test_the_core_batch_request() -> None:
    heavy: MethodSpec[JSON] = MethodSpec(api="wialon", name="messages/load_last", batchable=True, heavy=True)
    request = WialonBatchPlanner(stop_on_error=True).request([SEARCH_ITEM.call({"id": 7}), heavy.call({})])
    assert request.method == "core/batch"
    assert request.params == {
        "params": [{"svc": "core/search_item", "params": {"id": 7}}, {"svc": "messages/load_last", "params": {}}],
        "flags": 1,
    }
    assert request.spec.heavy  # a heavy call makes the batch heavy for the session's limits
    assert not request.idempotent


def test_wialon_chunks_when_asked() -> None:
    batch = entries(*[(SEARCH_ITEM, {"id": i}) for i in range(5)])
    assert [len(c) for c in WialonBatchPlanner(max_calls=2).chunks(batch)] == [2, 2, 1]
    assert [len(c) for c in WialonBatchPlanner().chunks(batch)] == [5]


# Pending


def test_a_pending_result_settles_once() -> None:
    pending: Pending[int] = Pending("users.get")
    with pytest.raises(NotSentError):
        pending.exception()
    pending.set_result(1)
    pending.set_exception(RuntimeError("late"))
    assert pending.result() == 1 and pending.exception() is None


async def test_cancelling_one_waiter_leaves_the_others_waiting() -> None:
    pending: Pending[int] = Pending("users.get")
    pending.mark_sent()
    first = asyncio.ensure_future(pending)
    second = asyncio.ensure_future(pending)
    await asyncio.sleep(0)
    first.cancel()
    await asyncio.sleep(0)
    pending.set_result(7)
    assert await second == 7
    assert first.cancelled()


# the send pipeline


def drive(pipeline: Generator[Effect, Any, Any], answer: Any) -> list[Effect]:
    """Run a pipeline, answering each Send with `answer(request)` (which may raise); returns the effects."""
    seen: list[Effect] = []
    outcome: Any = None
    error: BaseException | None = None
    while True:
        try:
            effect = pipeline.throw(error) if error is not None else pipeline.send(outcome)
        except StopIteration:
            return seen
        seen.append(effect)
        outcome, error = None, None
        try:
            outcome = answer(effect.request) if isinstance(effect, Send) else None
        except BaseException as exc:
            error = exc


def test_an_unexpected_failure_settles_every_call_and_is_raised() -> None:
    batch = entries((USERS_GET, {}), (USERS_GET, {}))

    def explode(request: httpx.Request) -> httpx.Response:
        raise KeyboardInterrupt

    policy = Policy(retry=RetryPolicy(max_retries=0))
    with pytest.raises(KeyboardInterrupt):
        drive(send_entries(VKExecutePlanner(), vk_protocol(), policy, batch), explode)
    assert all(isinstance(e.pending.exception(), KeyboardInterrupt) for e in batch)


def test_observe_response_passes_everything_through() -> None:
    def inner() -> Generator[Effect, Any, str]:
        request = httpx.Request("POST", "http://x.invalid/a")
        with contextlib.suppress(ValueError):
            yield Send(request)
        response = yield Send(request)
        return f"got {response.status_code}"

    responses = iter([ValueError("first fails"), httpx.Response(200, json={})])

    def answer(request: httpx.Request) -> httpx.Response:
        item = next(responses)
        if isinstance(item, Exception):
            raise item
        return item

    result: list[object] = []

    def outer() -> Generator[Effect, Any, None]:
        result.append((yield from observe_response(inner())))

    effects = drive(outer(), answer)
    assert len(effects) == 2
    value, last = result[0]  # type: ignore[misc]
    assert value == "got 200" and last is not None and last.status_code == 200
