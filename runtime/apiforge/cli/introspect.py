"""What a generated method looks like to Python: its function, parameters, types and texts.

The generated method is the single source of a method's Python signature, so the command line
reads it from there (inspect for the text as written, typing for the resolved types, its
docstring for our summary and parameter texts) rather than keeping a second description.
"""

from __future__ import annotations

import importlib
import inspect
import re
import typing
from collections.abc import Callable
from dataclasses import dataclass

from apiforge.cli.docstring import method_texts
from apiforge.core.registry import MethodInfo

_BUILTINS = re.compile(r"\bbuiltins\.")
_OPTIONAL = re.compile(r"\s*\|\s*None$")


@dataclass(frozen=True)
class ParamFacts:
    """One keyword parameter: its name, its type as written, whether it must be given, and what it
    is for (`text`; None when we have no text for it)."""

    name: str
    annotation: str
    required: bool
    text: str | None = None

    @property
    def shown_type(self) -> str:
        """The type without the `| None` every optional parameter carries."""
        return _OPTIONAL.sub("", self.annotation) if not self.required else self.annotation


@dataclass(frozen=True)
class MethodFacts:
    """A method's Python face: where it lives, its parameters and its result type, and what it
    does (`summary`; None when we have no text for it)."""

    wire: str
    attribute: str
    params: tuple[ParamFacts, ...]
    result: str
    function: Callable[..., object]
    summary: str | None = None

    def param(self, name: str) -> ParamFacts | None:
        """The parameter called `name`, if there is one."""
        return next((p for p in self.params if p.name == name), None)

    def hints(self) -> dict[str, object]:
        """The resolved types of the parameters (typing.get_type_hints on the generated function)."""
        resolved: dict[str, object] = typing.get_type_hints(self.function)
        return resolved


def method_facts(info: MethodInfo) -> MethodFacts:
    """The signature of the blocking form of `info`'s method."""
    function = _function(info)
    signature = inspect.signature(function)
    texts = method_texts(inspect.getdoc(function))
    params = tuple(
        ParamFacts(
            name=p.name,
            annotation=_text(p.annotation),
            required=p.default is inspect.Parameter.empty,
            text=texts.params.get(p.name),
        )
        for p in signature.parameters.values()
        # `extra_params` (any method's escape hatch for undeclared parameters) is no parameter of the API's.
        if p.name not in ("self", "extra_params")
    )
    return MethodFacts(
        wire=info.spec.name,
        attribute=info.attribute,
        params=params,
        result=_text(signature.return_annotation),
        function=function,
        summary=texts.summary,
    )


def _function(info: MethodInfo) -> Callable[..., object]:
    """The method on its blocking class: `UsersMethods.get`, or the client mixin for top-level methods."""
    module = importlib.import_module(info.module)
    # The group module names its classes in `__all__` and imports each on first use (one module per flavour).
    for name in getattr(module, "__all__", ()):
        if name.endswith("Methods") and not name.startswith(("Async", "Batch")):
            value: object = getattr(module, name)
            function: object = vars(value).get(info.python_name) if isinstance(value, type) else None
            if callable(function):
                return function
    raise LookupError(f"{info.module} defines no blocking method {info.python_name!r}")


def _text(annotation: object) -> str:
    # Generated modules use `from __future__ import annotations`, so annotations are the source text.
    text = annotation if isinstance(annotation, str) else inspect.formatannotation(annotation)
    return _BUILTINS.sub("", text)


__all__ = ["MethodFacts", "ParamFacts", "method_facts"]
