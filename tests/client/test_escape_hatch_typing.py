"""The escape hatches are typed: mypy (strict) and pyright check a snippet using each of them.

`client.call` gives `JSON` without `result=` and the type asked for with it; `with_raw_response`
gives `RawResponse[<the method's result>]` and checks the method's arguments; `extra_params` is a
mapping. Three mistakes at the end must be reported, on their lines.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import typecheck

SNIPPET = """
from typing import assert_type

from apiforge.core import JSON
from apiforge.core.batch import Pending
from apiforge.core.raw_response import RawResponse
from apiforge.vk import VK, AsyncVK
from apiforge.vk.models.users import UsersUserFull
from apiforge.wialon import AsyncWialon
from apiforge.wialon.models.search import SearchItemResult
from apiforge.yclients import Yclients


def sync(vk: VK, yc: Yclients) -> None:
    assert_type(vk.call("users.get", {"user_ids": 1}), JSON)
    assert_type(vk.call("users.get", {"user_ids": 1}, result=list[UsersUserFull]), list[UsersUserFull])
    assert_type(yc.call("GET /api/v1/companies"), JSON)
    raw = vk.with_raw_response(vk.users.get, user_ids=[1])
    assert_type(raw, RawResponse[list[UsersUserFull]])
    assert_type(raw.status_code, int)
    assert_type(raw.body, JSON)
    assert_type(vk.users.get(user_ids=[1], extra_params={"new": 1}), list[UsersUserFull])
    with vk.batch() as b:
        assert_type(b.call("users.get", {"user_ids": 1}), Pending[JSON])
        assert_type(b.call("users.get", result=list[UsersUserFull]), Pending[list[UsersUserFull]])


async def asynchronous(vk: AsyncVK, w: AsyncWialon) -> None:
    assert_type(await vk.call("users.get"), JSON)
    assert_type(await w.call("core/search_item", {"id": 1, "flags": 1}, result=SearchItemResult), SearchItemResult)
    raw = await vk.with_raw_response(vk.users.get, user_ids=[1])
    assert_type(raw.parsed, list[UsersUserFull])


def mistakes(vk: VK) -> None:
    vk.with_raw_response(vk.users.get, user_ids="1", no_such=2)  # line 35: no such parameter
    vk.users.get(user_ids=[1], extra_params=[("a", 1)])  # line 36: not a mapping
    vk.call(1)  # line 37: a wire name is a str
"""


@pytest.fixture(scope="module")
def snippet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("typing") / "escape_hatches.py"
    path.write_text(SNIPPET.lstrip("\n"), encoding="utf-8")
    return path


def test_mypy_types_the_escape_hatches(snippet: Path) -> None:
    checked = typecheck.mypy(snippet)
    errors = [line for line in checked.stdout.splitlines() if " error: " in line]
    assert sorted({int(line.split(":")[1]) for line in errors}) == [35, 36, 37], checked.stdout


def test_pyright_types_the_escape_hatches(snippet: Path) -> None:
    checked = typecheck.pyright(snippet)
    errors = [line for line in checked.stdout.splitlines() if " - error: " in line]
    assert sorted({int(line.split(":")[1]) for line in errors}) == [35, 36, 37], checked.stdout
