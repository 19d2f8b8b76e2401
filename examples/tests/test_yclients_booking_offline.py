"""An offline test of a YCLIENTS online-booking flow: services -> dates -> times -> check -> record.

Copy it into your project: it needs apiforge and pytest only. The fixtures come with apiforge
(its pytest plugin): `fake_yclients` is a fake YCLIENTS on 127.0.0.1 with two companies, their
services, staff and free slots; `yclients` is a client of it, logged in as the fake's user.
"""

from __future__ import annotations

import pytest

from apiforge.testing import FakeYclients
from apiforge.yclients import Yclients
from apiforge.yclients.errors import UnprocessableEntityError

SALON = 4564  # the fake's "Beauty Salon": booking confirms the phone with an SMS code
CLINIC = 4565  # the fake's "Dental Clinic": booking without a code
PHONE = "79161234567"


# The code under test: in your project it lives in your app, not in the test.


def first_free_slot(yc: Yclients, company_id: int) -> dict[str, object]:
    """The earliest free appointment of the company's first service, with any master."""
    service = (yc.online_booking.list_services(company_id=company_id).services or [])[0]
    assert service.id is not None
    dates = yc.online_booking.list_dates(company_id=company_id, service_ids=[service.id])
    day = (dates.booking_dates or [])[0]
    times = yc.online_booking.list_times(company_id=company_id, staff_id=0, date=day, service_ids=[service.id])
    return {"id": 1, "services": [service.id], "staff_id": 0, "datetime": times[0].datetime}


def book(yc: Yclients, company_id: int, appointment: dict[str, object], *, code: int | None = None) -> int:
    """Check the appointment, book it, and return the new record's id."""
    yc.online_booking.check_booking(company_id=company_id, appointments=[appointment])
    booked = yc.online_booking.book_record(
        company_id=company_id, phone=PHONE, fullname="Anna Example", code=code, appointments=[appointment]
    )
    record_id = booked[0].record_id
    assert record_id is not None
    return record_id


# The tests.


def test_a_visit_is_booked_and_shows_in_the_records(fake_yclients: FakeYclients, yclients: Yclients) -> None:
    appointment = first_free_slot(yclients, CLINIC)
    record_id = book(yclients, CLINIC, appointment)

    records = yclients.records.list(company_id=CLINIC)  # the staff's view of the same records
    assert [r.id for r in records] == [record_id]
    assert fake_yclients.records[CLINIC][record_id]["client"]["phone"] == PHONE
    assert [call.method for call in fake_yclients.calls] == [
        "GET /api/v1/book_services/{company_id}",
        "GET /api/v1/book_dates/{company_id}",
        "GET /api/v1/book_times/{company_id}/{staff_id}/{date}",
        "POST /api/v1/book_check/{company_id}",
        "POST /api/v1/book_record/{company_id}",
        "GET /api/v1/records/{company_id}",
    ]


def test_a_taken_time_is_refused(yclients: Yclients) -> None:
    appointment = first_free_slot(yclients, CLINIC)
    book(yclients, CLINIC, appointment)
    book(yclients, CLINIC, appointment)  # staff 0: the other master is still free at that time
    with pytest.raises(UnprocessableEntityError):
        book(yclients, CLINIC, appointment)  # nobody is free now


def test_the_phone_is_confirmed_with_the_sms_code(fake_yclients: FakeYclients, yclients: Yclients) -> None:
    appointment = first_free_slot(yclients, SALON)
    with pytest.raises(UnprocessableEntityError):
        book(yclients, SALON, appointment)  # no code: refused

    yclients.online_booking.send_phone_code(company_id=SALON, phone=PHONE, fullname="Anna Example")
    code = int(fake_yclients.sms_codes[PHONE])  # the SMS the fake "sent"
    assert book(yclients, SALON, appointment, code=code) in fake_yclients.records[SALON]


def test_a_rate_limited_call_is_retried(fake_yclients: FakeYclients, yclients: Yclients) -> None:
    fake_yclients.faults.retry_after = 0  # the 429 asks to wait 0 s: the test does not sleep
    fake_yclients.faults.fail_next(1, kind="yclients_429")

    assert first_free_slot(yclients, CLINIC)["staff_id"] == 0
    assert fake_yclients.faults.counts() == {"yclients_429": 1}
