"""`python -m codegen diff`: what a regeneration changes in the public surface of each SDK.

The surface is read from the specs through the generator's own rendering (`_Renderer`), so the
types compared are exactly the ones the generated code declares: every method (wire name,
Python path, keyword parameters with their types and whether they are required, result types)
and every model (class fields, enum members, alias types).

By default the specs at a git revision (HEAD) are compared with the working tree; `--before` and
`--after` compare two folders instead: specs folders (holding `<api>/`), or folders of the
official VK schema, which are imported first (with `specs/vk/overlay.yaml` or `--overlay`), so
two published states of upstream can be compared directly. A change is *breaking* when code written against the old
surface may stop working: a method, parameter, field, member or model removed, a type changed,
a parameter renamed, a parameter or field that became required, a method moved to another
Python name. `--format markdown` renders the changes as release notes (`release_notes.py`).
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

from codegen import diff_types
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
    wire: str = ""  # the name on the wire (`from` for the parameter `from_`), when it has one


@dataclass(frozen=True)
class MethodSurface:
    """A method as users call it."""

    wire: str
    attribute: str
    params: dict[str, Typed]
    results: dict[str, str]  # "" -> the default result; variant name -> its result
    group: str = ""  # the method group (`users`): the section of release notes


@dataclass(frozen=True)
class ModelSurface:
    """A model as users read or build it: a class (fields), an enum (members) or an alias (its type)."""

    name: str
    kind: str
    type: str
    members: dict[str, Typed]
    module: str = ""  # the models module (`users`): the section of release notes
    source: str = ""  # the spec model (upstream definition) it comes from


@dataclass
class ApiSurface:
    """Everything public in one generated SDK."""

    methods: dict[str, MethodSurface] = field(default_factory=dict[str, MethodSurface])
    models: dict[str, ModelSurface] = field(default_factory=dict[str, ModelSurface])


@dataclass(frozen=True)
class Change:
    """One difference: `kind` is added / removed / changed / renamed; `what` names the thing, `detail` the change.

    The other fields say the same for tools: `subject` is what changed (method, parameter, result,
    python_name, model, field, member, type), `owner` the method's wire name or the model's
    class, `name` the parameter, field or member (Python name), `wire` its wire name (a rename:
    the new one, `renamed_from` the old one), `section` the group or models module it belongs to,
    and `source` the spec model a class, enum or alias comes from.
    """

    kind: str
    what: str
    detail: str
    breaking: bool
    subject: str = ""
    owner: str = ""
    name: str = ""
    wire: str = ""
    section: str = ""
    renamed_from: str = ""
    source: str = ""


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
            params = {p.attr: Typed(_plain(p.type), p.required, p.wire) for p in method.params}
            if method.body_type:
                params["body"] = Typed(_plain(method.body_type))
                params.update({p.attr: Typed(_plain(p.type), wire=p.wire) for p in method.body_fields})
            results = {"": _plain(method.result)}
            results.update({name: _plain(result) for name, _, result in method.variants})
            attribute = method.attr if view.toplevel else f"{view.name}.{method.attr}"
            out.methods[method.wire] = MethodSurface(method.wire, attribute, params, results, view.name)
    for model in graph.models.values():
        where = {"module": model.module, "source": model.source}
        if isinstance(model, ClassIR):
            fields = {f.attr: Typed(_plain(f.type), f.required, f.wire) for f in model.fields}
            out.models[model.name] = ModelSurface(model.name, "class", "", fields, **where)
        elif isinstance(model, EnumIR):
            members = {name: Typed(value) for name, value in model.members}
            out.models[model.name] = ModelSurface(model.name, "enum", model.base, members, **where)
        elif isinstance(model, AliasIR):
            out.models[model.name] = ModelSurface(model.name, "alias", _plain(model.type), {}, **where)
    return out


# Comparing.


def compare(before: ApiSurface, after: ApiSurface) -> list[Change]:
    """Every difference from `before` to `after`, methods first, each group in name order."""
    changes: list[Change] = []
    for wire in sorted(before.methods.keys() | after.methods.keys()):
        old, new = before.methods.get(wire), after.methods.get(wire)
        if old is None and new is not None:
            detail = f"{new.attribute}({', '.join(new.params)})"
            changes.append(Change("added", f"method {wire}", detail, False, "method", wire, section=new.group))
        elif new is None and old is not None:
            changes.append(Change("removed", f"method {wire}", old.attribute, True, "method", wire, section=old.group))
        elif old is not None and new is not None:
            changes += _method_changes(old, new)
    for name in sorted(before.models.keys() | after.models.keys()):
        was, now = before.models.get(name), after.models.get(name)
        if was is None and now is not None:
            what = f"{now.kind} {name}"
            summary = _model_summary(now)
            changes.append(Change("added", what, summary, False, "model", name, section=now.module, source=now.source))
        elif now is None and was is not None:
            what = f"{was.kind} {name}"
            summary = _model_summary(was)
            changes.append(Change("removed", what, summary, True, "model", name, section=was.module, source=was.source))
        elif was is not None and now is not None:
            changes += _model_changes(was, now)
    return changes


def _method_changes(old: MethodSurface, new: MethodSurface) -> Iterator[Change]:
    where = f"method {new.wire}"
    at = {"owner": new.wire, "section": new.group}
    if old.attribute != new.attribute:
        yield Change("changed", where, f"Python name {old.attribute} -> {new.attribute}", True, "python_name", **at)
    yield from _member_changes(where, "parameter", old.params, new.params, at, new_required_breaks=True, renames=True)
    for variant in sorted(old.results.keys() | new.results.keys()):
        label = "result" if not variant else f"result with {variant}"
        was, now = old.results.get(variant), new.results.get(variant)
        if was is None or now is None or not diff_types.same(was, now):
            detail = f"{label}: {was or '(none)'} -> {now or '(none)'}"
            yield Change("changed", where, detail, was is not None, "result", name=variant, **at)


def _model_changes(old: ModelSurface, new: ModelSurface) -> Iterator[Change]:
    where = f"{new.kind} {new.name}"
    at = {"owner": new.name, "section": new.module, "source": new.source}
    if old.kind != new.kind:
        yield Change("changed", where, f"was {_a(old.kind)}, now {_a(new.kind)}", True, "model", **at)
        return
    if not diff_types.same(old.type, new.type):
        yield Change("changed", where, f"type {old.type} -> {new.type}", True, "type", **at)
    member = {"class": "field", "enum": "member", "alias": "member"}[new.kind]
    # A new required field breaks code that builds the model (request bodies are models too); a
    # field that became optional may now be None, which breaks code that reads it.
    is_class = new.kind == "class"
    yield from _member_changes(
        where, member, old.members, new.members, at, new_required_breaks=is_class, optional_breaks=is_class
    )


def _member_changes(
    where: str,
    noun: str,
    old: dict[str, Typed],
    new: dict[str, Typed],
    at: dict[str, str],
    *,
    new_required_breaks: bool,
    optional_breaks: bool = False,
    renames: bool = False,
) -> Iterator[Change]:
    renamed = _renames(old, new) if renames else {}
    for name in [*old, *(n for n in new if n not in old)]:
        was, now = old.get(name), new.get(name)
        fact = {"subject": noun, "name": name, "wire": (now or was or Typed("")).wire, **at}
        if name in renamed.values():
            continue  # reported with the name it replaces
        if name in renamed:
            after = new[renamed[name]]
            assert was is not None
            fact.update(name=renamed[name], wire=after.wire, renamed_from=was.wire)
            detail = f"{noun} {name} renamed {renamed[name]}: {after.type}{' (required)' if after.required else ''}"
            yield Change("renamed", where, detail, True, **fact)
        elif was is None and now is not None:
            breaking = now.required and new_required_breaks
            detail = f"{noun} {name}: {now.type}{' (required)' if now.required else ''}"
            yield Change("added", where, detail, breaking, **fact)
        elif now is None and was is not None:
            yield Change("removed", where, f"{noun} {name}: {was.type}", True, **fact)
        elif was is not None and now is not None:
            if not diff_types.same(was.type, now.type):
                # A parameter that accepts more than before breaks no caller; anything else may.
                widened = noun == "parameter" and diff_types.widens(was.type, now.type)
                detail = f"{noun} {name}: type {was.type} -> {now.type}"
                yield Change("changed", where, detail, not widened, **fact)
            if was.required != now.required:
                became = "required" if now.required else "optional"
                breaks = now.required or optional_breaks
                yield Change("changed", where, f"{noun} {name}: became {became}", breaks, **fact)


def _renames(old: dict[str, Typed], new: dict[str, Typed]) -> dict[str, str]:
    """Parameters that look renamed: old name -> new name.

    Upstream renames parameters (`conversation_message_id` -> `cmid` in messages.edit). A removed
    and an added parameter of one method are taken for a rename when they have the same type and
    one name abbreviates the other (a prefix of each word: `cmid` for `conversation_message_id`) or
    contains it whole (`user_ids` -> `user_ids_list`); each name pairs at most once, and only an
    unambiguous match counts.
    """
    gone = [n for n in old if n not in new]
    came = [n for n in new if n not in old]
    pairs: dict[str, str] = {}
    for name in gone:
        matches = [c for c in came if old[name].type == new[c].type and _alike(name, c) and c not in pairs.values()]
        if len(matches) == 1:
            pairs[name] = matches[0]
    return pairs


def _alike(a: str, b: str) -> bool:
    """Do two parameter names look like one renamed (an abbreviation, or one inside the other)?"""
    words_a, words_b = a.strip("_").split("_"), b.strip("_").split("_")
    if len(words_a) > 1 and len(words_b) == 1 and _abbreviates(words_b[0], words_a):
        return True
    if len(words_b) > 1 and len(words_a) == 1 and _abbreviates(words_a[0], words_b):
        return True
    shorter, longer = sorted((words_a, words_b), key=len)
    size = len(shorter)
    return size < len(longer) and any(longer[i : i + size] == shorter for i in range(len(longer) - size + 1))


def _abbreviates(short: str, words: Sequence[str]) -> bool:
    """Is `short` a non-empty prefix of each of `words`, in order (`cmid`: conversation, message, id)?"""
    if not words:
        return not short
    head, rest = words[0], words[1:]
    return any(
        short[:cut] == head[:cut] and _abbreviates(short[cut:], rest)
        for cut in range(1, min(len(short), len(head)) + 1)
    )


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


def is_vk_schema(folder: Path) -> bool:
    """Is `folder` a state of the official VK schema (errors.json and section folders), not specs?"""
    return (folder / "errors.json").is_file() and any(folder.glob("*/methods.json"))


def specs_from_vk_schema(schema: Path, overlay: Path, into: Path) -> Path:
    """Import a VK schema folder into `into/vk` (the importer's files, nothing printed); returns `into`.

    The import's warnings go to stderr, each naming the folder; an overlay entry that does not
    apply to this state is a warning, as in `python -m codegen import vk`.
    """
    from codegen.importers import vk

    try:
        imported = vk.build(schema, overlay)
    except SpecError as exc:
        raise DiffError(f"{schema}: {exc}") from None
    for line in imported.report():
        print(f"{schema}: {line}", file=sys.stderr)
    for relative, text in imported.files.items():
        path = into / "vk" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
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


def version_of(folder: Path) -> str:
    """The API version the specs in `folder` (one API) declare, or "" (no specs, no version)."""
    try:
        return load_api(folder).api.version or "" if folder.is_dir() else ""
    except SpecError:
        return ""


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
    output: str = "text",
    overlay: Path | None = None,
) -> int:
    """Print the changes of `apis`; 1 when `fail_on_breaking` and a change is breaking, else 0.

    `before` and `after` are specs folders or VK schema folders (imported with `overlay`, by
    default specs/vk/overlay.yaml); `output` is text, json or markdown (`as_json`: json).
    """
    after_dir = after or SPECS_ROOT
    fmt = "json" if as_json else output
    overlay_path = overlay or SPECS_ROOT / "vk" / "overlay.yaml"
    try:
        with tempfile.TemporaryDirectory(prefix="apiforge-diff-") as tmp:
            if is_vk_schema(after_dir):
                after_dir = specs_from_vk_schema(after_dir, overlay_path, Path(tmp) / "after")
                apis = [api for api in apis if api == "vk"]
            if before is None:
                before_dir, label = specs_at(ref, after_dir, apis, Path(tmp) / "before"), ref
            elif is_vk_schema(before):
                before_dir, label = specs_from_vk_schema(before, overlay_path, Path(tmp) / "before"), str(before)
                apis = [api for api in apis if api == "vk"]
            else:
                before_dir, label = before, str(before)
            report = diff_apis(before_dir, after_dir, apis, before_label=label)
            versions: dict[str, tuple[str, str]] = {}
            if fmt == "markdown":  # the notes' headings name the versions
                versions = {api: (version_of(before_dir / api), version_of(after_dir / api)) for api in report}
    except DiffError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if fmt == "json":
        print(json.dumps({api: [asdict(c) for c in changes] for api, changes in report.items()}, indent=2))
    elif fmt == "markdown":
        from codegen.release_notes import render_markdown

        sys.stdout.write(render_markdown(report, versions=versions, against=label))
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
    "is_vk_schema",
    "specs_from_vk_schema",
    "render_text",
    "run",
    "surface",
]
