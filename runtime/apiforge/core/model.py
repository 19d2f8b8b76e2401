"""`Model`: the base of every generated model class.

A generated model is a plain class written out in full by the generator — the annotated attributes,
each optional one with its default (`nickname: str | None = None`), and a keyword-only `__init__` —
so importing a model module only loads cached bytecode. `attrs.define` would build each class at
import instead: it writes and compiles an `__init__` per class and creates every slotted class
twice, which over the ~760 VK models was most of what `apiforge.vk.models.load_all()` cost
(bench/import_vk.py).

Models are sparse: a VK user has ~150 declared fields and ~20 present, and the decoder sets only
those present, in the instance dict. An absent field then reads as its class-level default: an
ordinary attribute read, about as fast as reading a present one (bench section `decoding`). Slots
would make it an `AttributeError` caught by `__getattr__`, some 16 times slower; and a class that
defines `__getattr__` at all loses CPython's fast attribute paths for present fields too. So only
slotted subclasses (`attrs.define`, or written by hand) get a `__getattr__`, installed for them.

Models still are attrs classes to everything that asks: `attrs.has`, `attrs.fields`,
`attrs.evolve`, `attrs.asdict` and cattrs read `__attrs_attrs__`, which `Model` builds for a class
the first time it is read, from the class itself (its annotations, `__init__` defaults and
`__wire_names__`). `Model` also gives every model one shared repr (the fields that are set, in
declaration order, credential fields masked: `UsersUserFull(id=1, first_name='Pavel')`) and
equality (same class and equal fields); models are unhashable, as attrs makes mutable classes.
"""

from __future__ import annotations

import enum
import inspect
import operator
import threading
import types
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import attrs

from apiforge.core.lazy_names import load_annotation_names
from apiforge.core.redact import MASK

T = TypeVar("T")

if TYPE_CHECKING:
    _Fields = tuple[attrs.Attribute[Any], ...]
else:  # attrs.Attribute takes no type argument at run time
    _Fields = tuple


class FieldTable(_Fields):
    """A model's fields as `attrs.fields` returns them: a tuple, each field also readable by name.

    Each model gets a subclass with one property per field (`fields(UsersUser).id`), as attrs
    makes them, so a field named like a tuple method (`count`, `index`) reads as the field.
    """

    __slots__ = ()


class _FieldTableOnFirstRead:
    """`Model.__attrs_attrs__`: builds a model class's `FieldTable` when first read, then stores it
    on that class (so later reads find a plain class attribute)."""

    def __get__(self, instance: object, owner: type) -> FieldTable:
        if owner is Model:  # the base itself is no attrs class: attrs.has(Model) is False
            raise AttributeError("__attrs_attrs__")
        # The names the annotations use that the class's module loads lazily: the fields' types are
        # resolved (typing.get_type_hints) in that module's namespace once the table exists.
        load_annotation_names(owner)
        # One table per class, also when threads first read it together: attrs.resolve_types marks
        # the class as resolved after typing *its* table, so a second table would stay unresolved.
        with _BUILDING:
            table = owner.__dict__.get("__attrs_attrs__")
            if not isinstance(table, FieldTable):
                table = _build_field_table(owner)
                setattr(owner, "__attrs_attrs__", table)  # noqa: B010 -- a literal attribute on a class
        return table


_BUILDING = threading.Lock()


class Model:
    """Base of the generated models: attrs metadata built on first use, one repr and one equality."""

    __slots__ = ("__weakref__",)

    # Attribute name -> wire name, for the fields whose names differ (`from_` -> `from`).
    __wire_names__: ClassVar[Mapping[str, str]] = types.MappingProxyType({})

    if TYPE_CHECKING:  # what attrs' typing (`attrs.AttrsInstance`) looks for
        __attrs_attrs__: ClassVar[FieldTable]
    else:
        __attrs_attrs__ = _FieldTableOnFirstRead()

    def __repr__(self) -> str:
        # Only what is set: a VK user declares ~150 fields and a response carries ~20; a field that
        # is absent or holds its default is left out, so the repr still evaluates to an equal model.
        cls = type(self)
        defaults = _defaults(cls)
        secret = _secret_fields(cls)
        shown: list[str] = []
        for field in cls.__attrs_attrs__:
            try:
                # Without `__getattr__`: an unset slot (a slotted subclass) raises here; an unset field of a
                # generated model reads its class-level default, which the check below leaves out.
                value = object.__getattribute__(self, field.name)
            except AttributeError:
                continue
            default = defaults.get(field.name, attrs.NOTHING)
            if default is not attrs.NOTHING and _same(value, default):
                continue
            masked = value is not None and field.metadata.get("wire", field.name) in secret
            shown.append(f"{field.name}={MASK!r}" if masked else f"{field.name}={_repr(value)}")
        return f"{cls.__name__}({', '.join(shown)})"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # A generated model keeps its fields in the instance dict and their defaults on the class,
        # so an unset field is an ordinary class-attribute read. A slotted subclass (`attrs.define`,
        # or written by hand) has nowhere to put class defaults: an unset slot raises, and it reads
        # as its default through `__getattr__`. Only those classes get the hook: defining
        # `__getattr__` at all makes CPython skip its fast attribute paths for every read, present
        # fields included.
        if cls.__dictoffset__ == 0 and "__getattr__" not in cls.__dict__:
            # setattr, not an assignment: type checkers would read one as a declared `__getattr__`
            # and stop rejecting attributes a model does not declare.
            setattr(cls, "__getattr__", _unset_slot_default)  # noqa: B010

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        # One C-level read of every field per side (an unset field is a cheap class-attribute read).
        # Not `self.__dict__`: asking for it turns the object's inline attribute values into a dict,
        # and CPython reads attributes from such a dict on its slow path from then on.
        values = _all_fields(type(self))
        return values(self) == values(other)

    # Defining __eq__ makes Python set __hash__ to None: models stay unhashable, as attrs makes
    # mutable classes with equality.


def _unset_slot_default(self: Model, name: str) -> Any:
    """`__getattr__` of slotted models: called only when `name` is not set.

    The decoder sets just the fields a response carries (a VK user has ~150 declared, ~20
    present), and an absent field reads as its default, exactly as if `__init__` had filled it in.
    """
    defaults = _defaults(type(self))
    # attrs writes NOTHING as the default of a field with a factory: that has no plain value.
    if name in defaults and defaults[name] is not attrs.NOTHING:
        return defaults[name]
    raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")


def _keeps_fields_in_dict(cls: type) -> bool:
    """Are all of `cls`'s fields in the instance dict (a generated model), none in slots?"""
    return cls.__dictoffset__ != 0 and getattr(cls, "__getattr__", None) is not _unset_slot_default


# Model class -> a function returning the tuple of its field values; filled as `==` meets classes.
_FIELD_VALUES: dict[type, Callable[[object], tuple[object, ...]]] = {}


def _all_fields(cls: type[Model]) -> Callable[[object], tuple[object, ...]]:
    values = _FIELD_VALUES.get(cls)
    if values is None:
        names = [a.name for a in cls.__attrs_attrs__]
        # attrgetter of one name returns the value itself, not a 1-tuple: pad with a constant.
        getter = operator.attrgetter(*names, "__class__")
        values = _FIELD_VALUES[cls] = getter
    return values


def reads_unset_as_default(cls: type[Model]) -> bool:
    """Does a bare instance of `cls` (made by `object.__new__`) read each unset optional field as
    its default? The sparse decoder sets only the fields a response carries, so it relies on this."""
    if not _keeps_fields_in_dict(cls):
        return True  # slotted: `_unset_slot_default` answers
    missing = object()
    return all(inspect.getattr_static(cls, name, missing) is default for name, default in _defaults(cls).items())


# `@typed_as_attrs(init=False, slots=False, repr=False, eq=False)` on a generated model: to type
# checkers it is `attrs.define`, so mypy's attrs plugin types `attrs.evolve(user, ...)` and
# `attrs.fields(UsersUser).id` as for any attrs class, while the class's own `__init__` stays the one
# calls are checked against (init=False) and its own layout stands (slots=False: fields in the instance
# dict, defaults on the class).
if TYPE_CHECKING:
    from attrs import define as typed_as_attrs
else:

    def typed_as_attrs(**_options: object) -> Callable[[type[T]], type[T]]:
        """Marks a generated model as an attrs class to type checkers; at run time it changes nothing
        (the class already acts as an attrs class: see `Model`)."""
        return _unchanged


def _unchanged(cls: type[T]) -> type[T]:
    return cls


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


# A `key` next to where it opens (a long-poll `server`, a streaming `endpoint`, a video stream's
# `url`) is the credential of that server; elsewhere VK's `key` names things (a parameter, a link).
_KEY_BESIDE = frozenset({"server", "endpoint", "url"})
_SECRETS_OF: dict[type, frozenset[str]] = {}


def _secret_fields(cls: type[Model]) -> frozenset[str]:
    """The wire names of the fields of `cls` whose values a repr masks."""
    found = _SECRETS_OF.get(cls)
    if found is None:
        wire = {field.metadata.get("wire", field.name) for field in cls.__attrs_attrs__}
        found = SECRET_FIELDS | frozenset[str](("key",) if wire & _KEY_BESIDE else ())
        _SECRETS_OF[cls] = found
    return found


def _repr(value: object) -> str:
    # An enum member as Python code names it (`BaseSex.MALE`), not `<BaseSex.MALE: 2>`.
    if isinstance(value, enum.Enum):
        return f"{type(value).__name__}.{value.name}"
    return repr(value)


def _same(value: object, default: object) -> bool:
    # The same type as well: `0` where the default is `False` is worth showing.
    return value is default or (type(value) is type(default) and value == default)


def _defaults(cls: type) -> Mapping[str, object]:
    """Attribute name -> default of the fields of `cls` that have one: its `__init__`'s defaults."""
    defaults: Mapping[str, object] | None = getattr(getattr(cls, "__init__", None), "__kwdefaults__", None)
    return defaults or _NO_DEFAULTS


_NO_DEFAULTS: Mapping[str, object] = types.MappingProxyType({})


@attrs.define(kw_only=True, slots=True, repr=False, eq=False)
class _Shape:
    """The options of every model field, as attrs records them (keyword-only, no validator)."""

    field: object = None


_FIELD_SHAPE: attrs.Attribute[Any] = attrs.fields(_Shape).field


def _build_field_table(cls: type) -> FieldTable:
    """The attrs fields of a generated model class, read off the class the generator wrote.

    Types are the annotations as written (strings: the modules use `from __future__ import
    annotations`); `attrs.resolve_types` and cattrs resolve them, as for any attrs class.
    """
    # The fields, in the order the classes declare them (a subclass of a model adds its own last).
    annotations: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        if issubclass(klass, Model) and klass is not Model:
            annotations.update(inspect.get_annotations(klass))
    defaults = _defaults(cls)
    wire_names: Mapping[str, str] = getattr(cls, "__wire_names__", {})
    fields = [
        _FIELD_SHAPE.evolve(
            name=name,
            alias=name,
            type=annotation,
            default=defaults.get(name, attrs.NOTHING),
            metadata={"wire": wire_names[name]} if name in wire_names else {},
        )
        for name, annotation in annotations.items()
    ]
    by_name = {field.name: property(operator.itemgetter(index)) for index, field in enumerate(fields)}
    table_class: type[FieldTable] = type(f"{cls.__name__}Fields", (FieldTable,), {"__slots__": (), **by_name})
    return table_class(fields)


__all__ = ["SECRET_FIELDS", "FieldTable", "Model", "reads_unset_as_default", "typed_as_attrs"]
