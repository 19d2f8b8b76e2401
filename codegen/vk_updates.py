"""The VK update table: every event type the schema describes -> the model of its `object`.

The schema lists event types in the `callback_type` enum and describes their objects as
`callback_*` models, but never says which model goes with which type. The table follows the
schema's naming, so a new type or model in a new schema lands in it without an edit here:

1. a type of `callback_type` uses `callback_<type>` when it exists;
2. otherwise the type without its verb (`_new`, `_edit`, `_restore`, `_reply`) names the model:
   `callback_<base>` (`photo_comment_edit` -> `callback_photo_comment`, `message_reply` ->
   `callback_message`), else the section model `<base>` (`market_order_new` -> `market_order`);
3. a `callback_<name>` object model that no other callback model uses and rule 1 or 2 did not
   take is the object of a type `<name>` the enum omits (`message_event`, `donut_*`, `vkpay_transaction`);
4. `IRREGULAR` names the few whose name follows no rule; each entry must name an existing model.

A type with no model at all (`lead_forms_new`, `wall_schedule_post_new`, ...) keeps its object as
raw JSON. `confirmation` is not an update (the Callback API answers it with a code).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from codegen.models import ModelGraph
from codegen.spec.errors import SpecError
from codegen.spec.load import REF_PREFIX
from codegen.spec.model import Spec
from codegen.spec.naming import camel
from codegen.types import TypeContext, type_of

TYPES_ENUM = "callback_type"
# Models of the envelope, not of an event's object.
ENVELOPE = frozenset({"callback_base", "callback_confirmation", TYPES_ENUM})
NOT_UPDATES = frozenset({"confirmation"})
VERBS = ("_new", "_edit", "_restore", "_reply")
# Types whose object model the naming rules cannot find.
IRREGULAR = {
    "like_add": "callback_like_add_remove",
    "like_remove": "callback_like_add_remove",
    "wall_reply_delete": "callback_wall_comment_delete",
}


@dataclass
class UpdateView:
    """One update class of the generated module."""

    type: str
    cls: str
    model: str | None  # the spec model of the object (None: raw JSON)
    object_type: str  # its Python type expression


def describes_events(spec: Spec) -> bool:
    """Does the spec describe community events (a `callback_type` model)? A VK-like spec may not."""
    return TYPES_ENUM in spec.models


def update_models(spec: Spec) -> dict[str, str | None]:
    """Wire type -> spec model name of its object (None: the schema has none), sorted by type."""
    models = spec.models
    enum = models.get(TYPES_ENUM)
    values = enum.schema.get("enum") if enum is not None and isinstance(enum.schema, dict) else None
    if not isinstance(values, list):
        raise SpecError("specs/vk/models/callback.yaml", 1, f"'{TYPES_ENUM}' must be a string enum of event types")
    for kind, name in IRREGULAR.items():
        if name not in models:
            raise SpecError(
                "codegen/vk_updates.py", 1, f"IRREGULAR maps {kind!r} to {name!r}, which the spec does not define"
            )
    table: dict[str, str | None] = {}
    for kind in (str(v) for v in values):
        if kind not in NOT_UPDATES:
            table[kind] = IRREGULAR.get(kind) or _by_name(kind, models)
    table.update(IRREGULAR)
    taken = {name for name in table.values() if name is not None}
    used = _referenced_by_callback_models(spec)
    for name, model in sorted(models.items()):
        if not name.startswith("callback_") or name in ENVELOPE or name in taken or name in used:
            continue
        if _is_enum(model.schema):
            continue
        table.setdefault(name.removeprefix("callback_"), name)
    return dict(sorted(table.items()))


def update_views(spec: Spec, graph: ModelGraph) -> tuple[list[UpdateView], dict[str, list[str]]]:
    """The update classes and the model imports (module -> class names) of the generated module."""
    ctx = TypeContext(graph)
    views: list[UpdateView] = []
    for kind, model in update_models(spec).items():
        object_type = "JSON" if model is None else type_of({"$ref": REF_PREFIX + model}, ctx, for_input=False)
        views.append(UpdateView(type=kind, cls=camel(kind), model=model, object_type=object_type))
    imports: dict[str, set[str]] = {}
    for name in ctx.refs:
        imports.setdefault(graph.models[name].module, set()).add(name)
    clashes = {v.cls for v in views} & {n for names in imports.values() for n in names}
    if clashes or len({v.cls for v in views}) != len(views):
        raise SpecError("specs/vk/models/callback.yaml", 1, f"update class names clash: {sorted(clashes)}")
    return views, {module: sorted(names) for module, names in sorted(imports.items())}


def _by_name(kind: str, models: dict[str, Any]) -> str | None:
    if f"callback_{kind}" in models:
        return f"callback_{kind}"
    for verb in VERBS:
        if kind.endswith(verb):
            base = kind[: -len(verb)]
            for name in (f"callback_{base}", base):
                if name in models and not _is_enum(models[name].schema):
                    return name
    return None


def _referenced_by_callback_models(spec: Spec) -> set[str]:
    """Callback models that other callback models use (message parts, settings changes): not events."""
    found: set[str] = set()
    for name, model in spec.models.items():
        if name.startswith("callback_") and name not in ENVELOPE:
            _collect_refs(model.schema, found)
    return found


def _collect_refs(schema: object, found: set[str]) -> None:
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith(REF_PREFIX):
            found.add(ref[len(REF_PREFIX) :])
        for value in schema.values():
            _collect_refs(value, found)
    elif isinstance(schema, list):
        for item in schema:
            _collect_refs(item, found)


def _is_enum(schema: object) -> bool:
    return isinstance(schema, dict) and "enum" in schema
