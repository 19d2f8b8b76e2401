"""Fakes served over real HTTP on 127.0.0.1 for the command-line tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from apiforge.testing import FakeVK, FakeWialon, FakeYclients


@pytest.fixture
def fake_vk() -> Iterator[FakeVK]:
    with FakeVK(tokens={"t"}) as fake:
        yield fake


@pytest.fixture
def fake_yclients() -> Iterator[FakeYclients]:
    with FakeYclients(partner_tokens={"partner"}) as fake:
        yield fake


@pytest.fixture
def fake_wialon() -> Iterator[FakeWialon]:
    with FakeWialon() as fake:
        yield fake
