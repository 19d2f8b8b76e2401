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

import pytest

from codegen import generate

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
        assert generate.run(["vk"], specs=specs, output=output / "apiforge", quiet=True) == 0
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
    assert any("corrections[27].model: correction names no model 'callback_message_event'" in s for s in stale)
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
