"""The long-poll state machine without any IO: what it asks for next, what it does with each reply."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest

from apiforge.core.effects import Send, Sleep
from apiforge.core.errors import TransportError
from apiforge.core.events.longpoll import READ_MARGIN, REFRESH_AFTER, FetchServer, LongPollError, Server
from apiforge.core.events.stream import Emit
from apiforge.core.events.vk_bots import BotLongPollMachine
from apiforge.core.events.vk_updates import UnknownUpdate
from apiforge.core.events.vk_user import MessageAdded, UserLongPollMachine
from apiforge.core.retry import RetryPolicy
from apiforge.vk.models.groups import GroupsLongPollServer
from apiforge.vk.models.messages import MessagesLongpollParams
from apiforge.vk.updates import GroupJoin, MessageNew

BACKOFF = RetryPolicy(backoff_base=1.0, backoff_max=8.0, jitter=0.0)
SERVER = GroupsLongPollServer(key="secret-key-1", server="https://lp.vk.com/whp/1", ts="10")


def join(n: int) -> dict[str, Any]:
    return {
        "type": "group_join",
        "group_id": 1,
        "event_id": f"e{n}",
        "v": "5.199",
        "object": {"user_id": n, "join_type": "join"},
    }


def reply(body: object, status: int = 200) -> httpx.Response:
    return httpx.Response(status, json=body)


def machine(**options: Any) -> BotLongPollMachine:
    return BotLongPollMachine(group_id=1, retry=BACKOFF, **options)


def connected(**options: Any) -> BotLongPollMachine:
    lp = machine(**options)
    assert isinstance(lp.next_action(), FetchServer)
    lp.on_server(SERVER)
    return lp


def poll(lp: BotLongPollMachine) -> httpx.Request:
    action = lp.next_action()
    assert isinstance(action, Send), action
    return action.request


def emitted(lp: BotLongPollMachine) -> list[object]:
    out: list[object] = []
    while True:
        action = lp.next_action()
        if not isinstance(action, Emit):
            return out
        out.append(action.item)


def test_asks_for_a_server_first_then_polls_with_key_ts_and_wait() -> None:
    lp = machine(wait=25)
    action = lp.next_action()
    assert isinstance(action, FetchServer)
    assert action.call.method == "groups.getLongPollServer"
    assert action.call.params == {"group_id": "1"}
    lp.on_server(SERVER)
    request = poll(lp)
    assert request.method == "GET"
    assert str(request.url).startswith("https://lp.vk.com/whp/1?")
    assert dict(request.url.params) == {"act": "a_check", "key": "secret-key-1", "ts": "10", "wait": "25"}


def test_the_read_timeout_is_longer_than_wait() -> None:
    request = poll(connected(wait=25))
    timeout = request.extensions["timeout"]
    assert timeout["read"] == 25 + READ_MARGIN > 25


def test_updates_are_handed_out_in_order_and_ts_moves_on() -> None:
    lp = connected()
    poll(lp)
    lp.on_reply(reply({"ts": "12", "updates": [join(1), join(2)]}))
    assert lp.ts == "12"
    updates = emitted(lp)
    assert [type(u) for u in updates] == [GroupJoin, GroupJoin]
    assert [u.object.user_id for u in updates if isinstance(u, GroupJoin)] == [1, 2]
    assert dict(poll(lp).url.params)["ts"] == "12"


def test_an_integer_ts_is_accepted() -> None:
    lp = connected()
    poll(lp)
    lp.on_reply(reply({"ts": 13, "updates": []}))
    assert lp.ts == "13"


def test_failed_1_continues_from_the_given_ts() -> None:
    lp = connected()
    poll(lp)
    lp.on_reply(reply({"failed": 1, "ts": 30}))
    assert dict(poll(lp).url.params)["ts"] == "30"


def test_failed_2_fetches_a_new_key_and_keeps_ts() -> None:
    lp = connected()
    poll(lp)
    lp.on_reply(reply({"ts": "11", "updates": [join(1)]}))
    emitted(lp)
    poll(lp)
    lp.on_reply(reply({"failed": 2}))
    assert isinstance(lp.next_action(), FetchServer)
    lp.on_server(GroupsLongPollServer(key="secret-key-2", server="https://lp.vk.com/whp/1", ts="99"))
    params = dict(poll(lp).url.params)
    assert (params["key"], params["ts"]) == ("secret-key-2", "11")


def test_failed_3_fetches_a_new_key_and_ts_and_warns(caplog: pytest.LogCaptureFixture) -> None:
    lp = connected()
    poll(lp)
    with caplog.at_level(logging.WARNING, logger="apiforge.events"):
        lp.on_reply(reply({"failed": 3}))
    assert "may be lost" in caplog.text
    assert isinstance(lp.next_action(), FetchServer)
    lp.on_server(GroupsLongPollServer(key="secret-key-3", server="https://lp.vk.com/whp/1", ts="99"))
    assert dict(poll(lp).url.params)["ts"] == "99"


def test_an_unknown_failed_code_ends_the_poll_with_a_clear_error() -> None:
    lp = connected()
    poll(lp)
    with pytest.raises(LongPollError, match="failed=7"):
        lp.on_reply(reply({"failed": 7}))


def test_an_update_sent_again_is_dropped() -> None:
    lp = connected()
    poll(lp)
    lp.on_reply(reply({"ts": "12", "updates": [join(1), join(2)]}))
    first = emitted(lp)
    poll(lp)
    lp.on_reply(reply({"ts": "13", "updates": [join(2), join(3)]}))
    assert [u.event_id for u in first + emitted(lp) if isinstance(u, GroupJoin)] == ["e1", "e2", "e3"]


def test_a_malformed_update_arrives_as_unknown_and_the_others_still_come() -> None:
    lp = connected()
    poll(lp)
    lp.on_reply(reply({"ts": "12", "updates": [{"type": "group_join"}, "junk", join(3)]}))
    first, second, third = emitted(lp)
    assert isinstance(first, UnknownUpdate) and first.raw_type == "group_join"
    assert isinstance(second, UnknownUpdate) and second.object == "junk"
    assert isinstance(third, GroupJoin)


def test_network_errors_back_off_exponentially_then_reset_after_a_good_reply() -> None:
    lp = connected()
    waits = []
    for _ in range(REFRESH_AFTER - 1):
        poll(lp)
        lp.on_failure(TransportError("a_check", "ReadError", sent=True))
        action = lp.next_action()
        assert isinstance(action, Sleep)
        waits.append(action.seconds)
    assert waits == [BACKOFF.backoff(n) for n in range(1, REFRESH_AFTER)] == [1.0, 2.0]
    poll(lp)
    lp.on_reply(reply({"ts": "10", "updates": []}))
    assert lp.failures == 0
    assert lp.reconnects == REFRESH_AFTER - 1


def test_after_several_failures_in_a_row_the_server_is_asked_again_keeping_ts() -> None:
    lp = connected()
    for _ in range(REFRESH_AFTER):
        poll(lp)
        lp.on_failure(TransportError("a_check", "ConnectError", sent=False))
        assert isinstance(lp.next_action(), Sleep)
    assert isinstance(lp.next_action(), FetchServer)
    lp.on_server(GroupsLongPollServer(key="k", server="https://lp2.vk.com/whp/1", ts="500"))
    assert dict(poll(lp).url.params)["ts"] == "10"


def test_max_reconnects_gives_up_with_the_error() -> None:
    lp = connected(max_reconnects=1)
    poll(lp)
    lp.on_failure(TransportError("a_check", "ReadError", sent=True))
    lp.next_action()
    poll(lp)
    with pytest.raises(TransportError):
        lp.on_failure(TransportError("a_check", "ReadError", sent=True))


@pytest.mark.parametrize(
    ("response", "reason"),
    [
        (httpx.Response(502, text="Bad Gateway"), "HTTP 502"),
        (httpx.Response(200, text="<html>"), "not JSON"),
        (httpx.Response(200, json=[1]), "expected a JSON object"),
        (httpx.Response(200, json={"updates": []}), "$.ts"),
        (httpx.Response(200, json={"ts": "1", "updates": {}}), "$.updates"),
    ],
)
def test_a_bad_reply_is_a_failure_to_back_off_from(
    response: httpx.Response, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    lp = connected()
    poll(lp)
    with caplog.at_level(logging.WARNING, logger="apiforge.events"):
        lp.on_reply(response)
    assert isinstance(lp.next_action(), Sleep)
    assert reason in caplog.text
    assert lp.ts == "10"


def test_the_key_is_never_in_a_repr_or_a_log(caplog: pytest.LogCaptureFixture) -> None:
    server = Server(url="https://lp.vk.com/whp/1", key="secret-key-1", ts="1")
    assert "secret-key-1" not in repr(server)
    lp = connected()
    with caplog.at_level(logging.DEBUG, logger="apiforge.events"):
        poll(lp)
        lp.on_reply(reply({"failed": 2}))
        lp.on_failure(TransportError("a_check", "ReadError", sent=True))
    assert "secret-key-1" not in caplog.text


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"group_id": 0}, "group_id must be a positive community id, got 0"),
        ({"group_id": 1, "wait": 91}, "wait must be a whole number of seconds from 1 to 90, got 91"),
        ({"group_id": 1, "wait": True}, "got True"),
        ({"group_id": 1, "max_reconnects": -1}, "max_reconnects must be None or a number >= 0, got -1"),
    ],
)
def test_bad_options_are_named(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        BotLongPollMachine(**options)


def test_a_resumed_poll_keeps_its_ts_over_the_servers() -> None:
    lp = machine(ts="7")
    lp.next_action()
    lp.on_server(SERVER)
    assert dict(poll(lp).url.params)["ts"] == "7"


# The user long poll: same machine, another server call, events as arrays.


def test_user_poll_adds_the_scheme_mode_and_version_and_reads_arrays() -> None:
    lp = UserLongPollMachine(scheme="https", mode=2, retry=BACKOFF)
    action = lp.next_action()
    assert isinstance(action, FetchServer)
    assert action.call.method == "messages.getLongPollServer"
    assert action.call.params["lp_version"] == "3"
    lp.on_server(MessagesLongpollParams(server="im.vk.com/nim1", key="k", ts=1700))
    request = lp.next_action()
    assert isinstance(request, Send)
    assert str(request.request.url).startswith("https://im.vk.com/nim1?")
    params = dict(request.request.url.params)
    assert (params["ts"], params["mode"], params["version"]) == ("1700", "2", "3")
    lp.on_reply(reply({"ts": 1701, "updates": [[4, 10, 1, 5, 1700000000, "hi", {}, {}]], "pts": 44}))
    event = lp.next_action()
    assert isinstance(event, Emit) and isinstance(event.item, MessageAdded)
    assert (event.item.peer_id, event.item.text) == (5, "hi")
    assert lp.pts == 44


def test_user_poll_failed_4_is_a_clear_error() -> None:
    lp = UserLongPollMachine(retry=BACKOFF)
    lp.next_action()
    lp.on_server(MessagesLongpollParams(server="im.vk.com/nim1", key="k", ts=1))
    lp.next_action()
    with pytest.raises(LongPollError, match="version=3"):
        lp.on_reply(reply({"failed": 4}))


def test_message_new_is_typed_from_a_raw_reply() -> None:
    lp = connected()
    poll(lp)
    message = {"id": 1, "date": 1, "peer_id": 5, "from_id": 5, "text": "hi", "conversation_message_id": 1, "out": 0}
    message |= {"version": 1, "attachments": [], "fwd_messages": [], "important": False, "is_hidden": False}
    raw = {"type": "message_new", "group_id": 1, "event_id": "m1", "object": {"message": message}}
    lp.on_reply(reply({"ts": "11", "updates": [raw]}))
    (update,) = emitted(lp)
    assert isinstance(update, MessageNew)
    assert update.object.message is not None and update.object.message.text == "hi"
