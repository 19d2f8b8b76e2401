"""The Call: an immutable, typed description of one API call, and the method facts behind it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Generic, Literal, TypeVar

import attrs

from apiforge.core.checks import Rule, check_arguments
from apiforge.core.encoding import Encoding, encode

T = TypeVar("T")
Location = Literal["form", "query", "path", "params", "file"]
_ABSENT = object()


@attrs.frozen(slots=True)
class Param:
    """How one parameter travels: its wire name, location and encoding."""

    wire: str
    location: Location = "form"
    encoding: Encoding = "plain"


@attrs.frozen(slots=True)
class Variant:
    """A result shape selected by parameter values: `when` maps wire names to a value or `PRESENT`."""

    name: str
    when: tuple[tuple[str, object], ...]
    result: object

    def selected_by(self, params: Mapping[str, object]) -> bool:
        for wire, expected in self.when:
            value = params.get(wire, _ABSENT)
            if expected is PRESENT:
                if value is _ABSENT or value is None:
                    return False
            elif value is _ABSENT or value != expected:
                return False
        return True


class _Present:
    def __repr__(self) -> str:
        return "PRESENT"


PRESENT: Any = _Present()
"""The `when` value meaning "the parameter is given"."""


@attrs.frozen(slots=True)
class MethodSpec(Generic[T]):
    """The facts of one API method, as generated from its spec."""

    api: str
    name: str
    params: tuple[Param, ...] = ()
    result: object = object
    variants: tuple[Variant, ...] = ()
    token_kinds: tuple[str, ...] = ()
    idempotent: bool = False
    batchable: bool = False
    heavy: bool = False
    exclusive: str | None = None
    pagination: Mapping[str, Any] | None = None
    http_status: int | None = None
    has_body: bool = False
    checks: tuple[Rule, ...] = ()
    """What the spec says each parameter may be (see `apiforge.core.checks`), checked by `call`."""

    def result_type(self, values: Mapping[str, object]) -> object:
        """The declared result type for these (unencoded, wire-named) parameter values."""
        for variant in self.variants:
            if variant.selected_by(values):
                return variant.result
        return self.result

    def call(
        self, values: Mapping[str, object], body: object = None, *, extra: Mapping[str, object] | None = None
    ) -> Call[T]:
        """Encode `values` (wire name -> Python value; None = not given) into a Call.

        The values are checked first against what the spec knows (`checks`): a ValueError names the
        method, the parameter and the value, and nothing is sent. `extra` are parameters the spec
        does not declare (`extra_params=`), sent after the typed ones.
        """
        if self.checks:
            check_arguments(self.name, self.checks, values)
        by_location: dict[str, dict[str, object]] = {}
        given = {k: v for k, v in values.items() if v is not None}
        for param in self.params:
            value = given.get(param.wire)
            if value is None:
                continue
            # File parts go as given (bytes, a path, a file object): the protocol reads them.
            encoded = value if param.location == "file" else encode(value, param.encoding)
            by_location.setdefault(param.location, {})[param.wire] = encoded
        call = Call(
            spec=self,
            params=by_location.get("form") or by_location.get("params") or {},
            query=by_location.get("query", {}),
            path_params=by_location.get("path", {}),
            files=by_location.get("file", {}),
            body=body,
            result=self.result_type(given),
        )
        if extra:
            # Loaded with the first call that has extras (the module builds on this one).
            from apiforge.core.extra_params import with_extra_params

            return with_extra_params(call, extra)
        return call


@attrs.frozen(slots=True)
class Call(Generic[T]):
    """One API call, ready for a protocol adapter: everything encoded, nothing sent yet.

    `params` are VK form fields or Wialon's `params` object; `query`, `path_params` and `body`
    serve REST APIs; `files` are multipart parts.
    """

    spec: MethodSpec[T]
    params: Mapping[str, object] = attrs.field(factory=dict[str, object])
    query: Mapping[str, object] = attrs.field(factory=dict[str, object])
    path_params: Mapping[str, object] = attrs.field(factory=dict[str, object])
    files: Mapping[str, object] = attrs.field(factory=dict[str, object])
    body: object = None
    result: object = object
    made_idempotent: bool = False

    @property
    def method(self) -> str:
        return self.spec.name

    @property
    def idempotent(self) -> bool:
        """Safe to repeat: by its spec, or made so (VK messages.send with a fixed random_id)."""
        return self.spec.idempotent or self.made_idempotent

    def with_params(self, **extra: object) -> Call[T]:
        """The same call with more (or replaced) params: retries add captcha answers, VK adds random_id."""
        return attrs.evolve(self, params={**self.params, **extra})

    def idempotent_from_now(self) -> Call[T]:
        """The same call, marked safe to repeat."""
        return attrs.evolve(self, made_idempotent=True)

    def __repr__(self) -> str:
        # Parameter values may hold secrets or personal data: show only their names.
        return f"Call({self.spec.name!r}, params={sorted(self.params)!r})"


__all__ = ["PRESENT", "Call", "MethodSpec", "Param", "Variant"]
