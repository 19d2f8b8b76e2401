"""Names a generated model module refers to but loads on first use.

Models of one module refer to models of others (a VK user to photos, cities, groups...). Imported
at module level, those references pulled a method group's whole model graph into the first call:
`users.get` loaded some 25 model modules. A generated module therefore imports its foreign names
only for type checkers (`if TYPE_CHECKING:`) and, at run time, installs a `LazyNames` as its module
`__getattr__`: a foreign name is imported, and a type alias built from foreign names is built, when
something first asks the module for it.

What asks: `from module import Name` and attribute reads go through `__getattr__` by themselves;
the annotations of a model (strings, under `from __future__ import annotations`) are evaluated in
the module's namespace by `typing.get_type_hints`, which does not, so `Model` calls
`load_annotation_names` for a class before its fields are first read (`apiforge.core.model`); a
decoder that resolves one field's type at a time calls `load_field_names` for that field.
"""

from __future__ import annotations

import builtins
import importlib
import inspect
import re
import sys
import threading
from collections.abc import Callable, Iterable, Mapping, MutableMapping, Sequence

# An alias built on first use: the names its expression needs, and the function that builds it.
LazyAlias = tuple[Sequence[str], Callable[[], object]]

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class LazyNames:
    """A generated model module's `__getattr__`: foreign names and aliases, loaded when first asked for.

    `foreign` maps a name to the module that defines it; `aliases` maps an alias's name to the names
    its expression uses and the function that evaluates it. A loaded value is stored in the
    module's namespace, so the next read is an ordinary global lookup.
    """

    __slots__ = ("_aliases", "_foreign", "_module", "_namespace")

    def __init__(
        self,
        namespace: MutableMapping[str, object],
        foreign: Mapping[str, str],
        aliases: Mapping[str, LazyAlias] | None = None,
        tagged: Iterable[str] = (),
    ) -> None:
        self._namespace = namespace
        self._module = str(namespace["__name__"])
        self._foreign = foreign
        self._aliases = aliases or {}
        # A tagged union's tag table is registered when the union is built; but fields declare the
        # union by its members (`UsersUserFull | GroupsGroupFull`), not by the alias's name, so
        # nothing asks for it: it is built as soon as every module its members live in is loaded.
        for name in tagged:
            modules = {self._module} | {self._foreign[n] for n in self._aliases[name][0] if n in self._foreign}
            _PENDING_TAGS.append((self, name, frozenset(modules)))

    def __call__(self, name: str) -> object:
        module = self._foreign.get(name)
        if module is not None:
            value = getattr(importlib.import_module(module), name)
        elif name in self._aliases:
            needs, build = self._aliases[name]
            self.load(needs)
            value = build()
        else:
            raise AttributeError(f"module {self._module!r} has no attribute {name!r}")
        self._namespace[name] = value
        return value

    def load_all(self) -> None:
        """Put every name this module loads lazily into its namespace (`models.load_all()`)."""
        self.load([*self._foreign, *self._aliases])

    def load(self, names: Iterable[str]) -> None:
        """Put each of `names` this module loads lazily into its namespace (the others are left alone)."""
        for name in names:
            if name not in self._namespace and (name in self._foreign or name in self._aliases):
                self(name)


# Tagged unions not built yet: the module's LazyNames, the alias, the modules its members need.
_PENDING_TAGS: list[tuple[LazyNames, str, frozenset[str]]] = []
_PENDING_LOCK = threading.Lock()


def _build_ready_tags() -> None:
    """Build the pending tagged unions whose members' modules are all loaded (registering their tags)."""
    if not _PENDING_TAGS:
        return
    with _PENDING_LOCK:
        ready = [entry for entry in _PENDING_TAGS if entry[2] <= sys.modules.keys()]
        for entry in ready:
            _PENDING_TAGS.remove(entry)
    for lazy, name, _ in ready:
        lazy.load((name,))


def load_annotation_names(cls: type) -> None:
    """Load the lazily imported names the annotations of `cls` (and of its bases) use.

    `typing.get_type_hints` evaluates the annotation strings in each class's module namespace, where
    a lazily imported name is not yet bound; only the names these annotations mention are loaded,
    so decoding a type loads the modules of its fields' types, not the whole graph behind them.
    """
    for klass in cls.__mro__:
        _load_names_in(klass, inspect.get_annotations(klass).values())
    # Loading those may have completed a tagged union the fields declare by its members.
    _build_ready_tags()


def load_field_names(klass: type, name: str) -> None:
    """Load the lazily imported names that one annotation (`name`, declared by `klass` itself) uses.

    For a decoder that resolves a field's type when it first meets the field (the first VK user of
    a response carries 20 of ~150 declared fields): evaluating that one annotation in the module's
    namespace then finds its names, and the modules of the other fields' types stay unloaded.
    """
    annotation = inspect.get_annotations(klass).get(name)
    if annotation is not None:
        _load_names_in(klass, (annotation,))
        _build_ready_tags()


def _load_names_in(klass: type, annotations: Iterable[object]) -> None:
    module = sys.modules.get(klass.__module__)
    lazy = getattr(module, "__dict__", {}).get("__getattr__")
    if not isinstance(lazy, LazyNames):
        return
    names: set[str] = set()
    for annotation in annotations:
        if isinstance(annotation, str):
            names.update(_IDENTIFIER.findall(annotation))
    lazy.load(name for name in sorted(names) if not hasattr(builtins, name))


__all__ = ["LazyAlias", "LazyNames", "load_annotation_names", "load_field_names"]
