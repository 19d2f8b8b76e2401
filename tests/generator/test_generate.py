"""The generator on a small self-contained API: determinism, --check, and what the code does."""

from __future__ import annotations

import ast
import importlib
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from apiforge.core.errors import DecodeError
from codegen.generate import run

REPO = Path(__file__).resolve().parents[2]

DEMO = {
    "api.yaml": """
        api:
          name: demo
          protocol: vk
          title: Demo API
          version: "1.0"
          client: Demo
          async_client: AsyncDemo
          error_base: DemoAPIError
          base_url: https://demo.invalid
          docs: https://demo.invalid/docs
          token_kinds: [user]
          rate_limits: {user: 3}
    """,
    "errors.yaml": """
        errors:
          - code: 5
            name: AuthError
            message: Authorization failed
            global: true
          - code: 6
            name: TooManyRequestsError
            global: true
            retryable: true
    """,
    "models/things.yaml": """
        models:
          color:
            type: integer
            enum: [1, 2]
            x-enum-names: [red, green]
          base_a:
            type: object
            properties:
              id: {type: integer}
            required: [id]
          base_b:
            type: object
            properties:
              name: {type: string}
          child:
            allOf:
              - $ref: "#/$defs/base_a"
              - $ref: "#/$defs/base_b"
              - type: object
                properties:
                  extra: {type: boolean}
          odd_names:
            type: object
            properties:
              from: {type: integer}
              2fa_required: {type: boolean}
              self: {type: string}
              color: {$ref: "#/$defs/color"}
              value: {type: [integer, string]}
            required: [from]
          cat:
            type: object
            properties:
              kind: {type: string, enum: [cat]}
              meows: {type: integer}
            required: [kind, meows]
          dog:
            type: object
            properties:
              kind: {type: string, enum: [dog]}
              barks: {type: integer}
            required: [kind, barks]
          pet:
            oneOf:
              - $ref: "#/$defs/cat"
              - $ref: "#/$defs/dog"
            discriminator:
              propertyName: kind
              mapping:
                cat: "#/$defs/cat"
                dog: "#/$defs/dog"
    """,
    "models/pages.yaml": """
        models:
          items_response:
            type: object
            properties:
              count: {type: integer}
              items: {type: array, items: {type: integer}}
            required: [count, items]
          items_extended_response:
            type: object
            properties:
              count: {type: integer}
              items: {type: array, items: {$ref: "#/$defs/child"}}
            required: [count, items]
    """,
    "methods/things.yaml": """
        group:
          name: things
        methods:
          - name: things.get
            params:
              - name: ids
                schema: {type: array, items: {type: integer}}
                in: form
              - name: extended
                schema: {type: boolean}
                in: form
            result: {$ref: "#/$defs/items_response"}
            variants:
              - name: extended
                when: {extended: true}
                result: {$ref: "#/$defs/items_extended_response"}
            idempotent: true
          - name: things.odd
            result: {$ref: "#/$defs/odd_names"}
          - name: things.pet
            result: {$ref: "#/$defs/pet"}
    """,
}


def write_demo(specs: Path) -> Path:
    folder = specs / "demo"
    for rel, text in DEMO.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return folder


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(specs root, output root) with the demo API generated into <output>/apiforge/demo."""
    root = tmp_path_factory.mktemp("demo")
    specs, output = root / "specs", root / "out"
    write_demo(specs)
    assert run(["demo"], specs=specs, output=output / "apiforge", quiet=True) == 0
    return specs, output


@pytest.fixture(scope="module")
def demo(generated: tuple[Path, Path]) -> Iterator[ModuleType]:
    """`apiforge.demo`, imported from the temporary output (apiforge is a namespace package)."""
    _, output = generated
    sys.path.insert(0, str(output))
    importlib.invalidate_caches()
    try:
        module = importlib.import_module("apiforge.demo")
        assert Path(module.__file__ or "").is_relative_to(output)
        yield module
    finally:
        sys.path.remove(str(output))
        for name in [n for n in sys.modules if n == "apiforge.demo" or n.startswith("apiforge.demo.")]:
            del sys.modules[name]
        importlib.invalidate_caches()


# determinism and --check


def test_the_expected_files_are_generated(generated: tuple[Path, Path]) -> None:
    _, output = generated
    assert set(snapshot(output / "apiforge" / "demo")) == {
        "__init__.py",
        "_client.py",
        "_registry.py",
        "errors.py",
        "py.typed",
        "methods/__init__.py",
        "methods/things.py",
        "methods/sync/__init__.py",
        "methods/sync/things.py",
        "methods/aio/__init__.py",
        "methods/aio/things.py",
        "models/__init__.py",
        "models/pages.py",
        "models/things.py",
    }


def test_generating_twice_is_byte_identical(generated: tuple[Path, Path], tmp_path: Path) -> None:
    specs, output = generated
    again = tmp_path / "apiforge"
    assert run(["demo"], specs=specs, output=again, quiet=True) == 0
    assert snapshot(again / "demo") == snapshot(output / "apiforge" / "demo")
    # And once more into the same folder: nothing changes.
    before = snapshot(again / "demo")
    assert run(["demo"], specs=specs, output=again, quiet=True) == 0
    assert snapshot(again / "demo") == before


def test_output_does_not_depend_on_the_hash_seed(generated: tuple[Path, Path], tmp_path: Path) -> None:
    # Set and dict orders vary with PYTHONHASHSEED between processes; the output must not.
    import os
    import subprocess

    specs, output = generated
    script = "import sys; from pathlib import Path; from codegen.generate import run; sys.exit(run(['demo'], specs=Path(sys.argv[1]), output=Path(sys.argv[2]), quiet=True))"
    for seed in ("1", "2"):
        target = tmp_path / f"seed{seed}"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run([sys.executable, "-c", script, str(specs), str(target)], cwd=REPO, env=env, check=True)
        assert snapshot(target / "demo") == snapshot(output / "apiforge" / "demo")


def test_generated_code_carries_the_header(generated: tuple[Path, Path]) -> None:
    _, output = generated
    for rel, data in snapshot(output / "apiforge" / "demo").items():
        if rel.endswith(".py"):
            assert data.startswith(b"# Generated by `python -m codegen generate` from specs/demo."), rel


def _type_checking_blocks(source: str) -> list[ast.If]:
    return [
        node
        for node in ast.parse(source).body
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"
    ]


@pytest.mark.parametrize("api", ["demo", "vk", "yclients", "wialon"])
def test_clients_hold_one_type_checking_block_of_imports(api: str, generated: tuple[Path, Path]) -> None:
    # Annotation-only imports (lazily loaded groups, batch classes, the API's own) go in one block, no stray `pass`.
    _, output = generated
    client = (output / "apiforge" / "demo" if api == "demo" else REPO / "generated" / "apiforge" / api) / "_client.py"
    blocks = _type_checking_blocks(client.read_text(encoding="utf-8"))
    assert len(blocks) == 1
    for block in blocks:
        assert block.body and all(isinstance(node, ast.ImportFrom) for node in block.body), ast.dump(block)


@pytest.fixture
def fresh(generated: tuple[Path, Path], tmp_path: Path) -> tuple[Path, Path]:
    """A private copy of the generated output (tests below modify it)."""
    specs, _ = generated
    output = tmp_path / "apiforge"
    assert run(["demo"], specs=specs, output=output, quiet=True) == 0
    return specs, output


def test_check_is_0_when_up_to_date(fresh: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    specs, output = fresh
    before = snapshot(output / "demo")
    assert run(["demo"], specs=specs, output=output, check=True, quiet=True) == 0
    assert "stale" not in capsys.readouterr().err
    assert snapshot(output / "demo") == before


def test_check_names_an_edited_file(fresh: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    specs, output = fresh
    edited = output / "demo" / "models" / "things.py"
    edited.write_text(edited.read_text(encoding="utf-8") + "\n# hand edit\n", encoding="utf-8")
    before = snapshot(output / "demo")
    assert run(["demo"], specs=specs, output=output, check=True, quiet=True) == 1
    err = capsys.readouterr().err
    assert "generated/apiforge/demo/models/things.py" in err
    assert "methods/things.py" not in err
    assert snapshot(output / "demo") == before  # --check writes nothing
    # A real run repairs it.
    assert run(["demo"], specs=specs, output=output, quiet=True) == 0
    assert run(["demo"], specs=specs, output=output, check=True, quiet=True) == 0


def test_check_names_an_extra_file(fresh: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    specs, output = fresh
    (output / "demo" / "methods" / "leftover.py").write_text("x = 1\n", encoding="utf-8")
    assert run(["demo"], specs=specs, output=output, check=True, quiet=True) == 1
    assert "generated/apiforge/demo/methods/leftover.py" in capsys.readouterr().err
    assert run(["demo"], specs=specs, output=output, quiet=True) == 0
    assert not (output / "demo" / "methods" / "leftover.py").exists()


def test_check_names_a_missing_file(fresh: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    specs, output = fresh
    (output / "demo" / "errors.py").unlink()
    assert run(["demo"], specs=specs, output=output, check=True, quiet=True) == 1
    assert "generated/apiforge/demo/errors.py" in capsys.readouterr().err


def test_check_notices_a_spec_change(fresh: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    specs, output = fresh
    models = specs / "demo" / "models" / "pages.yaml"
    original = models.read_text(encoding="utf-8")
    try:
        models.write_text(
            original + "  more:\n    type: object\n    properties:\n      n: {type: integer}\n", encoding="utf-8"
        )
        assert run(["demo"], specs=specs, output=output, check=True, quiet=True) == 1
        assert "generated/apiforge/demo/models/pages.py" in capsys.readouterr().err
    finally:
        models.write_text(original, encoding="utf-8")


def test_committed_generated_code_is_up_to_date() -> None:
    apis = ["vk", "wialon"] + (["yclients"] if (REPO / "specs" / "yclients").exists() else [])
    assert run(apis, check=True, quiet=True) == 0


# the generated package


def test_the_package_imports(demo: ModuleType) -> None:
    assert demo.Demo.__name__ == "Demo"
    assert demo.AsyncDemo.__name__ == "AsyncDemo"
    assert set(demo.METHODS) == {"things.get", "things.odd", "things.pet"}
    for name in ("methods", "models", "errors", "methods.things", "models.things", "models.pages"):
        importlib.import_module(f"apiforge.demo.{name}")


def test_errors_by_code(demo: ModuleType) -> None:
    errors = importlib.import_module("apiforge.demo.errors")
    assert errors.error_class(6) is errors.TooManyRequestsError
    assert errors.error_class(999) is errors.DemoAPIError
    assert issubclass(errors.AuthError, errors.DemoAPIError)
    with pytest.raises(errors.TooManyRequestsError) as info:
        demo.decode_response("things.odd", {"error": {"error_code": 6, "error_msg": "Too many"}})
    assert info.value.code == 6


def test_odd_property_names(demo: ModuleType) -> None:
    models = importlib.import_module("apiforge.demo.models")
    odd = demo.decode_response("things.odd", {"response": {"from": 5, "2fa_required": 1, "self": "me", "value": 7}})
    assert isinstance(odd, models.OddNames)
    assert (odd.from_, odd.field_2fa_required, odd.self_, odd.value) == (5, True, "me", 7)
    assert models.OddNames(from_=1).field_2fa_required is None


def test_int_or_str_union(demo: ModuleType) -> None:
    assert demo.decode_response("things.odd", {"response": {"from": 1, "value": "abc"}}).value == "abc"
    assert demo.decode_response("things.odd", {"response": {"from": 1, "value": 3}}).value == 3


def test_all_of_flattens_both_parents(demo: ModuleType) -> None:
    import attrs

    models = importlib.import_module("apiforge.demo.models")
    assert [f.name for f in attrs.fields(models.Child)] == ["id", "name", "extra"]
    child = models.Child(id=1, name="a", extra=True)
    assert (child.id, child.name, child.extra) == (1, "a", True)


def test_variant_picks_the_extended_result(demo: ModuleType) -> None:
    models = importlib.import_module("apiforge.demo.models")
    plain = demo.decode_response("things.get", {"response": {"count": 1, "items": [7]}})
    assert plain == models.ItemsResponse(count=1, items=[7])
    body = {"response": {"count": 1, "items": [{"id": 7, "name": "x"}]}}
    for params in ({"extended": True}, {"extended": 1}):
        extended = demo.decode_response("things.get", body, params)
        assert extended == models.ItemsExtendedResponse(count=1, items=[models.Child(id=7, name="x")])
    spec = importlib.import_module("apiforge.demo.methods.things")._THINGS_GET
    assert spec.result_type({"extended": True}) is models.ItemsExtendedResponse
    assert spec.result_type({"extended": False}) is models.ItemsResponse
    assert spec.result_type({}) is models.ItemsResponse


def test_variant_overloads_in_the_source(generated: tuple[Path, Path]) -> None:
    _, output = generated
    source = (output / "apiforge" / "demo" / "methods" / "sync" / "things.py").read_text(encoding="utf-8")
    # Every method also takes `extra_params` (undeclared parameters), last.
    assert (
        "        *,\n        extended: Literal[True],\n        ids: Sequence[int] | None = None,\n"
        "        extra_params: Mapping[str, object] | None = None,\n    ) -> ItemsExtendedResponse: ..."
    ) in source
    assert (
        "        extended: Literal[False] | None = None,\n"
        "        extra_params: Mapping[str, object] | None = None,\n    ) -> ItemsResponse: ..."
    ) in source


def test_tagged_union(demo: ModuleType) -> None:
    models = importlib.import_module("apiforge.demo.models")
    dog = demo.decode_response("things.pet", {"response": {"kind": "dog", "barks": 2}})
    cat = demo.decode_response("things.pet", {"response": {"kind": "cat", "meows": 3}})
    assert isinstance(dog, models.Dog) and dog.barks == 2
    assert isinstance(cat, models.Cat) and cat.meows == 3


def test_enum_names_from_x_enum_names(demo: ModuleType) -> None:
    models = importlib.import_module("apiforge.demo.models")
    assert models.Color.RED == 1
    assert models.Color.GREEN == 2
    assert models.Color(9).name == "UNKNOWN_9"


@pytest.mark.parametrize(("value", "name"), [(2, "GREEN"), (42, "UNKNOWN_42")])
def test_enum_field_decodes_to_a_member(demo: ModuleType, value: int, name: str) -> None:
    models = importlib.import_module("apiforge.demo.models")
    odd = demo.decode_response("things.odd", {"response": {"from": 1, "color": value}})
    assert isinstance(odd.color, models.Color)
    assert odd.color.name == name
    assert odd.color == value


def test_missing_required_field_names_the_path(demo: ModuleType) -> None:
    body: dict[str, Any] = {"response": {"count": 2, "items": [{"id": 1}, {"name": "no id"}]}}
    with pytest.raises(DecodeError) as info:
        demo.decode_response("things.get", body, {"extended": True})
    assert info.value.method == "things.get"
    assert info.value.path == "$.items[1].id"
    assert "things.get: $.items[1].id:" in str(info.value)


def test_wrong_type_names_the_path(demo: ModuleType) -> None:
    with pytest.raises(DecodeError) as info:
        demo.decode_response("things.get", {"response": {"count": "many", "items": []}})
    assert info.value.path == "$.count"
    assert info.value.value == "many"


def test_decode_error_path_uses_wire_names(demo: ModuleType) -> None:
    with pytest.raises(DecodeError) as info:
        demo.decode_response("things.odd", {"response": {"from": "not a number"}})
    assert info.value.path == "$.from"
    assert info.value.value == "not a number"
