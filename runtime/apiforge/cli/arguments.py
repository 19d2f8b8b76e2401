"""`key=value` words of the command line to the keyword arguments of a generated method."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence

from apiforge.cli.errors import UsageError
from apiforge.cli.introspect import MethodFacts, ParamFacts
from apiforge.cli.values import parse_value
from apiforge.core.redact import MASK, SECRET_KEYS

_LOOSE = re.compile(r"[^0-9a-z]")


def parse_arguments(facts: MethodFacts, words: Sequence[str]) -> dict[str, object]:
    """Keyword arguments for `facts.function` from `key=value` words.

    Keys are the Python parameter names (`from_`) or the API's own (`from`, `userIds`); values are
    parsed by the parameter's declared type. A word that names no parameter, a value that does not
    parse and a required parameter left out each raise UsageError naming method, parameter and value.
    """
    hints = facts.hints()
    kwargs: dict[str, object] = {}
    for word in words:
        key, sep, text = word.partition("=")
        if not sep or not key:
            raise UsageError(f"{facts.wire}: {word!r} is not a key=value parameter")
        param = _resolve(facts, key)
        if param.name in kwargs:
            raise UsageError(f"{facts.wire}: parameter {param.name} is given twice")
        try:
            kwargs[param.name] = parse_value(text, hints.get(param.name, str), method=facts.wire)
        except ValueError as exc:
            shown = MASK if _secret(param.name) else repr(text)
            raise UsageError(
                f"{facts.wire}: parameter {param.name}={shown}: {exc} (expected {param.shown_type})"
            ) from None
    missing = [p for p in facts.params if p.required and p.name not in kwargs]
    if missing:
        needed = ", ".join(f"{p.name} ({p.annotation})" for p in missing)
        raise UsageError(f"{facts.wire}: missing required parameter{'s' if len(missing) > 1 else ''} {needed}")
    return kwargs


def _resolve(facts: MethodFacts, key: str) -> ParamFacts:
    exact = facts.param(key) or facts.param(f"{key}_")
    if exact is not None:
        return exact
    loose = [p for p in facts.params if _LOOSE.sub("", p.name.lower()) == _LOOSE.sub("", key.lower())]
    if len(loose) == 1:
        return loose[0]
    names = [p.name for p in facts.params]
    close = difflib.get_close_matches(key, names, n=3, cutoff=0.6)
    hint = f"; did you mean {' or '.join(close)}?" if close else ""
    known = ", ".join(names) if names else "none"
    raise UsageError(f"{facts.wire}: no parameter {key!r}{hint} (parameters: {known})")


def _secret(name: str) -> bool:
    return name.rstrip("_") in SECRET_KEYS


__all__ = ["parse_arguments"]
