"""YCLIENTS clients against FakeYclients: header forms, login keeps the user token, paging, typed errors."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

pytest.importorskip("apiforge.yclients")

from apiforge.testing import FakeYclients
from apiforge.yclients import AsyncYclients, Yclients
from apiforge.yclients.errors import NotFoundError, UnauthorizedError, YclientsError

PARTNER = "partner-token-0123456789"
COMPANY = 4564


class RawHeaders(FakeYclients):
    """A FakeYclients that also keeps the raw Authorization headers (the record masks them)."""

    def __init__(self) -> None:
        super().__init__(partner_tokens={PARTNER})
        self.authorizations: list[str] = []

    def handle(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        self.authorizations.append(headers.get("authorization", ""))
        return super().handle(method, path, query, headers, body)


@pytest.fixture
def fake(mode: str) -> Iterator[RawHeaders]:
    fake = RawHeaders()
    if mode == "http":
        with fake:
            yield fake
    else:
        yield fake


def make_yc(fake: FakeYclients, mode: str, partner: str = PARTNER, user_token: str | None = None) -> Yclients:
    if mode == "http":
        return Yclients(partner_token=partner, user_token=user_token, base_url=fake.url, rate_limit=None)
    http = httpx.Client(transport=fake.transport())
    return Yclients(
        partner_token=partner, user_token=user_token, base_url="http://fake", rate_limit=None, http_client=http
    )


def make_async_yc(fake: FakeYclients, mode: str) -> AsyncYclients:
    if mode == "http":
        return AsyncYclients(partner_token=PARTNER, base_url=fake.url, rate_limit=None)
    http = httpx.AsyncClient(transport=fake.async_transport())
    return AsyncYclients(partner_token=PARTNER, base_url="http://fake", rate_limit=None, http_client=http)


def test_partner_header_and_companies(fake: RawHeaders, mode: str) -> None:
    with make_yc(fake, mode) as yc:
        companies = yc.companies.list()

    assert [(c.id, c.title) for c in companies] == [(4564, "Beauty Salon"), (4565, "Dental Clinic")]
    assert fake.authorizations == [f"Bearer {PARTNER}"]
    (call,) = fake.calls
    assert call.method == "GET /api/v1/companies"
    assert call.headers["accept"] == "application/vnd.yclients.v2+json"
    assert call.headers["authorization"] == "Bearer ***"


def test_login_keeps_the_user_token(fake: RawHeaders, mode: str) -> None:
    with make_yc(fake, mode) as yc:
        answer = yc.login("admin", "secret")
        user_token = fake.login_token("admin")
        assert user_token is not None
        assert answer.user_token == user_token
        assert yc.user_token == user_token
        yc.clients.search(company_id=COMPANY, page=1, page_size=10)
        assert user_token not in repr(yc)

    assert fake.authorizations == [f"Bearer {PARTNER}", f"Bearer {PARTNER}, User {user_token}"]
    login = fake.calls[0]
    assert login.method == "POST /api/v1/auth"
    assert login.params["login"] == "admin"
    assert login.params["password"] == "***"


def test_user_call_without_user_token_is_refused_before_sending(fake: RawHeaders, mode: str) -> None:
    from apiforge.core.errors import ConfigurationError

    with make_yc(fake, mode) as yc, pytest.raises(ConfigurationError):
        yc.clients.search(company_id=COMPANY, page=1, page_size=10)
    assert fake.calls == []


def test_clients_search_pages(fake: RawHeaders, mode: str) -> None:
    with make_yc(fake, mode) as yc:
        yc.login("admin", "secret")
        pages = [yc.clients.search(company_id=COMPANY, page=page, page_size=25) for page in (1, 2, 3, 4)]

    assert [len(p) for p in pages] == [25, 25, 10, 0]
    ids = [c.id for page in pages for c in page]
    assert len(ids) == len(set(ids)) == 60
    assert pages[1][0].name == "Client 026"
    sent = fake.calls_to("POST /api/v1/company/{company_id}/clients/search")
    assert [(c.params["page"], c.params["page_size"]) for c in sent] == [(1, 25), (2, 25), (3, 25), (4, 25)]
    assert sent[0].path == f"/api/v1/company/{COMPANY}/clients/search"


def test_wrong_partner_token_raises_with_meta_message(fake: RawHeaders, mode: str) -> None:
    wrong = "wrong-partner-token-XYZ"
    with make_yc(fake, mode, partner=wrong) as yc, pytest.raises(UnauthorizedError) as caught:
        yc.companies.list()

    error = caught.value
    assert isinstance(error, YclientsError)
    assert error.code == 401
    assert error.message == "Partner authentication failed"
    assert error.details["meta"] == {"message": "Partner authentication failed"}
    assert wrong not in str(error)
    assert wrong not in repr(error)
    assert len(fake.calls) == 1  # a 401 is not retried


def test_wrong_password_and_unknown_company(fake: RawHeaders, mode: str) -> None:
    with make_yc(fake, mode) as yc:
        with pytest.raises(UnauthorizedError) as caught:
            yc.login("admin", "not-the-password")
        assert "not-the-password" not in str(caught.value)
        assert yc.user_token is None
        yc.login("admin", "secret")
        with pytest.raises(NotFoundError) as missing:
            yc.clients.search(company_id=1, page=1, page_size=10)
    assert missing.value.message == "Company not found"


async def test_async_login_companies_and_search(fake: RawHeaders, mode: str) -> None:
    async with make_async_yc(fake, mode) as yc:
        companies = await yc.companies.list()
        await yc.login("admin", "secret")
        page = await yc.clients.search(company_id=COMPANY, page=3, page_size=20)
        user_token = fake.login_token("admin")

    assert len(companies) == 2
    assert [c.name for c in page][:2] == ["Client 041", "Client 042"]
    assert len(page) == 20
    assert fake.authorizations == [f"Bearer {PARTNER}", f"Bearer {PARTNER}", f"Bearer {PARTNER}, User {user_token}"]


async def test_async_error(fake: RawHeaders, mode: str) -> None:
    async with make_async_yc(fake, mode) as yc:
        with pytest.raises(UnauthorizedError) as caught:
            await yc.login("nobody", "nothing")
    assert caught.value.message == "Incorrect login or password"
