"""The client options type-check: `rate_limit=` takes a limiter, `retry=` a RetryPolicy, from `apiforge.core`.

mypy (strict) and pyright check a snippet that passes each accepted form to the constructors of the
three APIs (sync and async) and to `with_options`, and two wrong ones that must be reported.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import typecheck

SNIPPET = """
from collections.abc import Sequence

from apiforge.core import LocalBackend, RateLimiter, RateLimiterBackend, RetryPolicy, VKRateLimiter, Window
from apiforge.vk import VK, AsyncVK
from apiforge.wialon import AsyncWialon, Wialon
from apiforge.yclients import AsyncYclients, Yclients


class SharedBackend:
    # A limiter schedule kept elsewhere (say, Redis) for several processes: a RateLimiterBackend by shape.
    def reserve(self, key: str, windows: Sequence[tuple[int, float]], now: float) -> float:
        return 0.0


shared: RateLimiterBackend = SharedBackend()
patient = RetryPolicy(max_retries=8, backoff_base=0.25, backoff_max=10, jitter=0.2, deadline=None)


def clients() -> None:
    VK("token", rate_limit=VKRateLimiter({"user": 3, "group": 20}, backend=shared), retry=patient)
    AsyncVK("token", rate_limit=RateLimiter([Window(3, 1.1)]), retry=RetryPolicy(deadline=30), max_retries=2)
    Yclients("partner", rate_limit=RateLimiter([Window(5), Window(200, 60)], backend=LocalBackend()), retry=patient)
    AsyncYclients("partner", rate_limit=2.5)
    Wialon("token", rate_limit=RateLimiter.per_second(10, backend=shared), retry=patient)
    AsyncWialon("token", rate_limit=None, retry=None)


def views(vk: VK, yc: AsyncYclients, w: Wialon) -> None:
    vk.with_options(retry=RetryPolicy(max_retries=0), rate_limit=VKRateLimiter({"user": 1}))
    yc.with_options(rate_limit=RateLimiter([Window(1)]), deadline=None)
    w.with_options(max_retries=1, retry=patient)


def mistakes() -> None:
    VK("token", rate_limit="fast")  # line 35: not a rate limit
    Yclients("partner", retry=3)  # line 36: max_retries=3 was meant
"""


@pytest.fixture(scope="module")
def snippet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("typing") / "client_options.py"
    path.write_text(SNIPPET.lstrip("\n"), encoding="utf-8")
    return path


def test_mypy_accepts_limiters_and_policies(snippet: Path) -> None:
    checked = typecheck.mypy(snippet)
    errors = [line for line in checked.stdout.splitlines() if " error: " in line]
    # (mypy's cache may name the snippet's earlier temporary path: compare the file name and line only)
    assert [line.split(":")[1] for line in errors] == ["35", "36"], checked.stdout
    assert (
        'Argument "rate_limit" to "VK" has incompatible type "str"; expected "float | RateLimiter | None"' in errors[0]
    )
    assert 'Argument "retry" to "Yclients" has incompatible type "int"; expected "RetryPolicy | None"' in errors[1]


def test_pyright_accepts_limiters_and_policies(snippet: Path) -> None:
    checked = typecheck.pyright(snippet)
    errors = [line for line in checked.stdout.splitlines() if " - error: " in line]
    assert [line.split(":")[1] for line in errors] == ["35", "36"], checked.stdout
    assert 'parameter "rate_limit" of type "float | RateLimiter | None"' in errors[0]
    assert 'parameter "retry" of type "RetryPolicy | None"' in errors[1]
