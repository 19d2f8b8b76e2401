"""`apiforge call`: real subprocess runs against fakes on 127.0.0.1 — results, encodings, errors, exit codes."""

from __future__ import annotations

import json

from apiforge.testing import FakeVK, FakeWialon, FakeYclients
from tests.cli.clirun import apiforge

# VK


def test_vk_call_prints_the_decoded_result_as_json(fake_vk: FakeVK) -> None:
    done = apiforge(
        "call", "vk", "users.get", "user_ids=1,5", "fields=photo_100", "--base-url", fake_vk.url,
        env={"APIFORGE_VK_TOKEN": "t"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    users = json.loads(done.stdout)
    assert [u["id"] for u in users] == [1, 5]
    assert users[0]["photo_100"] == "https://fake.vk/u1_100.jpg"
    # The list went out the way the SDK encodes it: comma-separated, as VK expects.
    (sent,) = fake_vk.calls_to("users.get")
    assert sent.params["user_ids"] == "1,5"
    assert sent.params["fields"] == "photo_100"


def test_token_option_wins_over_the_environment(fake_vk: FakeVK) -> None:
    done = apiforge(
        "call", "vk", "users.get", "user_ids=1", "--token", "t", "--base-url", fake_vk.url,
        env={"APIFORGE_VK_TOKEN": "not-accepted"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


def test_options_may_come_between_parameters(fake_vk: FakeVK) -> None:
    done = apiforge("call", "vk", "users.get", "--json", "user_ids=5", "--token", "t", "--base-url", fake_vk.url)
    assert done.returncode == 0, done.stderr
    assert [u["id"] for u in json.loads(done.stdout)] == [5]


def test_table_output(fake_vk: FakeVK) -> None:
    done = apiforge("call", "vk", "users.get", "user_ids=1,5", "--table", "--token", "t", "--base-url", fake_vk.url)
    assert done.returncode == 0, done.stderr
    header, rule, *rows = done.stdout.splitlines()
    assert header.split()[:3] == ["id", "first_name", "last_name"]
    assert set(rule) <= {"-", " "}
    assert [row.split()[:2] for row in rows] == [["1", "Pavel"], ["5", "Ilya"]]


def test_a_non_idempotent_call_goes_through(fake_vk: FakeVK) -> None:
    done = apiforge(
        "call", "vk", "messages.send", "peer_id=5", "message=hi there", "--token", "t", "--base-url", fake_vk.url
    )
    assert done.returncode == 0, done.stderr
    assert isinstance(json.loads(done.stdout), int)
    assert [m["text"] for m in fake_vk.messages] == ["hi there"]


def test_missing_token_is_a_usage_error(fake_vk: FakeVK) -> None:
    done = apiforge("call", "vk", "users.get", "user_ids=1", "--base-url", fake_vk.url)
    assert done.returncode == 2
    assert "APIFORGE_VK_TOKEN" in done.stderr and "--token" in done.stderr
    assert fake_vk.calls == []


def test_unknown_method_suggests_close_ones(fake_vk: FakeVK) -> None:
    done = apiforge("call", "vk", "users.gett", "--token", "t", "--base-url", fake_vk.url)
    assert done.returncode == 2
    assert "no method 'users.gett'" in done.stderr
    assert "did you mean 'users.get'" in done.stderr
    assert fake_vk.calls == []


def test_bad_value_names_method_parameter_and_value(fake_vk: FakeVK) -> None:
    done = apiforge(
        "call", "vk", "users.get", "user_ids=1", "name_case=sideways", "--token", "t", "--base-url", fake_vk.url
    )
    assert done.returncode == 2
    assert "users.get" in done.stderr and "name_case='sideways'" in done.stderr
    assert "'Nom'" in done.stderr  # what would have been accepted
    assert fake_vk.calls == []


def test_a_value_of_the_wrong_type(fake_vk: FakeVK) -> None:
    done = apiforge("call", "vk", "users.getFollowers", "user_id=durov", "--token", "t", "--base-url", fake_vk.url)
    assert done.returncode == 2
    assert "users.getFollowers: parameter user_id='durov': not an integer" in done.stderr


def test_unknown_parameter_suggests_the_right_one(fake_vk: FakeVK) -> None:
    done = apiforge("call", "vk", "users.get", "user_id=1", "--token", "t", "--base-url", fake_vk.url)
    assert done.returncode == 2
    assert "no parameter 'user_id'; did you mean user_ids?" in done.stderr


def test_a_word_that_is_not_key_value(fake_vk: FakeVK) -> None:
    done = apiforge("call", "vk", "users.get", "=1", "--token", "t", "--base-url", fake_vk.url)
    assert done.returncode == 2
    assert "'=1' is not a key=value parameter" in done.stderr


def test_api_error_exits_1_without_the_token(fake_vk: FakeVK) -> None:
    secret = "wrong-token-123456"
    done = apiforge("call", "vk", "users.get", "user_ids=1", "--token", secret, "--base-url", fake_vk.url)
    assert done.returncode == 1
    assert "[5]" in done.stderr and "authorization failed" in done.stderr
    assert secret not in done.stderr + done.stdout


def test_unreachable_server_exits_1() -> None:
    done = apiforge(
        "call",
        "vk",
        "users.get",
        "user_ids=1",
        "--token",
        "t",
        "--base-url",
        "http://127.0.0.1:9",
        "--max-retries",
        "0",
    )
    assert done.returncode == 1
    assert "TransportError" in done.stderr


# YCLIENTS


def test_yclients_by_python_path_and_by_wire_name(fake_yclients: FakeYclients) -> None:
    env = {"APIFORGE_YCLIENTS_PARTNER_TOKEN": "partner"}
    by_path = apiforge("call", "yclients", "companies.list", "--base-url", fake_yclients.url, env=env)
    by_wire = apiforge("call", "yclients", "GET /api/v1/companies", "--base-url", fake_yclients.url, env=env)
    assert by_path.returncode == by_wire.returncode == 0, by_path.stderr + by_wire.stderr
    assert json.loads(by_path.stdout) == json.loads(by_wire.stdout)
    assert {c["title"] for c in json.loads(by_path.stdout)} == {"Beauty Salon", "Dental Clinic"}


def test_yclients_user_calls_need_a_user_token(fake_yclients: FakeYclients) -> None:
    env = {"APIFORGE_YCLIENTS_PARTNER_TOKEN": "partner"}
    done = apiforge("call", "yclients", "clients.search", "company_id=4564", "--base-url", fake_yclients.url, env=env)
    assert done.returncode == 2
    assert "needs a user token" in done.stderr and "APIFORGE_YCLIENTS_USER_TOKEN" in done.stderr
    assert fake_yclients.calls == []


def test_yclients_login_then_act_as_the_user(fake_yclients: FakeYclients) -> None:
    env = {"APIFORGE_YCLIENTS_PARTNER_TOKEN": "partner"}
    login = apiforge(
        "call", "yclients", "auth.login", "login=admin", "password=secret", "--base-url", fake_yclients.url, env=env
    )
    assert login.returncode == 0, login.stderr
    user_token = json.loads(login.stdout)["user_token"]
    search = apiforge(
        "call", "yclients", "clients.search", "company_id=4564", "page=2", "page_size=3",
        "--base-url", fake_yclients.url, env={**env, "APIFORGE_YCLIENTS_USER_TOKEN": user_token},
    )  # fmt: skip
    assert search.returncode == 0, search.stderr
    assert [c["name"] for c in json.loads(search.stdout)] == ["Client 004", "Client 005", "Client 006"]


def test_yclients_wrong_password_is_an_api_error(fake_yclients: FakeYclients) -> None:
    done = apiforge(
        "call", "yclients", "auth.login", "login=admin", "password=nope", "--token", "partner",
        "--base-url", fake_yclients.url,
    )  # fmt: skip
    assert done.returncode == 1
    assert "401" in done.stderr
    assert "nope" not in done.stderr


# Wialon


def test_wialon_call_logs_in_and_out(fake_wialon: FakeWialon) -> None:
    done = apiforge(
        "call", "wialon", "core/search_item", "id=734455", "flags=1025", "--base-url", fake_wialon.url,
        env={"APIFORGE_WIALON_TOKEN": fake_wialon.token},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    item = json.loads(done.stdout)["item"]
    assert item["nm"] == "Truck 01" and item["pos"]["s"] == 42
    assert [c.method for c in fake_wialon.calls] == ["token/login", "core/search_item", "core/logout"]
    assert fake_wialon.token not in done.stdout + done.stderr


def test_wialon_model_parameter_as_json_and_a_keyword_parameter(fake_wialon: FakeWialon) -> None:
    spec = '{"itemsType": "avl_unit", "propName": "sys_name", "propValueMask": "truck*", "sortType": "sys_name"}'
    done = apiforge(
        "call", "wialon", "core/search_items", f"spec={spec}", "force=1", "flags=1", "from=0", "to=0",
        "--table", "--token", fake_wialon.token, "--base-url", fake_wialon.url,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "totalItemsCount: 2" in done.stdout
    assert "Truck 01" in done.stdout and "Truck 02" in done.stdout and "Van 01" not in done.stdout


def test_wialon_model_parameter_missing_a_field(fake_wialon: FakeWialon) -> None:
    done = apiforge(
        "call", "wialon", "core/search_items", 'spec={"itemsType": "avl_unit"}', "force=1", "flags=1", "from=0",
        "to=0", "--token", fake_wialon.token, "--base-url", fake_wialon.url,
    )  # fmt: skip
    assert done.returncode == 2
    assert "core/search_items: parameter spec=" in done.stderr and "propName" in done.stderr


def test_wialon_missing_required_parameter(fake_wialon: FakeWialon) -> None:
    done = apiforge(
        "call", "wialon", "core/search_item", "id=734455", "--token", fake_wialon.token, "--base-url", fake_wialon.url
    )
    assert done.returncode == 2
    assert "core/search_item: missing required parameter flags" in done.stderr
    assert fake_wialon.calls == []


def test_literal_values_are_checked(fake_wialon: FakeWialon) -> None:
    done = apiforge(
        "call", "wialon", "core/search_items", 'spec={"itemsType": "avl_unit", "propName": "sys_name", '
        '"propValueMask": "*", "sortType": "sys_name"}', "force=2", "flags=1", "from=0", "to=0",
        "--token", fake_wialon.token, "--base-url", fake_wialon.url,
    )  # fmt: skip
    assert done.returncode == 2
    assert "force='2': not one of 0, 1" in done.stderr


# the command line itself


def test_unknown_api_is_an_argparse_error() -> None:
    done = apiforge("call", "facebook", "users.get")
    assert done.returncode == 2
    assert "invalid choice: 'facebook'" in done.stderr


def test_help_exits_0() -> None:
    done = apiforge("--help")
    assert done.returncode == 0
    assert "apiforge call vk users.get" in done.stdout


def test_vk_token_kind_decides_which_methods_may_be_called(fake_vk: FakeVK) -> None:
    args = ("call", "vk", "groups.getTokenPermissions", "--token", "t", "--base-url", fake_vk.url)
    as_user = apiforge(*args)
    assert as_user.returncode == 1
    assert "accepts group tokens" in as_user.stderr
    assert fake_vk.calls == []  # refused before sending
    as_group = apiforge(*args, env={"APIFORGE_VK_TOKEN_KIND": "group"})
    assert [c.method for c in fake_vk.calls] == ["groups.getTokenPermissions"], as_group.stderr
    bad = apiforge(*args, "--token-kind", "admin")
    assert bad.returncode == 2
    assert "invalid choice: 'admin'" in bad.stderr
