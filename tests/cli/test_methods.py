"""`apiforge methods`: searching the METHODS registries and printing signatures."""

from __future__ import annotations

from apiforge.cli.apis import APIS
from apiforge.cli.methods import matching
from tests.cli.clirun import apiforge


def test_substring_search_prints_parameters_and_result() -> None:
    done = apiforge("methods", "vk", "users.get")
    assert done.returncode == 0, done.stderr
    blocks = done.stdout.split("\n\n")
    head, *params = blocks[0].splitlines()
    assert head.startswith("users.get  ->  list[UsersUserFull]")
    assert "[vk.users.get]" in head
    assert params[0].split() == ["user_ids", "Sequence[int", "|", "str]"]
    # Every method whose wire or Python name contains the text, and a count at the end.
    assert {b.split()[0] for b in blocks[:-1]} == {"users.get", "users.getFollowers", "users.getSubscriptions"}
    assert done.stdout.rstrip().endswith("3 methods")


def test_required_parameters_are_marked() -> None:
    done = apiforge("methods", "wialon", "core/search_item")
    assert done.returncode == 0, done.stderr
    first = done.stdout.split("\n\n")[0].splitlines()
    assert first[0].startswith("core/search_item  ->  SearchItemResult")
    assert [line.split()[0] for line in first[1:]] == ["id", "flags"]
    assert all(line.endswith("(required)") for line in first[1:])


def test_glob_brief() -> None:
    done = apiforge("methods", "vk", "messages.get*", "--brief")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) > 5
    assert all(line.startswith("messages.get") and "  ->  " in line for line in lines)


def test_python_names_match_too() -> None:
    # YCLIENTS wire names are paths; the English Python names are what people search for.
    done = apiforge("methods", "yclients", "clients.search", "--brief")
    assert done.returncode == 0, done.stderr
    assert "POST /api/v1/company/{company_id}/clients/search" in done.stdout
    assert "[yclients.clients.search]" in done.stdout


def test_no_match_exits_1_with_close_names() -> None:
    done = apiforge("methods", "wialon", "search_itm")
    assert done.returncode == 1
    assert "no Wialon method matches 'search_itm'" in done.stderr
    assert "core/search_item" in done.stderr


def test_matching_rules() -> None:
    wialon = APIS["wialon"]
    everything = matching(wialon, None)
    assert len(everything) == len(wialon.methods())
    # Case-insensitive substring, over wire names and Python paths.
    assert {i.spec.name for i in matching(wialon, "CORE/SEARCH_ITEM")} == {"core/search_item", "core/search_items"}
    # A glob covers the whole name.
    assert [i.spec.name for i in matching(wialon, "core/search_item")][:1] == ["core/search_item"]
    assert {i.spec.name for i in matching(wialon, "core/search_ite?")} == {"core/search_item"}
    assert {i.spec.name for i in matching(wialon, "core.search_*")} == {"core/search_item", "core/search_items"}
