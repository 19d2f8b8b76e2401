"""Checks the real-usage corpus (calls found in public code) against the generated signatures.

Each corpus file (`<api>.yaml` next to this module) lists calls as recorded from public projects:
the wire name, the parameters sent (wire names, with the literal value where the source has a
literal, else null) and the source as `owner/repo@commit:path:line`. This module looks each call
up in `apiforge.<api>.METHODS`, maps its parameters to the generated method's keyword arguments
(the wire name -> argument table the generated body spells out) and classifies what does not fit:

- ``missing method``: the wire name is not a method of the SDK;
- ``missing parameter``: the call sends a parameter the method does not take;
- ``wrongly required``: the method requires an argument the call does without;
- ``type too narrow``: a literal the call sends is rejected by the argument's annotation;
- ``removed upstream``: the API itself removed the method (the entry says so, with a reason);
- ``caller error``: the call is wrong against the API itself (the entry says why).

Removed methods and caller errors are not counted against the SDK: the figure is the share of
calls to what the APIs still have that the SDK can express.
"""

from __future__ import annotations

import enum
import importlib
import inspect
import re
import types
import typing
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import yaml

CORPUS_DIR = Path(__file__).parent
APIS = ("vk", "wialon", "yclients")
KINDS = (
    "missing method",
    "missing parameter",
    "wrongly required",
    "type too narrow",
)

# Parameters every call of the API may carry that are not method parameters: the client sends them.
GLOBAL_PARAMS: Mapping[str, frozenset[str]] = {
    "vk": frozenset({"access_token", "v", "lang", "test_mode", "https"}),
    "wialon": frozenset({"sid"}),
    "yclients": frozenset(),
}

_SOURCE = re.compile(r"^[\w.-]+/[\w.-]+@[0-9a-f]{40}:[^:]+:\d+$")
_WIRE_TO_ARG = re.compile(r'^\s+"([^"]+)": (\w+),$', re.MULTILINE)


class CorpusError(Exception):
    """A corpus entry that is malformed or contradicts the SDK (e.g. 'removed' but present)."""


@dataclass(frozen=True)
class Mismatch:
    """One reason a call does not fit the SDK."""

    kind: str
    method: str
    param: str | None = None
    value: object = None

    def __str__(self) -> str:
        where = f"{self.method}" + (f" {self.param}" if self.param else "")
        return f"{self.kind}: {where}" + (f" = {self.value!r}" if self.value is not None else "")


@dataclass
class Outcome:
    """The classification of one corpus call."""

    call: Mapping[str, Any]
    status: str  # supported | unsupported | removed upstream | caller error
    mismatches: list[Mismatch] = field(default_factory=list[Mismatch])


@dataclass
class Report:
    """Per-API figures."""

    api: str
    outcomes: list[Outcome]

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def counted(self) -> int:
        """Calls to methods the API still has, excluding calls that are wrong against the API."""
        return self.count("supported") + self.count("unsupported")

    @property
    def share(self) -> float:
        return self.count("supported") / self.counted if self.counted else 1.0

    @property
    def projects(self) -> int:
        return len({o.call["source"].split("@", 1)[0] for o in self.outcomes})

    def causes(self) -> Counter[str]:
        """How often each mismatch occurs among unsupported calls."""
        return Counter(str(m) for o in self.outcomes if o.status == "unsupported" for m in o.mismatches)

    def summary(self) -> str:
        kinds = Counter(m.kind for o in self.outcomes if o.status == "unsupported" for m in o.mismatches)
        lines = [
            f"{self.api}: {len(self.outcomes)} calls from {self.projects} projects; "
            f"removed upstream {self.count('removed upstream')}, caller errors {self.count('caller error')}; "
            f"supported {self.count('supported')}/{self.counted} = {self.share:.1%}",
            "  by kind: " + (", ".join(f"{k} {kinds[k]}" for k in KINDS if kinds[k]) or "none"),
        ]
        lines += [f"  {n:4d} x {cause}" for cause, n in self.causes().most_common(15)]
        return "\n".join(lines)


def load(api: str) -> list[dict[str, Any]]:
    """The corpus calls of one API, checked for form."""
    path = CORPUS_DIR / f"{api}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    calls: list[dict[str, Any]] = data["calls"]
    for index, call in enumerate(calls):
        where = f"{path.name}: calls[{index}]"
        if not isinstance(call.get("method"), str):
            raise CorpusError(f"{where}: no method")
        if not _SOURCE.match(str(call.get("source", ""))):
            raise CorpusError(f"{where}: source {call.get('source')!r} is not owner/repo@commit:path:line")
        if not isinstance(call.get("params", {}), dict):
            raise CorpusError(f"{where}: params must be a mapping")
        status = call.get("status")
        if status is not None and (status not in ("removed", "caller_error") or not call.get("reason")):
            raise CorpusError(f"{where}: status must be 'removed' or 'caller_error', with a reason")
    return calls


@dataclass(frozen=True)
class Signature:
    """What the generated method takes: wire name -> argument, the required arguments, annotations."""

    wire_to_arg: Mapping[str, str]
    required: frozenset[str]
    hints: Mapping[str, Any]
    path_args: frozenset[str]
    body_fields: frozenset[str]  # wire names of the fields of a whole-body model argument (`body=`)


def _method_function(api: str, wire: str) -> Any:
    package = importlib.import_module(f"apiforge.{api}")
    info = package.METHODS[wire]
    module = importlib.import_module(info.module)
    # The group module names its classes in `__all__`; each lives in its flavour's module (methods.sync.<group>).
    for name in getattr(module, "__all__", ()):
        cls = getattr(module, name)
        if not inspect.isclass(cls) or name.startswith(("Async", "Batch")):
            continue
        function = cls.__dict__.get(info.python_name)
        if function is not None and f"{info.spec_name}.call(" in inspect.getsource(function):
            return function
    raise LookupError(f"{api} {wire}: no generated method found in {info.module}")


_signatures: dict[tuple[str, str], Signature] = {}


def signature(api: str, wire: str) -> Signature:
    """The generated method of `wire`, read through `inspect` and its type hints."""
    key = (api, wire)
    if key not in _signatures:
        function = _method_function(api, wire)
        source = inspect.getsource(function)
        wire_to_arg = dict(_WIRE_TO_ARG.findall(source))
        sig = inspect.signature(function)
        required = frozenset(
            name
            for name, p in sig.parameters.items()
            if name != "self" and p.default is inspect.Parameter.empty and p.kind is not p.VAR_KEYWORD
        )
        models = importlib.import_module(f"apiforge.{api}.models")
        namespace = dict(vars(importlib.import_module(function.__module__)))
        namespace.update({n: getattr(models, n) for n in getattr(models, "__all__", ())})
        hints = typing.get_type_hints(function, globalns=namespace)
        path_args = frozenset(wire_to_arg.get(name, name) for name in re.findall(r"\{(\w+)\}", wire.split(" ", 1)[-1]))
        _signatures[key] = Signature(wire_to_arg, required, hints, path_args, _body_fields(hints.get("body")))
    return _signatures[key]


def _body_fields(annotation: object) -> frozenset[str]:
    """Wire names of the fields of the model a `body` argument takes (none without one)."""
    models = [a for a in typing.get_args(annotation) or (annotation,) if isinstance(a, type) and a is not type(None)]
    names: set[str] = set()
    for model in models:
        wire_names: Mapping[str, str] = getattr(model, "__wire_names__", {})
        init = inspect.signature(model).parameters
        names |= {wire_names.get(name, name) for name in init if name != "self"}
    return frozenset(names)


_INT = re.compile(r"^-?\d+$")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def accepts(annotation: Any, value: object) -> bool:
    """Whether some value of type `annotation` is sent on the wire as the literal `value`.

    Wire literals are loose: 1/0 stand for booleans, "1,2" for a list, "123" for a number.
    """
    origin = typing.get_origin(annotation)
    if annotation is Any or annotation is object:
        return True
    if origin in (typing.Union, types.UnionType):
        return any(accepts(arg, value) for arg in typing.get_args(annotation))
    if annotation is type(None):
        return value is None
    if origin is typing.Literal:
        return any(str(value) == str(lit) or value == lit for lit in typing.get_args(annotation))
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return any(str(value) == str(member.value) or value == member.value for member in annotation)
    if annotation is bool:
        return value in (True, False, 0, 1, "0", "1", "true", "false")
    if annotation is int:
        return (isinstance(value, int) and not isinstance(value, bool)) or bool(_INT.match(str(value)))
    if annotation is float:
        return (isinstance(value, (int, float)) and not isinstance(value, bool)) or bool(_NUMBER.match(str(value)))
    if annotation is str:
        return isinstance(value, (str, int, float)) and not isinstance(value, bool)
    if origin is not None and isinstance(origin, type) and issubclass(origin, Sequence) and origin is not str:
        (item,) = typing.get_args(annotation)[:1] or (Any,)
        if isinstance(value, list):
            return all(accepts(item, v) for v in cast("list[object]", value))
        if isinstance(value, str):
            return all(accepts(item, part.strip()) for part in value.split(",") if part.strip())
        return accepts(item, value)
    # Mappings, models, JSON values: the corpus holds only scalars and lists of scalars.
    return True


def classify(api: str, call: Mapping[str, Any]) -> Outcome:
    """Check one corpus call against the generated SDK."""
    package = importlib.import_module(f"apiforge.{api}")
    wire: str = call["method"]
    status = call.get("status")
    if wire not in package.METHODS:
        if status == "removed":
            return Outcome(call, "removed upstream")
        missing = [Mismatch("missing method", wire)]
        return Outcome(call, "caller error" if status == "caller_error" else "unsupported", missing)
    if status == "removed":
        raise CorpusError(f"{call['source']}: {wire} is marked removed upstream but the SDK has it")
    sig = signature(api, wire)
    params: Mapping[str, object] = call.get("params") or {}
    mismatches: list[Mismatch] = []
    given: set[str] = set()
    for name, value in params.items():
        if name in GLOBAL_PARAMS[api]:
            continue
        arg = sig.wire_to_arg.get(name)
        if arg is None and name in sig.body_fields:
            continue  # a field of the whole-body model the method takes as `body=`
        if arg is None:
            mismatches.append(Mismatch("missing parameter", wire, name))
            continue
        given.add(arg)
        if value is not None and arg in sig.hints and not accepts(sig.hints[arg], value):
            mismatches.append(Mismatch("type too narrow", wire, name, value))
    if not call.get("partial"):
        arg_to_wire = {arg: name for name, arg in sig.wire_to_arg.items()}
        for arg in sorted(sig.required - given - sig.path_args - {"body"}):
            mismatches.append(Mismatch("wrongly required", wire, arg_to_wire.get(arg, arg)))
    if status == "caller_error":
        if not mismatches:
            raise CorpusError(f"{call['source']}: {wire} is marked a caller error but fits the SDK")
        return Outcome(call, "caller error", mismatches)
    return Outcome(call, "unsupported" if mismatches else "supported", mismatches)


def check(api: str) -> Report:
    """Classify every call of one API's corpus."""
    return Report(api, [classify(api, call) for call in load(api)])


if __name__ == "__main__":
    for name in APIS:
        print(check(name).summary())
