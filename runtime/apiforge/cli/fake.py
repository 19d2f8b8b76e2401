"""`apiforge fake API [--port N]`: serve one of apiforge.testing's fakes until Ctrl-C, for trying things by hand.

`apiforge fake vk --say hello` also writes to the community as a user once a bot is listening
(it has asked for its Bots Long Poll server), so `examples/vk_bot.py` has something to answer;
`--stdin` sends each line typed into the fake's terminal the same way.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType
from typing import TYPE_CHECKING, TextIO

from apiforge.cli.apis import APIS
from apiforge.cli.errors import CLIError
from apiforge.testing._server import FakeServer

if TYPE_CHECKING:
    from apiforge.testing.vk import FakeVK


def make_fake(api_name: str) -> tuple[FakeServer, list[str]]:
    """A fresh fake of `api_name` with its default state, and what a caller needs to know to use it."""
    if api_name == "vk":
        from apiforge.testing.vk import FakeVK

        vk = FakeVK()
        token = sorted(vk.tokens)[0]
        return vk, [
            f"token: {token}",
            f"bot:   APIFORGE_VK_TOKEN={token} python examples/vk_bot.py --base-url {{url}}  (messages: --say, --stdin)",
            f"try:   apiforge call vk users.get user_ids=1,5 --token {token} --base-url {{url}}",
        ]
    if api_name == "yclients":
        from apiforge.testing.yclients import FakeYclients

        yc = FakeYclients()
        partner = sorted(yc.partner_tokens)[0]
        logins = ", ".join(f"{user.login} / {user.password}" for user in yc.users)
        return yc, [
            f"partner token: {partner}",
            f"users (login / password): {logins}",
            f"try:   apiforge call yclients companies.list --token {partner} --base-url {{url}}",
        ]
    from apiforge.testing.wialon import FakeWialon

    wialon = FakeWialon()
    return wialon, [
        f"token: {wialon.token}",
        f"try:   apiforge call wialon core/search_item id={min(wialon.units)} flags=1 --token {wialon.token}"
        " --base-url {url}",
    ]


def run_fake(
    api_name: str,
    *,
    port: int = 0,
    says: Sequence[str] = (),
    from_user: int = 1,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stop: threading.Event | None = None,
) -> None:
    """Serve the fake of `api_name` on 127.0.0.1:`port` until Ctrl-C (or SIGTERM, or `stop` is set).

    VK only: `says` are messages user `from_user` writes to the community once a bot has asked for
    its long-poll server (earlier ones it would never see); each line of `stdin` is written at once.
    """
    out = stdout or sys.stdout
    if (says or stdin is not None) and api_name != "vk":
        raise CLIError("--say and --stdin write to a VK community: they are for `apiforge fake vk`")
    fake, notes = make_fake(api_name)
    try:
        fake.start(port)
    except OSError as exc:
        raise CLIError(f"cannot serve on 127.0.0.1:{port}: {exc.strerror or exc}") from None
    done = stop or threading.Event()
    previous = _on_sigterm(done)
    try:
        url = fake.url
        out.write(f"{type(fake).__name__} ({APIS[api_name].title}) serving {url} - Ctrl-C to stop\n")
        for note in notes:
            out.write("  " + note.replace("{url}", url) + "\n")
        out.flush()
        pending = list(says)
        if stdin is not None:
            threading.Thread(target=_say_lines, args=(fake, stdin, from_user, out), daemon=True).start()
        while not done.wait(0.2):
            if pending and fake.calls_to("groups.getLongPollServer"):
                for text in pending:
                    _say(fake, from_user, text, out)
                pending = []
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    count = len(fake.calls)
    out.write(f"stopped after {count} call{'' if count == 1 else 's'}\n")
    out.flush()


def _say(fake: FakeServer, user: int, text: str, out: TextIO) -> None:
    vk: FakeVK = fake  # type: ignore[assignment]  # run_fake allows --say for VK only
    vk.longpoll.message_from_user(user, text)
    out.write(f"user {user} said: {text}\n")
    out.flush()


def _say_lines(fake: FakeServer, lines: TextIO, user: int, out: TextIO) -> None:
    for line in lines:
        if line.strip():
            _say(fake, user, line.strip(), out)


def _on_sigterm(done: threading.Event) -> signal.Handlers | None:
    """Let SIGTERM end the loop like Ctrl-C does (only possible from the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def handler(signum: int, frame: FrameType | None) -> None:
        done.set()

    previous = signal.getsignal(signal.SIGTERM)
    signal.signal(signal.SIGTERM, handler)
    return previous if isinstance(previous, signal.Handlers) else signal.Handlers.SIG_DFL


__all__ = ["make_fake", "run_fake"]
