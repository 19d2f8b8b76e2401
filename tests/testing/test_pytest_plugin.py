"""The pytest plugin: registered by entry point, a fake per test, clients bound to it and closed after.

The plugin is checked as a user meets it: a separate pytest run in a fresh folder (no conftest of
ours, pytest-asyncio in its default strict mode), where only the installed entry point provides
the fixtures.
"""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from apiforge.testing import FakeVK, FakeWialon, FakeYclients
from apiforge.testing.pytest_plugin import IN_PROCESS_URL, serving_http, vk_tokens, yclients_partner_token
from apiforge.vk import VK

USER_PROJECT_TEST = """
import pytest

from apiforge.testing import FakeVK, FakeWialon, FakeYclients

seen = {}


def test_sync_clients(fake_vk, vk, fake_yclients, yclients, fake_wialon, wialon):
    assert fake_vk.url.startswith("http://127.0.0.1:") and repr(vk) == f"<VK {fake_vk.url}>"
    assert vk.users.get(user_ids=[5])[0].first_name == "Ilya"
    assert fake_yclients.calls == []  # the login of the fixture is not the test's
    assert yclients.user_token is not None
    assert [c.id for c in yclients.companies.list(my=1)] == [4564, 4565]
    assert wialon.core.search_item(id=734455, flags=1).item.nm == "Truck 01"
    seen.update(fakes=[fake_vk, fake_yclients, fake_wialon], wialon_fake=fake_wialon)


@pytest.mark.asyncio
async def test_async_clients(fake_vk, async_vk, fake_yclients, async_yclients, fake_wialon, async_wialon):
    assert fake_vk is not seen["fakes"][0]  # a new fake per test
    assert (await async_vk.users.get(user_ids=[1]))[0].first_name == "Pavel"
    assert len(await async_yclients.companies.list(my=1)) == 2
    assert (await async_wialon.core.search_item(id=734456, flags=1)).item.nm == "Truck 02"
    assert [c.method for c in fake_vk.calls] == ["users.get"]


def test_the_fakes_were_stopped_and_the_clients_closed():
    for fake in seen["fakes"]:
        with pytest.raises(RuntimeError, match="not serving HTTP"):
            fake.url
    assert seen["wialon_fake"].sessions == {}  # the client logged out when it was closed
    assert seen["wialon_fake"].calls_to("core/logout")
"""

OVERRIDE_CONFTEST = """
import pytest

from apiforge.testing import FakeVK


@pytest.fixture
def fake_vk():
    return FakeVK(tokens=["u"], token_kinds={"g": "group"})  # not started: reached in-process
"""

OVERRIDE_TEST = """
def test_an_overridden_fake_is_reached_in_process(fake_vk, vk):
    assert repr(vk) == "<VK http://fake>"
    assert vk.groups.get_long_poll_server(group_id=1).key
    vk.users.get(user_ids=[1])
    assert [c.method for c in fake_vk.calls] == ["groups.getLongPollServer", "users.get"]
"""


def run_pytest(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-W",
            "error::pytest.PytestUnraisableExceptionWarning",
        ],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_plugin_is_an_installed_entry_point() -> None:
    entry = [e for e in importlib.metadata.entry_points(group="pytest11") if e.name == "apiforge"]
    assert [e.value for e in entry] == ["apiforge_pytest"]


def test_fixtures_in_a_user_project(tmp_path: Path) -> None:
    (tmp_path / "test_app.py").write_text(textwrap.dedent(USER_PROJECT_TEST))
    run = run_pytest(tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "3 passed" in run.stdout


def test_an_overridden_fake_fixture(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(textwrap.dedent(OVERRIDE_CONFTEST))
    (tmp_path / "test_override.py").write_text(textwrap.dedent(OVERRIDE_TEST))
    run = run_pytest(tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 passed" in run.stdout


# The helpers the fixtures are made of.


def test_the_vk_client_gets_every_accepted_token_with_its_kind() -> None:
    fake = FakeVK(tokens=["b", "a"], token_kinds={"c": "group"})
    assert [(t.value, t.kind) for t in vk_tokens(fake)] == [("a", "user"), ("b", "user"), ("c", "group")]
    with pytest.raises(ValueError, match="unknown kind 'robot'"):
        vk_tokens(FakeVK(token_kinds={"r": "robot"}))
    with pytest.raises(ValueError, match="accepts no token"):
        vk_tokens(FakeVK(tokens=[]))


def test_the_partner_token() -> None:
    assert yclients_partner_token(FakeYclients(partner_tokens=["z", "p"])) == "p"
    with pytest.raises(ValueError, match="no partner token"):
        yclients_partner_token(FakeYclients(partner_tokens=[]))


def test_serving_http_tells_a_started_fake_from_one_reached_in_process() -> None:
    fake = FakeWialon()
    assert not serving_http(fake)
    with fake:
        assert serving_http(fake)
    assert not serving_http(fake)
    assert IN_PROCESS_URL == "http://fake"


def test_the_plugin_fixtures_serve_our_own_suite(fake_vk: FakeVK, vk: VK) -> None:
    # Our tests may use the plugin's fixtures too (conftest fixtures of the same name win locally).
    assert serving_http(fake_vk)
    vk.messages.send(peer_id=1, message="hi")
    assert fake_vk.messages[-1]["text"] == "hi"
