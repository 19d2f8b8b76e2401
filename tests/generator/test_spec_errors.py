"""Broken specs stop the generator with `file:line: reason`, in-process and through the CLI.

Each case starts from a small valid API (api.yaml + methods/x.yaml + models/y.yaml), breaks
one file, and marks the line the error must name with a `# <-` comment.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from codegen.generate import run
from codegen.spec.errors import SpecError
from codegen.spec.load import load_api

REPO = Path(__file__).resolve().parents[2]
MARK = "# <-"

API = """\
api:
  name: broken
  protocol: vk
  title: Broken API
  version: "1.0"
  client: Broken
  async_client: AsyncBroken
  base_url: https://broken.invalid
  docs: https://broken.invalid/docs
"""

METHODS = """\
group:
  name: x
methods:
  - name: x.get
    params:
      - name: user_id
        schema: {type: integer}
        in: form
      - name: extended
        schema: {type: boolean}
        in: form
    result: {$ref: "#/$defs/thing"}
    variants:
      - name: extended
        when: {extended: true}
        result: {type: array, items: {$ref: "#/$defs/thing"}}
"""

MODELS = """\
models:
  thing:
    type: object
    properties:
      id: {type: integer}
      name: {type: string}
    required: [id]
"""


def _dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def write_api(root: Path, files: dict[str, str | None] | None = None, *, name: str = "broken") -> Path:
    """root/<name> with the valid base files, replaced, added or (value None) removed by `files`."""
    layout: dict[str, str | None] = {"api.yaml": API, "methods/x.yaml": METHODS, "models/y.yaml": MODELS}
    layout.update({k: (_dedent(v) if v is not None else None) for k, v in (files or {}).items()})
    folder = root / name
    for rel, text in layout.items():
        if text is None:
            continue
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder


def marked_line(text: str) -> int:
    """The 1-based line carrying the `# <-` marker."""
    lines = [n for n, line in enumerate(_dedent(text).splitlines(), start=1) if MARK in line]
    assert len(lines) == 1, "a case marks exactly one line"
    return lines[0]


def load_error(folder: Path) -> SpecError:
    with pytest.raises(SpecError) as info:
        load_api(folder)
    return info.value


def test_the_base_api_is_valid(tmp_path: Path) -> None:
    spec = load_api(write_api(tmp_path))
    assert [m.name for g in spec.groups for m in g.methods] == ["x.get"]
    assert list(spec.models) == ["thing"]


# (case id, the file broken, its text with the expected line marked, words the reason must contain)
CASES = [
    (
        "invalid-yaml",
        "methods/x.yaml",
        """
        group:
          name: x
        methods:
          - name: x.get
            result: {type: integer}
            params: oops: here  # <-
        """,
        ["invalid YAML"],
    ),
    (
        "unknown-top-level-key",
        "models/y.yaml",
        """
        models:
          thing:
            type: object
            properties:
              id: {type: integer}
        colour: blue  # <-
        """,
        ["colour", "not allowed"],
    ),
    (
        "unknown-method-key",
        "methods/x.yaml",
        """
        group:
          name: x
        methods:
          - name: x.get
            result: {type: integer}
            retries: 3  # <-
        """,
        ["methods[0]", "retries"],
    ),
    (
        "param-in-header",
        "methods/x.yaml",
        """
        group:
          name: x
        methods:
          - name: x.get
            params:
              - name: user_id
                schema: {type: integer}
                in: form
              - name: token
                schema: {type: string}
                in: header  # <-
            result: {type: integer}
        """,
        ["methods[0].params[1].in", "'header' is not one of"],
    ),
    (
        "method-without-result",
        "methods/x.yaml",
        """
        group:
          name: x
        methods:
          - name: x.get
            result: {type: integer}
          - name: x.set  # <-
            params:
              - name: user_id
                schema: {type: integer}
                in: form
        """,
        ["methods[1]", "'result' is a required property"],
    ),
    (
        "ref-to-unknown-model",
        "methods/x.yaml",
        """
        group:
          name: x
        methods:
          - name: x.get
            result:
              type: array
              items:
                $ref: "#/$defs/nothing"  # <-
        """,
        ["methods[0].result.items.$ref", "'#/$defs/nothing'", "names no model"],
    ),
    (
        "ref-in-model-to-unknown-model",
        "models/y.yaml",
        """
        models:
          thing:
            type: object
            properties:
              id: {type: integer}
              owner: {$ref: "#/$defs/owner"}  # <-
        """,
        ["models.thing.properties.owner.$ref", "names no model"],
    ),
    (
        "variant-selects-a-non-parameter",
        "methods/x.yaml",
        """
        group:
          name: x
        methods:
          - name: x.get
            params:
              - name: extended
                schema: {type: boolean}
                in: form
            result: {type: integer}
            variants:
              - name: full
                when:
                  extended: true
                  fields: [photo]  # <-
                result: {type: string}
        """,
        ["variants[0].when.fields", "'fields'", "not a parameter"],
    ),
    (
        "path-param-not-in-path",
        "methods/x.yaml",
        """
        group:
          name: x
        methods:
          - name: GET /api/v1/things/{thing_id}
            params:
              - name: thing_id
                schema: {type: integer}
                in: path
              - name: company_id
                schema: {type: integer}
                in: path  # <-
            result: {type: integer}
        """,
        ["methods[0].params[1].in", "'company_id'", "does not appear"],
    ),
    (
        "duplicate-param",
        "methods/x.yaml",
        """
        group:
          name: x
        methods:
          - name: x.get
            params:
              - name: user_id
                schema: {type: integer}
                in: form
              - name: userId  # <-
                schema: {type: integer}
                in: form
            result: {type: integer}
        """,
        ["params[1].name", "'user_id' appears twice"],
    ),
    (
        "pagination-items-not-an-array",
        "methods/x.yaml",
        """
        group:
          name: x
        methods:
          - name: GET /things
            result: {$ref: "#/$defs/thing"}
            pagination:
              page: page
              size: count
              items: name  # <-
        """,
        ["methods[0].pagination.items", "'name' is not an array property", "GET /things", "no array property"],
    ),
    (
        "pagination-items-names-no-property",
        "methods/x.yaml",
        """
        group:
          name: x
        methods:
          - name: GET /things
            result:
              type: object
              properties:
                children: {type: array, items: {$ref: "#/$defs/thing"}}
                tags: {type: [array, "null"], items: {type: string}}
            pagination: {page: page, size: count, items: kids}  # <-
        """,
        ["methods[0].pagination.items", "'kids' names no property", "its array properties: children, tags"],
    ),
    (
        "pagination-items-of-a-list-result",
        "methods/x.yaml",
        """
        group:
          name: x
        methods:
          - name: GET /things
            result: {type: array, items: {$ref: "#/$defs/thing"}}
            pagination:
              page: page
              size: count
              items: id  # <-
        """,
        ["methods[0].pagination.items", "'id'", "is not an object"],
    ),
    (
        "pagination-items-empty",
        "methods/x.yaml",
        """
        group:
          name: x
        methods:
          - name: GET /things
            result: {$ref: "#/$defs/thing"}
            pagination:
              page: page
              size: count
              items: ""  # <-
        """,
        ["methods[0].pagination.items", "should be non-empty"],
    ),
]


@pytest.mark.parametrize(("file", "text", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_broken_file_names_file_line_and_reason(tmp_path: Path, file: str, text: str, words: list[str]) -> None:
    folder = write_api(tmp_path, {file: text})
    error = load_error(folder)
    assert Path(error.file) == folder / file
    assert error.line == marked_line(text), str(error)
    for word in words:
        assert word in error.reason, str(error)
    assert str(error) == f"{error.file}:{error.line}: {error.reason}"


def test_duplicate_method_name_across_files(tmp_path: Path) -> None:
    second = """
    group:
      name: z
    methods:
      - name: z.list
        result: {type: integer}
      - name: x.get  # <-
        result: {type: integer}
    """
    folder = write_api(tmp_path, {"methods/z.yaml": second})
    error = load_error(folder)
    assert Path(error.file) == folder / "methods/z.yaml"
    assert error.line == marked_line(second)
    assert "methods[1].name" in error.reason
    assert "'x.get' is also defined in" in error.reason
    assert str(folder / "methods/x.yaml") in error.reason


def test_duplicate_group_across_files(tmp_path: Path) -> None:
    second = """
    group:
      name: x  # <-
    methods:
      - name: x.other
        result: {type: integer}
    """
    folder = write_api(tmp_path, {"methods/z.yaml": second})
    error = load_error(folder)
    assert Path(error.file) == folder / "methods/z.yaml"
    assert error.line == marked_line(second)
    assert "group 'x' is also defined in" in error.reason


def test_duplicate_model_name_across_files(tmp_path: Path) -> None:
    # Files are read in path order: models/w.yaml first, so models/y.yaml holds the duplicate.
    first = """
    models:
      other: {type: string}
      thing: {type: integer}
    """
    second = """
    models:
      extra: {type: string}
      thing:  # <-
        type: object
        properties:
          id: {type: integer}
    """
    folder = write_api(tmp_path, {"models/w.yaml": first, "models/y.yaml": second})
    error = load_error(folder)
    assert Path(error.file) == folder / "models/y.yaml"
    assert error.line == marked_line(second)
    assert "model 'thing' is already defined in" in error.reason
    assert str(folder / "models/w.yaml") in error.reason


def test_duplicate_error_code(tmp_path: Path) -> None:
    errors = """
    errors:
      - code: 5
        name: AuthError
      - code: 5  # <-
        name: OtherAuthError
    """
    folder = write_api(tmp_path, {"errors.yaml": errors})
    error = load_error(folder)
    assert Path(error.file) == folder / "errors.yaml"
    assert error.line == marked_line(errors)
    assert "error code 5 is defined twice" in error.reason


def test_api_header_given_twice(tmp_path: Path) -> None:
    extra = "\n".join(["errors: []", API.rstrip("\n").replace("api:", "api:  # <-", 1)])
    folder = write_api(tmp_path, {"errors.yaml": extra})
    error = load_error(folder)
    assert Path(error.file) == folder / "errors.yaml"
    assert error.line == marked_line(extra)
    assert "the api header is given twice" in error.reason


def test_missing_api_header(tmp_path: Path) -> None:
    folder = write_api(tmp_path, {"api.yaml": "errors: []\n"})
    error = load_error(folder)
    assert Path(error.file) == folder / "api.yaml"
    assert error.line == 1
    assert "no 'api' header" in error.reason


def test_missing_api_file(tmp_path: Path) -> None:
    folder = write_api(tmp_path, {"api.yaml": None})
    error = load_error(folder)
    assert Path(error.file) == folder / "api.yaml"
    assert error.line == 1
    assert "no 'api' header" in error.reason


def test_missing_required_api_field(tmp_path: Path) -> None:
    text = API.replace("  client: Broken\n", "").replace("api:", "api:  # <-", 1)
    folder = write_api(tmp_path, {"api.yaml": text})
    error = load_error(folder)
    assert error.line == marked_line(text)
    assert "'client' is a required property" in error.reason


def test_a_top_level_list_is_rejected(tmp_path: Path) -> None:
    folder = write_api(tmp_path, {"models/y.yaml": "- thing\n- other\n"})
    error = load_error(folder)
    assert Path(error.file) == folder / "models/y.yaml"
    assert error.line == 1
    assert "mapping" in error.reason


def test_overlay_files_are_not_specs(tmp_path: Path) -> None:
    folder = write_api(tmp_path, {"overlay.yaml": "anything: [goes, here]\n"})
    load_api(folder)


def test_generate_run_raises_spec_error_and_writes_nothing(tmp_path: Path) -> None:
    specs, output = tmp_path / "specs", tmp_path / "out"
    text = """
    group:
      name: x
    methods:
      - name: x.get
        params:
          - name: user_id
            schema: {type: integer}
            in: header  # <-
        result: {type: integer}
    """
    write_api(specs, {"methods/x.yaml": text})
    with pytest.raises(SpecError) as info:
        run(["broken"], specs=specs, output=output, quiet=True)
    assert info.value.line == marked_line(text)
    assert Path(info.value.file) == specs / "broken/methods/x.yaml"
    assert not output.exists()


# The CLI reads the repository's specs/ and knows the API names vk | yclients | wialon; point
# its `run` at a temporary specs folder holding a broken API named `vk`.
_CLI = """
import sys
from pathlib import Path

import codegen.generate

codegen.generate.run.__kwdefaults__.update(specs=Path(sys.argv[1]), output=Path(sys.argv[2]))
from codegen.__main__ import main

sys.exit(main(["generate", "--api", "vk", "--quiet"]))
"""

_BROKEN_PARAM = """
group:
  name: x
methods:
  - name: x.get
    params:
      - name: user_id
        schema: {type: integer}
        in: header  # <-
    result: {type: integer}
"""


def test_cli_exits_1_with_file_line_reason(tmp_path: Path) -> None:
    specs, output = tmp_path / "specs", tmp_path / "out"
    folder = write_api(specs, {"methods/x.yaml": _BROKEN_PARAM}, name="vk")
    result = subprocess.run(
        [sys.executable, "-c", _CLI, str(specs), str(output)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, result.stderr
    expected = (
        f"{folder / 'methods/x.yaml'}:{marked_line(_BROKEN_PARAM)}: methods[0].params[0].in: 'header' is not one of"
    )
    assert expected in result.stderr
    assert not output.exists()


def test_cli_main_in_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import codegen.generate
    from codegen.__main__ import main

    specs, output = tmp_path / "specs", tmp_path / "out"
    text = """
    group:
      name: x
    methods:
      - name: x.get
        result: {$ref: "#/$defs/ghost"}  # <-
    """
    folder = write_api(specs, {"methods/x.yaml": text}, name="vk")
    monkeypatch.setattr(
        codegen.generate.run,
        "__kwdefaults__",
        {**codegen.generate.run.__kwdefaults__, "specs": specs, "output": output},
    )
    assert main(["generate", "--api", "vk", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert f"{folder / 'methods/x.yaml'}:{marked_line(text)}: methods[0].result.$ref:" in err
    assert "names no model" in err


def test_pagination_items_generates_an_iterator_over_that_property(tmp_path: Path) -> None:
    """`items` through `$ref` + `allOf` and on an inline object: the method keeps its result, iter_ yields the items."""
    from codegen.generate import render_api

    methods = """
    group:
      name: x
    methods:
      - name: GET /nodes/{id}
        python_name: get_node
        params:
          - {name: id, schema: {type: integer}, required: true, in: path}
          - {name: page, schema: {type: integer}, in: query}
          - {name: count, schema: {type: integer}, in: query}
        result: {$ref: "#/$defs/node"}
        pagination: {page: page, size: count, items: children}
      - name: GET /flat
        params:
          - {name: page, schema: {type: integer}, in: query}
          - {name: count, schema: {type: integer}, in: query}
        result:
          type: object
          properties:
            rows: {type: array, items: {type: integer}}
        pagination: {page: page, size: count, items: rows}
    """
    models = """
    models:
      thing:
        type: object
        properties:
          id: {type: integer}
      tree:
        type: object
        properties:
          children: {type: array, items: {$ref: "#/$defs/thing"}}
      node:
        allOf:
          - {$ref: "#/$defs/tree"}
          - {type: object, properties: {title: {type: string}}}
    """
    spec = load_api(write_api(tmp_path, {"methods/x.yaml": methods, "models/y.yaml": models}))
    node = spec.groups[0].methods[0]
    assert node.pagination is not None and node.pagination.items == "children"
    files = render_api(spec)
    code = files["methods/x.py"] + files["methods/sync/x.py"] + files["methods/aio/x.py"]  # specs, both classes
    assert ") -> Node:" in code and "Page[Node]" not in code  # get_node keeps returning the node
    assert "def iter_get_node(" in code and "-> Iterator[Thing]:" in code and "-> AsyncIterator[Thing]:" in code
    assert "page=Page[Thing]," in code and "'items': 'children'" in code.replace('"', "'")
    assert "def iter_flat(" in code and "-> Iterator[int]:" in code and "page=Page[int]," in code
