"""VKScript for `execute`, built so that parameter values can only ever be data.

The script is `return [API.users.get({...}), API.messages.send({...})];`: method names must match
`section.method` in Latin letters, and every parameter object is JSON text (`json.dumps`) —
a value is never pasted into the script as code.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence

from apiforge.core.batch.errors import NotBatchableError
from apiforge.core.errors import ConfigurationError

MAX_CALLS = 25
"""API calls VK runs in one `execute`."""

_METHOD_NAME = re.compile(r"[a-zA-Z]+\.[a-zA-Z]+")
# Valid in JSON strings but line terminators in older JavaScript grammars: always escape them.
_JS_LINE_BREAKS = str.maketrans({"\u2028": "\\u2028", "\u2029": "\\u2029"})


def check_method_name(method: str) -> str:
    """`method` if it is a plain `section.method` name, else NotBatchableError."""
    if not _METHOD_NAME.fullmatch(method):
        raise NotBatchableError(method, "only `section.method` names (Latin letters) can be called from execute")
    return method


def arguments(method: str, params: Mapping[str, object]) -> str:
    """The parameter object of one call as a JSON literal."""
    for name, value in params.items():
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError):
            raise ConfigurationError(
                f"{method}: parameter {name!r}: {value!r} cannot be sent inside execute (not JSON data)"
            ) from None
    text = json.dumps(dict(params), ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.translate(_JS_LINE_BREAKS)


def build_script(calls: Sequence[tuple[str, Mapping[str, object]]]) -> str:
    """`return [API.<method>(<JSON params>), ...];` for (method, params) pairs, in order."""
    if len(calls) > MAX_CALLS:
        raise ConfigurationError(f"execute runs at most {MAX_CALLS} calls, got {len(calls)}")
    parts = [f"API.{check_method_name(method)}({arguments(method, params)})" for method, params in calls]
    return "return [" + ",".join(parts) + "];"


__all__ = ["MAX_CALLS", "arguments", "build_script", "check_method_name"]
