"""Every script in examples/ runs against the fakes: `main(base_url=...)`, credentials from the environment.

The convention for examples: a module-level `main(base_url=...)` that takes its credentials from
the environment (the `apiforge` command's variables: APIFORGE_VK_TOKEN, ...), and a file name
starting with the API it uses (`vk_`, `yclients_`, `wialon_`).
"""

from __future__ import annotations

import runpy
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from apiforge.testing import FakeVK, FakeWialon, FakeYclients
from apiforge.testing._server import FakeServer
from tests.cli.clirun import HANG, REPO, clean_env

EXAMPLES = sorted(p for p in (REPO / "examples").glob("*.py") if p.name != "__init__.py")
RUN_MAIN = "import runpy, sys; runpy.run_path(sys.argv[1])['main'](base_url=sys.argv[2])"


@contextmanager
def fake_for(example: Path) -> Iterator[tuple[FakeServer, dict[str, str]]]:
    """The fake an example talks to, serving HTTP, and the environment that points the example at it."""
    api = example.name.split("_", 1)[0]
    if api == "vk":
        with FakeVK(tokens={"t"}) as vk:
            # examples/vk_app.py reads VK_TOKEN; the command line's name is APIFORGE_VK_TOKEN.
            yield vk, {"APIFORGE_VK_TOKEN": "t", "VK_TOKEN": "t"}
    elif api == "yclients":
        with FakeYclients(partner_tokens={"partner"}) as yc:
            yield yc, {"APIFORGE_YCLIENTS_PARTNER_TOKEN": "partner"}
    elif api == "wialon":
        with FakeWialon() as wialon:
            yield wialon, {"APIFORGE_WIALON_TOKEN": wialon.token}
    else:
        pytest.fail(f"{example.name}: an example's name starts with the API it uses (vk_, yclients_, wialon_)")


def run_example(example: Path, url: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", RUN_MAIN, str(example), url],
        capture_output=True,
        text=True,
        env=clean_env(env),
        cwd=REPO,
        timeout=HANG,
        check=False,
    )


def test_the_examples_are_there() -> None:
    names = {e.name for e in EXAMPLES}
    assert {"yclients_booking.py", "wialon_tracker.py"} <= names


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.name for e in EXAMPLES])
def test_example_runs_against_its_fake(example: Path) -> None:
    with fake_for(example) as (fake, env):
        done = run_example(example, fake.url, env)
        assert done.returncode == 0, f"{example.name} failed:\n{done.stdout}\n{done.stderr}"
        assert fake.calls, f"{example.name} made no call to the fake"


def test_wialon_tracker_prints_every_unit_and_logs_out() -> None:
    example = REPO / "examples" / "wialon_tracker.py"
    with fake_for(example) as (fake, env):
        done = run_example(example, fake.url, env)
        assert done.returncode == 0, done.stderr
        assert isinstance(fake, FakeWialon)
        assert fake.sessions == {}  # logged out on exit
    lines = done.stdout.splitlines()
    assert lines[0].split()[:3] == ["unit", "lat", "lon"]
    assert [line.split()[:3] for line in lines[1:]] == [
        ["Truck", "01", "55.7558"],
        ["Truck", "02", "59.9343"],
        ["Van", "01", "55.7887"],
    ]


def test_yclients_booking_books_a_record() -> None:
    example = REPO / "examples" / "yclients_booking.py"
    with fake_for(example) as (fake, env):
        done = run_example(example, fake.url, env)
        assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
        booked = fake.calls_to("POST /api/v1/book_record/{company_id}")
    assert len(booked) == 1
    (appointment,) = booked[0].params["appointments"]
    assert appointment["services"] and appointment["datetime"]
    assert done.stdout.startswith("booked ")


def test_yclients_booking_confirms_the_phone_when_the_company_asks(monkeypatch: pytest.MonkeyPatch) -> None:
    example = runpy.run_path(str(REPO / "examples" / "yclients_booking.py"))
    monkeypatch.setenv("APIFORGE_YCLIENTS_PARTNER_TOKEN", "partner")
    with FakeYclients(partner_tokens={"partner"}) as fake:
        assert fake.companies[4564]["phone_confirmation"]
        asked: list[str] = []

        def sms_code(phone: str) -> str:
            asked.append(phone)
            return fake.sms_codes[phone]  # what the SMS would have said

        booking = example["main"](base_url=fake.url, company_id=4564, phone="79990001122", sms_code=sms_code)
        assert asked == ["79990001122"]
        assert [c.method for c in fake.calls][-2:] == [
            "POST /api/v1/book_code/{company_id}",
            "POST /api/v1/book_record/{company_id}",
        ]
    assert booking.company_id == 4564 and booking.record_id is not None
