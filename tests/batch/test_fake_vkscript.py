"""The fake's VKScript interpreter: the subset apiforge sends, parsed as data, answered like VK."""

from __future__ import annotations

import httpx
import pytest

from apiforge.testing import FakeVK
from apiforge.testing.vk import VKError
from apiforge.testing.vkscript import ScriptSyntaxError, form_fields, parse_script, run_execute


def test_parses_calls_and_json_arguments() -> None:
    code = ' return [ API.users.get( {"user_ids": "1,5"} ) , API.utils.getServerTime() ] ; '
    assert parse_script(code) == [("users.get", {"user_ids": "1,5"}), ("utils.getServerTime", {})]
    assert parse_script("return [];") == []


@pytest.mark.parametrize(
    "code",
    [
        'return [API.users.get({"a": 1})]; API.wall.post({})',  # code after the list
        'return [API.users.get({"a": 1}) API.wall.post({})];',  # no comma
        "return [API.users.get(1)];",  # not an object
        "return [API.users.get({'a': 1})];",  # not JSON
        'var x = 1; return [API.users.get({"a": x})];',
        'return [API.users.get({"a": 1}),];',
        "return [API.users.get.x({})];",
    ],
)
def test_anything_else_is_a_syntax_error(code: str) -> None:
    with pytest.raises(ScriptSyntaxError):
        parse_script(code)


def test_failed_calls_leave_false_and_an_execute_error() -> None:
    def fail(params: dict[str, str]) -> object:
        raise VKError(100, f"bad {params['x']}")

    answer = run_execute(
        'return [API.a.ok({"x": [1, 2]}), API.a.fail({"x": true}), API.a.nope({})];',
        {"a.ok": lambda p: p, "a.fail": fail},
    )
    assert answer == {
        "response": [{"x": "1,2"}, False, False],
        "execute_errors": [
            {"method": "a.fail", "error_code": 100, "error_msg": "bad 1"},
            {"method": "a.nope", "error_code": 3, "error_msg": "Unknown method passed"},
        ],
    }


def test_whole_script_errors() -> None:
    with pytest.raises(VKError) as compile_error:
        run_execute("return API.users.get({}) API;", {})
    assert compile_error.value.code == 12
    with pytest.raises(VKError) as runtime_error:
        run_execute("return [" + ",".join(["API.a.b({})"] * 26) + "];", {"a.b": lambda p: 1})
    assert runtime_error.value.code == 13


def test_form_fields_match_a_direct_call() -> None:
    assert form_fields({"a": [1, "b"], "b": False, "c": None, "d": {"k": 1}, "e": 5}) == {
        "a": "1,b",
        "b": "0",
        "d": '{"k":1}',
        "e": "5",
    }


def test_fake_vk_answers_execute() -> None:
    fake = FakeVK(tokens={"t"})
    with httpx.Client(transport=fake.transport()) as http:
        code = 'return [API.users.get({"user_ids": "5"}), API.groups.getById({"group_ids": "nope"})];'
        body = http.post("http://fake/method/execute", data={"access_token": "t", "v": "5.199", "code": code}).json()
    assert body["response"][0][0]["first_name"] == "Ilya"
    assert body["response"][1] is False
    assert body["execute_errors"][0]["error_code"] == 100
    assert [c.method for c in fake.calls] == ["execute"]  # one request, however many calls inside


ORDINARY = [
    ('return API.users.get({"user_ids": 1});', [{"id": 1, "first_name": "Pavel"}]),
    ("return API.users.get({'user_ids': [1, 5]})@.first_name;", ["Pavel", "Ilya"]),
    (
        """
        var users = API.users.get({"user_ids": "1,5"});  // two users
        var first = users[0];
        return {"first": first.first_name, "count": users.length, ids: users@.id, "both": users[0].id + users[1].id};
        """,
        {"first": "Pavel", "count": 2, "ids": [1, 5], "both": 6},
    ),
]


@pytest.mark.parametrize(("code", "expected"), ORDINARY)
def test_ordinary_vkscript_runs_on_the_fake(code: str, expected: object) -> None:
    with FakeVK(tokens={"t"}) as fake:
        answer = httpx.post(f"{fake.url}/method/execute", data={"code": code, "access_token": "t", "v": "5.199"}).json()
    response = answer["response"]
    if isinstance(expected, list) and expected and isinstance(expected[0], dict):
        assert [{k: u[k] for k in ("id", "first_name")} for u in response] == expected
    else:
        assert response == expected


def test_a_failing_call_inside_an_expression_is_false_and_an_execute_error() -> None:
    with FakeVK(tokens={"t"}) as fake:
        code = 'return [API.users.get({"user_ids": 1})[0].last_name + "!", API.nosuch.method()];'
        answer = httpx.post(f"{fake.url}/method/execute", data={"code": code, "access_token": "t", "v": "5.199"}).json()
    assert answer["response"] == ["Durov!", False]
    assert answer["execute_errors"] == [
        {"method": "nosuch.method", "error_code": 3, "error_msg": "Unknown method passed"}
    ]


def test_ordinary_vkscript_through_the_client() -> None:
    from apiforge.vk import VK

    with FakeVK(tokens={"t"}) as fake, VK(token="t", base_url=fake.url, rate_limit=None) as vk:
        assert vk.execute(code='return API.users.get({"user_ids": 1})@.id;') == [1]


@pytest.mark.parametrize(
    "code",
    ["return x;", "var = 1; return 1;", "return API.users({});", "return 1 + {};", "return [1,];", "retur 1;"],
)
def test_what_the_interpreter_cannot_read_is_error_12(code: str) -> None:
    with pytest.raises(VKError) as error:
        run_execute(code, {})
    assert error.value.code == 12
