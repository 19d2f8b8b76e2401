"""Docstring texts of our own (`prose/<api>/*.yaml`): complete for what real code uses most, in
the generated docstrings and on hover, checked with file:line errors, and not copied from upstream."""

from __future__ import annotations

import importlib
import itertools
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jedi
import pytest
import yaml

from codegen import usage
from codegen.generate import run
from codegen.prose import (
    PROSE_ROOT,
    Prose,
    ProseError,
    load_prose,
    model_fields,
    runs,
    upstream_descriptions,
    upstream_runs,
    words,
)
from codegen.spec.load import SPECS_ROOT, load_api
from codegen.spec.model import Spec

REPO = Path(__file__).resolve().parents[2]
UPSTREAM = REPO.parent / "shared" / "upstream"  # as tests/generator/test_vk_history.py reads it
APIS = ("vk", "wialon", "yclients")


@pytest.fixture(scope="module")
def specs() -> dict[str, Spec]:
    return {api: load_api(SPECS_ROOT / api) for api in APIS}


@pytest.fixture(scope="module")
def prose(specs: dict[str, Spec]) -> dict[str, Prose]:
    return {api: load_prose(specs[api]) for api in APIS}


@pytest.fixture(scope="module")
def upstream() -> frozenset[tuple[str, ...]]:
    texts = upstream_descriptions(UPSTREAM)
    # Both documents were read: the VK schema (English) and the YCLIENTS OpenAPI file.
    assert any("vk.com" in t for t in texts) and any("филиал" in t.lower() for t in texts)
    return upstream_runs(texts)


# The rankings


def test_method_ranking_follows_the_corpus_weights() -> None:
    ranked = usage.rank_methods()
    top = usage.top_methods()
    assert len(top) == usage.TOP_METHODS == 150
    assert top == ranked[:150]
    keys = [(-r.weight, r.api, r.key) for r in ranked]
    assert keys == sorted(keys)
    assert (top[0].api, top[0].key) == ("vk", "messages.send")
    # Weight = corpus calls without a `status:` (calls the API does not take do not count).
    for api in APIS:
        calls = yaml.safe_load((usage.CORPUS_ROOT / f"{api}.yaml").read_text(encoding="utf-8"))["calls"]
        weights = {r.key: r.weight for r in ranked if r.api == api}
        for name, weight in list(weights.items())[:20]:
            assert weight == sum(1 for c in calls if c["method"] == name and "status" not in c), name


def test_rankings_on_a_corpus_of_our_own(tmp_path: Path, specs: dict[str, Spec]) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    calls = (
        [{"method": "users.get", "params": {}}] * 3
        + [{"method": "utils.resolveScreenName", "params": {}}] * 2
        + [{"method": "friends.get", "params": {}}] * 2
        + [{"method": "messages.send", "params": {}, "status": "caller_error", "reason": "x"}] * 9
    )
    (corpus / "vk.yaml").write_text(yaml.safe_dump({"calls": calls}), encoding="utf-8")
    ranked = usage.rank_methods(["vk"], corpus=corpus)
    assert [(r.key, r.weight) for r in ranked[:3]] == [
        ("users.get", 3),
        ("friends.get", 2),  # ties by name
        ("utils.resolveScreenName", 2),
    ]
    assert ranked[3].weight == 0 and ranked[3].key < ranked[4].key
    models = {r.key: r.weight for r in usage.rank_models(["vk"], corpus=corpus)}
    # users.get -> users_get_response (a list alias) -> users_user_full; one hop further: its fields'
    # models (users_user_counters); `photos_photo` is a field of users_user_full as well.
    assert models["users_user_full"] == 3
    assert models["users_user_counters"] == 3
    assert models["friends_get_response"] == 2
    assert models["utils_domain_resolved"] == 2
    # Two hops away is not read: photos_photo's `sizes` items (photos_photo_sizes) are not counted
    # through users.get, and enums (users_user_type) never are.
    assert "photos_photo" in models and "photos_photo_sizes" not in models
    assert "users_user_type" not in models and "messages_send_response" not in models
    assert set(models) == {
        name
        for name, weight in [("users.get", 3), ("utils.resolveScreenName", 2), ("friends.get", 2)]
        for name in usage.models_read(specs["vk"], _method(specs["vk"], name).result)
    }


def _method(spec: Spec, name: str) -> Any:
    return next(m for g in spec.groups for m in g.methods if m.name == name)


# Completeness: these fail until every API's texts are in (prose/wialon and prose/yclients are
# written on another branch); the failure names exactly what is missing.


def _missing(report: dict[str, list[str]]) -> str:
    return "\n".join(f"  {key}: {', '.join(lacks)}" for key, lacks in report.items())


@pytest.mark.parametrize("api", APIS)
def test_the_150_most_called_methods_have_texts(api: str, specs: dict[str, Spec], prose: dict[str, Prose]) -> None:
    top = [r for r in usage.top_methods() if r.api == api]
    assert top, api
    report = {r.key: lacks for r in top if (lacks := prose[api].missing_method(specs[api], r.key))}
    assert not report, f"prose/{api}/methods.yaml lacks texts for {len(report)} of its {len(top)} top methods:\n" + (
        _missing(report)
    )


@pytest.mark.parametrize("api", APIS)
def test_the_30_most_read_models_have_texts(api: str, specs: dict[str, Spec], prose: dict[str, Prose]) -> None:
    top = [r for r in usage.top_models() if r.api == api]
    report = {r.key: lacks for r in top if (lacks := prose[api].missing_model(specs[api], r.key))}
    assert not report, f"prose/{api}/models.yaml lacks texts for {len(report)} of its {len(top)} top models:\n" + (
        _missing(report)
    )


# In the generated code


def _generated_method(api: str, name: str) -> Any:
    package = importlib.import_module(f"apiforge.{api}")
    entry = package.METHODS[name]
    module = importlib.import_module(entry.module)
    sync = next(getattr(module, c) for c in module.__all__ if not c.startswith(("Async", "Batch")))
    return getattr(sync, entry.python_name)


def test_generated_docstrings_carry_the_texts(specs: dict[str, Spec], prose: dict[str, Prose]) -> None:
    checked = 0
    for api in APIS:
        for name, text in prose[api].methods.items():
            doc = _generated_method(api, name).__doc__
            assert doc.startswith(text.summary), (api, name)
            assert f"Calls `{name}`" in doc
            method = _method(specs[api], name)
            for param in method.params:
                if param.name in text.params:
                    assert f"{param.attr}{_sent_as(param)}: {text.params[param.name]} Type: " in doc, (name, param.name)
            body_texts = {
                wire: said for wire, said in text.params.items() if wire not in {p.name for p in method.params}
            }
            for wire, said in body_texts.items():
                # Fields of a flat YCLIENTS body are keyword arguments too: their texts are listed under Args.
                assert f": {said} Type: " in doc and f"(body field `{wire}`)" in doc, (name, wire)
            checked += 1
        for key, model_text in prose[api].models.items():
            cls = _model_class(api, key)
            assert cls.__doc__.startswith(model_text.summary), (api, key)
            for name, field_text in model_text.fields.items():
                assert f": {field_text} Type: `" in cls.__doc__, (api, key, name)
    assert checked >= 58  # at least the VK methods among the top 150


def _sent_as(param: Any) -> str:
    return f" (sent as `{param.name}`)" if param.attr != param.name else ""


def _model_class(api: str, key: str) -> Any:
    models = importlib.import_module(f"apiforge.{api}.models")
    return next(
        getattr(models, name)
        for name in models.__all__
        if getattr(getattr(models, name), "__doc__", "")
        # The spec's key stands alone as the docstring's first or second paragraph ("`users_career`.").
        and any(chunk.strip() == f"`{key}`." for chunk in getattr(models, name).__doc__.split("\n\n")[:2])
    )


UNTEXTED_METHOD = "friends.addList"


@pytest.fixture(scope="module")
def with_model_texts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The VK SDK generated into a temporary folder with our method texts but those of
    `UNTEXTED_METHOD`, plus texts for one model."""
    root = tmp_path_factory.mktemp("prose")
    (root / "vk").mkdir()
    methods = (PROSE_ROOT / "vk" / "methods.yaml").read_text(encoding="utf-8")
    # Every VK method has texts now, so the case "no texts" needs one taken out (its entry runs
    # from its key to the next blank line).
    start = methods.index(f"\n{UNTEXTED_METHOD}:\n")
    methods = methods[:start] + methods[methods.index("\n\n", start + 1) :]
    assert f"{UNTEXTED_METHOD}:" not in methods
    (root / "vk" / "methods.yaml").write_text(methods, encoding="utf-8")
    (root / "vk" / "models.yaml").write_text(
        "users_user_min:\n"
        "  summary: A person's account in its shortest form.\n"
        "  fields:\n"
        "    id: Numeric id of the person.\n"
        "    first_name: Given name of the person.\n",
        encoding="utf-8",
    )
    output = tmp_path_factory.mktemp("out") / "apiforge"
    assert run(["vk"], output=output, prose=root, quiet=True) == 0
    return output.parent


def test_model_docstring_and_field_docstrings(with_model_texts: Path) -> None:
    source = (with_model_texts / "apiforge" / "vk" / "models" / "users.py").read_text(encoding="utf-8")
    body = source[source.index("class UsersUserMin(Model):") :]
    body = body[: body.index("\nclass ")]
    assert body.startswith(
        'class UsersUserMin(Model):\n    """A person\'s account in its shortest form.\n\n    `users_user_min`.'
    )
    assert "        id: Numeric id of the person. Type: `int`, always present.\n" in body
    assert "        last_name: `str`.\n" in body  # no text: as before
    # Each text also follows its attribute, in the class body and in __init__.
    assert body.count('"""Given name of the person."""') == 2
    assert '    first_name: str | None = None\n    """Given name of the person."""\n' in body


def test_a_method_without_texts_keeps_its_facts_only_docstring(with_model_texts: Path) -> None:
    source = (with_model_texts / "apiforge" / "vk" / "methods" / "sync" / "friends.py").read_text(encoding="utf-8")
    body = source[source.index("    def add_list(") :]
    doc = body[body.index('"""') + 3 :]
    doc = doc[: doc.index('"""')]
    assert doc.startswith(f"Call `{UNTEXTED_METHOD}`.\n\n        Tokens: user.\n")
    assert "            name: str; required.\n" in doc  # a parameter without text: type and limits only


def test_models_with_field_docstrings_still_decode(with_model_texts: Path) -> None:
    """The attribute docstrings are plain statements: the model machinery and decoding ignore them."""
    script = (
        "import apiforge.vk as vk, apiforge.vk.models.users as users\n"
        "assert users.__file__.startswith(sys.argv[1]), users.__file__\n"
        '[user] = vk.decode_response(\'users.get\', b\'{"response": [{"id": 1, "first_name": "P"}]}\')\n'
        "small = users.UsersUserMin(id=2, first_name='Q')\n"
        "print(user.first_name, small.first_name, small.last_name, repr(small))\n"
    )
    env = {**os.environ, "PYTHONPATH": f"{with_model_texts}{os.pathsep}{REPO / 'runtime'}"}
    done = subprocess.run(
        [sys.executable, "-c", "import sys\n" + script, str(with_model_texts)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "P Q None UsersUserMin(id=2, first_name='Q')"


def test_hover_in_jedi_shows_our_texts(with_model_texts: Path) -> None:
    project = jedi.Project(
        str(with_model_texts), sys_path=[str(with_model_texts), str(REPO / "runtime"), *sys.path], smart_sys_path=False
    )
    code = (
        "from apiforge.vk import VK\n"
        "from apiforge.vk.models import UsersUserMin\n"
        "user = UsersUserMin(id=1)\n"
        "user.first_name\n"
        "vk = VK(token='x')\n"
        "vk.users.get(user_ids=[1], \n"
    )
    script = jedi.Script(code, project=project)
    field = script.help(4, len("user.fi"))
    assert [h.docstring() for h in field] == ["Given name of the person."]
    method = script.help(6, len("vk.users.g"))
    assert method and "Read the profiles of the given users" in method[0].docstring()
    signatures = script.get_signatures(6, len("vk.users.get(user_ids=[1], "))
    assert signatures and signatures[0].name == "get"
    assert "user_ids: Users to read, by numeric id or screen name. Type: " in signatures[0].docstring()


class _LanguageServer:
    """A minimal LSP client over stdio: enough to open a file and ask for hovers and signature help."""

    def __init__(self, root: Path) -> None:
        server = Path(sys.executable).parent / "pyright-langserver"
        self.proc = subprocess.Popen(
            [str(server), "--stdio"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=root
        )
        # A stuck server must not hang the suite: it is killed, and the read fails.
        self.watchdog = threading.Timer(300, self.proc.kill)
        self.watchdog.start()
        self.ids = itertools.count(1)
        workspace = {"rootUri": root.as_uri(), "workspaceFolders": [{"uri": root.as_uri(), "name": root.name}]}
        self.request("initialize", {"processId": os.getpid(), **workspace, "capabilities": {}})
        self.notify("initialized", {})

    def _send(self, message: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def _read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        length = 0
        while (line := self.proc.stdout.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        assert length, "the language server closed its output"
        message: dict[str, Any] = json.loads(self.proc.stdout.read(length))
        return message

    def notify(self, method: str, params: dict[str, Any]) -> None:
        self._send({"method": method, "params": params})

    def request(self, method: str, params: dict[str, Any]) -> Any:
        ident = next(self.ids)
        self._send({"id": ident, "method": method, "params": params})
        while True:
            message = self._read()
            if "method" in message and "id" in message:  # the server asks something: no settings
                items = message.get("params", {}).get("items", [])
                self._send({"id": message["id"], "result": [{}] * len(items) if items else None})
            elif message.get("id") == ident:
                return message.get("result")

    def close(self) -> None:
        self.watchdog.cancel()
        self.proc.kill()
        self.proc.wait(timeout=60)


def test_hover_in_pyright_shows_our_texts(with_model_texts: Path, tmp_path: Path) -> None:
    config = {
        "extraPaths": [str(with_model_texts), str(REPO / "runtime")],
        "pythonVersion": "3.11",
        # This interpreter's environment: attrs, httpx and the rest the models and clients import.
        "venvPath": str(Path(sys.prefix).parent),
        "venv": Path(sys.prefix).name,
    }
    (tmp_path / "pyrightconfig.json").write_text(json.dumps(config), encoding="utf-8")
    code = (
        "from apiforge.vk import VK\n"
        "from apiforge.vk.models import UsersUserMin\n"
        "user = UsersUserMin(id=1)\n"
        "user.first_name\n"
        "vk = VK(token='x')\n"
        "vk.users.get(user_ids=[1])\n"
    )
    (tmp_path / "probe.py").write_text(code, encoding="utf-8")
    uri = (tmp_path / "probe.py").as_uri()
    server = _LanguageServer(tmp_path)
    try:
        server.notify(
            "textDocument/didOpen",
            {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": code}},
        )

        def at(line: int, character: int) -> dict[str, Any]:
            return {"textDocument": {"uri": uri}, "position": {"line": line, "character": character}}

        field = server.request("textDocument/hover", at(3, len("user.fi")))["contents"]["value"]
        assert field.rstrip().endswith("Given name of the person."), field
        method = server.request("textDocument/hover", at(5, len("vk.users.g")))["contents"]["value"]
        assert "Read the profiles of the given users" in method, method
        signature = server.request("textDocument/signatureHelp", at(5, len("vk.users.get(user_i")))
        params = {
            p["label"].split(":")[0]: p.get("documentation", {}) for p in signature["signatures"][0]["parameters"]
        }
        assert "Users to read, by numeric id or screen name." in str(params["user_ids"]), params
    finally:
        server.close()


# Bad prose files


@pytest.fixture
def vk(specs: dict[str, Spec]) -> Spec:
    return specs["vk"]


def _load(tmp_path: Path, spec: Spec, name: str, text: str, **kwargs: Any) -> Prose:
    (tmp_path / spec.api.name).mkdir(exist_ok=True)
    (tmp_path / spec.api.name / name).write_text(text, encoding="utf-8")
    return load_prose(spec, tmp_path, **kwargs)


GOOD = "users.get:\n  summary: Read profiles.\n  params:\n    user_ids: Who.\n"


@pytest.mark.parametrize(
    ("file", "text", "line", "reason"),
    [
        ("methods.yaml", GOOD + "users.gett:\n  summary: Read.\n", 5, "'users.gett' is not a method of specs/vk"),
        (
            "methods.yaml",
            GOOD + "    userids: Who.\n",
            5,
            "users.get.params: 'userids' is not a parameter of users.get",
        ),
        ("methods.yaml", GOOD.replace("Who.", "''"), 4, "users.get.params.user_ids: the text is empty"),
        ("methods.yaml", GOOD.replace("Who.", "   "), 4, "users.get.params.user_ids: expected a text"),
        (
            "methods.yaml",
            GOOD.replace("Read profiles.", "Read profiles. Then cache them."),
            2,
            "users.get.summary: a summary is one sentence ending with a full stop",
        ),
        ("methods.yaml", GOOD.replace("Read profiles.", "Read profiles"), 2, "a summary is one sentence"),
        (
            "methods.yaml",
            GOOD.replace("profiles.", "profiles " + "x" * 120 + "."),
            2,
            "characters; a summary has at most 120",
        ),
        ("methods.yaml", "\n\nusers.get:\n  params:\n    user_ids: Who.\n", 3, "users.get: no summary"),
        ("methods.yaml", GOOD + "  sumary: Read.\n", 5, "users.get: unknown key 'sumary'"),
        ("methods.yaml", GOOD + "  params: {fields: Which.}\n", 5, "users.get: 'params' is given twice"),
        ("methods.yaml", GOOD + "  : [\n", 5, "invalid YAML"),
        ("methods.yaml", GOOD.replace("Who.", 'Who \\ """.'), 4, "no backslashes, triple quotes or closing quote"),
        ("methods.yaml", GOOD.replace("Who.", """'Who, e.g. "me"'"""), 4, "no backslashes, triple quotes or closing"),
        ("models.yaml", "\nusers_user_minn:\n  summary: A user.\n", 2, "'users_user_minn' is not a model of specs/vk"),
        (
            "models.yaml",
            "users_user_min:\n  summary: A user.\n  fields:\n    id: Id.\n    frist_name: Name.\n",
            5,
            "users_user_min.fields: 'frist_name' is not a field of users_user_min",
        ),
        ("models.yaml", "- users_user_min\n", 1, "a prose file must be a mapping at the top level"),
    ],
)
def test_bad_prose_names_file_and_line(tmp_path: Path, vk: Spec, file: str, text: str, line: int, reason: str) -> None:
    with pytest.raises(ProseError) as caught:
        _load(tmp_path, vk, file, text)
    assert caught.value.file.endswith(f"vk/{file}")
    assert caught.value.line == line, str(caught.value)
    assert reason in caught.value.reason, str(caught.value)
    assert str(caught.value).startswith(f"{caught.value.file}:{line}: ")


def test_good_prose_loads(tmp_path: Path, vk: Spec) -> None:
    text = _load(tmp_path, vk, "methods.yaml", GOOD + "  # e.g. ids, i.e. numbers.\n")
    assert text.methods["users.get"].summary == "Read profiles."
    assert text.methods["users.get"].params == {"user_ids": "Who."}
    assert text.missing_method(vk, "users.get") == ["params.fields", "params.name_case", "params.from_group_id"]
    # Inherited fields (allOf parents) are fields too.
    assert "first_name" in model_fields(vk, "users_user_full") and "counters" in model_fields(vk, "users_user_full")
    # Abbreviations do not end a sentence; an empty `params:` is no texts.
    loaded = _load(tmp_path, vk, "methods.yaml", "users.get:\n  summary: Read profiles, e.g. Durov's.\n  params:\n")
    assert loaded.methods["users.get"].params == {}


def test_a_copied_text_is_refused_with_its_line(tmp_path: Path, vk: Spec, upstream: frozenset[tuple[str, ...]]) -> None:
    copied = next(d for d in upstream_descriptions(UPSTREAM) if len(words(d)) >= 8 and "\n" not in d and ":" not in d)
    # Case and punctuation do not hide a copy.
    disguised = " ".join(w.upper() + "," for w in words(copied)[:7]) + "."
    text = f"users.get:\n  summary: Read profiles.\n  params:\n    fields: {disguised}\n"
    with pytest.raises(ProseError) as caught:
        _load(tmp_path, vk, "methods.yaml", text, upstream=upstream)
    assert caught.value.line == 4 and "shares the words" in caught.value.reason, str(caught.value)
    # The generator refuses it too.
    with pytest.raises(ProseError):
        run(["vk"], output=tmp_path / "out", prose=tmp_path, quiet=True, check=True)


def _all_texts() -> Iterator[tuple[str, str]]:
    """Every text of every prose file, read as plain YAML (independently of codegen.prose)."""
    for path in sorted(PROSE_ROOT.glob("*/*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        inner = "params" if path.name == "methods.yaml" else "fields"
        for key, entry in data.items():
            yield f"{path.relative_to(REPO)}: {key}.summary", entry["summary"]
            for name, text in (entry.get(inner) or {}).items():
                yield f"{path.relative_to(REPO)}: {key}.{inner}.{name}", text


def test_no_text_copies_upstream_description_prose(upstream: frozenset[tuple[str, ...]]) -> None:
    texts = list(_all_texts())
    assert len(texts) > 300  # at least the VK method texts
    copied = {where: sorted(" ".join(run) for run in runs(text) & upstream) for where, text in texts}
    copied = {where: found for where, found in copied.items() if found}
    assert not copied, "texts sharing 6 or more consecutive words with upstream descriptions:\n" + "\n".join(
        f"  {where}: {found}" for where, found in copied.items()
    )


def test_summaries_and_texts_follow_the_house_format() -> None:
    bad = []
    for where, text in _all_texts():
        # The shared format: summaries under 120 characters, parameter texts under 100, all with a full stop.
        limit = 120 if where.endswith(".summary") else 100 if ".params." in where else None
        if not (isinstance(text, str) and text.strip().endswith(".") and (limit is None or len(text) < limit)):
            bad.append((where, text))
    assert not bad, bad


def test_usage_command_prints_the_rankings_and_what_lacks_texts() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "codegen", "usage", "--methods", "150", "--models", "30"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    lines = done.stdout.splitlines()
    methods = lines[1:151]
    assert lines[0].startswith("# top 150 methods") and len(methods) == 150
    assert methods[0].split()[:3] == ["vk", "90", "messages.send"]  # complete: no '-' mark
    marked = [line for line in lines if line.startswith("- ")]
    assert all("(lacks " in line for line in marked)
    assert lines[-1] == f"{len(marked)} of 180 lack texts in prose/"
    assert done.returncode == (1 if marked else 0)
