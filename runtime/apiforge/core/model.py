"""`Model`: the base of every generated model class, with one shared `__repr__` and `__eq__`.

attrs writes and compiles a `__repr__` and an `__eq__` for each class it decorates; over the
thousand-odd VK models that compilation was most of what `apiforge.vk.models.load_all()` cost
(bench/import_vk.py). Generated classes are `@attrs.define(kw_only=True, slots=True, repr=False,
eq=False)` subclasses of `Model` instead, and behave as before: `UsersUserFull(id=1, ...)` as the
repr (credential fields masked), equal when of the same class with equal fields, unhashable
(they are mutable).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs

from apiforge.core.redact import MASK


class Model:
    """Base of the generated attrs models: the repr and equality attrs would generate, shared."""

    __slots__ = ()

    def __repr__(self) -> str:
        cls = type(self)
        fields = ", ".join(f"{a.name}={_shown(a, getattr(self, a.name))}" for a in _fields(cls))
        return f"{cls.__name__}({fields})"

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return all(getattr(self, a.name) == getattr(other, a.name) for a in _fields(type(self)))

    # Defining __eq__ makes Python set __hash__ to None: models stay unhashable, as attrs makes
    # mutable classes with equality.

    if not TYPE_CHECKING:  # type checkers must keep rejecting attributes a model does not declare

        def __getattr__(self, name: str) -> Any:
            # Called only when `name` is not set: the decoder sets just the fields a response
            # carries (a VK user has ~150 declared, ~20 present), and an absent field reads as
            # its default, exactly as if `__init__` had filled it in.
            try:
                return _defaults(type(self))[name]
            except KeyError:
                raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}") from None


# Wire names of fields that carry credentials (a login's user token, Wialon's session id):
# a logged or printed response must not show them.
SECRET_FIELDS = frozenset(
    {
        "access_token",
        "token",
        "user_token",
        "partner_token",
        "password",
        "client_secret",
        "eid",
        "sid",
        "gis_sid",
        "authHash",
    }
)


def _shown(field: Any, value: object) -> str:
    if value is not None and field.metadata.get("wire", field.name) in SECRET_FIELDS:
        return repr(MASK)
    return repr(value)


_DEFAULTS: dict[type, dict[str, object]] = {}


def _defaults(cls: type) -> dict[str, object]:
    """Attribute name -> default value of the fields of `cls` that have a plain (non-factory) default."""
    defaults = _DEFAULTS.get(cls)
    if defaults is None:
        defaults = _DEFAULTS[cls] = {
            a.name: a.default
            for a in _fields(cls)
            if a.default is not attrs.NOTHING and not isinstance(a.default, attrs.Factory)  # type: ignore[arg-type]
        }
    return defaults


def _fields(cls: type) -> tuple[Any, ...]:
    """The attrs fields of a generated model class (attrs stores them on the class)."""
    fields: tuple[Any, ...] = getattr(cls, "__attrs_attrs__", ())
    return fields


__all__ = ["SECRET_FIELDS", "Model"]
