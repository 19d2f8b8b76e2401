"""`python -m codegen diff`: what a regeneration changes in the public surface of each SDK.

The surface is read from the specs through the generator's own rendering (`_Renderer`), so the
types compared are exactly the ones the generated code declares: every method (wire name,
Python path, keyword parameters with their types and whether they are required, result types)
and every model (class fields, enum members, alias types).

By default the specs at a git revision (HEAD) are compared with the working tree; `--before` and
`--after` compare two specs folders instead. A change is *breaking* when code written against
the old surface may stop working: a method, parameter, field, member or model removed, a type
changed, a parameter or field that became required, a method moved to another Python name.
"""

from __future__ import annotations

import filecmp
import json
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from codegen.generate import _Renderer
from codegen.models import AliasIR, ClassIR, EnumIR, build_graph
from codegen.spec.errors import SpecError
from codegen.spec.load import SPECS_ROOT, load_api
from codegen.spec.model import Spec

APIS = ("vk", "yclients", "wialon")


class DiffError(Exception):
    """The old or new surface cannot be read: no such git revision, specs that do not load."""


@dataclass(frozen=True)
class Typed:
    """A parameter, field or member: its type (an enum member: its value) and whether it must be given."""

    type: str
    required: bool = False


@dataclass(frozen=True)
class MethodSurface:
    """A method as users call it."""

    wire: str
    attribute: str
    params: dict[str, Typed]
    results: dict[str, str]  # "" -> the default result; variant name -> its result


@dataclass(frozen=True)
class ModelSurface:
    """A model as users read or build it: a class (fields), an enum (members) or an alias (its type)."""

    name: str
    kind: str
    type: str
    members: dict[str, Typed]


@dataclass
class ApiSurface:
    """Everything public in one generated SDK."""

    methods: dict[str, MethodSurface] = field(default_factory=dict[str, MethodSurface])
    models: dict[str, ModelSurface] = field(default_factory=dict[str, ModelSurface])


@dataclass(frozen=True)
class Change:
    """One difference: `kind` is added / removed / changed; `what` names the thing, `detail` the change."""

    kind: str
    what: str
    detail: str
    breaking: bool


# Reading the surface.


def _plain(type_expr: str) -> str:
    # `builtins.list` is spelled out only where a method named `list` shadows it: the same type.
    return type_expr.replace("builtins.", "")


def surface(spec: Spec) -> ApiSurface:
    """The public surface the generator makes of `spec`."""
    graph = build_graph(spec)
    renderer = _Renderer(spec, graph)
    out = ApiSurface()
    for group in spec.groups:
        view = renderer._group(group)
        for method in view.methods:
            params = {p.attr: Typed(_plain(p.type), p.required) for p in method.params}
            if method.body_type:
                params["body"] = Typed(_plain(method.body_type))
                params.update({p.attr: Typed(_plain(p.type)) for p in method.body_fields})
            results = {"": _plain(method.result)}
            results.update({name: _plain(result) for name, _, result in method.variants})
            attribute = method.attr if view.toplevel else f"{view.name}.{method.attr}"
            out.methods[method.wire] = MethodSurface(method.wire, attribute, params, results)
    for model in graph.models.values():
        if isinstance(model, ClassIR):
            fields = {f.attr: Typed(_plain(f.type), f.required) for f in model.fields}
            out.models[model.name] = ModelSurface(model.name, "class", "", fields)
        elif isinstance(model, EnumIR):
            members = {name: Typed(value) for name, value in model.members}
            out.models[model.name] = ModelSurface(model.name, "enum", model.base, members)
        elif isinstance(model, AliasIR):
            out.models[model.name] = ModelSurface(model.name, "alias", _plain(model.type), {})
    return out


# Comparing.


def compare(before: ApiSurface, after: ApiSurface) -> list[Change]:
    """Every difference from `before` to `after`, methods first, each group in name order."""
    changes: list[Change] = []
    for wire in sorted(before.methods.keys() | after.methods.keys()):
        old, new = before.methods.get(wire), after.methods.get(wire)
        if old is None and new is not None:
            changes.append(Change("added", f"method {wire}", f"{new.attribute}({', '.join(new.params)})", False))
        elif new is None and old is not None:
            changes.append(Change("removed", f"method {wire}", old.attribute, True))
        elif old is not None and new is not None:
            changes += _method_changes(old, new)
    for name in sorted(before.models.keys() | after.models.keys()):
        was, now = before.models.get(name), after.models.get(name)
        if was is None and now is not None:
            changes.append(Change("added", f"{now.kind} {name}", _model_summary(now), False))
        elif now is None and was is not None:
            changes.append(Change("removed", f"{was.kind} {name}", _model_summary(was), True))
        elif was is not None and now is not None:
            changes += _model_changes(was, now)
    return changes


def _method_changes(old: MethodSurface, new: MethodSurface) -> Iterator[Change]:
    where = f"method {new.wire}"
    if old.attribute != new.attribute:
        yield Change("changed", where, f"Python name {old.attribute} -> {new.attribute}", True)
    yield from _member_changes(where, "parameter", old.params, new.params, new_required_breaks=True)
    for variant in sorted(old.results.keys() | new.results.keys()):
        label = "result" if not variant else f"result with {variant}"
        was, now = old.results.get(variant), new.results.get(variant)
        if was != now:
            yield Change("changed", where, f"{label}: {was or '(none)'} -> {now or '(none)'}", was is not None)


def _model_changes(old: ModelSurface, new: ModelSurface) -> Iterator[Change]:
    where = f"{new.kind} {new.name}"
    if old.kind != new.kind:
        yield Change("changed", where, f"was {_a(old.kind)}, now {_a(new.kind)}", True)
        return
    if old.type != new.type:
        yield Change("changed", where, f"type {old.type} -> {new.type}", True)
    member = {"class": "field", "enum": "member", "alias": "member"}[new.kind]
    # A new required field breaks code that builds the model (request bodies are models too); a
    # field that became optional may now be None, which breaks code that reads it.
    is_class = new.kind == "class"
    yield from _member_changes(
        where, member, old.members, new.members, new_required_breaks=is_class, optional_breaks=is_class
    )


def _member_changes(
    where: str,
    noun: str,
    old: dict[str, Typed],
    new: dict[str, Typed],
    *,
    new_required_breaks: bool,
    optional_breaks: bool = False,
) -> Iterator[Change]:
    for name in [*old, *(n for n in new if n not in old)]:
        was, now = old.get(name), new.get(name)
        if was is None and now is not None:
            breaking = now.required and new_required_breaks
            yield Change("added", where, f"{noun} {name}: {now.type}{' (required)' if now.required else ''}", breaking)
        elif now is None and was is not None:
            yield Change("removed", where, f"{noun} {name}: {was.type}", True)
        elif was is not None and now is not None:
            if was.type != now.type:
                yield Change("changed", where, f"{noun} {name}: type {was.type} -> {now.type}", True)
            if was.required != now.required:
                became = "required" if now.required else "optional"
                yield Change("changed", where, f"{noun} {name}: became {became}", now.required or optional_breaks)


def _a(noun: str) -> str:
    return f"{'an' if noun[0] in 'aeiou' else 'a'} {noun}"


def _model_summary(model: ModelSurface) -> str:
    if model.kind == "alias":
        return model.type
    return f"{len(model.members)} {'fields' if model.kind == 'class' else 'members'}"


# Where the specs come from.


def _same_tree(a: Path, b: Path) -> bool:
    """Do two folders hold the same files with the same bytes?"""
    if not a.is_dir() or not b.is_dir():
        return False
    files_a = sorted(p.relative_to(a).as_posix() for p in a.rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(b).as_posix() for p in b.rglob("*") if p.is_file())
    return files_a == files_b and all(filecmp.cmp(a / f, b / f, shallow=False) for f in files_a)


def _git(cwd: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)


def specs_at(ref: str, specs: Path, apis: Iterable[str], into: Path) -> Path:
    """Extract `<specs>/<api>` of each API as it was at git revision `ref` into `into`; returns `into`.

    An API with no specs at `ref` gets no folder (its whole surface then counts as added).
    Raises DiffError when `specs` is not in a git checkout or `ref` is no revision.
    """
    top = _git(specs, "rev-parse", "--show-toplevel")
    if top.returncode != 0:
        raise DiffError(f"{specs} is not in a git checkout; compare folders with --before/--after instead")
    root = Path(top.stdout.decode().strip())
    prefix = specs.resolve().relative_to(root.resolve()).as_posix()
    if _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").returncode != 0:
        raise DiffError(f"no git revision {ref!r}")
    into.mkdir(parents=True, exist_ok=True)
    for api in apis:
        path = f"{prefix}/{api}"
        if _git(root, "cat-file", "-e", f"{ref}:{path}").returncode != 0:
            continue
        archive = _git(root, "archive", "--format=tar", ref, path)
        if archive.returncode != 0:
            raise DiffError(f"git archive {ref} {path}: {archive.stderr.decode(errors='replace').strip()}")
        tar_path = into / f"{api}.tar"
        tar_path.write_bytes(archive.stdout)
        with tarfile.open(tar_path) as tar:
            if hasattr(tarfile, "data_filter"):  # Python >= 3.11.4: refuse links and paths leaving the folder
                tar.extractall(into / "_tree", filter="data")
            else:
                tar.extractall(into / "_tree")
        (into / "_tree" / path).rename(into / api)
    return into


def _load(folder: Path, label: str) -> ApiSurface:
    if not folder.is_dir():
        return ApiSurface()
    try:
        return surface(load_api(folder))
    except SpecError as exc:
        raise DiffError(f"{label}: {exc}") from None


# The report.


def diff_apis(before: Path, after: Path, apis: Sequence[str], *, before_label: str) -> dict[str, list[Change]]:
    """The changes of each API from the specs under `before` to those under `after`."""
    report: dict[str, list[Change]] = {}
    for api in apis:
        if _same_tree(before / api, after / api):
            report[api] = []  # the same bytes: no need to build anything
            continue
        old = _load(before / api, f"specs/{api} at {before_label}")
        new = _load(after / api, f"specs/{api}")
        report[api] = compare(old, new)
    return report


def render_text(report: dict[str, list[Change]], *, against: str) -> str:
    """The report for people: a summary line per API, then one line per change, breaking ones marked."""
    lines: list[str] = []
    for api, changes in report.items():
        if not changes:
            lines.append(f"{api}: no API changes against {against}")
            continue
        breaking = sum(c.breaking for c in changes)
        counts = {kind: sum(c.kind == kind for c in changes) for kind in ("added", "removed", "changed")}
        summary = ", ".join(f"{n} {kind}" for kind, n in counts.items() if n)
        lines.append(f"{api}: {summary} against {against}; {breaking} breaking")
        for change in changes:
            mark = "BREAKING" if change.breaking else ""
            lines.append(f"  {mark:8}  {change.kind:7}  {change.what}: {change.detail}")
    return "\n".join(lines) + "\n"


def run(
    apis: Sequence[str],
    *,
    ref: str = "HEAD",
    before: Path | None = None,
    after: Path | None = None,
    as_json: bool = False,
    fail_on_breaking: bool = False,
) -> int:
    """Print the changes of `apis`; 1 when `fail_on_breaking` and a change is breaking, else 0."""
    after_dir = after or SPECS_ROOT
    try:
        with tempfile.TemporaryDirectory(prefix="apiforge-diff-") as tmp:
            if before is None:
                before_dir, label = specs_at(ref, after_dir, apis, Path(tmp)), ref
            else:
                before_dir, label = before, str(before)
            report = diff_apis(before_dir, after_dir, apis, before_label=label)
    except DiffError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if as_json:
        print(json.dumps({api: [asdict(c) for c in changes] for api, changes in report.items()}, indent=2))
    else:
        sys.stdout.write(render_text(report, against=label))
    broken = any(c.breaking for changes in report.values() for c in changes)
    return 1 if fail_on_breaking and broken else 0


__all__ = [
    "ApiSurface",
    "Change",
    "DiffError",
    "MethodSurface",
    "ModelSurface",
    "compare",
    "diff_apis",
    "render_text",
    "run",
    "surface",
]
