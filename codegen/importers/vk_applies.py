"""Which published states of the VK schema an overlay entry is for (`applies:` in `overlay.yaml`).

Upstream moves: a parameter the overlay adds by hand appears upstream one day, a response key is
renamed, a section is dropped. An entry that only makes sense for some states says so:

    applies: {version: ">=5.150, <5.199", has: [param wall.get owner_id], lacks: [section adsweb]}

`version` compares the state's API version (comparisons joined by commas, all must hold); `has`
and `lacks` name things the state must have or must not have: `section <name>`, `method <wire
name>`, `param <method> <param>`, `response <method> <response key>`, `model <definition>`,
`property <definition> <property>`. Every condition given must hold. An entry without `applies`
is for every state.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

_COMPARISON = re.compile(r"^\s*(?P<op><=|>=|==|!=|<|>)\s*(?P<version>\d+(?:\.\d+)*)\s*$")
_OPS: dict[str, Callable[[tuple[int, ...], tuple[int, ...]], bool]] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}
_THINGS = {"section": 1, "method": 1, "param": 2, "response": 2, "model": 1, "property": 2}  # kind -> number of names


def version_key(version: str) -> tuple[int, ...]:
    """`"5.131"` -> `(5, 131)`: versions compare as numbers; a version that is not numeric sorts first."""
    try:
        return tuple(int(part) for part in version.split("."))
    except ValueError:
        return ()


@dataclass
class StateFacts:
    """What `applies` conditions can ask about one schema state."""

    version: str
    sections: set[str] = field(default_factory=set[str])
    params: dict[str, set[str]] = field(default_factory=dict[str, set[str]])  # method -> its parameter names
    responses: dict[str, set[str]] = field(default_factory=dict[str, set[str]])  # method -> its response keys
    properties: dict[str, set[str]] = field(default_factory=dict[str, set[str]])  # definition -> property names

    def has(self, thing: str) -> bool:
        """Does the state have `thing` (`"method wall.get"`, `"param wall.get owner_id"`, ...)?"""
        kind, *names = thing.split()
        if kind == "section":
            return names[0] in self.sections
        if kind == "method":
            return names[0] in self.params
        if kind == "param":
            return names[1] in self.params.get(names[0], ())
        if kind == "response":
            return names[1] in self.responses.get(names[0], ())
        if kind == "model":
            return names[0] in self.properties
        return names[1] in self.properties.get(names[0], ())


def check(value: Any) -> str | None:
    """What is wrong with an `applies` value, or None when it is well formed."""
    if not isinstance(value, dict) or not value:
        return "must be a mapping with version:, has: and/or lacks:"
    condition = cast(dict[str, Any], value)
    unknown = set(condition) - {"version", "has", "lacks"}
    if unknown:
        return f"unknown keys {sorted(unknown)} (known: version, has, lacks)"
    if "version" in condition:
        spec: object = condition["version"]
        if not isinstance(spec, str) or not all(_COMPARISON.match(part) for part in spec.split(",")):
            return f'version: {spec!r} is not comparisons like ">=5.131, <5.199"'
    for key in ("has", "lacks"):
        if key not in condition:
            continue
        things: object = condition[key]
        if not isinstance(things, list) or not things:
            return f"{key}: must be a non-empty list like [method wall.get, param wall.get owner_id]"
        for thing in cast(list[object], things):
            words = thing.split() if isinstance(thing, str) else []
            if not words or words[0] not in _THINGS or len(words) != 1 + _THINGS[words[0]]:
                kinds = ", ".join(f"{kind} <{'> <'.join(['name'] * n)}>" for kind, n in _THINGS.items())
                return f"{key}: {thing!r} is not one of: {kinds}"
    return None


def holds(value: Mapping[str, Any], state: StateFacts) -> bool:
    """Does a (checked) `applies` value hold for `state`?"""
    if "version" in value:
        mine = version_key(state.version)
        for part in str(value["version"]).split(","):
            match = _COMPARISON.match(part)
            assert match is not None  # checked when the overlay was read
            if not _OPS[match["op"]](mine, version_key(match["version"])):
                return False
    has: Sequence[str] = value.get("has", ())
    lacks: Sequence[str] = value.get("lacks", ())
    return all(state.has(t) for t in has) and not any(state.has(t) for t in lacks)


def describe(value: Mapping[str, Any]) -> str:
    """An `applies` value in one line, for the import's listing."""
    parts: list[str] = []
    if "version" in value:
        parts.append(f"version {value['version']}")
    parts += [f"has {t}" for t in value.get("has", ())]
    parts += [f"lacks {t}" for t in value.get("lacks", ())]
    return ", ".join(parts)
