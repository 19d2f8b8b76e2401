"""Every answer of FakeYclients decodes into the generated YCLIENTS models.

Stateful operations are driven through real clients (real HTTP, the plugin's `fake_yclients` /
`yclients` / `async_yclients`); every operation the fake answers generically is called in-process
with its required arguments only, built from its signature.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from apiforge.testing import FakeYclients
from apiforge.yclients import METHODS, AsyncYclients, Yclients

from .support import call_checked, decoding_problems, expected_type

COMPANY = 4565  # no SMS confirmation for online booking
GENERIC = sorted(set(METHODS) - set(FakeYclients().routes))


def test_companies_services_staff_and_clients_decode(fake_yclients: FakeYclients, yclients: Yclients) -> None:
    companies = call_checked(yclients, METHODS, "GET /api/v1/companies")
    assert {c.id for c in companies} == {4564, 4565}
    call_checked(yclients, METHODS, "GET /api/v1/company/{id}/", id=COMPANY)
    service_id, staff_id = next(iter(fake_yclients.services[COMPANY])), next(iter(fake_yclients.staff[COMPANY]))
    services = call_checked(
        yclients,
        METHODS,
        "GET /api/v1/company/{company_id}/services/{service_id}",
        company_id=COMPANY,
        service_id=service_id,
    )
    staff = call_checked(
        yclients, METHODS, "GET /api/v1/company/{company_id}/staff/{staff_id}", company_id=COMPANY, staff_id=staff_id
    )
    assert [s.title for s in services] == ["Haircut"] and [e.name for e in staff] == ["Anna"]
    found = call_checked(
        yclients, METHODS, "POST /api/v1/company/{company_id}/clients/search", company_id=COMPANY, page=2, page_size=25
    )
    assert len(found) == 25 and found.total == 60
    created = call_checked(
        yclients, METHODS, "POST /api/v1/clients/{company_id}", company_id=COMPANY, name="Eva", phone="79990000001"
    )
    call_checked(yclients, METHODS, "GET /api/v1/client/{company_id}/{id}", company_id=COMPANY, id=created.id)


def test_records_decode_through_create_list_update_delete(fake_yclients: FakeYclients, yclients: Yclients) -> None:
    service = next(iter(fake_yclients.services[COMPANY]))
    staff = next(iter(fake_yclients.staff[COMPANY]))
    day = fake_yclients.today.isoformat()
    created = call_checked(
        yclients,
        METHODS,
        "POST /api/v1/records/{company_id}",
        company_id=COMPANY,
        staff_id=staff,
        services=[{"id": service}],
        client_={"phone": "79990000002", "name": "Olga"},
        datetime=f"{day}T11:00:00",
        seance_length=3600,
    )
    (record,) = created
    listed = call_checked(yclients, METHODS, "GET /api/v1/records/{company_id}", company_id=COMPANY)
    assert [r.id for r in listed] == [record.id]
    call_checked(
        yclients, METHODS, "GET /api/v1/record/{company_id}/{record_id}", company_id=COMPANY, record_id=record.id
    )
    call_checked(
        yclients,
        METHODS,
        "PUT /api/v1/record/{company_id}/{record_id}",
        company_id=COMPANY,
        record_id=record.id,
        staff_id=staff,
        services=[{"id": service}],
        client_={"phone": "79990000002", "name": "Olga"},
        datetime=f"{day}T12:00:00",
        seance_length=3600,
        comment="moved",
    )
    call_checked(
        yclients, METHODS, "DELETE /api/v1/record/{company_id}/{record_id}", company_id=COMPANY, record_id=record.id
    )
    assert fake_yclients.records[COMPANY] == {}


async def test_the_booking_flow_decodes_through_the_async_client(async_yclients: AsyncYclients) -> None:
    booking = async_yclients.online_booking
    services = await booking.list_services(company_id=COMPANY)
    service = (services.services or [])[0].id
    assert service is not None
    staff = await booking.list_staff(company_id=COMPANY)
    dates = await booking.list_dates(company_id=COMPANY, service_ids=[service])
    day = (dates.booking_dates or [])[0]
    times = await booking.list_times(company_id=COMPANY, staff_id=0, date=day, service_ids=[service])
    appointment = {"id": 1, "services": [service], "staff_id": 0, "datetime": times[0].datetime}
    await booking.check_booking(company_id=COMPANY, appointments=[appointment])
    booked = await booking.book_record(
        company_id=COMPANY, phone="79161234567", fullname="Anna", appointments=[appointment]
    )
    for wire, result in [
        ("GET /api/v1/book_services/{company_id}", services),
        ("GET /api/v1/book_staff/{company_id}", staff),
        ("GET /api/v1/book_dates/{company_id}", dates),
        ("GET /api/v1/book_times/{company_id}/{staff_id}/{date}", times),
        ("POST /api/v1/book_record/{company_id}", booked),
    ]:
        assert not decoding_problems(result, expected_type(METHODS[wire].spec, {})), wire
    assert booked[0].record_id is not None and booked[0].record_hash


@pytest.fixture(scope="module")
def inprocess_yclients() -> Iterator[Yclients]:
    fake = FakeYclients()
    with (
        httpx.Client(transport=fake.transport()) as http,
        Yclients("partner", base_url="http://fake", rate_limit=None, max_retries=0, http_client=http) as client,
    ):
        client.login("admin", "secret")
        yield client


def test_the_generic_operations_are_the_api_minus_the_stateful_ones() -> None:
    assert "GET /api/v1/countries" in GENERIC and "GET /api/v1/records/{company_id}" not in GENERIC
    assert len(GENERIC) > 200


@pytest.mark.parametrize("wire", GENERIC)
def test_every_generic_answer_decodes(wire: str, inprocess_yclients: Yclients) -> None:
    call_checked(inprocess_yclients, METHODS, wire)
