"""What an editor reads to complete `vk.messages.`: the flavour of the group in use, and not httpx; and
what a type checker reading apiforge as an installed package skips: the literals of the method specs.

A method group is four modules (its specs, and a sync, an async and a batch class), so that jedi
parses only the class the user completes; the client's signatures quote httpx's types, so that jedi
does not parse httpx's modules (its `__init__` star-imports them) while inferring `VK(...)`. Each
completion runs in a fresh interpreter with a fresh jedi cache, as an editor opening a project does.
mypy strips the function bodies of installed packages, so each spec is built in a function's body.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys

import pytest

from tests.typecheck import REPO

# Prints the files parso parsed while jedi completed argv[1] at its end (a fresh cache).
PROBE = """
import json, sys, tempfile
import jedi, parso.grammar
jedi.settings.cache_directory = tempfile.mkdtemp(prefix="apiforge-test-jedi-")
parsed = []
parse = parso.grammar.Grammar.parse
def logged(self, code=None, **kwargs):
    path = kwargs.get("path") or getattr(kwargs.get("file_io"), "path", None)
    parsed.append(str(path))
    return parse(self, code, **kwargs)
parso.grammar.Grammar.parse = logged
source = sys.argv[1]
lines = source.splitlines()
names = [c.name for c in jedi.Script(source, path="app.py").complete(len(lines), len(lines[-1]))]
print(json.dumps({"names": names, "parsed": parsed}))
"""

SYNC = "from apiforge.vk import VK\n\nvk = VK('token')\nvk.messages."
ASYNC = "from apiforge.vk import AsyncVK\n\nasync def main():\n    async with AsyncVK('t') as vk:\n        vk.messages."


def complete(source: str) -> tuple[list[str], list[str]]:
    """The completions at the end of `source`, and the files parsed for them (relative to apiforge/, or the package)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "runtime"), str(REPO / "generated")])}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, source], cwd=REPO, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    facts = json.loads(done.stdout.strip().splitlines()[-1])
    parsed = [p.replace(os.sep, "/") for p in facts["parsed"]]
    return facts["names"], parsed


def group_modules(parsed: list[str]) -> set[str]:
    """The messages modules among the parsed files, as `methods/...` paths."""
    return {p.split("apiforge/vk/", 1)[1] for p in parsed if "apiforge/vk/methods/" in p and p.endswith("messages.py")}


@pytest.mark.parametrize(("source", "flavour"), [(SYNC, "sync"), (ASYNC, "aio")])
def test_completing_a_group_parses_only_its_flavour(source: str, flavour: str) -> None:
    names, parsed = complete(source)
    assert {"send", "get_conversations", "get_history"} <= set(names)
    assert group_modules(parsed) == {f"methods/{flavour}/messages.py"}


def test_inferring_the_client_does_not_parse_httpx() -> None:
    names, parsed = complete(SYNC)
    assert "send" in names
    assert [p for p in parsed if "/httpx/" in p] == []


def test_method_specs_are_built_in_function_bodies() -> None:
    specs = 0
    for path in sorted((REPO / "generated" / "apiforge").glob("*/methods/*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            value = node.value if isinstance(node, (ast.Assign, ast.AnnAssign)) else None
            if isinstance(value, ast.Call) and isinstance(value.func, ast.Name):
                assert value.func.id != "MethodSpec", f"{path}:{node.lineno}: a spec literal at module level"
                specs += value.func.id.startswith("_spec_")
    assert specs > 1000  # every method of the three APIs
