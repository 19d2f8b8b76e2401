"""Reading fields of decoded models: a present field against an absent one (item 3 of issue 20).

Models are sparse (a VK user has ~150 declared fields and ~20 present), so reading a field the
response did not carry is the common case. 10,000 decoded VK users; each round reads five present
fields (`first_name`, `last_name`, `domain`, `screen_name`, `sex`) or five absent ones (`site`,
`maiden_name`, `about`, `games`, `movies`) of every user, as application code would (`user.site`).
Present and absent rounds alternate, so both see the same machine load; the best round of each
counts. Goal: an absent read costs at most 2x a present one. `==` of two equal decoded users is
measured too: it should cost what the fields that are set cost.
"""

from __future__ import annotations

import gc
import time
from typing import Any

import attrs

from bench import payloads
from bench.measure import gc_disabled

USERS = 10_000
PRESENT = ("first_name", "last_name", "domain", "screen_name", "sex")
ABSENT = ("site", "maiden_name", "about", "games", "movies")


@attrs.frozen
class Result:
    """Nanoseconds per read of a present and of an absent field, and per `==` of two users."""

    present_ns: float
    absent_ns: float
    eq_ns: float
    users: int

    @property
    def ratio(self) -> float:
        """Absent over present."""
        return self.absent_ns / self.present_ns


def _read_present(users: list[Any]) -> float:
    started = time.perf_counter()
    for user in users:
        _ = user.first_name, user.last_name, user.domain, user.screen_name, user.sex
    return time.perf_counter() - started


def _read_absent(users: list[Any]) -> float:
    started = time.perf_counter()
    for user in users:
        _ = user.site, user.maiden_name, user.about, user.games, user.movies
    return time.perf_counter() - started


def _compare(users: list[Any], twins: list[Any]) -> float:
    started = time.perf_counter()
    for user, twin in zip(users, twins, strict=True):
        if user != twin:
            raise AssertionError("equal users compared unequal")
    return time.perf_counter() - started


def run(*, users: int = USERS, rounds: int) -> Result:
    """Decode `users` VK users, then time `rounds` alternating rounds of present and absent reads."""
    from apiforge.core.converter import structure
    from apiforge.vk.models import UsersUserFull

    data = payloads.vk_users(users)
    if any(name not in data[0] for name in PRESENT) or any(name in data[0] for name in ABSENT):
        raise AssertionError("the payload's fields changed: update PRESENT and ABSENT")
    decoded: list[Any] = structure(data, list[UsersUserFull], method="users.get")
    twins: list[Any] = structure(data, list[UsersUserFull], method="users.get")
    present: list[float] = []
    absent: list[float] = []
    equal: list[float] = []
    gc.collect()
    with gc_disabled():
        for _ in range(rounds + 2):  # the first two rounds warm up (and specialise) the loops
            present.append(_read_present(decoded))
            absent.append(_read_absent(decoded))
            equal.append(_compare(decoded, twins))
    reads = users * len(PRESENT)
    return Result(
        present_ns=min(present[2:]) / reads * 1e9,
        absent_ns=min(absent[2:]) / reads * 1e9,
        eq_ns=min(equal[2:]) / users * 1e9,
        users=users,
    )
