"""`apiforge methods API [PATTERN]`: find methods by wire or Python name and show their signatures
and what they are for."""

from __future__ import annotations

import difflib
import fnmatch
import sys
from typing import TextIO

from apiforge.cli.apis import APIS, Api
from apiforge.cli.errors import CLIError
from apiforge.cli.introspect import MethodFacts, method_facts
from apiforge.core.registry import MethodInfo

_GLOB = frozenset("*?[")


def matching(api: Api, pattern: str | None) -> list[MethodInfo]:
    """The methods whose wire name or Python path (`users.get_followers`) matches `pattern`.

    A pattern with `*`, `?` or `[` is a shell-style glob over the whole name; any other pattern
    is a substring. Both ignore case. No pattern matches everything.
    """
    methods = api.methods()
    if not pattern:
        return list(methods.values())
    folded = pattern.casefold()
    if _GLOB & set(pattern):
        return [
            info
            for wire, info in methods.items()
            if fnmatch.fnmatchcase(wire.casefold(), folded) or fnmatch.fnmatchcase(info.attribute.casefold(), folded)
        ]
    return [info for wire, info in methods.items() if folded in wire.casefold() or folded in info.attribute.casefold()]


def describe(api: Api, facts: MethodFacts, *, brief: bool) -> str:
    """A method's signature: wire name, result and Python path, then its summary (beside it when
    `brief`, below it otherwise); unless `brief`, its parameters, each with its text below it."""
    head = f"{facts.wire}  ->  {facts.result}    [{api.name}.{facts.attribute}]"
    if brief:
        return f"{head}  {facts.summary}" if facts.summary else head
    lines = [head]
    if facts.summary:
        lines.append(f"  {facts.summary}")
    if not facts.params:
        return "\n".join([*lines, "    (no parameters)"])
    width = max(len(p.name) for p in facts.params)
    for p in facts.params:
        lines.append(f"    {p.name.ljust(width)}  {p.shown_type}{'  (required)' if p.required else ''}")
        if p.text:
            # Below the name's column: types run long (Literal[...]), texts would trail far behind them.
            lines.append(f"    {' ' * width}  {p.text}")
    return "\n".join(lines)


def run_methods(api_name: str, pattern: str | None, *, brief: bool = False, stdout: TextIO | None = None) -> None:
    """Print every method of `api_name` matching `pattern`; CLIError with suggestions when none does."""
    api = APIS[api_name]
    out = stdout or sys.stdout
    found = matching(api, pattern)
    if not found:
        names = [*api.methods(), *(info.attribute for info in api.methods().values())]
        close = difflib.get_close_matches(pattern or "", names, n=5, cutoff=0.5)
        hint = f"; close: {', '.join(close)}" if close else ""
        raise CLIError(f"no {api.title} method matches {pattern!r}{hint}")
    blocks = [describe(api, method_facts(info), brief=brief) for info in found]
    out.write(("\n" if brief else "\n\n").join(blocks) + "\n")
    if not brief:
        out.write(f"\n{len(found)} method{'s' if len(found) != 1 else ''}\n")


__all__ = ["describe", "matching", "run_methods"]
