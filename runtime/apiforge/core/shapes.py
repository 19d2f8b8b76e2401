"""Decoding a generated model by the shape of the object: its keys and the JSON types of its values.

The objects of one response have one shape, mostly: 100 VK users with the same 20 keys, a string
in `first_name`, an integer in `sex`. So the decoder works out once per shape what each key needs,
and afterwards does for an object only what its shape calls for:

- look the shape up (a tuple of the keys and a tuple of the value types: built, hashed and compared
  in C, about 1 µs for 20 keys);
- copy the object's dict, drop the keys the model does not declare (an API adds fields all the
  time: they must neither fail decoding nor become attributes that shadow methods);
- convert only the values that need it: a nested object, an array, a known enum value, an integer
  where a float is declared, a renamed key (`from` -> `from_`), a value of another JSON type (the
  strict primitive hooks convert `"5"` to 5 or reject it);
- adopt the dict as the new instance's `__dict__`. Every other value already has the declared type,
  which the shape says without looking at it again.

A shape the model cannot take (a required field missing) raises; `converter.structure` then decodes
again with detailed validation to name the field path. The first object of a shape resolves the types
of the fields it carries, not of all that the model declares (a VK user declares ~150): the first
call of a fresh process stays cheap. A model that meets too many shapes (optional fields present
in every combination) decodes the rest through the per-key decoder it is given as a fallback.
"""

from __future__ import annotations

import enum
import inspect
import sys
import types
import typing
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from itertools import chain, repeat
from operator import delitem, itemgetter, setitem
from typing import Any

from apiforge.core.lazy_names import load_annotation_names, load_field_names
from apiforge.core.model import FieldTable, Model, reads_unset_as_default

# How many shapes one model remembers; the objects of further shapes take the per-key decoder.
MAX_SHAPES = 64

Hook = Callable[[Any, Any], Any]
Many = Callable[[list[Any]], list[Any]]
# (key, convert one value, the type `convert` is called with, convert a column of values).
_Step = tuple[str, Hook, Any, Many]
# (wire key, attribute name, how to convert: (one, type, column), or None to move it as it is).
_Move = tuple[str, str, tuple[Hook, Any, Many] | None]
# What one shape needs: the keys to drop, the values to convert, the keys to rename.
_Shape = tuple[tuple[str, ...], tuple[_Step, ...], tuple[_Move, ...]]

_NoneType = type(None)
_PRIMITIVES: frozenset[type] = frozenset({str, int, float, bool})


class _Field:
    """What decoding one declared field needs to know, worked out on the first value it meets."""

    __slots__ = ("flag", "json", "json_object", "name", "nullable", "passes", "target", "values")

    def __init__(self, name: str, declared: Any, *, is_json: Callable[[object], bool]) -> None:
        self.name = name
        self.json = is_json(declared)
        members: list[Any] = [declared]
        self.nullable = False
        if not self.json and typing.get_origin(declared) in (typing.Union, types.UnionType):
            args: tuple[Any, ...] = typing.get_args(declared)
            members = [a for a in args if a is not _NoneType]
            self.nullable = len(members) < len(args)
        # `X | None` is decoded as X (null aside): an error inside X keeps its own path, as in
        # the converter's union hook. A wider union keeps the union as the target.
        self.target: Any = members[0] if len(members) == 1 else declared
        # The JSON types a value may have to be kept as it is: the declared primitive itself, or
        # one of a union's primitive members (`int | str`: the union hook keeps such values).
        self.passes: frozenset[type] = frozenset(m for m in members if m in _PRIMITIVES)
        target = self.target
        # `dict[str, JSON]`: an object whose values pass untouched.
        inner: tuple[Any, ...] = typing.get_args(target)
        self.json_object = (
            typing.get_origin(target) is dict and len(inner) == 2 and inner[0] is str and is_json(inner[1])
        )
        self.values: Mapping[object, object] | None = None
        self.flag: type[enum.IntFlag] | None = None
        if isinstance(target, type) and issubclass(target, enum.IntFlag):
            self.flag = target
        if isinstance(target, type) and issubclass(target, enum.Enum) and not issubclass(target, enum.Flag):
            self.values = target._value2member_map_


def takes_shapes(cls: type[Any]) -> bool:
    """Can `cls` be decoded by shape: a generated model (or a subclass written like one), whose
    fields live in the instance dict with their defaults on the class?

    Not a slotted model (no instance dict), nor one `attrs.define` made (its `__init__` or
    `__setattr__` may convert and validate: the per-key decoder builds those).
    """
    if not (isinstance(cls, type) and issubclass(cls, Model)) or cls.__dictoffset__ == 0:
        return False
    if getattr(cls, "__getattr__", None) is not None or not reads_unset_as_default(cls):
        return False
    # attrs.define leaves its own field table in the class dict; Model builds a FieldTable there.
    return all(
        isinstance(klass.__dict__.get("__attrs_attrs__", _NO_TABLE), FieldTable) and "__setattr__" not in klass.__dict__
        for klass in cls.__mro__
        if issubclass(klass, Model) and klass is not Model
    )


_NO_TABLE = FieldTable()


def _declared(cls: type[Model]) -> tuple[dict[str, tuple[str, type]], frozenset[str]]:
    """Wire key -> (attribute name, the class whose annotation declares it), and the required names.

    Read off the class as the generator wrote it (annotations, `__init__` defaults,
    `__wire_names__`), without building the attrs field table: that resolves every field's type.
    """
    by_wire: dict[str, tuple[str, type]] = {}
    names: list[str] = []
    wire_names: Mapping[str, str] = getattr(cls, "__wire_names__", {})
    for klass in reversed(cls.__mro__):
        if issubclass(klass, Model) and klass is not Model:
            for name in inspect.get_annotations(klass):
                names.append(name)
                by_wire[wire_names.get(name, name)] = (name, klass)
    defaults: Mapping[str, object] = getattr(cls.__init__, "__kwdefaults__", None) or {}
    return by_wire, frozenset(n for n in names if n not in defaults)


def _field_type(klass: type, name: str) -> Any:
    """The type of one annotation, resolved as `typing.get_type_hints` resolves it for a class."""
    annotation: object = inspect.get_annotations(klass)[name]
    if isinstance(annotation, str):
        # Model modules import other modules' models on first use (core/lazy_names): bind the names
        # this one annotation mentions, so the other fields' modules stay unloaded.
        load_field_names(klass, name)
        # Module names first, as get_type_hints looks them up for a class; a name it cannot find
        # here (one defined in the class body) is left to get_type_hints.
        try:
            annotation = eval(annotation, sys.modules[klass.__module__].__dict__)
        except NameError:
            return _type_hints(klass)[name]
    if isinstance(annotation, str):  # a quoted name inside: let typing resolve the forward reference
        return _type_hints(klass)[name]
    return annotation


def _type_hints(klass: type) -> dict[str, Any]:
    load_annotation_names(klass)
    return typing.get_type_hints(klass)


class ModelDecoder:
    """Decodes objects into one generated model class: one at a time (`one`) or an array (`many`).

    `hook_for(tp)` gives the converter's hook for a type, `many_for(cls)` the array decoder of
    another model, `is_json(tp)` tells the free-JSON alias, `fallback()` the per-key decoder for
    objects beyond `MAX_SHAPES` shapes. Everything is worked out on first use: models refer to each
    other, and to themselves.
    """

    def __init__(
        self,
        cls: type[Model],
        *,
        hook_for: Callable[[Any], Hook],
        many_for: Callable[[Any], Many],
        is_json: Callable[[object], bool],
        fallback: Callable[[], Hook],
    ) -> None:
        self.cls = cls
        self._hook_for = hook_for
        self._many_for = many_for
        self._is_json = is_json
        self._fallback = fallback
        self._fields: dict[str, _Field] = {}
        self._declared: tuple[dict[str, tuple[str, type]], frozenset[str]] | None = None
        self._spill: Hook | None = None
        # (keys, value types) -> what that shape needs. Read in `one` and `many` without a lock:
        # two threads learning one shape at once store equal plans.
        self.shapes: dict[tuple[tuple[str, ...], tuple[type, ...]], _Shape] = {}
        self.one = self._one_fn()

    def _field(self, key: str) -> _Field | None:
        found = self._fields.get(key)
        if found is None:
            if self._declared is None:
                self._declared = _declared(self.cls)
            located = self._declared[0].get(key)
            if located is None:
                return None
            name, klass = located
            found = self._fields[key] = _Field(name, _field_type(klass, name), is_json=self._is_json)
        return found

    def learn(self, keys: tuple[str, ...], kinds: tuple[type, ...]) -> _Shape:
        """What an object with these keys and value types needs (raises if a required field is missing)."""
        if self._declared is None:
            self._declared = _declared(self.cls)
        required = self._declared[1]
        drop: list[str] = []
        steps: list[_Step] = []
        moves: list[_Move] = []
        present: set[str] = set()
        for key, kind in zip(keys, kinds, strict=True):
            plan = self._field(key)
            if plan is None:
                drop.append(key)
                continue
            present.add(plan.name)
            step = self._step(plan, kind)
            if plan.name != key:
                moves.append((key, plan.name, step))
            elif step is not None:
                steps.append((key, *step))
        if not required <= present:
            raise ValueError(f"{self.cls.__name__}: missing {sorted(required - present)}")
        shape = (tuple(drop), tuple(steps), tuple(moves))
        if len(self.shapes) < MAX_SHAPES:
            self.shapes[keys, kinds] = shape
        return shape

    def _step(self, plan: _Field, kind: type) -> tuple[Hook, Any, Many] | None:
        """How a value of JSON type `kind` becomes the field's value: None when it already is."""
        target: Any = plan.target
        if plan.json or kind in plan.passes or (kind is _NoneType and plan.nullable):
            return None
        if kind is int and target is float:
            return _to_float, target, _floats  # JSON writes 5 where a float is declared
        hook = self._hook_for(target)
        if kind is int and plan.flag is not None:
            return hook, target, _each_called(plan.flag)  # the hook's own result for an int: target(value)
        if kind is dict and plan.json_object:
            return hook, target, _each_called(dict)  # `dict[str, JSON]`: the hook copies the object
        if plan.values is not None and (kind is int or kind is str):
            return _by_value(plan.values, hook), target, _members_by_value(plan.values, hook, target)
        if kind is dict and takes_shapes(target):
            return hook, target, self._many_for(target)
        return hook, target, _each(hook, target)

    def _one_fn(self) -> Hook:
        shapes, learn, cls = self.shapes, self.learn, self.cls
        new = object.__new__

        def structure_object(value: Any, _: Any) -> Any:
            if value.__class__ is not dict:
                if not isinstance(value, dict):
                    raise TypeError("expected an object")
                value = dict(value)  # pyright: ignore[reportUnknownArgumentType, reportUnknownVariableType]
            # Annotations, not cast(): in this function a call per object is a measurable share.
            obj: dict[str, Any] = value  # pyright: ignore[reportUnknownVariableType]
            keys = tuple(obj)
            kinds = tuple(map(type, obj.values()))
            shape = shapes.get((keys, kinds))
            if shape is None:
                if len(shapes) >= MAX_SHAPES:
                    return self._spilled(obj)
                shape = learn(keys, kinds)
            drop, steps, moves = shape
            out = new(cls)
            taken = obj.copy()
            for key in drop:
                del taken[key]
            for key, convert, target, _many in steps:
                taken[key] = convert(taken[key], target)
            for key, name, step in moves:
                item = taken.pop(key)
                taken[name] = item if step is None else step[0](item, step[1])
            out.__dict__ = taken  # type: ignore[misc]  # a generated model's subclass has a dict
            return out

        return structure_object

    def _spilled(self, value: dict[str, Any]) -> Any:
        if self._spill is None:
            self._spill = self._fallback()
        return self._spill(value, self.cls)

    def many(self, items: list[Any]) -> list[Any]:
        """An array of objects as a list of models.

        The objects of one shape are decoded together, a column at a time: the per-object work
        runs in C (`map` over the column), and Python runs once per field, not once per value.
        """
        count = len(items)
        if count < 2:
            return [self.one(item, self.cls) for item in items]
        first: Any = items[0]
        if first.__class__ is not dict:
            return [self.one(item, self.cls) for item in items]
        signature = tuple(first), tuple(map(type, first.values()))
        try:
            # Does every object have the first one's keys and value types? Compared as two flat
            # lists, all keys and all values' types one after the other: no container per object
            # (the garbage collector would count and walk each). `dict.values` rejects anything
            # but a dict: those take the one-object decoder, which says what is wrong.
            values: list[Any] = list(chain.from_iterable(map(_values_of, items)))
            same = (
                list(map(type, values)) == list(signature[1]) * count
                and list(chain.from_iterable(items)) == list(signature[0]) * count
            )
        except TypeError:
            return [self.one(item, self.cls) for item in items]
        if same:
            return self._together(items, signature, values)
        keys: list[tuple[str, ...]] = list(map(tuple, map(_keys_of, items)))
        kinds: list[tuple[type, ...]] = list(map(tuple, map(map, repeat(type), map(_values_of, items))))  # pyright: ignore[reportArgumentType]
        groups: dict[tuple[tuple[str, ...], tuple[type, ...]], list[int]] = {}
        for index, signature in enumerate(zip(keys, kinds, strict=True)):
            groups.setdefault(signature, []).append(index)
        if len(groups) * 4 > count:  # mostly different shapes: nothing to share
            return [self.one(item, self.cls) for item in items]
        out: list[Any] = [None] * count
        for signature, indexes in groups.items():
            decoded = self._together([items[i] for i in indexes], signature)
            for index, model in zip(indexes, decoded, strict=True):
                out[index] = model
        return out

    def _together(
        self,
        items: list[dict[str, Any]],
        signature: tuple[tuple[str, ...], tuple[type, ...]],
        values: list[Any] | None = None,
    ) -> list[Any]:
        """Objects of one shape (`signature`: keys, value types), decoded column by column.

        `values`: all their values one object after the other, if at hand (a column is a slice).
        """
        shape = self.shapes.get(signature)
        if shape is None:
            shape = self.learn(*signature)
        drop, steps, moves = shape
        count = len(items)
        taken = list(map(_copy_of, items))
        for key in drop:
            _consume(map(delitem, taken, repeat(key, count)))
        width = len(signature[0])
        for key, _convert, _target, column in steps:
            found = list(map(itemgetter(key), taken)) if values is None else values[signature[0].index(key) :: width]
            _consume(map(setitem, taken, repeat(key, count), column(found)))
        for key, name, step in moves:
            moved = list(map(_pop, taken, repeat(key, count)))
            _consume(map(setitem, taken, repeat(name, count), moved if step is None else step[2](moved)))
        out = list(map(object.__new__, repeat(self.cls, count)))
        _consume(map(setattr, out, repeat("__dict__", count), taken))
        return out


_consume = deque[object](maxlen=0).extend
# dict's methods, typed for the `map` calls above (bound to no dict: applied to each object).
_Object = dict[str, Any]
_keys_of: Callable[[_Object], Iterable[str]] = _Object.keys
_values_of: Callable[[_Object], Iterable[Any]] = _Object.values
_copy_of: Callable[[_Object], _Object] = _Object.copy
_pop: Callable[[_Object, str], Any] = _Object.pop


def _to_float(value: Any, _: Any) -> Any:
    return float(value)


def _floats(values: list[Any]) -> list[Any]:
    return list(map(float, values))


def _by_value(values: Mapping[object, object], hook: Hook) -> Hook:
    """A known enum value as its member at once; an unknown one through the enum's hook (open enums)."""

    def member(value: Any, target: Any) -> Any:
        found = values.get(value)
        return found if found is not None else hook(value, target)

    return member


def _members_by_value(values: Mapping[object, object], hook: Hook, target: Any) -> Many:
    """`_by_value` over a column: known values in C, unknown ones through the hook."""

    def members(column: list[Any]) -> list[Any]:
        found = list(map(values.get, column))
        if None in found:
            found = [
                hook(value, target) if member is None else member for value, member in zip(column, found, strict=True)
            ]
        return found

    return members


def _each_called(convert: Callable[[Any], Any]) -> Many:
    """`convert` over a column, in C."""

    def each(column: list[Any]) -> list[Any]:
        return list(map(convert, column))

    return each


def _each(hook: Hook, target: Any) -> Many:
    def each(column: list[Any]) -> list[Any]:
        return [hook(value, target) for value in column]

    return each


__all__ = ["MAX_SHAPES", "ModelDecoder", "takes_shapes"]
