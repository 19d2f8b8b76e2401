"""`apiforge methods`: searching the METHODS registries and printing signatures."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from apiforge.cli import docstring
from apiforge.cli.apis import API_NAMES, APIS
from apiforge.cli.introspect import MethodFacts, ParamFacts, method_facts
from apiforge.cli.methods import describe, matching
from tests.cli.clirun import apiforge
from tests.cli.prose import method_texts


def _param_lines(lines: list[str]) -> list[str]:
    """The parameter lines of a detail block (indented 4), not the summary (2) or the texts (deeper)."""
    return [line for line in lines if line.startswith("    ") and not line.startswith("     ")]


def test_substring_search_prints_parameters_and_result() -> None:
    done = apiforge("methods", "vk", "users.get")
    assert done.returncode == 0, done.stderr
    blocks = done.stdout.split("\n\n")
    head, *rest = blocks[0].splitlines()
    params = _param_lines(rest)
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
    params = _param_lines(first[1:])
    assert [line.split()[0] for line in params] == ["id", "flags"]
    assert all(line.endswith("(required)") for line in params)


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


# Our texts (prose/<api>/methods.yaml, carried by the generated docstrings) in the listing and the detail.

# `wire  ->  result    [api.python.path]  summary`, the summary only when there is one.
BRIEF = re.compile(r"^(?P<wire>.+?)  ->  (?P<result>.+?)    \[(?P<path>[^\]]+)\](?:  (?P<summary>.+))?$")


@pytest.mark.parametrize("api", API_NAMES)
def test_the_brief_listing_shows_each_methods_summary_beside_it(api: str) -> None:
    texts = method_texts(api)
    assert texts, f"prose/{api}/methods.yaml has no texts to show"
    done = apiforge("methods", api, "--brief")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    by_wire = {line.split("  ->  ", 1)[0]: line for line in lines}
    assert len(by_wire) == len(lines) == len(APIS[api].methods())
    for wire, line in by_wire.items():
        parts = BRIEF.match(line)
        assert parts is not None, line
        assert parts["path"] == f"{api}.{APIS[api].methods()[wire].attribute}"
        # Whatever texts exist today are shown; a method without one keeps the bare signature.
        assert parts["summary"] == (texts[wire].summary if wire in texts else None), line


def test_the_detail_shows_the_summary_and_each_parameters_text_below_it() -> None:
    texts = method_texts("wialon")["core/search_items"]
    done = apiforge("methods", "wialon", "core/search_items")
    assert done.returncode == 0, done.stderr
    block = done.stdout.split("\n\n")[0].splitlines()
    assert block[0].startswith("core/search_items  ->  SearchItemsResult")
    assert block[1] == f"  {texts.summary}"
    names = ["spec", "force", "flags", "from_", "to"]
    width = max(map(len, names))
    rows = block[2:]
    # Each parameter's line, then its text under the type column.
    assert [row.split()[0] for row in rows[::2]] == names
    for row, wire in zip(rows[1::2], ["spec", "force", "flags", "from", "to"], strict=True):
        assert row == " " * (4 + width + 2) + texts.params[wire]


def test_texts_are_shown_only_where_there_are_some() -> None:
    # Built by hand, so that it does not depend on which methods prose/ describes today.
    params = (
        ParamFacts("user_ids", "Sequence[int] | None", False, text="Users to read."),
        ParamFacts("count", "int", True),
    )
    described = MethodFacts("users.get", "users.get", params, "list[User]", print, summary="Read users.")
    bare = MethodFacts("users.get", "users.get", tuple(replace(p, text=None) for p in params), "list[User]", print)
    head = "users.get  ->  list[User]    [vk.users.get]"
    assert describe(APIS["vk"], described, brief=True) == f"{head}  Read users."
    assert describe(APIS["vk"], bare, brief=True) == head
    assert describe(APIS["vk"], described, brief=False).splitlines() == [
        head,
        "  Read users.",
        "    user_ids  Sequence[int]",
        "              Users to read.",
        "    count     int  (required)",
    ]
    assert describe(APIS["vk"], bare, brief=False).splitlines() == [
        head,
        "    user_ids  Sequence[int]",
        "    count     int  (required)",
    ]


DOC = """Read the profiles of the given users.

Calls `users.get`; tokens: user.

Args:
    user_ids: Users to read. Type: Sequence[int | str]; at most 1000 items.
    count: int; >= 0.
    from_ (sent as `from`): Start of the period. Type: str | None (body field `from`).
    body: The whole request body. Type: `Body`.
    to: str | None (body field `to`).

Returns: `list[UsersUserFull]`.
    With extended=1: `X` (extended).
"""


def test_texts_are_read_from_the_generated_docstring() -> None:
    texts = docstring.method_texts(DOC)
    assert texts.summary == "Read the profiles of the given users."
    # Entries with facts only (no `Type:` after a text) have no text.
    assert texts.params == {
        "user_ids": "Users to read.",
        "from_": "Start of the period.",
        "body": "The whole request body.",
    }
    # The generator's placeholder is no summary.
    assert docstring.method_texts("Call `users.get`.\n\nArgs:\n    count: int.\n").summary is None
    assert docstring.method_texts(None) == docstring.MethodTexts()


@pytest.mark.parametrize("api", API_NAMES)
def test_every_text_of_prose_reaches_the_command_line(api: str) -> None:
    # The whole round trip, prose file -> generated docstring -> parsed text, for every method:
    # nothing lost, nothing cut short (a text holding " Type: " would be), nothing invented.
    texts = method_texts(api)
    for wire, info in APIS[api].methods().items():
        facts = method_facts(info)
        expected = texts.get(wire)
        assert facts.summary == (expected.summary if expected else None), wire
        shown = {p.name: p.text for p in facts.params if p.text is not None}
        if info.spec.has_body:
            shown.pop("body", None)  # the generator's own words for the whole-body argument
        assert sorted(shown.values()) == sorted(expected.params.values() if expected else []), wire
