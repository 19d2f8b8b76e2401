"""Every Python block of the README and the guides (docs/*.md) runs, against the fakes.

The blocks of one file run in order in one namespace, as a reader would paste them. Calls meant for
the real services reach the fakes instead: a fixture makes FakeVK, FakeYclients and FakeWialon
(accepting the placeholder credentials the docs show) answer, in-process, the requests for
api.vk.com, api.yclients.com and hst-api.wialon.com. Before each block, the names the guides use for
an open client (`vk`, `avk`, `yc`, `w`, ...) are bound to fresh clients of the fakes; the other
names of earlier blocks stay. Top-level `await` and `async with` run on an event loop. The blocks
run in a temporary folder that holds the files the guides upload (`UPLOADED_FILES`).

An event loop in a block (`for update in vk.bot_long_poll(...)`) would wait forever for the next
event: in these runs a long poll that comes back empty ends the block (`StreamDrained`) once the
events the fakes hold have been handled, and the block counts as run to its end.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import inspect
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from apiforge.core.aiohttp_transport import AiohttpTransport
from apiforge.testing import FakeVK, FakeWialon, FakeYclients
from apiforge.testing._server import FakeServer
from apiforge.testing.redis_server import RedisServer
from apiforge.testing.yclients import FakeUser
from tests.typecheck import REPO

DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
# A block that cannot end in-process (it serves until the process is stopped, it waits for a
# browser) is marked, on the line right above its fence, `<!-- snippet: compile-only: <why> -->`:
# it is compiled and F821-checked, not run. The reason is required, and shows in the Markdown source.
COMPILE_ONLY = re.compile(r"<!-- snippet: compile-only: (?P<why>\S.*?) -->\n\Z")
WIALON_TOKEN = "<72 characters>"
# The Redis the guides connect to (docs/several-processes.md): the blocks that name it run against a
# real redis-server the test starts (`RedisServer`), its URL put in place of this one.
DOCUMENTED_REDIS = "redis://10.0.0.5:6379/0"
# The files the guides upload (docs/vk.md, Uploads), made in the folder the blocks run in.
UPLOADED_FILES = ("cat.jpg", "hello.ogg", "news.png", "a.jpg", "clip.mp4")


def blocks(path: Path) -> list[tuple[int, str]]:
    """The Python blocks of a Markdown file: (line number, code)."""
    text = path.read_text(encoding="utf-8")
    return [(text[: m.start()].count("\n") + 2, m.group(1)) for m in BLOCK.finditer(text)]


def compile_only(path: Path) -> set[int]:
    """The line numbers (as `blocks` gives them) of the blocks marked compile-only, with their reason."""
    text = path.read_text(encoding="utf-8")
    marked: set[int] = set()
    for m in BLOCK.finditer(text):
        if COMPILE_ONLY.search(text, 0, m.start()) is not None:
            marked.add(text[: m.start()].count("\n") + 2)
    return marked


@pytest.fixture
def fakes(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """FakeVK, FakeYclients and FakeWialon answering, in-process, what is sent to the real services."""
    vk = FakeVK(tokens={"t", "..."})
    yc = FakeYclients(partner_tokens={"partner", "..."})
    w = FakeWialon(tokens={FakeWialon().token, WIALON_TOKEN})
    reader = FakeUser(id=1002, login="79161234567", password="password", companies=tuple(yc.companies))
    yc.users.append(reader)  # the login the README shows
    yc.user_tokens["..."] = reader  # `AsyncYclients(partner_token="...", user_token="...")`
    hosts: dict[str, FakeServer] = {
        "api.vk.com": vk,
        "longpoll.fake-vk.invalid": vk,  # the Bots Long Poll server FakeVK names in-process
        "api.yclients.com": yc,
        "hst-api.wialon.com": w,
    }
    sync_send = httpx.HTTPTransport.handle_request
    async_send = httpx.AsyncHTTPTransport.handle_async_request

    def send(self: httpx.HTTPTransport, request: httpx.Request) -> httpx.Response:
        fake = hosts.get(request.url.host)
        return fake.transport().handle_request(request) if fake is not None else sync_send(self, request)

    async def send_async(self: httpx.AsyncHTTPTransport, request: httpx.Request) -> httpx.Response:
        fake = hosts.get(request.url.host)
        if fake is not None:
            return await fake.async_transport().handle_async_request(request)
        return await async_send(self, request)

    async def send_aiohttp(self: AiohttpTransport, request: httpx.Request) -> httpx.Response:
        fake = hosts.get(request.url.host)
        if fake is not None:
            return await fake.async_transport().handle_async_request(request)
        return await aiohttp_send(self, request)

    aiohttp_send = AiohttpTransport.handle_async_request
    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", send)
    monkeypatch.setattr(httpx.AsyncHTTPTransport, "handle_async_request", send_async)
    # docs/async.md's `transport="aiohttp"`: the same fakes behind the aiohttp transport's entry.
    monkeypatch.setattr(AiohttpTransport, "handle_async_request", send_aiohttp)
    return {"vk": vk, "yclients": yc, "wialon": w}


class StreamDrained(BaseException):
    """A long poll of a doc block came back empty: every event the fakes held has been handled."""


@pytest.fixture
def drained_streams(monkeypatch: pytest.MonkeyPatch) -> None:
    """Long polls poll for a second and end the block once a poll brings nothing (see the module)."""
    from apiforge.core.events.longpoll import LongPoll

    original_init = LongPoll.__init__

    def init(self: Any, *, wait: int, **kwargs: Any) -> None:
        original_init(self, wait=1, **kwargs)
        decode = self.decode  # the poll's own (each kind of long poll has one)

        def drained(updates: list[object]) -> Any:
            if not updates:
                raise StreamDrained(self.kind)
            return decode(updates)

        self.decode = drained

    monkeypatch.setattr(LongPoll, "__init__", init)


def run_block(code: str, namespace: dict[str, Any], where: str) -> None:
    """Run one block in `namespace`, on an event loop when it awaits at the top level."""
    compiled = compile(code, where, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    try:
        result = eval(compiled, namespace)
        if inspect.isawaitable(result):
            asyncio.run(_wait(result))
    except StreamDrained:
        pass


async def _wait(awaitable: Any) -> None:
    await awaitable


def prelude() -> dict[str, Any]:
    """What the guides' blocks take as given, fresh for each block: fakes (in-process), open clients of
    them under the names the guides and the pytest plugin use, a community token, a Wialon session id."""
    from apiforge.vk import VK, AsyncVK
    from apiforge.wialon import AsyncWialon, Wialon
    from apiforge.yclients import AsyncYclients, Yclients

    vk, yc, w = FakeVK(tokens={"t", "..."}), FakeYclients(), FakeWialon()
    user = yc.users[0]
    yclients = Yclients(
        "partner", base_url="http://fake", rate_limit=None, http_client=httpx.Client(transport=yc.transport())
    )
    yclients.login(user.login, user.password)
    names: dict[str, Any] = {
        "vk": VK("t", base_url="http://fake", rate_limit=None, http_client=httpx.Client(transport=vk.transport())),
        "avk": AsyncVK(
            "t", base_url="http://fake", rate_limit=None, http_client=httpx.AsyncClient(transport=vk.async_transport())
        ),
        "yc": yclients,
        "ayc": AsyncYclients(
            "partner",
            user_token=yclients.user_token,
            base_url="http://fake",
            rate_limit=None,
            http_client=httpx.AsyncClient(transport=yc.async_transport()),
        ),
        "w": Wialon(w.token, base_url="http://fake", http_client=httpx.Client(transport=w.transport())),
        "aw": AsyncWialon(
            w.token, base_url="http://fake", http_client=httpx.AsyncClient(transport=w.async_transport())
        ),
        "fake_vk": vk,
        "fake_yclients": yc,
        "fake_wialon": w,
        "fake": vk,
        "community_token": "t",
        "user_token": "t",
    }
    with httpx.Client(transport=w.transport()) as http:
        login = http.post(
            "http://fake/wialon/ajax.html", data={"svc": "token/login", "params": f'{{"token":"{w.token}"}}'}
        )
    names["sid"] = login.json()["eid"]  # a session opened elsewhere, for `Wialon.from_session(sid, ...)`
    # The pytest plugin's fixture names, for the test functions the guides show.
    names.update(async_vk=names["avk"], yclients=names["yc"], async_yclients=names["ayc"], wialon=names["w"])
    names["async_wialon"] = names["aw"]
    return names


def run_tests(namespace: dict[str, Any], before: set[str], where: str) -> None:
    """Call the test functions a block defined, with the fixtures they name (fresh ones)."""
    for name in [n for n in namespace if n.startswith("test_") and n not in before]:
        function = namespace[name]
        if not callable(function):
            continue
        given = prelude()
        arguments = {p: given[p] for p in inspect.signature(function).parameters}
        result = function(**arguments)
        if inspect.isawaitable(result):
            asyncio.run(_wait(result))


@pytest.mark.parametrize("path", DOCS, ids=[p.relative_to(REPO).as_posix() for p in DOCS])
@pytest.mark.usefixtures("drained_streams")
def test_the_python_blocks_run(
    path: Path, fakes: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in UPLOADED_FILES:  # a few bytes each: the fake upload servers store what they get
        (tmp_path / name).write_bytes(f"contents of {name}".encode())
    monkeypatch.chdir(tmp_path)
    text = path.read_text(encoding="utf-8")
    not_run = compile_only(path)
    assert text.count("<!-- snippet: compile-only") == len(not_run), f"{path}: a compile-only marker not above a fence"
    namespace: dict[str, Any] = {"__name__": "__docs__"}
    with contextlib.ExitStack() as stack:
        redis_url = stack.enter_context(RedisServer()).url if DOCUMENTED_REDIS in text else DOCUMENTED_REDIS
        for line, code in blocks(path):
            where = f"{path.relative_to(REPO)}:{line}"
            if line in not_run:
                compile(code, where, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)  # a SyntaxError fails
                continue
            # The guides mean an open client by `vk`, `yc`, `w` (a block's own `with ... as vk:` has closed its one).
            namespace.update(prelude())
            before = set(namespace)
            run_block(code.replace(DOCUMENTED_REDIS, redis_url), namespace, where)
            run_tests(namespace, before, where)


@pytest.mark.parametrize("path", DOCS, ids=[p.relative_to(REPO).as_posix() for p in DOCS])
def test_the_python_blocks_name_only_what_they_define(path: Path, tmp_path: Path) -> None:
    # Running a block proves the lines that ran; code that waits for an event (a handler, a middleware)
    # may not run against a quiet fake. Undefined names anywhere are caught here (ruff's F821), with the
    # names the guides take as given (see `prelude`) allowed.
    given = sorted(prelude())
    source = tmp_path / "blocks.py"
    source.write_text("\n\n".join(code for _, code in blocks(path)) or "\n", encoding="utf-8")
    ruff = Path(sys.executable).parent / "ruff"
    checked = subprocess.run(
        [
            str(ruff),
            "check",
            "--no-cache",
            "--isolated",
            "--select",
            "F821",
            "--config",
            f"builtins={given!r}".replace("'", '"'),
            str(source),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout
