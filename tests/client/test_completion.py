"""IDE completion (jedi) in the documented forms: `with VK(...) as vk:`, `async with AsyncVK(...) as vk:`.

jedi stops at `-> Self` on a base class's `__enter__`, so the generated clients declare their own;
method groups are properties (a `cached_property` shows `attrname`, `func` and `lock` besides).
Checked for the three clients: the client's groups, a group's methods, a method's parameters, a
result's fields.
"""

from __future__ import annotations

import sys

import jedi
import pytest

from tests.typecheck import REPO

PROJECT = jedi.Project(str(REPO), sys_path=sys.path)


def complete(source: str) -> list[str]:
    """The names jedi offers at the end of `source` (private ones left out)."""
    lines = source.split("\n")
    found = jedi.Script(source, project=PROJECT).complete(len(lines), len(lines[-1]))
    return [c.name for c in found if not c.name.startswith("_")]


VK_FORMS = {
    "with": "from apiforge.vk import VK\nwith VK(token='t') as vk:\n    vk.",
    "async with": "from apiforge.vk import AsyncVK\nasync def main():\n    async with AsyncVK(token='t') as vk:\n        vk.",
    "plain": "from apiforge.vk import VK\nvk = VK(token='t')\nvk.",
}
CACHED_PROPERTY = {"attrname", "func", "lock"}


@pytest.mark.parametrize("form", sorted(VK_FORMS))
def test_vk_client_and_groups_complete(form: str) -> None:
    client = complete(VK_FORMS[form])
    assert {"messages", "users", "groups", "batch", "call", "with_options", "with_raw_response"} <= set(client)
    group = complete(VK_FORMS[form] + "messages.")
    assert {"send", "get_conversations", "get_history"} <= set(group)
    assert not CACHED_PROPERTY & set(group)


def test_vk_method_parameters_and_result_fields_complete() -> None:
    params = complete(VK_FORMS["with"] + "messages.send(")
    assert {"peer_id=", "message=", "random_id=", "keyboard=", "extra_params="} <= set(params)
    fields = complete(VK_FORMS["with"].replace("vk.", "u = vk.users.get(user_ids=[1])[0]\n    u."))
    assert {"id", "first_name", "last_name", "photo_100"} <= set(fields)


@pytest.mark.asyncio
async def test_async_vk_result_fields_complete() -> None:
    source = VK_FORMS["async with"].replace("vk.", "u = (await vk.users.get(user_ids=[1]))[0]\n        u.")
    assert {"id", "first_name"} <= set(complete(source))


def test_wialon_completes_in_the_with_forms() -> None:
    sync = "from apiforge.wialon import Wialon\nwith Wialon(token='t') as w:\n    w."
    assert {"core", "unit", "from_session", "logout"} <= set(complete(sync))
    assert {"search_item", "search_items"} <= set(complete(sync + "core."))
    assert {"id=", "flags=", "extra_params="} <= set(complete(sync + "core.search_item("))
    assert {"item", "flags"} <= set(complete(sync.replace("w.", "r = w.core.search_item(id=1, flags=1)\n    r.")))
    asynchronous = (
        "from apiforge.wialon import AsyncWialon\nasync def main():\n    async with AsyncWialon('t') as w:\n        w."
    )
    assert {"search_item"} <= set(complete(asynchronous + "core."))
    assert not CACHED_PROPERTY & set(complete(asynchronous + "core."))


def test_yclients_completes_in_the_with_forms() -> None:
    sync = "from apiforge.yclients import Yclients\nwith Yclients('p') as yc:\n    yc."
    assert {"companies", "clients", "login", "call"} <= set(complete(sync))
    assert {"search", "iter_search"} <= set(complete(sync + "clients."))
    assert {"company_id=", "page=", "page_size="} <= set(complete(sync + "clients.search("))
    asynchronous = "from apiforge.yclients import AsyncYclients\nasync def main():\n    async with AsyncYclients('p') as yc:\n        yc."
    assert {"list"} <= set(complete(asynchronous + "companies."))
    companies = sync.replace("yc.", "c = yc.companies.list()[0]\n    c.")
    assert {"id", "title"} <= set(complete(companies))
