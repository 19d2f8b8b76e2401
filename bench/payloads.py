"""The realistic data the benchmarks serve and decode: VK users, Wialon units, YCLIENTS clients.

Every generator is deterministic (no randomness: two runs serve byte-identical answers).
"""

from __future__ import annotations

from typing import Any

VK_TOKEN = "bench-token"
VK_VERSION = "5.199"
WIALON_TOKEN = "b" * 72
YCLIENTS_PARTNER = "bench-partner"
YCLIENTS_USER = "bench-user"
YCLIENTS_COMPANY = 4564

VK_USERS_PER_CALL = 100
WIALON_UNITS = 100
YCLIENTS_PAGE = 200

# The 15 fields users.get is asked for; with the 5 it always sends, every user has 20.
VK_USER_FIELDS: tuple[str, ...] = (
    "sex",
    "screen_name",
    "photo_50",
    "photo_100",
    "photo_200",
    "online",
    "verified",
    "domain",
    "bdate",
    "city",
    "has_photo",
    "status",
    "last_seen",
    "followers_count",
    "nickname",
)
WIALON_FLAGS = 0x1 | 0x400 | 0x400000  # base, last message, position: what a fleet dashboard asks for
WIALON_SPEC: dict[str, Any] = {
    "itemsType": "avl_unit",
    "propName": "sys_name",
    "propValueMask": "*",
    "sortType": "sys_name",
}


def vk_user(n: int) -> dict[str, Any]:
    """User number `n` (1-based) with 20 fields, as users.get answers with VK_USER_FIELDS."""
    return {
        "id": 1000 + n,
        "first_name": f"Имя{n}",
        "last_name": f"Фамилия{n}",
        "can_access_closed": True,
        "is_closed": n % 7 == 0,
        "sex": 1 + n % 2,
        "screen_name": f"user{n}",
        "photo_50": f"https://sun1-1.userapi.com/s/v1/ig2/{n}_50.jpg?size=50x50&quality=96&crop=0,0,400,400&ava=1",
        "photo_100": f"https://sun1-1.userapi.com/s/v1/ig2/{n}_100.jpg?size=100x100&quality=96&crop=0,0,400,400&ava=1",
        "photo_200": f"https://sun1-1.userapi.com/s/v1/ig2/{n}_200.jpg?size=200x200&quality=96&crop=0,0,400,400&ava=1",
        "online": int(n % 3 == 0),
        "verified": 0,
        "domain": f"user{n}",
        "bdate": f"{1 + n % 28}.{1 + n % 12}.{1970 + n % 40}",
        "city": {"id": 1 + n % 50, "title": f"Город {n % 50}"},
        "has_photo": 1,
        "status": "Пишу код, читаю логи" if n % 2 else "",
        "last_seen": {"time": 1_700_000_000 + n * 37, "platform": 1 + n % 7},
        "followers_count": n * 13 % 5000,
        "nickname": "",
    }


def vk_users(count: int) -> list[dict[str, Any]]:
    """`count` users, ids 1001, 1002, ..."""
    return [vk_user(n) for n in range(1, count + 1)]


def vk_user_ids(count: int = VK_USERS_PER_CALL) -> list[int]:
    """The ids users.get is asked for in the per-call benchmark."""
    return [1000 + n for n in range(1, count + 1)]


def wialon_unit(n: int) -> dict[str, Any]:
    """Unit number `n` with a position (its first message) and sensor parameters."""
    return {
        "id": 734_000 + n,
        "nm": f"Truck {n:03d}",
        "uid": f"86{n:013d}",
        "pos": {
            "x": 37.0 + n / 1000,
            "y": 55.0 + n / 1000,
            "z": 150 + n % 30,
            "s": n % 90,
            "c": n * 7 % 360,
            "sc": 8 + n % 6,
            "t": 1_700_000_000 + n * 60,
        },
        "params": {"pwr_ext": 12.6 + n % 10 / 10, "gsm": 4, "odometer": 10_000 + n * 17, "ign": n % 2},
    }


def wialon_units(count: int = WIALON_UNITS) -> list[dict[str, Any]]:
    """`count` units."""
    return [wialon_unit(n) for n in range(1, count + 1)]
