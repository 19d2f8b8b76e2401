"""An idempotent DELETE whose answer was lost: the retry's 404 means the first attempt deleted it.

The first attempt is processed by the server (the client is removed) and then the connection
drops (`reset_after`) or a gateway answers 500 after the handler ran (`http_500`). The retry finds
nothing to delete and gets 404: the call succeeds, as a DELETE answered 204 would. A DELETE
whose only attempt gets 404 still raises NotFoundError: nothing was there.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest

from apiforge.core.retry import RetryPolicy
from apiforge.testing import FakeYclients
from apiforge.testing.faults import FaultKind
from apiforge.yclients import AsyncYclients, Yclients
from apiforge.yclients.errors import NotFoundError

FAST = RetryPolicy(max_retries=3, backoff_base=0.01, backoff_max=0.01)


def _a_client(fake: FakeYclients) -> tuple[int, int]:
    company = next(iter(fake.clients))
    return company, next(iter(fake.clients[company]))


@pytest.mark.parametrize("kind", ["reset_after", "http_500"])
def test_a_retried_delete_whose_first_attempt_was_processed_succeeds(kind: FaultKind) -> None:
    with FakeYclients() as fake, Yclients("partner", base_url=fake.url, rate_limit=None, retry=FAST) as yc:
        yc.login("admin", "secret")
        company, client = _a_client(fake)
        fake.faults.fail_next(1, kind=kind)
        assert yc.clients.delete(company_id=company, id=client) is None
        assert client not in fake.clients[company]
    deletes = [c for c in fake.calls if c.http_method == "DELETE"]
    assert len(deletes) == 2  # the processed attempt whose answer was lost, and the retry (404)
    assert [record.kind for record in fake.faults.log] == [kind]


async def test_an_async_retried_delete_whose_first_attempt_was_processed_succeeds() -> None:
    with FakeYclients() as fake:
        async with AsyncYclients("partner", base_url=fake.url, rate_limit=None, retry=FAST) as yc:
            await yc.login("admin", "secret")
            company, client = _a_client(fake)
            fake.faults.fail_next(1, kind="reset_after")
            assert await asyncio.wait_for(yc.clients.delete(company_id=company, id=client), 60) is None
        assert client not in fake.clients[company]


def test_a_delete_of_nothing_is_still_not_found() -> None:
    with FakeYclients() as fake, Yclients("partner", base_url=fake.url, rate_limit=None, retry=FAST) as yc:
        yc.login("admin", "secret")
        company, _ = _a_client(fake)
        with pytest.raises(NotFoundError):
            yc.clients.delete(company_id=company, id=999_999)


@pytest.mark.parametrize("kind", ["reset_before", "yclients_429"])
def test_a_delete_retried_after_an_attempt_that_did_nothing_is_still_not_found(kind: FaultKind) -> None:
    # In-process, `reset_before` is a refused connection (nothing sent); a 429 is a refusal: the
    # first attempt did nothing, so the retry's 404 is the truth.
    fake = FakeYclients()
    fake.faults.retry_after = 0.01
    http = httpx.Client(transport=fake.transport())
    with Yclients("partner", base_url="http://fake", rate_limit=None, retry=FAST, http_client=http) as yc:
        yc.login("admin", "secret")
        company, _ = _a_client(fake)
        fake.faults.fail_next(1, kind=kind)
        with pytest.raises(NotFoundError):
            yc.clients.delete(company_id=company, id=999_999)
    assert [record.kind for record in fake.faults.log] == [kind]
