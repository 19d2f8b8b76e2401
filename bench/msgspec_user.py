"""The VK user as a `msgspec.Struct`: the same 20 fields as the benchmark's payload (bench.payloads.vk_user).

Module-level classes without postponed annotations, so msgspec resolves `City` and `LastSeen`.
Imported only where msgspec is installed (the bench venv).
"""

import msgspec  # type: ignore[import-not-found]  # installed only in the bench venv


class City(msgspec.Struct):  # type: ignore[misc]
    """`base_city`."""

    id: int
    title: str


class LastSeen(msgspec.Struct):  # type: ignore[misc]
    """`users_last_seen`."""

    time: int | None = None
    platform: int | None = None


class User(msgspec.Struct):  # type: ignore[misc]
    """`users_user_full`, the 20 fields users.get answers in the benchmark."""

    id: int
    first_name: str | None = None
    last_name: str | None = None
    can_access_closed: bool | None = None
    is_closed: bool | None = None
    sex: int | None = None
    screen_name: str | None = None
    photo_50: str | None = None
    photo_100: str | None = None
    photo_200: str | None = None
    online: int | None = None
    verified: int | None = None
    domain: str | None = None
    bdate: str | None = None
    city: City | None = None
    has_photo: int | None = None
    status: str | None = None
    last_seen: LastSeen | None = None
    followers_count: int | None = None
    nickname: str | None = None
