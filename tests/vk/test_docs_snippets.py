"""The snippets of the guides' sections on uploads, keyboards and pagination run, as written, against the fakes.

Each ```python block of a section runs in one namespace per guide (a later block may use what an
earlier one made), with `vk` / `avk` (docs/vk.md) or `w` (docs/wialon.md) connected to a fake; a block
that awaits runs inside a coroutine.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from apiforge.testing.vk import FakeVK
from apiforge.testing.wialon import DEFAULT_TOKEN, FakeWialon
from apiforge.vk import VK, AsyncVK
from apiforge.wialon import Wialon

DOCS = Path(__file__).resolve().parents[2] / "docs"
_BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)


def blocks(guide: str, *sections: str) -> list[str]:
    """The python blocks of these sections (`## ` or `### ` headings) of a guide, in order."""
    text = (DOCS / guide).read_text(encoding="utf-8")
    found: list[str] = []
    for section in sections:
        heading = re.search(rf"^#+ {re.escape(section)}$", text, re.MULTILINE)
        assert heading is not None, f"{guide}: no section {section!r}"
        following = re.compile(r"^#+ ", re.MULTILINE).search(text, heading.end())
        found += _BLOCK.findall(text[heading.end() : following.start() if following else None])
    assert found, f"{guide}: no snippets in {sections}"
    return found


async def run(block: str, namespace: dict[str, Any]) -> None:
    if "await " in block or "async for" in block:
        exec(f"async def _snippet():\n{textwrap.indent(block, '    ')}\n    return locals()", namespace)
        namespace.update(await namespace.pop("_snippet")())
    else:
        exec(block, namespace)


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    for name in ("cat.jpg", "hello.ogg", "news.png", "a.jpg", "clip.mp4"):
        (tmp_path / name).write_bytes(b"content of " + name.encode())
    monkeypatch.chdir(tmp_path)
    yield tmp_path


async def test_vk_guide_snippets_run(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with FakeVK() as fake:
        fake.wall.add_post(-1, "news", from_id=-1)
        async with AsyncVK(token="t", base_url=fake.url, rate_limit=None) as avk:
            with VK(token="t", base_url=fake.url, rate_limit=None) as vk:
                namespace: dict[str, Any] = {"vk": vk, "avk": avk}
                for block in blocks("vk.md", "Pagination", "Uploads", "Keyboards and carousels"):
                    await run(block, namespace)
        assert "news" in capsys.readouterr().out  # iter_get printed the community's post
        assert [f.filename for f in fake.uploads.files] == [
            "cat.jpg",
            "document.txt",
            "hello.ogg",
            "news.png",
            "a.jpg",
            "clip.mp4",
            "photo.jpg",
        ]
        menu, cards = fake.messages[-1]["keyboard"], fake.messages[-1]["template"]
        assert len(menu["buttons"]) == 3 and len(cards["elements"]) == 2
        assert [a["type"] for a in fake.messages[-2]["attachments"]] == ["doc", "video"]


async def test_wialon_guide_snippets_run(capsys: pytest.CaptureFixture[str]) -> None:
    with FakeWialon() as fake, Wialon(token=DEFAULT_TOKEN, base_url=fake.url, rate_limit=None) as w:
        for n in range(5):
            fake.push_message(734455, x=37.6, y=55.7, t=1_700_000_001 + n)
        namespace: dict[str, Any] = {"w": w}
        for block in blocks("wialon.md", "Pagination"):
            await run(block, namespace)
    printed = capsys.readouterr().out
    assert "Truck 01" in printed and namespace["layer"].count == 6  # the unit's first position and five more


async def test_testing_guide_snippet_runs() -> None:
    with FakeVK() as fake_vk, VK(token="t", base_url=fake_vk.url, rate_limit=None) as vk:
        namespace: dict[str, Any] = {"vk": vk, "fake_vk": fake_vk}
        for block in blocks("testing.md", "VK uploads, keyboards and carousels"):
            await run(block, namespace)
        assert len(fake_vk.uploads.photos) == 2 and namespace["saved"][0].id == 2
