"""The YCLIENTS clients against the stateful FakeYclients, sync and async, over HTTP and in-process.

Clients and records are created, listed across several pages with the iterators (page + count in
the query, page + page_size in the body), updated and deleted; the online-booking flow runs from
free dates to the booked client's own record; errors arrive typed. Every operation the fake does
not keep state for answers something its generated result type decodes.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

import httpx
import pytest

from apiforge.core import Page
from apiforge.core.call import Call
from apiforge.core.errors import ConfigurationError
from apiforge.core.pipeline import decode
from apiforge.core.protocols.yclients import YclientsProtocol
from apiforge.testing.yclients import FakeYclients
from apiforge.yclients import METHODS, AsyncYclients, Yclients, decode_response
from apiforge.yclients.errors import (
    BadRequestError,
    ConflictError,
    NotFoundError,
    PaymentRequiredError,
    UnauthorizedError,
    UnprocessableEntityError,
    YclientsError,
    error_class,
)

PARTNER = "partner"
COMPANY = 4564  # asks for SMS confirmation of online bookings
OTHER = 4565
SEARCH = "POST /api/v1/company/{company_id}/clients/search"
CLIENTS = "GET /api/v1/clients/{company_id}"
RECORDS = "GET /api/v1/records/{company_id}"


def sync_client(fake: FakeYclients, mode: str, partner: str = PARTNER) -> Yclients:
    if mode == "http":
        return Yclients(partner, base_url=fake.url, rate_limit=None, max_retries=0)
    http = httpx.Client(transport=fake.transport())
    return Yclients(partner, base_url="http://fake", rate_limit=None, max_retries=0, http_client=http)


def async_client(fake: FakeYclients, mode: str) -> AsyncYclients:
    if mode == "http":
        return AsyncYclients(PARTNER, base_url=fake.url, rate_limit=None, max_retries=0)
    http = httpx.AsyncClient(transport=fake.async_transport())
    return AsyncYclients(PARTNER, base_url="http://fake", rate_limit=None, max_retries=0, http_client=http)


def at(fake: FakeYclients, days: int, hour: int) -> str:
    """A start time `days` after the fake's first bookable day."""
    day = fake.today + dt.timedelta(days=days)
    return f"{day:%Y-%m-%d}T{hour:02d}:00:00+03:00"


def first_staff_and_service(fake: FakeYclients, company: int = COMPANY) -> tuple[int, int]:
    return next(iter(fake.staff[company])), next(iter(fake.services[company]))


# -- clients ----------------------------------------------------------------------------------------


def test_clients_created_listed_over_pages_updated_and_deleted(fake: FakeYclients, mode: str) -> None:
    with sync_client(fake, mode) as yc:
        yc.login("admin", "secret")
        created = [yc.clients.create(company_id=COMPANY, name=f"New {n}", phone=f"7999000000{n}") for n in range(3)]
        assert [c.name for c in created] == ["New 0", "New 1", "New 2"]

        everyone = list(yc.clients.iter_list(company_id=COMPANY, page_size=7))  # query: page + count
        assert len(everyone) == 63 and len({c.id for c in everyone}) == 63
        assert [c.name for c in everyone[-3:]] == ["New 0", "New 1", "New 2"]
        pages = fake.calls_to(CLIENTS)
        assert [c.query["page"] for c in pages] == [str(n) for n in range(1, 10)]  # 9 x 7 = 63: the total stops it
        assert {c.query["count"] for c in pages} == {"7"}

        found = list(yc.clients.iter_search(company_id=COMPANY, page_size=20, fields=["phone"]))  # body
        assert [c.id for c in found] == [c.id for c in everyone]
        searches = fake.calls_to(SEARCH)
        assert [(c.params["page"], c.params["page_size"]) for c in searches] == [(1, 20), (2, 20), (3, 20), (4, 20)]

        page = yc.clients.list(company_id=COMPANY, page=2, count=50)
        assert isinstance(page, Page) and len(page) == 13 and page.total == 63 and page.meta["page"] == 2

        target = created[1].id
        assert target is not None
        updated = yc.clients.update(company_id=COMPANY, id=target, name="Renamed", comment="VIP")
        assert (updated.name, updated.comment) == ("Renamed", "VIP")
        assert yc.clients.get(company_id=COMPANY, id=target).name == "Renamed"

        yc.clients.delete(company_id=COMPANY, id=target)
        with pytest.raises(NotFoundError) as missing:
            yc.clients.get(company_id=COMPANY, id=target)
        assert missing.value.message == "Client not found"
        assert sum(1 for _ in yc.clients.iter_search(company_id=COMPANY)) == 62  # default: 200 a page, 1 call


def test_search_filters_and_the_last_short_page(fake: FakeYclients, mode: str) -> None:
    quick = [{"type": "quick_search", "state": {"value": "Client 05"}}]
    with sync_client(fake, mode) as yc:
        yc.login("admin", "secret")
        found = list(yc.clients.iter_search(company_id=COMPANY, page_size=4, filters=quick))
    assert [c.name for c in found] == [f"Client {n:03d}" for n in range(50, 60)]
    assert len(fake.calls_to(SEARCH)) == 3  # 4 + 4 + 2 of 10


async def test_async_clients_over_pages(fake: FakeYclients, mode: str) -> None:
    async with async_client(fake, mode) as yc:
        await yc.login("admin", "secret")
        made = await yc.clients.create(company_id=OTHER, name="Async", phone="79990001111")
        names = [c.name async for c in yc.clients.iter_list(company_id=OTHER, page_size=25)]
        assert len(names) == 61 and names[-1] == "Async"
        assert made.id is not None
        await yc.clients.update(company_id=OTHER, id=made.id, email="a@example.com")
        assert (await yc.clients.get(company_id=OTHER, id=made.id)).email == "a@example.com"
        await yc.clients.delete(company_id=OTHER, id=made.id)
        total = [c async for c in yc.clients.iter_search(company_id=OTHER, page_size=200)]
    assert len(total) == 60
    assert [c.query["page"] for c in fake.calls_to(CLIENTS)] == ["1", "2", "3"]


# -- records ----------------------------------------------------------------------------------------


def test_records_created_listed_over_pages_updated_and_deleted(fake: FakeYclients, mode: str) -> None:
    staff_id, service_id = first_staff_and_service(fake)
    client = {"phone": "79000000001", "name": "Rita"}
    with sync_client(fake, mode) as yc:
        yc.login("admin", "secret")
        made = [
            yc.records.create(
                company_id=COMPANY,
                staff_id=staff_id,
                services=[{"id": service_id}],
                client_=client,
                datetime=at(fake, day, 10 + slot),
                comment=f"visit {day}-{slot}",
            )[0]
            for day in range(3)
            for slot in range(2)
        ]
        assert len({r.id for r in made}) == 6
        assert made[0].staff is not None and made[0].staff.id == staff_id
        assert made[0].client_ is not None and made[0].client_.phone == "79000000001"

        listed = list(yc.records.iter_list(company_id=COMPANY, page_size=4))
        assert [r.id for r in listed] == [r.id for r in made]  # by start time, across two pages
        assert [c.query["page"] for c in fake.calls_to(RECORDS)] == ["1", "2"]

        moved = yc.records.update(company_id=COMPANY, record_id=made[0].id or 0, datetime=at(fake, 5, 15))
        assert moved.datetime == at(fake, 5, 15)
        assert yc.records.get(company_id=COMPANY, record_id=made[0].id or 0).datetime == at(fake, 5, 15)

        with pytest.raises(ConflictError) as busy:  # the slot made[1] holds
            yc.records.create(
                company_id=COMPANY,
                staff_id=staff_id,
                services=[{"id": service_id}],
                client_=client,
                datetime=at(fake, 0, 11),
            )
        assert busy.value.conflict

        yc.records.delete(company_id=COMPANY, record_id=made[1].id or 0)
        left = list(yc.records.iter_list(company_id=COMPANY, page_size=2, staff_id=staff_id))
    assert [r.id for r in left] == [r.id for r in made[2:]] + [made[0].id]
    assert made[1].id not in {r.id for r in left}


async def test_async_records(fake: FakeYclients, mode: str) -> None:
    staff_id, service_id = first_staff_and_service(fake, OTHER)
    async with async_client(fake, mode) as yc:
        await yc.login("admin", "secret")
        for hour in range(10, 17):
            await yc.records.create(
                company_id=OTHER,
                staff_id=staff_id,
                services=[{"id": service_id}],
                client_={"phone": "79001112233", "name": "Max"},
                datetime=at(fake, 1, hour),
            )
        records = [r async for r in yc.records.iter_list(company_id=OTHER, page_size=3)]
        assert [r.datetime for r in records] == [at(fake, 1, hour) for hour in range(10, 17)]
        first = records[0].id or 0
        await yc.records.update(company_id=OTHER, record_id=first, comment="late")
        assert (await yc.records.get(company_id=OTHER, record_id=first)).comment == "late"
        await yc.records.delete(company_id=OTHER, record_id=first)
        with pytest.raises(NotFoundError):
            await yc.records.get(company_id=OTHER, record_id=first)
    assert len(fake.calls_to(RECORDS)) == math.ceil(7 / 3)


# -- companies, services, staff --------------------------------------------------------------------


def test_companies_services_and_staff(fake: FakeYclients, mode: str) -> None:
    with sync_client(fake, mode) as yc:
        assert [c.title for c in yc.companies.iter_list(page_size=1)] == ["Beauty Salon", "Dental Clinic"]
        assert yc.companies.get(id=COMPANY).title == "Beauty Salon"
        yc.login("admin", "secret")
        company = yc.companies.create(title="Barbershop", city_id=2)
        assert company.id is not None and company.title == "Barbershop"
        assert len(list(yc.companies.iter_list(my=1))) == 3

        service = yc.services.create(company_id=company.id, title="Shave", price_min=500, duration=1800)
        assert service.id is not None
        assert yc.services.list(company_id=company.id, service_id=service.id)[0].title == "Shave"
        assert (
            yc.services.update_legacy(company_id=company.id, service_id=service.id, title="Hot shave").title
            == "Hot shave"
        )

        employee = yc.staff.create_legacy(company_id=company.id, name="Ivan", specialization="barber")
        assert employee.id is not None
        assert yc.staff.update(company_id=company.id, staff_id=employee.id, name="Ivan P.").name == "Ivan P."
        assert [s.name for s in yc.staff.list(company_id=company.id, staff_id=employee.id)] == ["Ivan P."]

        yc.staff.delete(company_id=company.id, staff_id=employee.id)
        yc.services.delete(company_id=company.id, service_id=service.id)
        with pytest.raises(NotFoundError):
            yc.staff.list(company_id=company.id, staff_id=employee.id)
        with pytest.raises(NotFoundError):
            yc.services.list(company_id=company.id, service_id=service.id)
        yc.companies.delete(id=company.id)
        with pytest.raises(NotFoundError):
            yc.companies.get(id=company.id)


# -- online booking -------------------------------------------------------------------------------


def test_online_booking_flow(fake: FakeYclients, mode: str) -> None:
    staff_id, service_id = first_staff_and_service(fake)
    phone = "79161234567"
    with sync_client(fake, mode) as yc:
        dates = yc.online_booking.list_dates(company_id=COMPANY, staff_id=staff_id, service_ids=[service_id])
        assert dates.booking_dates and dates.booking_dates[0] == f"{fake.today:%Y-%m-%d}"
        day = dates.booking_dates[1]
        times = yc.online_booking.list_times(company_id=COMPANY, staff_id=staff_id, date=day, service_ids=[service_id])
        assert [t.time for t in times] == [f"{h:02d}:00" for h in range(10, 18)]
        start = times[2].datetime
        assert start is not None
        appointment = {"id": 1, "services": [service_id], "staff_id": staff_id, "datetime": start}

        yc.online_booking.check_booking(company_id=COMPANY, appointments=[appointment])
        yc.online_booking.send_phone_code(company_id=COMPANY, phone=phone, fullname="Vera")
        code = fake.sms_codes[phone]
        with pytest.raises(UnprocessableEntityError):  # the branch confirms phones: no code, no booking
            yc.online_booking.book_record(company_id=COMPANY, phone=phone, fullname="Vera", appointments=[appointment])
        booked = yc.online_booking.book_record(
            company_id=COMPANY, phone=phone, fullname="Vera", code=int(code), appointments=[appointment]
        )
        assert len(booked) == 1 and booked[0].id == 1
        record_id, record_hash = booked[0].record_id, booked[0].record_hash
        assert record_id is not None and record_hash

        with pytest.raises(UnprocessableEntityError) as taken:  # the slot is gone
            yc.online_booking.check_booking(company_id=COMPANY, appointments=[appointment])
        assert "already taken" in taken.value.message
        later = yc.online_booking.list_times(company_id=COMPANY, staff_id=staff_id, date=day)
        assert times[2].time not in {t.time for t in later}

        with pytest.raises(ConfigurationError):  # the booking client's own records need their token
            yc.user_records.get(record_id=record_id, record_hash=record_hash)
        user = yc.login_booking_user(phone, code)
        assert user.phone == phone and yc.user_token == fake.booking_token(phone)
        mine = yc.user_records.get(record_id=record_id, record_hash=record_hash)
        assert [r.id for r in mine] == [record_id] and mine[0].datetime == start
        yc.user_records.delete(record_id=record_id, record_hash=record_hash)
        with pytest.raises(NotFoundError):
            yc.user_records.get(record_id=record_id, record_hash=record_hash)

    assert record_id not in fake.records[COMPANY]
    (sent,) = fake.calls_to("POST /api/v1/user/auth")
    assert sent.params == {"phone": phone, "code": "***"}


async def test_async_online_booking_without_phone_confirmation(fake: FakeYclients, mode: str) -> None:
    _, service_id = first_staff_and_service(fake, OTHER)
    async with async_client(fake, mode) as yc:
        times = await yc.online_booking.list_times(company_id=OTHER, staff_id=0, date=f"{fake.today:%Y-%m-%d}")
        appointment = {"id": 7, "services": [service_id], "staff_id": 0, "datetime": times[0].datetime}
        await yc.online_booking.check_booking(company_id=OTHER, appointments=[appointment])
        booked = await yc.online_booking.book_record(
            company_id=OTHER, phone="79990000000", fullname="Lev", appointments=[appointment]
        )
        await yc.online_booking.send_phone_code(company_id=OTHER, phone="79990000000")
        await yc.login_booking_user("79990000000", fake.sms_codes["79990000000"])
        mine = await yc.user_records.get(record_id=booked[0].record_id or 0, record_hash=booked[0].record_hash or "")
    assert mine[0].staff is not None


# -- webhook settings ---------------------------------------------------------------------------


def test_webhook_settings_are_kept_per_company(fake: FakeYclients, mode: str) -> None:
    with sync_client(fake, mode) as yc:
        yc.login("admin", "secret")
        before = yc.hooks.get_settings(company_id=COMPANY)
        assert before.urls == [] and before.active is False and before.record is False
        updated = yc.hooks.update_settings(
            company_id=COMPANY, urls=["https://example.com/hook"], active=1, record=1, client_=1
        )
        assert updated.urls == ["https://example.com/hook"] and updated.active is True
        after = yc.hooks.get_settings(company_id=COMPANY)
        assert (after.record, after.client_, after.salon) == (True, True, False)
        assert yc.hooks.get_settings(company_id=OTHER).urls == []  # another company's are its own
        with pytest.raises(BadRequestError) as invalid:
            yc.hooks.update_settings(company_id=COMPANY, urls=["https://example.com/hook"], active=2)
        assert invalid.value.errors == {"active": ["Must be 1 or 0"]}
    assert fake.hooks_settings[COMPANY]["record"] == 1  # the wire form: 1/0 switches
    assert fake.hooks_settings[COMPANY]["active"] == 1  # the refused update changed nothing


async def test_async_webhook_settings(fake: FakeYclients, mode: str) -> None:
    async with async_client(fake, mode) as yc:
        await yc.login("admin", "secret")
        await yc.hooks.update_settings(company_id=OTHER, urls=["https://a.test/1", "https://b.test/2"], active=0)
        settings = await yc.hooks.get_settings(company_id=OTHER)
    assert settings.urls == ["https://a.test/1", "https://b.test/2"] and settings.active is False


# -- errors ---------------------------------------------------------------------------------------


def test_errors(fake: FakeYclients, mode: str) -> None:
    with sync_client(fake, mode, partner="wrong") as yc, pytest.raises(UnauthorizedError) as partner:
        yc.companies.list()
    assert partner.value.message == "Partner authentication failed"
    with sync_client(fake, mode) as yc:
        with pytest.raises(ConfigurationError):
            yc.clients.list(company_id=COMPANY)
        yc.login("admin", "secret")
        with pytest.raises(NotFoundError):
            yc.clients.list(company_id=1)
        with pytest.raises(BadRequestError) as invalid:
            yc.clients.create(company_id=COMPANY, name="No phone")
        assert invalid.value.errors == {"phone": ["The phone is required"]}
        with pytest.raises(UnprocessableEntityError) as paging:
            yc.clients.list(company_id=COMPANY, count=500)
        assert paging.value.errors == {"count": ["invalid"]}
        fake.expired_licences.add(COMPANY)
        with pytest.raises(PaymentRequiredError) as expired:
            yc.clients.list(company_id=COMPANY)
        assert expired.value.licence_expired
        yc.user_token = "forged"
        with pytest.raises(UnauthorizedError):
            yc.companies.list(my=1)


# -- every operation ----------------------------------------------------------------------------


def _path(wire: str) -> str:
    """The path of `wire` with made-up values: dates, the default company, else 1."""

    def value(match: re.Match[str]) -> str:
        name = match[1].lower()
        if "date" in name:
            return "2030-01-01"
        return str(COMPANY) if "company" in name or "salon" in name else "1"

    return re.sub(r"\{([^}]+)\}", value, wire.partition(" ")[2])


@pytest.mark.parametrize("wire", sorted(METHODS))
def test_every_answer_of_the_fake_decodes(wire: str) -> None:
    """Read each answer as a client would: the protocol parses it, the pipeline decodes it."""
    fake = FakeYclients()
    status, headers, body = fake.handle(wire.partition(" ")[0], _path(wire), {}, _headers(_login(fake)), b"")
    spec = METHODS[wire].spec
    call = Call(spec=spec, result=spec.result)  # built directly: no arguments to check, nothing sent
    protocol = YclientsProtocol(base_url="http://fake", error_class=error_class, partner_token=PARTNER)
    try:
        result = decode(call, protocol.parse(call, httpx.Response(status, headers=headers, content=body)))
    except YclientsError as error:
        # Stateful operations answer typed errors for the made-up ids and bodies of this test.
        assert status >= 400 and error.code == status
        assert wire in _STATEFUL, f"{wire}: {error}"
        return
    assert status == (spec.http_status or 200)
    if spec.result is bytes:
        assert isinstance(result, bytes) and result.startswith(b"%PDF")


def _headers(token: str | None = None) -> dict[str, str]:
    auth = f"Bearer {PARTNER}" + (f", User {token}" if token else "")
    return {"accept": "application/vnd.yclients.v2+json", "authorization": auth}


_STATEFUL = set(FakeYclients().routes)


def test_custom_routes_and_unknown_operations() -> None:
    fake = FakeYclients()
    fake.route("GET /api/v1/countries", lambda request: (None, [{"id": 1, "title": "Narnia"}], []))
    with Yclients(PARTNER, rate_limit=None, http_client=httpx.Client(transport=fake.transport())) as yc:
        assert [c.title for c in yc.countries.list()] == ["Narnia"]
    with pytest.raises(KeyError, match="not an operation"):
        fake.route("GET /api/v1/nowhere", lambda request: (None, None, []))
    status, _, _ = fake.handle("GET", "/api/v1/nowhere", {}, _headers(), b"")
    assert status == 404


def test_minimal_answers_have_the_spec_totals() -> None:
    fake = FakeYclients()
    status, _, body = fake.handle("GET", "/api/v1/activity/4564/search/", {}, _headers(_login(fake)), b"")
    decoded: Any = decode_response("GET /api/v1/activity/{company_id}/search/", body, status_code=status)
    assert isinstance(decoded, Page) and decoded == [] and decoded.total == 0


def _login(fake: FakeYclients) -> str:
    fake.handle("POST", "/api/v1/auth", {}, _headers(), b'{"login":"admin","password":"secret"}')
    token = fake.login_token("admin")
    assert token is not None
    return token


def test_collection_routes_list_every_employee_and_service(fake: FakeYclients, mode: str) -> None:
    """The list forms real code calls (issue 17) answer the company's whole staff and services;
    the document's `.../{id}` forms still answer the one named."""
    employee, service = first_staff_and_service(fake)
    with sync_client(fake, mode) as yc:
        yc.login("admin", "secret")
        staff = {e.id for e in yc.staff.list_all_legacy(company_id=COMPANY)}
        assert staff == set(fake.staff[COMPANY]) and len(staff) == 2
        assert {e.id for e in yc.staff.list_all(company_id=COMPANY)} == staff
        assert [e.id for e in yc.staff.list_legacy(company_id=COMPANY, staff_id=employee)] == [employee]
        services = {s.id for s in yc.services.list_all(company_id=COMPANY)}
        assert services == set(fake.services[COMPANY]) and len(services) == 2
        assert {s.id for s in yc.services.list_all_legacy(company_id=COMPANY)} == services
        assert [s.id for s in yc.services.list(company_id=COMPANY, service_id=service)] == [service]
