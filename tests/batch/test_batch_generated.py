"""The generated batch classes: typed `Pending` results, only batchable methods, nothing for YCLIENTS."""

from __future__ import annotations

import importlib
import inspect
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import httpx
import pytest

from codegen.generate import run
from tests import typecheck

REPO = Path(__file__).resolve().parents[2]
GENERATED = REPO / "generated" / "apiforge"

SNIPPET = """
from typing import assert_type

from apiforge.core.batch import Pending
from apiforge.vk import VK, AsyncVK
from apiforge.vk.models.messages import MessagesSendUserIdsResponseItem
from apiforge.vk.models.users import UsersGetFollowersFieldsResponse, UsersGetFollowersResponse, UsersUserFull
from apiforge.wialon import AsyncWialon, Wialon
from apiforge.wialon.models.search import SearchItemResult


def sync_batch(vk: VK) -> None:
    with vk.batch() as b:
        users = b.users.get(user_ids=[1])
        assert_type(users, Pending[list[UsersUserFull]])
        assert_type(b.users.get_followers(fields=["sex"]), Pending[UsersGetFollowersFieldsResponse])
        assert_type(b.users.get_followers(), Pending[UsersGetFollowersResponse])
        assert_type(b.messages.send(peer_id=1, message="hi"), Pending[int])
        assert_type(b.messages.send(peer_ids=[1, 2], message="hi"), Pending[list[MessagesSendUserIdsResponseItem]])
        b.execute(code="return 1;")  # line 19: not batchable, not there
    assert_type(users.result(), list[UsersUserFull])


async def async_batch(vk: AsyncVK, w: AsyncWialon) -> None:
    async with vk.batch() as b:
        users = b.users.get(user_ids=[1])
    assert_type(await users, list[UsersUserFull])
    async with w.batch() as wb:
        item = wb.core.search_item(id=1, flags=1)
    assert_type(await item, SearchItemResult)


def wialon_batch(w: Wialon) -> None:
    with w.batch(stop_on_error=True) as b:
        assert_type(b.core.search_item(id=1, flags=1), Pending[SearchItemResult])
        b.core.duplicate()  # line 35: not batchable, not there
"""


@pytest.fixture(scope="module")
def snippet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("typing") / "snippet.py"
    path.write_text(SNIPPET.lstrip("\n"), encoding="utf-8")
    return path


def test_mypy_sees_typed_pending_results(snippet: Path) -> None:
    checked = typecheck.mypy(snippet)
    errors = [line.split(" error: ", 1)[1] for line in checked.stdout.splitlines() if " error: " in line]
    assert errors == [
        '"VKBatch" has no attribute "execute"  [attr-defined]',
        '"BatchCoreMethods" has no attribute "duplicate"  [attr-defined]',
    ], checked.stdout
    # (mypy's cache may name the snippet's earlier temporary path: compare the file name and line only)
    assert "snippet.py:19:" in checked.stdout and "snippet.py:35:" in checked.stdout


def test_pyright_sees_typed_pending_results(snippet: Path) -> None:
    checked = typecheck.pyright(snippet)
    access = [line for line in checked.stdout.splitlines() if "Cannot access attribute" in line]
    assert len(access) == 2, checked.stdout
    assert ":19:" in access[0] and '"execute" for class "VKBatch"' in access[0]
    assert ":35:" in access[1] and '"duplicate" for class "BatchCoreMethods"' in access[1]
    assert "assert_type" not in checked.stdout  # every assert_type held


def test_the_generated_annotation() -> None:
    from apiforge.vk.methods.users import BatchUsersMethods, UsersMethods

    assert inspect.signature(BatchUsersMethods.get).return_annotation == "Pending[list[UsersUserFull]]"
    assert inspect.signature(UsersMethods.get).return_annotation == "list[UsersUserFull]"
    assert BatchUsersMethods.get.__doc__ == UsersMethods.get.__doc__


@pytest.mark.parametrize("api", ["vk", "wialon"])
def test_batch_classes_offer_exactly_the_batchable_methods(api: str) -> None:
    package = importlib.import_module(f"apiforge.{api}")
    batch_module = importlib.import_module(f"apiforge.{api}._batch")
    by_group: dict[str, dict[str, bool]] = {}
    for info in package.METHODS.values():
        by_group.setdefault(info.group, {})[info.python_name] = info.spec.batchable
    groups_cls = getattr(batch_module, f"{package.__all__[0]}BatchGroups")
    offered_groups = {name for name, value in vars(groups_cls).items() if not name.startswith("_")}
    assert offered_groups == {g for g, methods in by_group.items() if any(methods.values())}
    for group in offered_groups:
        module = importlib.import_module(next(i.module for i in package.METHODS.values() if i.group == group))
        # The group module names its classes in `__all__` (each one lives in its flavour's module).
        batch_cls = next(getattr(module, k) for k in module.__all__ if k.startswith("Batch") and k.endswith("Methods"))
        offered = {name for name in vars(batch_cls) if not name.startswith("_")}
        assert offered == {m for m, batchable in by_group[group].items() if batchable}, group


def test_yclients_has_no_batch() -> None:
    from apiforge.yclients import AsyncYclients, Yclients

    assert not (GENERATED / "yclients" / "_batch.py").exists()
    assert not hasattr(Yclients, "batch") and not hasattr(AsyncYclients, "batch")
    source = "".join(p.read_text(encoding="utf-8") for p in (GENERATED / "yclients" / "methods").rglob("*.py"))
    assert "Pending" not in source


# A toplevel group (methods of the client itself) in a batch: a small generated API


DEMO = {
    "api.yaml": """
        api:
          name: batchdemo
          protocol: wialon
          title: Batch Demo API
          client: BatchDemo
          async_client: AsyncBatchDemo
          error_base: BatchDemoError
          base_url: https://demo.invalid
          docs: https://demo.invalid/docs
    """,
    "errors.yaml": """
        errors:
          - {code: 7, name: AccessDeniedError, message: Access denied, global: true}
    """,
    "models/things.yaml": """
        models:
          thing:
            type: object
            properties:
              id: {type: integer}
            required: [id]
    """,
    # The Wialon client decodes its login with models.session.LoginResponse.
    "models/session.yaml": """
        models:
          login_response:
            type: object
            properties:
              eid: {type: string}
            required: [eid]
    """,
    "methods/misc.yaml": """
        group:
          name: misc
          toplevel: true
        methods:
          - name: misc/ping
            result: {type: integer}
            batchable: true
          - name: misc/upload
            result: {type: integer}
    """,
    "methods/things.yaml": """
        group:
          name: things
        methods:
          - name: things/get
            params:
              - {name: id, schema: {type: integer}, required: true, in: params, encoding: native}
            result: {$ref: "#/$defs/thing"}
            batchable: true
          - name: things/delete
            result: {type: integer}
    """,
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    root = tmp_path_factory.mktemp("batchdemo")
    for rel, text in DEMO.items():
        path = root / "specs" / "batchdemo" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    output = root / "out"
    assert run(["batchdemo"], specs=root / "specs", output=output / "apiforge", quiet=True) == 0
    sys.path.insert(0, str(output))
    importlib.invalidate_caches()
    try:
        yield importlib.import_module("apiforge.batchdemo")
    finally:
        sys.path.remove(str(output))
        for name in [n for n in sys.modules if n.startswith("apiforge.batchdemo")]:
            del sys.modules[name]
        importlib.invalidate_caches()


def test_toplevel_batchable_methods_are_on_the_batch_itself(demo: ModuleType) -> None:
    from apiforge.testing import FakeWialon

    fake = FakeWialon()
    fake.services["misc/ping"] = lambda session, params: 7
    fake.services["things/get"] = lambda session, params: {"id": params["id"]}
    with (
        httpx.Client(transport=fake.transport()) as http,
        demo.BatchDemo(token=fake.token, base_url="http://fake", http_client=http) as client,
    ):
        with client.batch() as b:
            assert not hasattr(b, "upload") and not hasattr(b.things, "delete")
            ping = b.ping()
            thing = b.things.get(id=3)
        assert [c.method for c in fake.calls] == ["token/login", "core/batch"]
    assert ping.result() == 7
    assert thing.result() == importlib.import_module("apiforge.batchdemo.models").Thing(id=3)
