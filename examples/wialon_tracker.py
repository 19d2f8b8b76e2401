"""A Wialon tracker: where is every unit now? Polls the last known positions and prints a table.

    APIFORGE_WIALON_TOKEN=<72 characters> python examples/wialon_tracker.py [--mask 'Truck*'] [--rounds 3]

Against the fake server instead of Wialon Hosting:

    apiforge fake wialon --port 8080            # prints the token it accepts
    APIFORGE_WIALON_TOKEN=<that token> python examples/wialon_tracker.py --base-url http://127.0.0.1:8080

It uses the async client: the session is opened with the token on the first call and closed on
exit; an expired session is re-opened by the client itself.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from dataclasses import dataclass
from datetime import UTC, datetime

from apiforge.wialon import AsyncWialon
from apiforge.wialon.models.flags import UnitDataFlags
from apiforge.wialon.models.search import ItemsType, SearchSpec

FLAGS = UnitDataFlags.BASE | UnitDataFlags.LAST_MESSAGE_AND_POSITION


@dataclass(frozen=True)
class Fix:
    """One unit's last known position."""

    unit: str
    lat: float | None
    lon: float | None
    speed: int | None  # km/h
    course: int | None  # degrees
    at: datetime | None


async def positions(w: AsyncWialon, mask: str = "*") -> list[Fix]:
    """The last position of every unit whose name matches `mask` (Wialon masks: `*`, several joined by `,`)."""
    found = await w.core.search_items(
        spec=SearchSpec(items_type=ItemsType.UNIT, prop_name="sys_name", prop_value_mask=mask, sort_type="sys_name"),
        force=1,
        flags=FLAGS,
        from_=0,
        to=0,  # 0: to the last one
    )
    fixes: list[Fix] = []
    for item in found.items:
        pos = item.pos
        fixes.append(
            Fix(
                unit=item.nm or f"#{item.id}",
                lat=pos.y if pos else None,
                lon=pos.x if pos else None,
                speed=pos.s if pos else None,
                course=pos.c if pos else None,
                at=datetime.fromtimestamp(pos.t, UTC) if pos and pos.t else None,
            )
        )
    return fixes


def show(fixes: list[Fix]) -> None:
    """Print one line per unit."""
    print(f"{'unit':<16} {'lat':>9} {'lon':>9} {'km/h':>5} {'course':>6}  last fix (UTC)")
    for fix in fixes:
        where = (
            f"{fix.lat:>9.4f} {fix.lon:>9.4f}" if fix.lat is not None and fix.lon is not None else f"{'-':>9} {'-':>9}"
        )
        when = fix.at.strftime("%Y-%m-%d %H:%M:%S") if fix.at else "never"
        print(f"{fix.unit:<16} {where} {fix.speed or 0:>5} {fix.course or 0:>6}  {when}")


async def track(*, base_url: str, token: str, mask: str = "*", rounds: int = 1, interval: float = 30.0) -> list[Fix]:
    """Print the positions `rounds` times, `interval` seconds apart; returns the last round's."""
    last: list[Fix] = []
    async with AsyncWialon(token=token, base_url=base_url) as w:
        for round_number in range(rounds):
            if round_number:
                await asyncio.sleep(interval)
            last = await positions(w, mask)
            show(last)
    return last


def main(
    base_url: str = "https://hst-api.wialon.com",
    token: str | None = None,
    mask: str = "*",
    rounds: int = 1,
    interval: float = 30.0,
) -> list[Fix]:
    """Run the tracker; the token defaults to $APIFORGE_WIALON_TOKEN."""
    token = token or os.environ.get("APIFORGE_WIALON_TOKEN")
    if not token:
        raise SystemExit("set APIFORGE_WIALON_TOKEN to a Wialon token (or run it against `apiforge fake wialon`)")
    return asyncio.run(track(base_url=base_url, token=token, mask=mask, rounds=rounds, interval=interval))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Print where every Wialon unit is.")
    parser.add_argument("--base-url", default="https://hst-api.wialon.com")
    parser.add_argument("--mask", default="*", help="unit name mask, e.g. 'Truck*'")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--interval", type=float, default=30.0, help="seconds between rounds")
    args = parser.parse_args()
    main(base_url=args.base_url, mask=args.mask, rounds=args.rounds, interval=args.interval)
