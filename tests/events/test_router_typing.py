"""The router's handlers are typed by their event class: checked by running mypy on a small program."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PROGRAM = textwrap.dedent(
    """
    from apiforge.core.events import Router
    from apiforge.vk.updates import GroupJoin, MessageNew
    from apiforge.wialon.models.events import AvlMessageEvent

    router = Router()


    @router.on(MessageNew, filter=lambda update: update.object.message is not None)
    def reply(update: MessageNew) -> None:
        reveal_type(update.object)  # [object]


    @router.on(GroupJoin)
    async def welcome(update: GroupJoin) -> int:
        return update.object.user_id


    reveal_type(welcome)  # [async]


    @router.on(GroupJoin)  # [wrong]: a handler of another event
    def wrong(update: MessageNew) -> None: ...


    @router.on(MessageNew, filter=lambda update: update.object.user_id == 1)  # [filter]: no such field
    def filtered(update: MessageNew) -> None: ...


    @router.on((GroupJoin, MessageNew))
    def either(update: GroupJoin | MessageNew) -> None:
        reveal_type(update)  # [tuple]


    @router.on(AvlMessageEvent)
    def moved(event: AvlMessageEvent) -> None:
        reveal_type(event.d)  # [avl]
    """
)


def test_mypy_types_handlers_by_their_event_class(tmp_path: Path) -> None:
    program = tmp_path / "bot.py"
    program.write_text(PROGRAM, encoding="utf-8")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(REPO / "pyproject.toml"),
            "--no-error-summary",
            str(program),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=600,
        check=False,
    )
    lines: dict[int, list[tuple[str, str]]] = {}
    for line in done.stdout.splitlines():
        match = re.match(r".*bot\.py:(\d+): (\w+): (.*)", line)
        if match:
            lines.setdefault(int(match.group(1)), []).append((match.group(2), match.group(3)))
    at = {m.group(1): n for n, line in enumerate(PROGRAM.splitlines(), 1) if (m := re.search(r"# \[(\w+)\]", line))}
    assert set(lines) == set(at.values()), done.stdout + done.stderr
    assert lines[at["object"]] == [("note", 'Revealed type is "apiforge.vk.models.callback.CallbackMessageObject"')]
    (kind, message) = lines[at["async"]][0]
    assert "def (apiforge.vk.updates.GroupJoin) -> typing.Coroutine[Any, Any, int]" in message
    (kind, message) = lines[at["wrong"]][0]
    assert kind == "error" and "[arg-type]" in message and "GroupJoin" in message and "MessageNew" in message
    assert any(
        kind == "error" and '"user_id"' in message and "[attr-defined]" in message
        for kind, message in lines[at["filter"]]
    )
    assert lines[at["tuple"]] == [
        ("note", 'Revealed type is "apiforge.vk.updates.GroupJoin | apiforge.vk.updates.MessageNew"')
    ]
    assert lines[at["avl"]][0][0] == "note" and "DataMessage" in lines[at["avl"]][0][1]
