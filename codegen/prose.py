"""Our own words for the docstrings: `prose/<api>/methods.yaml` and `prose/<api>/models.yaml`.

Specs hold upstream facts only; what a method does or what a field holds, said in a sentence,
is ours, so it lives beside them in `prose/`. A missing file means no texts (the docstrings keep
their facts-only form). The files are checked against the spec before anything is generated:
an unknown method, parameter, model or field, an empty text, a summary that is not one sentence
of at most 120 characters, or a text sharing a run of words with upstream description prose
stops the generator with the file and line of the offending entry.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from codegen.spec.errors import SpecError
from codegen.spec.load import REF_PREFIX
from codegen.spec.model import Method, Spec

ROOT = Path(__file__).resolve().parent.parent
PROSE_ROOT = ROOT / "prose"
# Upstream documents (the VK JSON schema, the YCLIENTS OpenAPI file), when this checkout has them.
UPSTREAM_ROOT = ROOT.parent / "shared" / "upstream"
SUMMARY_MAX = 120
COPY_RUN = 6  # this many consecutive words shared with upstream prose count as copied

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_WORD = re.compile(r"[^\W_]+(?:_[^\W_]+)*")
# A sentence ends at . ! ? followed by a space and a capital letter, unless it is an abbreviation.
_SENTENCE_BREAK = re.compile(r"(?<!\be\.g)(?<!\bi\.e)(?<!\betc)(?<!\bvs)[.!?]\s+[A-Z]")


class ProseError(SpecError):
    """A prose file is wrong: names the file, the line and the reason."""


@dataclass(frozen=True)
class MethodText:
    """What a method does (`summary`) and what each parameter is for (`params`, by wire name)."""

    summary: str
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ModelText:
    """What a model is (`summary`) and what each field holds (`fields`, by wire name)."""

    summary: str
    fields: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Prose:
    """The texts of one API: method texts by wire name, model texts by model key."""

    methods: dict[str, MethodText] = field(default_factory=dict)
    models: dict[str, ModelText] = field(default_factory=dict)

    def missing_method(self, spec: Spec, name: str) -> list[str]:
        """What `name` lacks: `summary` and `params.<name>` for each parameter without a text."""
        method = _methods(spec)[name]
        text = self.methods.get(name)
        if text is None:
            return ["summary", *(f"params.{p.name}" for p in method.params)]
        return [f"params.{p.name}" for p in method.params if p.name not in text.params]

    def missing_model(self, spec: Spec, key: str) -> list[str]:
        """What model `key` lacks: `summary` and `fields.<name>` for each field without a text."""
        names = model_fields(spec, key)
        text = self.models.get(key)
        if text is None:
            return ["summary", *(f"fields.{f}" for f in names)]
        return [f"fields.{f}" for f in names if f not in text.fields]


def words(text: str) -> list[str]:
    """The words of a text, lower-cased, punctuation dropped (`user_ids` is one word)."""
    return _WORD.findall(text.lower())


def runs(text: str, n: int = COPY_RUN) -> set[tuple[str, ...]]:
    """Every run of `n` consecutive words of a text."""
    w = words(text)
    return {tuple(w[i : i + n]) for i in range(len(w) - n + 1)}


def _descriptions(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "description" and isinstance(value, str):
                yield value
            else:
                yield from _descriptions(value)
    elif isinstance(node, list):
        for item in node:
            yield from _descriptions(item)


def upstream_descriptions(root: Path = UPSTREAM_ROOT) -> list[str]:
    """Every `description` string of the VK JSON schema and the YCLIENTS OpenAPI document under
    `root` (empty when this checkout has no upstream documents)."""
    files = sorted((root / "vk-api-schema").rglob("*.json")) if (root / "vk-api-schema").is_dir() else []
    files += [p for p in [root / "yclients" / "openapi.developers.yclients.com.json"] if p.is_file()]
    out: list[str] = []
    for path in files:
        out += _descriptions(json.loads(path.read_text(encoding="utf-8")))
    return out


def upstream_runs(texts: Iterable[str], n: int = COPY_RUN) -> frozenset[tuple[str, ...]]:
    """Every run of `n` consecutive words found in any of `texts`."""
    out: set[tuple[str, ...]] = set()
    for text in texts:
        out |= runs(text, n)
    return frozenset(out)


def _methods(spec: Spec) -> dict[str, Method]:
    return {m.name: m for g in spec.groups for m in g.methods}


def _resolve(spec: Spec, schema: Any) -> Any:
    while isinstance(schema, dict) and isinstance(schema.get("$ref"), str) and schema["$ref"].startswith(REF_PREFIX):
        model = spec.models.get(schema["$ref"][len(REF_PREFIX) :])
        if model is None:
            return None
        schema = model.schema
    return schema


def properties(spec: Spec, schema: Any) -> dict[str, Any]:
    """The properties of an object schema, those of its `allOf` parents included (a model class
    flattens them), in order; empty for anything that is not an object with properties."""
    out: dict[str, Any] = {}

    def collect(schema: Any, seen: frozenset[int]) -> None:
        schema = _resolve(spec, schema)
        if not isinstance(schema, dict) or id(schema) in seen:
            return
        for parent in schema.get("allOf", []):
            collect(parent, seen | {id(schema)})
        for name, value in (schema.get("properties") or {}).items():
            out.setdefault(name, value)

    collect(schema, frozenset())
    return out


def model_fields(spec: Spec, key: str) -> list[str]:
    """The property names of model `key`, those of its `allOf` parents included, in order."""
    return list(properties(spec, spec.models[key].schema))


def _body_fields(spec: Spec, method: Method) -> list[str]:
    """The fields of a flat request body: they are keyword arguments too, so they may have texts."""
    if method.body is None or not method.body.flat:
        return []
    schema = _resolve(spec, method.body.schema)
    return list(schema.get("properties") or {}) if isinstance(schema, dict) else []


class _File:
    """One prose file being read: reports errors with its path and the line of a YAML node."""

    def __init__(self, path: Path, display: str, copied: frozenset[tuple[str, ...]]) -> None:
        self.path = path
        self.display = display
        self.copied = copied

    def error(self, node: yaml.Node, reason: str) -> ProseError:
        return ProseError(self.display, node.start_mark.line + 1, reason)

    def compose(self) -> yaml.MappingNode | None:
        try:
            root = yaml.compose(self.path.read_text(encoding="utf-8"), Loader=_Loader)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            raise ProseError(
                self.display, mark.line + 1 if mark else 1, f"invalid YAML: {exc.problem or exc}"
            ) from None
        if root is None:
            return None
        if not isinstance(root, yaml.MappingNode):
            raise self.error(root, "a prose file must be a mapping at the top level")
        return root

    def mapping(self, node: yaml.Node, where: str) -> list[tuple[yaml.ScalarNode, yaml.Node]]:
        if not isinstance(node, yaml.MappingNode):
            raise self.error(node, f"{where}: expected a mapping")
        seen: set[str] = set()
        out: list[tuple[yaml.ScalarNode, yaml.Node]] = []
        for key, value in node.value:
            if not isinstance(key, yaml.ScalarNode):
                raise self.error(key, f"{where}: keys must be plain names")
            if key.value in seen:
                raise self.error(key, f"{where}: {key.value!r} is given twice")
            seen.add(key.value)
            out.append((key, value))
        return out

    def text(self, node: yaml.Node, where: str) -> str:
        if not isinstance(node, yaml.ScalarNode) or node.tag != "tag:yaml.org,2002:str":
            raise self.error(node, f"{where}: expected a text")
        value = " ".join(str(node.value).split())
        if not value:
            raise self.error(node, f"{where}: the text is empty")
        if "\\" in value or '"""' in value or value.endswith('"'):
            # The text goes verbatim into a docstring (a closing quote would run into its end).
            raise self.error(node, f"{where}: no backslashes, triple quotes or closing quote in a text")
        shared = sorted(runs(value) & self.copied)
        if shared:
            raise self.error(
                node, f"{where}: shares the words {' '.join(shared[0])!r} with upstream description prose; use our own"
            )
        return value

    def summary(self, node: yaml.Node, where: str) -> str:
        value = self.text(node, where)
        if len(value) > SUMMARY_MAX:
            raise self.error(node, f"{where}: {len(value)} characters; a summary has at most {SUMMARY_MAX}")
        if not value.endswith(".") or _SENTENCE_BREAK.search(value[:-1]):
            raise self.error(node, f"{where}: a summary is one sentence ending with a full stop: {value!r}")
        return value

    def entries(
        self, key: yaml.Node, node: yaml.Node, inner: str, known: Iterable[str], what: str
    ) -> tuple[str, dict[str, str]]:
        """`{summary: ..., <inner>: {name: text}}` under `key`, the names checked against `known`."""
        where = str(key.value)
        summary: str | None = None
        texts: dict[str, str] = {}
        allowed = set(known)
        for entry, value in self.mapping(node, where):
            if entry.value == "summary":
                summary = self.summary(value, f"{where}.summary")
            elif entry.value == inner:
                if isinstance(value, yaml.ScalarNode) and value.tag == "tag:yaml.org,2002:null":
                    continue  # `params:` with nothing under it: no texts
                for name, text in self.mapping(value, f"{where}.{inner}"):
                    if name.value not in allowed:
                        raise self.error(name, f"{where}.{inner}: {name.value!r} is not a {what} of {where}")
                    texts[name.value] = self.text(text, f"{where}.{inner}.{name.value}")
            else:
                raise self.error(entry, f"{where}: unknown key {entry.value!r} (expected 'summary' and {inner!r})")
        if summary is None:
            raise self.error(key, f"{where}: no summary")
        return summary, texts


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def load_prose(spec: Spec, root: Path = PROSE_ROOT, *, upstream: frozenset[tuple[str, ...]] = frozenset()) -> Prose:
    """Read and check `root/<api>/methods.yaml` and `models.yaml` against `spec`. `upstream`: word
    runs of upstream description prose that no text may contain (see `upstream_runs`)."""
    folder = root / spec.api.name
    methods: dict[str, MethodText] = {}
    models: dict[str, ModelText] = {}
    path = folder / "methods.yaml"
    if path.is_file():
        file = _File(path, _display(path), upstream)
        known = _methods(spec)
        doc = file.compose()
        for key, node in file.mapping(doc, "(top level)") if doc is not None else []:
            method = known.get(key.value)
            if method is None:
                raise file.error(key, f"{key.value!r} is not a method of specs/{spec.api.name}")
            params = [p.name for p in method.params] + _body_fields(spec, method)
            summary, texts = file.entries(key, node, "params", params, "parameter")
            methods[key.value] = MethodText(summary, texts)
    path = folder / "models.yaml"
    if path.is_file():
        file = _File(path, _display(path), upstream)
        doc = file.compose()
        for key, node in file.mapping(doc, "(top level)") if doc is not None else []:
            if key.value not in spec.models:
                raise file.error(key, f"{key.value!r} is not a model of specs/{spec.api.name}")
            summary, texts = file.entries(key, node, "fields", model_fields(spec, key.value), "field")
            models[key.value] = ModelText(summary, texts)
    return Prose(methods=methods, models=models)


def texts_of(prose: Prose) -> Iterator[tuple[str, str]]:
    """Every text of `prose` with where it is (`users.get.params.user_ids`)."""
    for name, m in prose.methods.items():
        yield f"{name}.summary", m.summary
        for param, text in m.params.items():
            yield f"{name}.params.{param}", text
    for key, model in prose.models.items():
        yield f"{key}.summary", model.summary
        for name, text in model.fields.items():
            yield f"{key}.fields.{name}", text


__all__ = [
    "MethodText",
    "ModelText",
    "Prose",
    "ProseError",
    "load_prose",
    "model_fields",
    "properties",
    "runs",
    "texts_of",
    "upstream_descriptions",
    "upstream_runs",
    "words",
]
