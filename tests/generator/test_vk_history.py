"""The VK importer across the published history of the official schema.

Three states of VKCOM/vk-api-schema: 748a5e3 (2022-09, API 5.131), 140b98d (2024-04, API 5.199)
and the current one. Each is imported by `python -m codegen import vk` with the committed overlay,
then generated; its `METHODS` must be exactly the methods of that state's JSON files (read here
by a reader of our own, not the importer), and the package must import and type-check.
The current state's package is the committed one (test_import_vk checks that it regenerates
byte for byte; the main typecheck run checks its types), so only its METHODS are checked here.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pytest
import yaml

from codegen import diff, generate
from codegen.release_notes import render_markdown
from codegen.spec.load import load_api
from codegen.spec.model import Spec

REPO = Path(__file__).resolve().parents[2]
UPSTREAM = REPO.parent / "shared/upstream"
STATES = {
    "748a5e3": UPSTREAM / "vk-history" / "748a5e3",
    "140b98d": UPSTREAM / "vk-history" / "140b98d",
    "current": UPSTREAM / "vk-api-schema",
}
HISTORICAL = ("748a5e3", "140b98d")
OVERLAY = REPO / "specs" / "vk" / "overlay.yaml"
VENV_BIN = Path(sys.executable).parent
HANG = 900  # seconds: only a hung tool takes this long, even on a loaded machine


def raw_methods(root: Path) -> set[str]:
    """Every method name in a schema folder, straight from its `*/methods.json` files."""
    names: set[str] = set()
    for path in root.glob("*/methods.json"):
        names.update(method["name"] for method in json.loads(path.read_text(encoding="utf-8"))["methods"])
    return names


@dataclass
class State:
    """One imported (and, for history, generated) state."""

    name: str
    specs: Path  # the specs root (holds vk/)
    output: Path | None  # the root holding apiforge/vk, None for the current state
    stdout: str
    stderr: str

    @property
    def stale(self) -> list[str]:
        """The overlay entries the import listed as not applying (file:line: pointer: reason)."""
        return [line[len(_STALE) :] for line in self.stderr.splitlines() if line.startswith(_STALE)]

    @property
    def warnings(self) -> list[str]:
        """The other warnings: what the schema state itself does oddly."""
        lines = self.stderr.splitlines()
        return [line for line in lines if line.startswith("warning: ") and not line.startswith(_STALE)]


_STALE = "warning: overlay entry does not apply: "


def _import(name: str, root: Path) -> State:
    specs = root / "specs"
    (specs / "vk").mkdir(parents=True)
    shutil.copyfile(OVERLAY, specs / "vk" / "overlay.yaml")
    done = subprocess.run(
        [sys.executable, "-m", "codegen", "import", "vk", str(STATES[name]), "--specs", str(specs)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=HANG,
        check=False,
    )
    assert done.returncode == 0, f"import of {name} failed:\n{done.stderr}"
    output = None
    if name != "current":
        output = root / "out"
        # No docstring texts: prose/vk is written against the current methods, not a historical state's.
        assert generate.run(["vk"], specs=specs, output=output / "apiforge", quiet=True, prose=None) == 0
    return State(name, specs, output, done.stdout, done.stderr)


@pytest.fixture(scope="module")
def states(tmp_path_factory: pytest.TempPathFactory) -> dict[str, State]:
    return {name: _import(name, tmp_path_factory.mktemp(name)) for name in STATES}


def _package_facts(output: Path | None) -> dict[str, object]:
    """Import apiforge.vk (from `output`, or the committed one) in a fresh interpreter."""
    script = textwrap.dedent(
        """
        import importlib, json
        import apiforge.vk as vk
        with vk.VK(token="t") as client:  # a client builds without the network
            pass
        modules = sorted({info.module for info in vk.METHODS.values()})
        for module in modules:
            importlib.import_module(module)
        specs = [info.spec.name for info in vk.METHODS.values()]  # every MethodSpec resolves
        print(json.dumps({"file": vk.__file__, "methods": sorted(vk.METHODS), "specs": sorted(specs)}))
        """
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if output is not None:
        env["PYTHONPATH"] = str(output)  # ahead of the editable install's generated/
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True, timeout=HANG, check=False
    )
    assert done.returncode == 0, done.stderr
    facts: dict[str, object] = json.loads(done.stdout)
    return facts


@pytest.mark.parametrize("name", list(STATES))
def test_methods_are_exactly_the_states_methods(states: dict[str, State], name: str) -> None:
    state = states[name]
    expected = raw_methods(STATES[name])
    assert len(expected) > 500
    facts = _package_facts(state.output)
    package = Path(str(facts["file"])).resolve()
    home = (state.output or REPO / "generated").resolve()
    assert package.is_relative_to(home), f"imported {package}, not the package under {home}"
    assert set(facts["methods"]) == expected  # type: ignore[arg-type]
    assert facts["specs"] == sorted(expected)
    summary = state.stdout.strip().splitlines()[-1]
    assert f", {len(expected)} methods, " in summary, summary


def test_counts_per_state(states: dict[str, State]) -> None:
    assert {name: len(raw_methods(path)) for name, path in STATES.items()} == {
        "748a5e3": 507,
        "140b98d": 571,
        "current": 566,
    }
    # Methods renamed or dropped between the states, from the raw files: the SDKs follow.
    old, mid, new = (raw_methods(STATES[n]) for n in ("748a5e3", "140b98d", "current"))
    assert "execute" not in old and "execute" in mid and "execute" in new
    assert old - new and new - old and mid - new


def test_mixed_version_stamps_are_warnings_naming_the_files(states: dict[str, State]) -> None:
    assert states["748a5e3"].warnings == [
        "warning: 93 file(s) carry no version, read as 5.131: "
        "errors.json, every */objects.json (50), every */responses.json (42)"
    ]
    assert states["140b98d"].warnings == [
        "warning: 1 file(s) stamped 5.131, not 5.199 like the rest: adsweb/methods.json",
        "warning: 3 file(s) carry no version, read as 5.199: "
        "addresses/objects.json, adsweb/objects.json, adsweb/responses.json",
    ]
    assert states["current"].warnings == []
    for name, version in (("748a5e3", "5.131"), ("140b98d", "5.199"), ("current", "5.199")):
        api = (states[name].specs / "vk" / "api.yaml").read_text(encoding="utf-8")
        assert f"version: '{version}'" in api, (name, api)


def test_every_overlay_entry_applies_to_the_current_state(states: dict[str, State]) -> None:
    assert states["current"].stale == []
    assert "note: 2 overlay entries are for other schema states (applies:)" in states["current"].stderr


def test_stale_overlay_entries_are_listed_with_their_reason(states: dict[str, State]) -> None:
    stale = states["140b98d"].stale
    # file:line: where in the overlay: why.
    assert any(
        line.endswith("methods.wall.get.add_params[0]: wall.get has a parameter 'owner_id' upstream") for line in stale
    ), stale
    # The overlay's entry for a model 140b98d lacks, wherever it stands in the file.
    index = next(i for i, item in enumerate(overlay_corrections()) if item.get("model") == "callback_message_event")
    assert any(f"corrections[{index}].model: correction names no model 'callback_message_event'" in s for s in stale)
    assert all(line.split(":")[0].endswith("overlay.yaml") and line.split(":")[1].isdigit() for line in stale)
    old = states["748a5e3"].stale
    assert any("methods.execute: no method 'execute' in the schema" in line for line in old)
    assert any("messages_createChat_withPeerIds_response: no such model in this state" in line for line in old)
    # The entries scoped to the older states by `applies:` do apply there.
    assert "for other schema states" not in states["748a5e3"].stderr


def test_historical_packages_type_check(states: dict[str, State], tmp_path: Path) -> None:
    """mypy --strict on each historical package (one module name, so one run each); pyright on both at once."""
    roots = {name: states[name].output for name in HISTORICAL}
    cache = tmp_path / "mypy-cache"
    for name, root in roots.items():
        assert root is not None
        config = tmp_path / f"mypy-{name}.ini"
        config.write_text(
            textwrap.dedent(
                f"""
                [mypy]
                strict = True
                explicit_package_bases = True
                namespace_packages = True
                mypy_path = {REPO / "runtime"}:{root}
                cache_dir = {cache}
                [mypy-apiforge.vk.methods.*]
                disable_error_code = overload-overlap
                [mypy-datamodel_code_generator.*]
                ignore_missing_imports = True
                """
            ),
            encoding="utf-8",
        )
        done = subprocess.run(
            [str(VENV_BIN / "mypy"), "--config-file", str(config), str(root / "apiforge" / "vk")],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=HANG,
            check=False,
        )
        assert done.returncode == 0, f"mypy --strict on {name}:\n{done.stdout[-4000:]}{done.stderr[-2000:]}"
        checked = len(list((root / "apiforge" / "vk").rglob("*.py")))
        assert f"no issues found in {checked} source files" in done.stdout, done.stdout  # these files, not generated/

    # One pyright execution environment per state: each resolves `apiforge.vk` to its own package.
    common = Path(os.path.commonpath([str(r) for r in roots.values() if r is not None]))
    config = common / "pyrightconfig.json"
    environments = [
        {"root": os.path.relpath(r, common), "extraPaths": [str(REPO / "runtime")]} for r in roots.values() if r
    ]
    config.write_text(
        json.dumps(
            {
                "include": [f"{env['root']}/apiforge/vk" for env in environments],
                "typeCheckingMode": "strict",
                "pythonVersion": "3.11",
                "reportPrivateUsage": False,
                "reportUnnecessaryIsInstance": False,
                "reportMissingTypeStubs": False,
                "executionEnvironments": environments,
            }
        ),
        encoding="utf-8",
    )
    done = subprocess.run(
        [str(VENV_BIN / "pyright"), "--pythonpath", sys.executable, "-p", str(config), "--outputjson"],
        cwd=common,
        capture_output=True,
        text=True,
        timeout=HANG,
        check=False,
    )
    report = json.loads(done.stdout)
    problems = [f"{d['file']}:{d['range']['start']['line'] + 1}: {d['message']}" for d in report["generalDiagnostics"]]
    assert done.returncode == 0 and not problems, "\n".join(problems[:20])
    expected = sum(len(list((r / "apiforge" / "vk").rglob("*.py"))) for r in roots.values() if r)
    assert report["summary"]["filesAnalyzed"] >= expected


# The diff between states, against one computed here from the raw JSON.


class RawState:
    """A schema state read straight from its JSON files (no importer, no overlay)."""

    def __init__(self, root: Path) -> None:
        self.methods: dict[str, dict[str, Any]] = {}
        for path in root.glob("*/methods.json"):
            for method in json.loads(path.read_text(encoding="utf-8"))["methods"]:
                self.methods[method["name"]] = method
        self.definitions: dict[str, Any] = {}
        for path in root.glob("*/objects.json"):
            self.definitions.update(json.loads(path.read_text(encoding="utf-8"))["definitions"])
        for path in root.glob("*/responses.json"):
            for name, envelope in json.loads(path.read_text(encoding="utf-8"))["definitions"].items():
                self.definitions[name] = envelope["properties"]["response"]  # the payload

    def params(self, method: str) -> dict[str, dict[str, Any]]:
        return {p["name"]: p for p in self.methods[method].get("parameters", ())}

    def fields(self, name: str) -> dict[str, Any] | None:
        """The properties of an object definition, its allOf parents' included; None: not an object."""
        raw: object = self.definitions[name]
        if not isinstance(raw, dict):
            return None
        node = cast(dict[str, Any], raw)
        if "properties" not in node and "allOf" not in node:
            return None
        out: dict[str, Any] = {}
        part: dict[str, Any]
        for part in node.get("allOf", ()):
            parent = part.get("$ref", "").rsplit("/", 1)[-1]
            if parent:
                out.update(self.fields(parent) or {})
            else:
                out.update(part.get("properties") or {})
        out.update(node.get("properties") or {})
        return out

    def expand(self, node: Any, seen: frozenset[str] = frozenset()) -> Any:
        """A schema with each $ref replaced by its name and what it points at, and without prose.

        The name stays: a named type is a class or alias in the SDK, and a value that becomes one
        (an inline enum turned into a `$ref` to an equal one) changes the Python type.
        """
        if isinstance(node, list):
            return [self.expand(n, seen) for n in cast(list[Any], node)]
        if not isinstance(node, dict):
            return node
        schema = cast(dict[str, Any], node)
        ref = schema.get("$ref")
        if isinstance(ref, str) and "#/definitions/" in ref:
            name = ref.rsplit("/", 1)[-1]
            target = None if name in seen else self.expand(self.definitions.get(name), seen | {name})
            return {"ref": name, "target": target}
        drop = {"description", "title", "name", "required", "entity", "deprecated_from_version", "from_version"}
        return {k: self.expand(v, seen) for k, v in schema.items() if k not in drop}

    def parts(self, name: str) -> list[dict[str, Any]]:
        """The object schemas a definition is made of: its allOf parents' (recursively), then its own."""
        raw: object = self.definitions.get(name)
        if not isinstance(raw, dict):
            return []
        node = cast(dict[str, Any], raw)
        out: list[dict[str, Any]] = []
        part: dict[str, Any]
        for part in node.get("allOf", ()):
            parent = str(part.get("$ref", "")).rsplit("/", 1)[-1]
            out += self.parts(parent) if parent else [part]
        return [*out, node]

    def ancestors(self, name: str) -> set[str]:
        """The definitions `name` inherits from through allOf."""
        raw: object = self.definitions.get(name)
        found: set[str] = set()
        if isinstance(raw, dict):
            for part in cast(dict[str, Any], raw).get("allOf", ()):
                parent = str(part.get("$ref", "")).rsplit("/", 1)[-1]
                if parent:
                    found |= {parent, *self.ancestors(parent)}
        return found

    def required(self, name: str) -> tuple[set[str], set[str]]:
        """The properties some part of a definition requires, and those defined by several parts."""
        required: set[str] = set()
        seen: dict[str, int] = {}
        for part in self.parts(name):
            properties: dict[str, Any] = part.get("properties") or {}
            for prop, schema in properties.items():
                seen[prop] = seen.get(prop, 0) + 1
                if isinstance(schema, dict) and cast(dict[str, Any], schema).get("required") is True:
                    required.add(prop)
        return required, {prop for prop, times in seen.items() if times > 1}


def overlay_data() -> Any:
    """The committed overlay, parsed."""
    return yaml.safe_load(OVERLAY.read_text(encoding="utf-8"))


def overlay_corrections() -> list[dict[str, Any]]:
    """The overlay's `corrections`, in file order."""
    corrections: list[dict[str, Any]] = overlay_data().get("corrections") or []
    return corrections


def overlay_added_params() -> dict[str, set[str]]:
    """The parameters the overlay's `methods` add: method -> wire names."""
    methods: dict[str, dict[str, Any]] = overlay_data().get("methods") or {}
    out: dict[str, set[str]] = {}
    for method, facts in methods.items():
        added: list[dict[str, Any]] = facts.get("add_params") or []
        out[method] = {str(param["name"]) for param in added}
    return out


def step_names(step: object, listed: list[str]) -> str | None:
    """The parameter a path step after `params` stands for: `{name: ...}`, or an index into `listed`."""
    if isinstance(step, dict):
        name: object = cast(dict[str, Any], step).get("name")
        return name if isinstance(name, str) else None
    if isinstance(step, int) and -len(listed) <= step < len(listed):
        return listed[step]
    return None


def overlay_touched(*states: RawState) -> tuple[set[tuple[str, str]], set[str]]:
    """The parameters (method, wire name) and the models the overlay changes by hand in `states`.

    The raw JSON says nothing about them. A parameter is touched when the overlay adds it or a
    correction's path goes through it (`[params, {name: keyboard}, ...]`, or an index, read in each
    state); corrections of a method's result, variants or flags touch no parameter.
    """
    params = {(method, name) for method, names in overlay_added_params().items() for name in names}
    models: set[str] = set()
    for item in overlay_corrections():
        if "model" in item:
            models.add(str(item["model"]))
            continue
        method, path = str(item["method"]), cast(list[object], item["path"])
        if len(path) < 2 or path[0] != "params":
            continue
        for state in states:  # an index names whatever parameter stands there in that state
            name = step_names(path[1], list(state.params(method)) if method in state.methods else [])
            if name is not None:
                params.add((method, name))
    return params, models


@pytest.fixture(scope="module")
def specs(states: dict[str, State]) -> dict[str, Spec]:
    return {name: load_api(state.specs / "vk") for name, state in states.items()}


@pytest.fixture(scope="module")
def surfaces(specs: dict[str, Spec]) -> dict[str, diff.ApiSurface]:
    return {name: diff.surface(spec) for name, spec in specs.items()}


@pytest.mark.parametrize("name", list(STATES))
def test_parameter_corrections_hit_the_named_parameter_in_every_state(specs: dict[str, Spec], name: str) -> None:
    """A correction of `[params, {name: keyboard}, ...]` edits `keyboard` wherever it stands in the state.

    5.131's messages.send has `user_ids` before `keyboard`, 5.199's not: by index, the keyboard
    correction typed 5.131's `group_id` as a keyboard, and `keyboard` as a template.
    """
    current = RawState(STATES["current"])
    targets: dict[tuple[str, str], dict[str, Any]] = {}  # (method, parameter) -> what the overlay sets
    for item in overlay_corrections():
        path = cast(list[object], item["path"])
        if "method" in item and "set" in item and path[:1] == ["params"] and len(path) >= 3:
            method = str(item["method"])
            # By index: the parameter there in the current state, the one the entry was written for.
            param = step_names(path[1], list(current.params(method)))
            assert param is not None, item
            targets.setdefault((method, param), {})[str(path[2])] = item["set"]
    assert {("messages.send", "keyboard"), ("messages.edit", "template")} <= targets.keys()
    methods = {m.name: m for group in specs[name].groups for m in group.methods}
    for (method, param), values in targets.items():
        params = {p.name: p for p in methods[method].params}
        if "encoding" in values:
            assert params[param].encoding == values["encoding"], (name, method, param)
        if "schema" in values:
            assert params[param].schema == values["schema"], (name, method, param)
            others = [p.name for p in params.values() if p.name != param and p.schema == values["schema"]]
            assert not others, (name, method, others)


PAIRS = [("748a5e3", "140b98d"), ("140b98d", "current"), ("748a5e3", "current")]


@pytest.mark.parametrize(("old", "new"), PAIRS)
def test_diff_agrees_with_the_raw_json(surfaces: dict[str, diff.ApiSurface], old: str, new: str) -> None:
    changes = diff.compare(surfaces[old], surfaces[new])
    before, after = RawState(STATES[old]), RawState(STATES[new])
    hand_params, hand_models = overlay_touched(before, after)

    # Methods: exactly.
    found = {(c.kind, c.owner) for c in changes if c.subject == "method"}
    expected = {("added", m) for m in after.methods.keys() - before.methods.keys()}
    expected |= {("removed", m) for m in before.methods.keys() - after.methods.keys()}
    assert found == expected

    # Parameters of the methods in both: added, removed (a rename is both), made required.
    # Left out: the parameters the overlay adds or corrects (the raw JSON does not know them).
    both = sorted(before.methods.keys() & after.methods.keys())
    want: set[tuple[str, str, str]] = set()
    for method in both:
        was, now = before.params(method), after.params(method)
        want |= {("added", method, p) for p in now.keys() - was.keys()}
        want |= {("removed", method, p) for p in was.keys() - now.keys()}
        want |= {
            ("required", method, p)
            for p in was.keys() & now.keys()
            if now[p].get("required") is True and was[p].get("required") is not True
        }
    want = {w for w in want if (w[1], w[2]) not in hand_params}
    got: set[tuple[str, str, str]] = set()
    for c in changes:
        if c.subject != "parameter" or c.owner not in both:
            continue
        if c.kind == "renamed":
            got |= {("removed", c.owner, c.renamed_from), ("added", c.owner, c.wire)}
        elif c.kind in ("added", "removed"):
            got.add((c.kind, c.owner, c.wire))
        elif c.detail.endswith("became required"):
            got.add(("required", c.owner, c.wire))
    assert {g for g in got if (g[1], g[2]) not in hand_params} == want

    # Every parameter type change is a change of the raw schema (refs followed), and a parameter
    # whose JSON type changed gets a type change. The overlay's corrections included: each state
    # gets the same edit, so an unchanged raw parameter stays unchanged (a correction that hit
    # another parameter in another state would show here: 5.131's messages.send `group_id`).
    typed = {(c.owner, c.wire) for c in changes if c.subject == "parameter" and ": type " in c.detail}
    for method, param in typed:
        was, now = before.params(method).get(param), after.params(method).get(param)
        assert before.expand(was) != after.expand(now), (method, param)
    for method in both:
        was, now = before.params(method), after.params(method)
        for param in was.keys() & now.keys():
            if (method, param) in hand_params:
                continue
            if (
                "$ref" not in was[param]
                and "$ref" not in now[param]
                and was[param].get("type") != now[param].get("type")
            ):
                assert (method, param) in typed, (method, param, was[param].get("type"), now[param].get("type"))

    # Fields of the object definitions in both: added and removed, by wire name.
    common = sorted((before.definitions.keys() & after.definitions.keys()) - hand_models)
    want_fields: set[tuple[str, str, str]] = set()
    for name in common:
        was_fields, now_fields = before.fields(name), after.fields(name)
        if was_fields is None or now_fields is None:
            continue
        want_fields |= {("added", name, f) for f in now_fields.keys() - was_fields.keys()}
        want_fields |= {("removed", name, f) for f in was_fields.keys() - now_fields.keys()}
    got_fields = {
        (c.kind, c.source, c.wire)
        for c in changes
        if c.subject == "field" and c.source in common and c.kind in ("added", "removed")
    }
    assert got_fields == want_fields
    # And a field type change is a change of the raw property schema, or of the shape of its
    # definition (properties moved into an allOf part: the generator names and types those
    # differently, e.g. newsfeed_item_digest_full_item.style: NewsfeedItemDigestFullItemStyle -> Style).
    for c in changes:
        if c.subject == "field" and ": type " in c.detail and c.source in common:
            was_fields, now_fields = before.fields(c.source) or {}, after.fields(c.source) or {}
            reshaped = ("allOf" in before.definitions[c.source]) != ("allOf" in after.definitions[c.source])
            changed = before.expand(was_fields[c.wire]) != after.expand(now_fields[c.wire])
            assert changed or reshaped, (c.source, c.wire, c.detail)

    # Fields that became required or optional, and fields whose JSON type changed: every one is
    # reported. Left out: the overlay's hand edits, which reach the classes that inherit from the
    # models it corrects, and a property several allOf parts define (JSON Schema requires it when
    # any part does; a class has one definition of it).
    never_required = set(yaml.safe_load(OVERLAY.read_text(encoding="utf-8"))["never_required"])

    def left_out(name: str, prop: str) -> bool:
        inherits_hand_edits = bool((before.ancestors(name) | after.ancestors(name)) & hand_models)
        twice = prop in before.required(name)[1] | after.required(name)[1]
        return inherits_hand_edits or twice or prop in never_required

    want_required: set[tuple[str, str, str]] = set()
    want_typed: set[tuple[str, str]] = set()
    for name in common:
        was_fields, now_fields = before.fields(name), after.fields(name)
        if was_fields is None or now_fields is None:
            continue
        was_required, now_required = before.required(name)[0], after.required(name)[0]
        for prop in was_fields.keys() & now_fields.keys():
            if left_out(name, prop):
                continue
            if (prop in was_required) != (prop in now_required):
                want_required.add((name, prop, "required" if prop in now_required else "optional"))
            was_schema, now_schema = was_fields[prop], now_fields[prop]
            if (
                "$ref" not in was_schema
                and "$ref" not in now_schema
                and was_schema.get("type") != now_schema.get("type")
            ):
                want_typed.add((name, prop))
    got_required = {
        (c.source, c.wire, c.detail.rsplit(" ", 1)[-1])
        for c in changes
        if c.subject == "field" and ": became " in c.detail and c.source in common
    }
    assert want_required == {change for change in got_required if not left_out(change[0], change[1])}
    got_typed = {(c.source, c.wire) for c in changes if c.subject == "field" and ": type " in c.detail}
    assert want_typed <= got_typed
    assert got and want_required and want_typed  # every pair has some of each: the checks bite

    # The comparison leaves out only what the overlay edits by hand: a small part of what it compares.
    compared = sum(len(before.params(m).keys() | after.params(m).keys()) for m in both)
    assert 0 < len(hand_params) * 50 < compared, (len(hand_params), compared)
    assert 0 < len(hand_models) * 10 < len(common), (len(hand_models), len(common))
    assert all(c.breaking for c in changes if c.kind in ("removed", "renamed"))


def overlay_keeps(method: str, param: str) -> bool:
    """Does the overlay add `param` back to `method` (a name upstream renamed, that callers still send)?"""
    return param in overlay_added_params().get(method, set())


def test_renamed_parameters_are_reported_as_renames(surfaces: dict[str, diff.ApiSurface]) -> None:
    """5.199 renamed conversation_message_id to cmid in messages.pin and messages.edit (raw JSON).

    Where the overlay adds the old name back (messages.edit: callers still send it), the SDK keeps
    it: `cmid` is an addition that breaks no caller, not a rename.
    """
    old, new = RawState(STATES["748a5e3"]), RawState(STATES["current"])
    changes = diff.compare(surfaces["748a5e3"], surfaces["current"])
    renames = {(c.owner, c.renamed_from, c.wire, c.breaking) for c in changes if c.kind == "renamed"}
    upstream = {"messages.edit", "messages.pin"}
    for method in upstream:
        was, now = old.params(method), new.params(method)
        assert "conversation_message_id" in was and "cmid" not in was, method
        assert "cmid" in now and "conversation_message_id" not in now, method
    kept = {m for m in upstream if overlay_keeps(m, "conversation_message_id")}
    assert kept == {"messages.edit"}  # the pin rename stays in view: the rename detection is tested
    assert renames == {(m, "conversation_message_id", "cmid", True) for m in upstream - kept}
    for method in kept:
        found = {(c.kind, c.wire, c.breaking) for c in changes if c.owner == method and c.subject == "parameter"}
        assert ("added", "cmid", False) in found
        assert not any(wire == "conversation_message_id" for _, wire, _ in found), found


def test_markdown_release_notes_between_upstream_folders(surfaces: dict[str, diff.ApiSurface]) -> None:
    """`diff --before <schema> --after <schema> --format markdown`: imports both, then writes the notes."""
    folders = ["--before", str(STATES["748a5e3"]), "--after", str(STATES["current"])]
    done = subprocess.run(
        [sys.executable, "-m", "codegen", "diff", "--api", "vk", "--format", "markdown", *folders],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=HANG,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    changes = diff.compare(surfaces["748a5e3"], surfaces["current"])
    versions = {"vk": ("5.131", "5.199")}
    assert done.stdout == render_markdown({"vk": changes}, versions=versions, against=str(STATES["748a5e3"]))
    # The import warnings of each folder go to stderr, named by folder.
    assert f"{STATES['748a5e3']}: warning: 93 file(s) carry no version" in done.stderr

    lines = done.stdout.splitlines()
    assert lines[0] == "## vk 5.131 → 5.199"
    breaking, other = lines.index("### Breaking changes"), lines.index("### Other changes")
    assert breaking < other
    removed = sum(c.kind == "removed" and c.subject == "method" for c in changes)
    added = sum(c.kind == "added" and c.subject == "method" for c in changes)
    assert f"methods: {added} added, {removed} removed" in lines[2]
    assert f"**{sum(c.breaking for c in changes)} breaking**" in lines[2]
    # Grouped by section in each part: a section heading once per part, items under it.
    for start, end in ((breaking, other), (other, len(lines))):
        headings = [line for line in lines[start:end] if line.startswith("#### ")]
        assert len(headings) == len(set(headings)) and headings == sorted(headings)
    part = lines[breaking:other]
    messages = part.index("#### messages")
    section = part[messages + 1 : next(i for i in range(messages + 1, len(part)) if part[i].startswith("####"))]
    assert "- `messages.pin`: parameter `conversation_message_id` renamed `cmid` (`int`)" in section
    assert all(item.startswith("- ") for item in section if item)
    assert "- method `friends.getByPhones` removed: `friends.get_by_phones`" in lines[breaking:other]
    assert any(line.startswith("- method `translations.translate` added: ") for line in lines[other:])
