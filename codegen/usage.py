"""Which methods and models real code uses most: the order in which docstring texts are written.

The usage corpus (`tests/corpus/<api>.yaml`, calls found in public projects) gives each method a
weight: the number of its calls that have no `status:` (the calls the API takes). Methods are
ranked by weight, descending, ties by (api, wire name). A model is "read" through a method when
the method's result type names it, or when a field of such a model names it (one hop); each
method adds its weight once to every model it reads. Only object models with properties count
(not enums, not aliases).

`python -m codegen usage` prints both rankings and which entries lack texts in `prose/`.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from codegen.prose import load_prose, properties
from codegen.spec.load import REF_PREFIX, SPECS_ROOT, load_api
from codegen.spec.model import Spec

ROOT = Path(__file__).resolve().parent.parent
CORPUS_ROOT = ROOT / "tests" / "corpus"
APIS = ("vk", "wialon", "yclients")
TOP_METHODS = 150
TOP_MODELS = 30

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True, order=True)
class Ranked:
    """One ranked method or model: its API, its key (wire name or model key) and its weight."""

    api: str
    key: str
    weight: int


def corpus_weights(api: str, corpus: Path = CORPUS_ROOT) -> Counter[str]:
    """Calls per wire name in the corpus of `api`, counting only the calls without a `status:`."""
    path = corpus / f"{api}.yaml"
    if not path.exists():
        return Counter()
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader) or {}
    return Counter(call["method"] for call in data.get("calls", []) if "status" not in call)


@functools.cache
def _spec(api: str, specs: Path) -> Spec:
    return load_api(specs / api)


def rank_methods(apis: Sequence[str] = APIS, *, specs: Path = SPECS_ROOT, corpus: Path = CORPUS_ROOT) -> list[Ranked]:
    """Every method of `apis`, heaviest first; ties by (api, wire name)."""
    out: list[Ranked] = []
    for api in apis:
        weights = corpus_weights(api, corpus)
        spec = _spec(api, specs)
        out += [Ranked(api, m.name, weights.get(m.name, 0)) for g in spec.groups for m in g.methods]
    return sorted(out, key=lambda r: (-r.weight, r.api, r.key))


def top_methods(n: int = TOP_METHODS, **kwargs: Any) -> list[Ranked]:
    """The `n` methods real code calls most."""
    return rank_methods(**kwargs)[:n]


def _is_object_model(spec: Spec, schema: Any) -> bool:
    """An object with properties (its own or its `allOf` parents'); not an enum, not an alias
    (a bare `$ref` to another model is an alias)."""
    return isinstance(schema, dict) and "enum" not in schema and "$ref" not in schema and bool(properties(spec, schema))


def _named(spec: Spec, schema: Any, seen: frozenset[str] = frozenset()) -> Iterator[str]:
    """The object models a schema names: through arrays, unions, maps, inline objects and `$ref`s
    to aliases; an object model reached by `$ref` is named, not entered."""
    if isinstance(schema, list):
        for item in schema:
            yield from _named(spec, item, seen)
        return
    if not isinstance(schema, dict):
        return
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith(REF_PREFIX):
        name = ref[len(REF_PREFIX) :].split("/")[0]
        model = spec.models.get(name)
        if model is None or name in seen:
            return
        if _is_object_model(spec, model.schema):
            yield name
        else:
            yield from _named(spec, model.schema, seen | {name})
        return
    for key in ("items", "prefixItems", "anyOf", "oneOf", "allOf", "additionalProperties"):
        if key in schema:
            yield from _named(spec, schema[key], seen)
    for value in (schema.get("properties") or {}).values():
        yield from _named(spec, value, seen)


def models_read(spec: Spec, result: Any) -> set[str]:
    """The object models read through a method with this result schema: those it names, and those
    their fields (inherited ones included) name: one hop."""
    first = set(_named(spec, result))
    out = set(first)
    for name in first:
        for value in properties(spec, spec.models[name].schema).values():
            out |= set(_named(spec, value))
    return out


def rank_models(apis: Sequence[str] = APIS, *, specs: Path = SPECS_ROOT, corpus: Path = CORPUS_ROOT) -> list[Ranked]:
    """Every object model read through a called method, heaviest first; ties by (api, model key)."""
    totals: Counter[tuple[str, str]] = Counter()
    for api in apis:
        spec = _spec(api, specs)
        weights = corpus_weights(api, corpus)
        for group in spec.groups:
            for method in group.methods:
                weight = weights.get(method.name, 0)
                if weight > 0:
                    for name in models_read(spec, method.result):
                        totals[(api, name)] += weight
    ranked = [Ranked(api, key, weight) for (api, key), weight in totals.items()]
    return sorted(ranked, key=lambda r: (-r.weight, r.api, r.key))


def top_models(n: int = TOP_MODELS, **kwargs: Any) -> list[Ranked]:
    """The `n` models real code reads most."""
    return rank_models(**kwargs)[:n]


def _line(r: Ranked, lacks: list[str]) -> str:
    return f"{'-' if lacks else ' '} {r.api:9} {r.weight:4} {r.key}" + (
        f"  (lacks {', '.join(lacks)})" if lacks else ""
    )


def run(*, methods: int = TOP_METHODS, models: int = TOP_MODELS) -> int:
    """Print the ranked methods and models, marking those that lack texts; exit 1 if any does."""
    prose = {api: load_prose(_spec(api, SPECS_ROOT)) for api in APIS}
    missing = 0
    print(f"# top {methods} methods: api, weight (corpus calls), wire name; '-' marks one that lacks texts")
    for r in top_methods(methods):
        lacks = prose[r.api].missing_method(_spec(r.api, SPECS_ROOT), r.key)
        missing += bool(lacks)
        print(_line(r, lacks))
    print(f"\n# top {models} models: api, weight (calls of the methods that read it), model key")
    for r in top_models(models):
        lacks = prose[r.api].missing_model(_spec(r.api, SPECS_ROOT), r.key)
        missing += bool(lacks)
        print(_line(r, lacks))
    print(f"\n{missing} of {methods + models} lack texts in prose/")
    return 1 if missing else 0
