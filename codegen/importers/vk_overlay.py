"""The hand-written overlay of the VK importer (`specs/vk/overlay.yaml`): reading it, and its corrections."""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import yaml

from codegen.importers import vk_applies
from codegen.importers.vk_applies import StateFacts
from codegen.spec.errors import SpecError
from codegen.spec.load import fail

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_TOP_KEYS = (
    "api",
    "docs_url",
    "retryable_errors",
    "idempotent",
    "groups",
    "methods",
    "responses",
    "never_required",
    "corrections",
    "add_models",
)
_METHOD_KEYS = (
    "add_params",
    "result",
    "idempotent",
    "batchable",
    "token_kinds",
    "errors",
    "python_name",
    "deprecated",
    "applies",
)
_REF = "#/$defs/"
_OPS = ("set", "remove", "append", "remove_item", "optional")


@dataclass
class Overlay:
    """The overlay, checked for shape; positions are kept so later errors can point into it."""

    path: Path
    api: dict[str, Any]
    docs_url: str
    retryable_errors: list[int]
    read_verbs: list[str]
    idempotent_override: dict[str, bool]
    groups: dict[str, dict[str, Any]]
    methods: dict[str, dict[str, Any]]
    responses: dict[str, dict[str, Any]]
    never_required: dict[str, str] = field(default_factory=dict)
    corrections: list[dict[str, Any]] = field(default_factory=list)
    add_models: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Models the schema lacks, by section (whose models module gets them): name -> schema."""
    # `applies:` of the entries that have one: pointer into the overlay -> the condition.
    applies: dict[tuple[str | int, ...], dict[str, Any]] = field(
        default_factory=dict[tuple[str | int, ...], dict[str, Any]]
    )
    strict: bool = False
    # Entries that do not fit the schema state being imported, as "file:line: pointer: reason".
    stale: list[str] = field(default_factory=list[str])
    # Entries left out because their `applies:` does not hold for this state, the same way.
    other_states: list[str] = field(default_factory=list[str])

    def error(self, pointer: Sequence[str | int], reason: str) -> SpecError:
        """A SpecError pointing at a node of the overlay file."""
        return fail(self.path, list(pointer), reason)

    def does_not_apply(self, pointer: Sequence[str | int], reason: str) -> None:
        """Note an entry that does not fit this schema state (upstream moved on); in strict mode, fail.

        The import goes on without the entry: the maintainer gets the list, and one import per
        published state works with one overlay.
        """
        error = self.error(pointer, reason)
        if self.strict:
            raise error
        self.stale.append(str(error))

    def for_state(self, state: StateFacts) -> Overlay:
        """This overlay without the entries whose `applies:` does not hold for `state`."""
        out = copy.copy(self)
        out.methods, out.responses = dict(self.methods), dict(self.responses)
        out.never_required = dict(self.never_required)
        out.stale, out.other_states = self.stale, self.other_states  # one listing per run
        dropped_corrections: set[int] = set()
        for pointer, condition in self.applies.items():
            if vk_applies.holds(condition, state):
                continue
            self.other_states.append(str(self.error([*pointer, "applies"], vk_applies.describe(condition))))
            table, key = pointer[0], pointer[1]
            if table == "corrections":
                assert isinstance(key, int)
                dropped_corrections.add(key)
            else:
                getattr(out, str(table)).pop(key)
        # Corrections keep their index in the file, for the pointers of later errors.
        out.corrections = [c if i not in dropped_corrections else {} for i, c in enumerate(self.corrections)]
        return out


def read_overlay(path: Path) -> Overlay:
    """Parse `overlay.yaml` and check its shape (not yet against the schema)."""
    if not path.is_file():
        raise SpecError(str(path), 0, "the VK importer needs its overlay (hand-written facts): no such file")
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise SpecError(str(path), mark.line + 1 if mark else 1, f"invalid YAML: {exc.problem or exc}") from None
    if not isinstance(raw, dict):
        raise SpecError(str(path), 1, "the overlay must be a mapping")

    def need(ok: bool, pointer: Sequence[str | int], reason: str) -> None:
        if not ok:
            raise fail(path, list(pointer), reason)

    for key in raw:
        need(key in _TOP_KEYS, [key], f"unknown overlay key {key!r} (known: {', '.join(_TOP_KEYS)})")
    for key in ("api", "docs_url", "retryable_errors", "idempotent", "responses"):
        need(key in raw, [], f"the overlay has no {key!r}")
    need(isinstance(raw["api"], dict), ["api"], "must be a mapping (the api header without version)")
    need(isinstance(raw["docs_url"], str) and "{name}" in raw["docs_url"], ["docs_url"], "must be a string with {name}")
    need(
        isinstance(raw["retryable_errors"], list) and all(isinstance(c, int) for c in raw["retryable_errors"]),
        ["retryable_errors"],
        "must be a list of error codes",
    )
    idem = raw["idempotent"]
    need(isinstance(idem, dict) and isinstance(idem.get("read_verbs"), list), ["idempotent"], "needs read_verbs: [...]")
    override = idem.get("override") or {}
    need(isinstance(override, dict), ["idempotent", "override"], "must map method names to true/false")
    for name, value in override.items():
        need(isinstance(value, bool), ["idempotent", "override", name], "must be true or false")

    groups = raw.get("groups") or {}
    need(isinstance(groups, dict), ["groups"], "must map sections to group options")
    for section, options in groups.items():
        need(isinstance(options, dict), ["groups", section], "must be a mapping of group options")
        for key in options:
            need(key in ("toplevel", "class_prefix", "name"), ["groups", section, key], f"unknown group option {key!r}")

    methods = raw.get("methods") or {}
    need(isinstance(methods, dict), ["methods"], "must map method names to facts")
    for name, facts in methods.items():
        need(isinstance(facts, dict), ["methods", name], "must be a mapping")
        for key in facts:
            need(
                key in _METHOD_KEYS,
                ["methods", name, key],
                f"unknown method key {key!r} (known: {', '.join(_METHOD_KEYS)})",
            )
        need(isinstance(facts.get("add_params", []), list), ["methods", name, "add_params"], "must be a list of params")

    applies: dict[tuple[str | int, ...], dict[str, Any]] = {}

    def condition(pointer: tuple[str | int, ...], value: Any) -> None:
        problem = vk_applies.check(value)
        need(problem is None, [*pointer, "applies"], problem or "")
        applies[pointer] = value

    for name, facts in methods.items():
        if "applies" in facts:
            condition(("methods", name), facts["applies"])

    responses = raw["responses"]
    need(isinstance(responses, dict), ["responses"], "must map method names to their response keys")
    for name, keys in responses.items():
        need(isinstance(keys, dict) and bool(keys), ["responses", name], "must map response keys to selectors")
        for key, entry in keys.items():
            at: list[str | int] = ["responses", name, key]
            if key == "applies":  # not a response key: which states the entry is for
                condition(("responses", name), entry)
                continue
            if entry == "default":
                continue
            need(
                isinstance(entry, dict) and len(entry) == 1,
                at,
                "must be `default` or one of {when: ...}, {same_as: ...}, {omit: ...}",
            )
            ((kind, value),) = entry.items()
            need(kind in ("when", "same_as", "omit"), at, f"unknown selector kind {kind!r} (when, same_as, omit)")
            if kind == "when":
                need(
                    isinstance(value, dict) and bool(value), [*at, "when"], "must map python parameter names to values"
                )
            else:
                need(isinstance(value, str) and bool(value), [*at, kind], "must be a non-empty string")

    never_required = raw.get("never_required") or {}
    need(isinstance(never_required, dict), ["never_required"], "must map property names to the reason")
    reasons: dict[str, str] = {}
    for name, reason in never_required.items():
        if isinstance(reason, dict):  # {reason: ..., applies: ...}
            need(set(reason) <= {"reason", "applies"}, ["never_required", name], "known keys: reason, applies")
            if "applies" in reason:
                condition(("never_required", name), reason["applies"])
            reason = reason.get("reason")
        need(isinstance(reason, str) and bool(reason), ["never_required", name], "must give the reason (a string)")
        reasons[name] = reason

    corrections = raw.get("corrections") or []
    need(isinstance(corrections, list), ["corrections"], "must be a list")
    for index, item in enumerate(corrections):
        at = ["corrections", index]
        need(isinstance(item, dict), at, "must be a mapping")
        need(("model" in item) != ("method" in item), at, "needs exactly one of model: or method:")
        need(isinstance(item.get("path"), list), at, "needs path: [...] (may be empty)")
        for step, part in enumerate(item["path"]):
            need(
                isinstance(part, (str, int)) or (isinstance(part, dict) and bool(part)),
                [*at, "path", step],
                "a path step is a key, an index or {key: value} (the list item that has it)",
            )
        ops = [op for op in _OPS if op in item]
        need(len(ops) == 1, at, f"needs exactly one op of {', '.join(_OPS)}")
        extra = set(item) - {"model", "method", "path", "reason", "applies", *_OPS}
        need(not extra, at, f"unknown keys {sorted(extra)}")
        if "applies" in item:
            condition(("corrections", index), item["applies"])

    add_models = raw.get("add_models") or {}
    need(isinstance(add_models, dict), ["add_models"], "must map sections to {model name: schema}")
    for section, defs in add_models.items():
        need(isinstance(defs, dict) and bool(defs), ["add_models", section], "must map model names to schemas")
        for name, schema in defs.items():
            need(isinstance(schema, dict), ["add_models", section, name], "must be a JSON Schema (a mapping)")

    return Overlay(
        path=path,
        api=raw["api"],
        docs_url=raw["docs_url"],
        retryable_errors=list(raw["retryable_errors"]),
        read_verbs=list(idem["read_verbs"]),
        idempotent_override=dict(override),
        groups=dict(groups),
        methods=dict(methods),
        responses=dict(responses),
        never_required=reasons,
        corrections=list(corrections),
        add_models=dict(add_models),
        applies=applies,
    )


def apply_never_required(overlay: Overlay, models: Mapping[str, Any]) -> None:
    """Drop the `never_required` property names from every `required` list of every model (in place).

    The schema marks some properties required that the server never sends (e.g. `inner_type`, a
    schema-internal type tag); a switch per property name keeps the rule visible and reversible.
    A name that no model requires is listed as not applying (an error in strict mode), so the
    switch cannot go stale unnoticed.
    """
    for name in overlay.never_required:
        found = 0
        for _, node in _schema_nodes(models):
            required = node.get("required")
            if isinstance(required, list) and name in required:
                required.remove(name)
                found += 1
                if not required:
                    del node["required"]
        if not found:
            overlay.does_not_apply(["never_required", name], f"no model requires {name!r}")


def _schema_nodes(node: Any, where: str = "$") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every mapping inside `node` (depth first), with a readable location."""
    if isinstance(node, dict):
        yield where, node
        for key, value in node.items():
            yield from _schema_nodes(value, f"{where}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _schema_nodes(value, f"{where}[{index}]")


def apply_corrections(overlay: Overlay, models: Mapping[str, Any], methods: Mapping[str, dict[str, Any]]) -> None:
    """Apply `corrections` in place; one that does not fit the data is listed as not applying (no stale fixes)."""
    for index, item in enumerate(overlay.corrections):
        if item:  # {}: left out by `applies`
            try:
                _apply_correction(overlay, ["corrections", index], item, models, methods)
            except _Misfit as misfit:
                overlay.does_not_apply(misfit.pointer, misfit.reason)


class _Misfit(Exception):
    """A correction that does not fit the schema state: where in the overlay, and why."""

    def __init__(self, pointer: list[str | int], reason: str) -> None:
        super().__init__(reason)
        self.pointer, self.reason = pointer, reason


def _apply_correction(
    overlay: Overlay,
    at: list[str | int],
    item: dict[str, Any],
    models: Mapping[str, Any],
    methods: Mapping[str, dict[str, Any]],
) -> None:
    if "model" in item:
        kind, name, table = "model", item["model"], models
    else:
        kind, name, table = "method", item["method"], methods
    if name not in table:
        raise _Misfit([*at, kind], f"correction names no {kind} {name!r}")
    missing = sorted(ref for ref in _refs(item.get("set", item.get("append"))) if ref not in models)
    if missing:
        raise _Misfit(at, f"the correction refers to {', '.join(missing)}: no such model in this state")
    holder: Any = table
    key: Any = name
    path = list(item["path"])
    for step, part in enumerate(path):
        node = holder[key]
        if isinstance(part, dict):  # {name: keyboard}: the list item with that name, wherever it stands
            part = _select(node, cast(Mapping[str, Any], part))
        adding = "set" in item and step == len(path) - 1 and isinstance(node, dict)
        if not adding and not _has(node, part):
            raise _Misfit([*at, "path", step], f"{kind} {name}: nothing at {path[: step + 1]}")
        holder, key = node, part
    if "set" in item:
        holder[key] = item["set"]
    elif "optional" in item:
        names = item["optional"]
        if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
            raise overlay.error([*at, "optional"], "must be a list of property names")
        holder[key], unrequired = _make_optional([*at, "optional"], f"{kind} {name}", holder[key], names, models)
        if unrequired:  # the others are applied: a state may already have fixed some of them
            listed = ", ".join(repr(n) for n in unrequired)
            overlay.does_not_apply([*at, "optional"], f"{kind} {name}: {listed} not required in this state")
    elif "remove" in item:
        if not path:
            raise overlay.error([*at, "path"], "remove needs a non-empty path")
        del holder[key]
    else:
        target = holder[key]
        if not isinstance(target, list):
            raise _Misfit([*at, "path"], f"{kind} {name}: {path} is not a list")
        if "append" in item:
            target.append(item["append"])
        elif item["remove_item"] in target:
            target.remove(item["remove_item"])
        else:
            raise _Misfit([*at, "remove_item"], f"{kind} {name}: {item['remove_item']!r} is not in {path}")
        if not target and path and path[-1] == "required":
            del holder[key]


def _make_optional(
    at: list[str | int],
    where: str,
    node: Any,
    names: Sequence[str],
    models: Mapping[str, Any],
) -> tuple[dict[str, Any], list[str]]:
    """`node` with `names` no longer required, and those of `names` it did not require.

    A name required by an allOf parent (users_user_min's `id`) cannot be made optional in one child
    by JSON Schema means, and changing the parent would change every other child: the child is
    flattened instead (parents' properties first, a redefinition replacing the parent's and moving
    last, the union of the `required` lists), which is the class the generator builds anyway.
    """
    if not isinstance(node, dict):
        raise _Misfit(at, f"{where}: not an object schema")
    own = node.get("required", ())
    inherited = "allOf" in node and any(n not in own and n in _flatten(node, models).get("required", ()) for n in names)
    flat = _flatten(node, models) if inherited else copy.deepcopy(node)
    required = flat.get("required", [])
    unrequired = [name for name in names if name not in required]
    if len(unrequired) == len(names):
        raise _Misfit(at, f"{where}: none of {', '.join(names)} is required")
    for name in names:
        if name in required:
            required.remove(name)
    if not required:
        flat.pop("required", None)
    return flat, unrequired


def _flatten(node: dict[str, Any], models: Mapping[str, Any]) -> dict[str, Any]:
    """An object schema with its allOf parents merged in (see `_make_optional`)."""
    properties: dict[str, Any] = {}
    required: list[str] = []

    def merge(part: Any) -> None:
        if isinstance(part, dict) and set(part) == {"$ref"}:
            part = models[part["$ref"][len(_REF) :]]
        if not isinstance(part, dict):
            return
        for parent in part.get("allOf", ()):
            merge(parent)
        for prop, schema in part.get("properties", {}).items():
            properties.pop(prop, None)
            properties[prop] = copy.deepcopy(schema)
        required.extend(r for r in part.get("required", ()) if r not in required)

    merge(node)
    out: dict[str, Any] = {k: copy.deepcopy(v) for k, v in node.items() if k not in ("allOf", "properties", "required")}
    out["type"] = "object"
    out["properties"] = properties
    if required:
        out["required"] = required
    return out


def _refs(node: Any) -> Iterator[str]:
    """The model names every `$ref` inside `node` points at."""
    for _, mapping in _schema_nodes(node):
        ref = mapping.get("$ref")
        if isinstance(ref, str) and ref.startswith(_REF):
            yield ref[len(_REF) :]


def _select(node: Any, selector: Mapping[str, Any]) -> int | None:
    """The index of the one item of the list `node` that has every key and value of `selector`; None if not one.

    Parameters move between schema states (5.131's messages.send has `user_ids` before `keyboard`;
    5.199 has not): a path step by index would correct a different parameter in another state.
    """
    if not isinstance(node, list):
        return None
    found = [
        index
        for index, entry in enumerate(cast(list[Any], node))
        if isinstance(entry, dict) and all(k in entry and entry[k] == v for k, v in selector.items())
    ]
    return found[0] if len(found) == 1 else None


def _has(node: Any, part: Any) -> bool:
    if isinstance(node, dict):
        return part in node
    if isinstance(node, list):
        return isinstance(part, int) and -len(node) <= part < len(node)
    return False
