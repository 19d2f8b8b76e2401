"""One cattrs converter for every API: wire names, open enums, unions, JSON passthrough.

Decoding runs on a fast converter; only when it fails is the value decoded again with
detailed validation, to name the field path in the `DecodeError`. The fast converter decodes
generated models by shape (`apiforge.core.shapes`: one plan per set of keys and value types, arrays
a column at a time); other attrs classes, and models that meet too many shapes, go key by key
(`_sparse_structure_fn`): it walks the keys a response object has, takes values that already have
the declared type as they are, and fills only those attributes, which makes a sparse object (20 of
a VK user's ~150 fields) cost what it carries, not what it declares.
"""

from __future__ import annotations

import enum
import re
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, cast

import attrs
import cattrs
import cattrs.cols
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from apiforge.core.errors import DecodeError
from apiforge.core.model import Model, reads_unset_as_default
from apiforge.core.shapes import ModelDecoder, takes_shapes
from apiforge.core.types import JSON

T = TypeVar("T")
_NoneType = type(None)
_tagged: dict[Any, tuple[str, dict[str, type[Any]]]] = {}


def _strict_str(value: object, _: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise TypeError(f"expected a string, got {type(value).__name__}")


def _strict_int(value: object, _: object) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    raise TypeError(f"expected an integer, got {type(value).__name__}")


def _strict_float(value: object, _: object) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    raise TypeError(f"expected a number, got {type(value).__name__}")


def _strict_bool(value: object, _: object) -> bool:
    if isinstance(value, bool):
        return value
    if value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.lower() in ("0", "1", "true", "false"):
        return value.lower() in ("1", "true")
    raise TypeError(f"expected a boolean, got {value!r}")


_PRIMITIVE_HOOKS: dict[type, Callable[[object, object], object]] = {
    str: _strict_str,
    int: _strict_int,
    float: _strict_float,
    bool: _strict_bool,
}


_JSON_MEMBERS: frozenset[object] = frozenset({dict, list, str, int, float, bool, _NoneType})


def _is_json(tp: object) -> bool:
    """Is `tp` the JSON alias? get_type_hints rebuilds it (resolving its forward references), so
    compare its shape, not its identity."""
    if tp is JSON:
        return True
    if typing.get_origin(tp) not in (typing.Union, types.UnionType):
        return False
    members: frozenset[object] = frozenset(typing.get_origin(a) or a for a in typing.get_args(tp))
    return members == _JSON_MEMBERS


def _subclass_aware(base: type, hook: Callable[[object, object], object]) -> Callable[[object, Any], object]:
    """A primitive hook also receives subclasses (IntEnum, StrEnum, IntFlag): build those from the value."""

    def structure(value: object, tp: Any) -> object:
        if tp is base:
            # Most values already have the declared type: skip the checks.
            return value if type(value) is base else hook(value, tp)
        if isinstance(value, tp):
            return value
        return tp(hook(value, base))

    return structure


def json_type(value: object) -> str:
    """The JSON name of a decoded value's type, for error messages."""
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if value is None:
        return "null"
    return "a number" if isinstance(value, int | float) else type(value).__name__


def _is_list(tp: Any) -> bool:
    origin: object = typing.get_origin(tp)
    return origin is list


# Declared types whose values pass as they are when the JSON value already has that exact type.
_EXACT: frozenset[object] = frozenset({str, int, float, bool})

# How to decode one field: (attribute name, exact type or None, nullable, enum members by value or
# None, hook, the type the hook is called with, 1 if required else 0). A tuple: the cheapest to unpack.
_FieldPlan = tuple[str, Any, bool, "Mapping[object, object] | None", "Callable[[Any, Any], Any]", Any, int]


def _field_plan(
    conv: cattrs.Converter, name: str, tp: Any, required: bool, plans: dict[str, _FieldPlan], wire: str
) -> _FieldPlan:
    """The fast paths that apply to a field of type `tp`, and its hook.

    The hook is looked up when the field first carries a value that needs it: a VK user declares
    ~150 fields, a response carries ~20, and looking a nested model's hook up builds that model's
    field table and plan in turn. The first call puts the real hook into `plans[wire]`, so later
    values go straight to it.
    """
    target: Any = tp
    nullable = False
    if _is_union(tp) and tp not in _tagged:
        members, nullable = _members(tp)
        if len(members) == 1:
            target = members[0]  # `X | None`: null is checked inline, X decoded by X's own hook
    exact: Any = target if target in _EXACT else None
    values = _members_by_value(target)

    def first_value(value: Any, declared: Any) -> Any:
        hook = conv.get_structure_hook(target)
        plans[wire] = (name, exact, nullable, values, hook, target, int(required))
        return hook(value, declared)

    return (name, exact, nullable, values, first_value, target, int(required))


def _members_by_value(tp: Any) -> Mapping[object, object] | None:
    """An enum's known members by value (an unknown value still goes through the hook: open enums)."""
    if isinstance(tp, type) and issubclass(tp, enum.Enum) and not issubclass(tp, enum.Flag):
        return cast("Mapping[object, object]", tp._value2member_map_)
    return None


def _sparse_structure_fn(conv: cattrs.Converter, cls: type[Any]) -> Callable[[Any, Any], Any]:
    """Build `cls` from the keys an object actually has.

    API objects are sparse (a VK user has ~150 declared fields and ~20 present): the decoder
    visits the present keys, not the declared ones, and sets only those attributes of a bare instance;
    absent optional fields read as their defaults (class attributes of a generated model, `__getattr__` of a slotted one). The common values —
    a string where a string is declared, a known enum value, null for an optional field — are
    taken inline, without a hook call. A missing required field raises (the detailed converter
    then explains where); unknown keys are ignored.
    """
    fields = attrs.fields(cls)
    # Only a Model reads absent fields as defaults, and only a plain default can be read so.
    if (
        not issubclass(cls, Model)
        or not reads_unset_as_default(cls)
        or any(isinstance(f.default, attrs.Factory) for f in fields)  # type: ignore[arg-type]
    ):
        return _init_structure_fn(conv, cls)
    required_count = sum(1 for f in fields if f.default is attrs.NOTHING)
    plans: dict[str, _FieldPlan] = {}

    def plan() -> dict[str, _FieldPlan]:
        # Built on first use, not when the hook is made: models refer to each other (and to
        # themselves), and every class must have its hook before another's plan asks for it.
        hints = typing.get_type_hints(cls)
        for f in fields:
            wire = f.metadata.get("wire", f.name)
            plans[wire] = _field_plan(conv, f.name, hints[f.name], f.default is attrs.NOTHING, plans, wire)
        return plans

    new = object.__new__
    put = setattr  # the builtin beats the slot descriptor's __set__ and object.__setattr__

    def structure_object(value: Any, _: Any) -> Any:
        if not isinstance(value, dict):
            raise TypeError(f"expected an object, got {json_type(value)}")
        lookup = (plans or plan()).get
        out = new(cls)
        found = 0
        # Annotations, not cast(): in this loop a call per value is a measurable share of the cost.
        present: dict[str, Any] = value  # pyright: ignore[reportUnknownVariableType]
        item: Any
        for key, item in present.items():
            entry = lookup(key)
            if entry is None:
                continue
            name, exact, nullable, values, hook, target, required = entry
            kind: type[Any] = type(item)  # pyright: ignore[reportUnknownVariableType]
            if kind is exact:
                put(out, name, item)
            elif item is None and nullable:
                put(out, name, None)
            elif kind is int and exact is float:
                put(out, name, float(item))  # pyright: ignore[reportArgumentType]  # JSON: 5 where a float is declared
            elif values is not None and (kind is int or kind is str) and item in values:
                put(out, name, values[item])
            else:
                put(out, name, hook(item, target))
            found += required
        if found != required_count:
            missing = [
                f.name for f in fields if f.default is attrs.NOTHING and f.metadata.get("wire", f.name) not in value
            ]
            raise ValueError(f"{cls.__name__}: missing {missing}")
        return out

    return structure_object


def _init_structure_fn(conv: cattrs.Converter, cls: type[Any]) -> Callable[[Any, Any], Any]:
    """Like `_sparse_structure_fn`, through `cls.__init__`: for attrs classes that are not slotted Models."""
    fields = attrs.fields(cls)
    # wire name -> (init argument, field type); hooks are looked up on first use (types may be recursive).
    table = {f.metadata.get("wire", f.name): (f.alias or f.name, f.name) for f in fields}
    required = frozenset(f.alias or f.name for f in fields if f.default is attrs.NOTHING)
    hooks: dict[str, tuple[Callable[[Any, Any], Any], Any]] = {}
    hints: dict[str, Any] = {}

    def structure_object(value: Any, _: Any) -> Any:
        if not isinstance(value, dict):
            raise TypeError(f"expected an object, got {json_type(value)}")
        kwargs: dict[str, Any] = {}
        for key, item in cast("dict[str, Any]", value).items():
            entry = table.get(key)
            if entry is None:
                continue
            argument, name = entry
            found = hooks.get(name)
            if found is None:
                if not hints:
                    hints.update(typing.get_type_hints(cls))
                field_type = hints[name]
                found = hooks[name] = (conv.get_structure_hook(field_type), field_type)
            hook, field_type = found
            kwargs[argument] = hook(item, field_type)
        if not required <= kwargs.keys():
            raise ValueError(f"{cls.__name__}: missing {sorted(required - kwargs.keys())}")
        return cls(**kwargs)

    return structure_object


def _members(union: object) -> tuple[list[Any], bool]:
    """The members of `union` other than None, and whether None is one of them."""
    args = typing.get_args(union)
    members = [a for a in args if a is not _NoneType]
    return members, len(members) < len(args)


def _is_union(tp: object) -> bool:
    # JSON is a union too, but one whose values pass through untouched.
    return typing.get_origin(tp) in (typing.Union, types.UnionType) and not _is_json(tp)


def _matches(value: object, tp: object) -> bool:
    """Does `value` already have the primitive type `tp` (bool is not an int here)?"""
    if tp is bool:
        return isinstance(value, bool)
    if tp is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if tp is float:
        return isinstance(value, float)
    if tp is str:
        return isinstance(value, str)
    return False


def _is_json_object(tp: object) -> bool:
    """Is `tp` `dict[str, JSON]` (an object whose values are free JSON)?"""
    if typing.get_origin(tp) is not dict:
        return False
    args = typing.get_args(tp)
    return len(args) == 2 and args[0] is str and _is_json(args[1])


def _shape(tp: Any) -> type | None:
    """The JSON container a value of `tp` must be (dict or list), or None when any value may fit."""
    origin: object = typing.get_origin(tp)
    if attrs.has(tp) or origin is dict:
        return dict
    return list if origin is list else None


def _first_fit(conv: cattrs.Converter, members: list[Any]) -> Callable[[Any], Any]:
    """Decode a value as the first of `members` (an untagged union, null excluded) that accepts it.

    A value that already has one member's primitive type is taken as it is; otherwise each member
    whose shape fits (an object for a model or a mapping, an array for a list) is tried in order.
    Member hooks are looked up on first use: the members may refer back to the union's owner.
    """
    hooks: list[tuple[Any, type | None, Callable[[Any, Any], Any]]] = []

    def decode(value: Any) -> Any:
        for member in members:
            if _matches(value, member):
                return value
        if not hooks:
            hooks.extend((member, _shape(member), conv.get_structure_hook(member)) for member in members)
        errors: list[Exception] = []
        kind: type = value.__class__
        for member, shape, hook in hooks:
            if shape is not None and not issubclass(kind, shape):
                continue
            try:
                return hook(value, member)
            except Exception as exc:  # noqa: BLE001 - try the next member
                errors.append(exc)
        names = " | ".join(getattr(m, "__name__", str(m)) for m in members)
        raise TypeError(f"matches none of {names}") from (errors[0] if errors else None)

    return decode


def _configure(conv: cattrs.Converter, *, by_shape: bool = True) -> cattrs.Converter:
    decoders: dict[type, ModelDecoder] = {}
    for tp, hook in _PRIMITIVE_HOOKS.items():
        conv.register_structure_hook(tp, _subclass_aware(tp, hook))
    conv.register_structure_hook_func(_is_json, lambda v, _: v)
    conv.register_unstructure_hook_func(_is_json, lambda v: v)
    # List subclasses (pagination.Page) unstructure like lists: their items are models too.
    conv.register_unstructure_hook_func(
        lambda t: isinstance(t, type) and issubclass(t, list) and t is not list,
        lambda v: [conv.unstructure(item) for item in v],
    )

    def structure_attrs(cls: type[Any]) -> Callable[[Any, Any], Any]:
        if not conv.detailed_validation:
            return _sparse_structure_fn(conv, cls)
        renames = {a.name: override(rename=a.metadata["wire"]) for a in attrs.fields(cls) if "wire" in a.metadata}
        build = make_dict_structure_fn(cls, conv, **renames)  # type: ignore[arg-type]

        def structure_object(value: Any, tp: Any) -> Any:
            # cattrs would read a list or a string as an object with every optional field absent.
            if not isinstance(value, Mapping):
                raise TypeError(f"expected an object, got {json_type(value)}")
            return build(cast("Mapping[str, Any]", value), tp)

        return structure_object

    def unstructure_attrs(cls: type[Any]) -> Callable[[Any], Any]:
        renames = {a.name: override(rename=a.metadata["wire"]) for a in attrs.fields(cls) if "wire" in a.metadata}
        return make_dict_unstructure_fn(cls, conv, _cattrs_omit_if_default=True, **renames)  # type: ignore[arg-type]

    conv.register_structure_hook_factory(attrs.has, structure_attrs)

    def structure_shaped(cls: type[Any]) -> Callable[[Any, Any], Any]:
        decoder = decoders.get(cls)
        if decoder is None:
            decoder = decoders[cls] = ModelDecoder(
                cls,
                hook_for=conv.get_structure_hook,
                many_for=many_for,
                is_json=_is_json,
                fallback=lambda: _sparse_structure_fn(conv, cls),
            )
        return decoder.one

    def many_for(cls: type[Any]) -> Callable[[list[Any]], list[Any]]:
        conv.get_structure_hook(cls)  # makes the decoder of cls
        return decoders[cls].many

    if by_shape and not conv.detailed_validation:
        # Generated models decode by shape (registered later, so asked first: a model is attrs too).
        # The detailed pass keeps cattrs' own hooks, which name the field path of an error.
        conv.register_structure_hook_factory(takes_shapes, structure_shaped)

    def structure_list(tp: Any) -> Callable[[Any, Any], Any]:
        args = typing.get_args(tp)
        item_type: Any = args[0] if args else Any
        # Not in the detailed pass: cattrs' own list hook names the index of a bad item.
        if not conv.detailed_validation and (item_type in _EXACT or item_type is Any or _is_json(item_type)):
            exact = item_type if item_type in _EXACT else None
            item_hook = conv.get_structure_hook(item_type)

            def structure_plain_array(value: Any, _: Any) -> Any:
                # Arrays of strings, numbers or free JSON: most items are already what is declared.
                items = _as_list(value)
                if items is None:
                    raise TypeError(f"expected an array, got {json_type(value)}")
                if exact is None:
                    return list(items)
                return [item if type(item) is exact else item_hook(item, exact) for item in items]

            return structure_plain_array
        if by_shape and not conv.detailed_validation and takes_shapes(item_type):
            many = many_for(item_type)

            def structure_models(value: Any, _: Any) -> Any:
                if not isinstance(value, list):
                    raise TypeError(f"expected an array, got {json_type(value)}")
                return many(value)  # pyright: ignore[reportUnknownArgumentType]

            return structure_models
        build = cattrs.cols.list_structure_factory(tp, conv)

        def structure_array(value: Any, tp: Any) -> Any:
            # cattrs would iterate an object's keys or a string's characters as the items.
            if not isinstance(value, list):
                raise TypeError(f"expected an array, got {json_type(value)}")
            return build(value, tp)

        return structure_array

    def structure_json_object(tp: Any) -> Callable[[Any, Any], Any]:
        def structure_json_mapping(value: Any, _: Any) -> Any:
            # `dict[str, JSON]`: the values pass untouched, so only the shape is checked.
            if not isinstance(value, dict):
                raise TypeError(f"expected an object, got {json_type(value)}")
            return dict(cast("dict[str, Any]", value))

        return structure_json_mapping

    conv.register_structure_hook_factory(_is_json_object, structure_json_object)
    conv.register_structure_hook_factory(_is_list, structure_list)
    conv.register_unstructure_hook_factory(attrs.has, unstructure_attrs)

    def structure_union(tp: Any) -> Callable[[Any, Any], Any]:
        members, optional = _members(tp)
        if tp in _tagged:
            key, mapping = _tagged[tp]
            untagged = _first_fit(conv, members)

            def tagged(value: Any, _: Any) -> Any:
                if value is None and optional:
                    return None
                obj = cast("Mapping[str, Any]", value) if isinstance(value, Mapping) else None
                if obj is not None:
                    cls = mapping.get(str(obj.get(key)))
                    if cls is not None:
                        return conv.structure(value, cls)
                return untagged(value)

            return tagged

        if len(members) == 1:
            # `X | None`: decode X directly, so that an error inside X keeps its own path.
            only = members[0]

            inner = conv.get_structure_hook(only)

            def optional_member(value: Any, _: Any) -> Any:
                return None if value is None else inner(value, only)

            return optional_member

        decode = _first_fit(conv, members)

        def union(value: Any, _: Any) -> Any:
            if value is None and optional:
                return None
            return decode(value)

        return union

    conv.register_structure_hook_factory(_is_union, structure_union)
    return conv


fast = _configure(cattrs.Converter(detailed_validation=False, forbid_extra_keys=False))
detailed = _configure(cattrs.Converter(detailed_validation=True, forbid_extra_keys=False))


def per_key_converter() -> cattrs.Converter:
    """A fast converter that decodes generated models key by key, without the shape decoder
    (`apiforge.core.shapes`): what decoding cost before it, measured beside it by bench/decoding.py."""
    return _configure(cattrs.Converter(detailed_validation=False, forbid_extra_keys=False), by_shape=False)


def register_tagged_union(union: object, key: str, mapping: Mapping[str, type[Any]]) -> None:
    """Decode `union` by the value of `key` (a discriminator); unknown tags fall back to trying each member."""
    _tagged[union] = (key, dict(mapping))


def union_tag(union: object) -> tuple[str, Mapping[str, type[Any]]] | None:
    """The discriminator key and tag -> class mapping registered for `union`, if any."""
    return _tagged.get(union)


def structure(value: object, tp: Any, *, method: str) -> Any:
    """`value` (parsed JSON) as an instance of `tp`, or a DecodeError naming method, field path and value."""
    try:
        return fast.structure(value, tp)
    except Exception:  # noqa: BLE001 - explained by the detailed pass below
        pass
    try:
        return detailed.structure(value, tp)
    except Exception as exc:  # noqa: BLE001
        path, reason = _first_problem(exc)
        path = _wire_path(tp, path)
        raise DecodeError(method, path, _value_at(value, path), reason) from None


def unstructure(value: object) -> Any:
    """A model (or anything holding models) as plain JSON data with wire names."""
    return fast.unstructure(value)


_STEP = re.compile(r"\.([^.\[]+)|\[(\d+)\]|\['([^']*)'\]|\[([^\]]+)\]")


def _first_problem(exc: BaseException) -> tuple[str, str]:
    if isinstance(exc, cattrs.BaseValidationError):
        messages = cattrs.transform_error(exc, path="$")
        if messages:
            text = messages[0]
            reason, _, path = text.rpartition(" @ ")
            return path or "$", reason or text
    return "$", str(exc) or type(exc).__name__


def _wire_path(tp: Any, path: str) -> str:
    """cattrs names attributes (`$.from_`); users see wire names (`$.from`)."""
    out = "$"
    current: Any = tp
    for match in _STEP.finditer(path[1:]):
        key, index, quoted, other = match.groups()
        if index is not None:
            out += f"[{index}]"
            members = [a for a in typing.get_args(current) if a is not _NoneType]
            current = members[0] if members else Any
            continue
        name = key if key is not None else quoted if quoted is not None else other
        candidates = [current] if attrs.has(current) else [a for a in typing.get_args(current) if attrs.has(a)]
        for cls in candidates:
            field = getattr(attrs.fields(cls), name, None) if name.isidentifier() else None
            if field is not None:
                out += f".{field.metadata.get('wire', name)}"
                current = typing.get_type_hints(cls).get(name, Any)
                break
        else:
            out += f".{name}"
            args = typing.get_args(current)
            current = args[-1] if args else Any
    return out


def _as_list(value: object) -> list[object] | None:
    return cast("list[object]", value) if isinstance(value, list) else None


def _as_dict(value: object) -> dict[str, object] | None:
    return cast("dict[str, object]", value) if isinstance(value, dict) else None


def _value_at(value: object, path: str) -> object:
    """The value at a `$.a[0].b` path inside decoded JSON (as deep as the path exists)."""
    current: object = value
    for match in _STEP.finditer(path[1:]):
        key, index, quoted, other = match.groups()
        if index is not None:
            items = _as_list(current)
            if items is None or int(index) >= len(items):
                break
            current = items[int(index)]
        else:
            name = key if key is not None else quoted if quoted is not None else other
            fields = _as_dict(current)
            if fields is None or name not in fields:
                break
            current = fields[name]
    return current


__all__ = ["json_type", "register_tagged_union", "structure", "union_tag", "unstructure"]
