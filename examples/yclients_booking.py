"""Book a visit through YCLIENTS online booking: service -> master -> day -> time -> check -> record.

    APIFORGE_YCLIENTS_PARTNER_TOKEN=... python examples/yclients_booking.py --phone 79161234567 --name "Anna"

Online booking needs only the partner token (no user login). A company whose booking form asks
to confirm the phone sends an SMS code first (`book_code`); the script then asks for it.
Against the fake server:

    apiforge fake yclients --port 8080          # prints the partner token it accepts
    APIFORGE_YCLIENTS_PARTNER_TOKEN=partner python examples/yclients_booking.py --base-url http://127.0.0.1:8080
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from dataclasses import dataclass

from apiforge.core import JSON
from apiforge.yclients import Yclients
from apiforge.yclients.models import CompaniesListItem

SmsCode = Callable[[str], str]
"""Asked for the SMS code sent to a phone number; returns the code."""


@dataclass(frozen=True)
class Booking:
    """What was booked, and the id and hash YCLIENTS gives the record (to show or cancel it later)."""

    company_id: int
    service: str
    master: str
    datetime: str
    record_id: int | None
    record_hash: str | None


class NothingToBook(Exception):
    """The company has no bookable service, master, day or time."""


def ask_in_terminal(phone: str) -> str:
    """Read the SMS code from the person at the terminal."""
    return input(f"The SMS code sent to {phone}: ").strip()


def book_first_free_slot(
    yc: Yclients,
    company: CompaniesListItem,
    *,
    phone: str,
    fullname: str,
    email: str = "",
    sms_code: SmsCode = ask_in_terminal,
) -> Booking:
    """Book the earliest free time of the first bookable service with the first bookable master."""
    company_id = company.id
    if company_id is None:
        raise NothingToBook("the company has no id")
    services = yc.online_booking.list_services(company_id=company_id).services or []
    service = next((s for s in services if s.id is not None), None)
    if service is None or service.id is None:
        raise NothingToBook(f"company {company_id} offers no service online")

    masters = yc.online_booking.list_staff(company_id=company_id, service_ids=[service.id])
    master = next((m for m in masters if m.bookable and m.id is not None), None)
    if master is None or master.id is None:
        raise NothingToBook(f"nobody can be booked for {service.title!r}")

    days = yc.online_booking.list_dates(company_id=company_id, service_ids=[service.id], staff_id=master.id)
    for day in days.booking_dates or []:
        times = yc.online_booking.list_times(
            company_id=company_id, staff_id=master.id, date=day, service_ids=[service.id]
        )
        slot = next((t for t in times if t.datetime), None)
        if slot is not None and slot.datetime is not None:
            break
    else:
        raise NothingToBook(f"{master.name} has no free time for {service.title!r}")

    # One appointment; `id` only pairs it with its answer in the response.
    appointment: dict[str, JSON] = {"id": 1, "services": [service.id], "staff_id": master.id, "datetime": slot.datetime}
    yc.online_booking.check_booking(company_id=company_id, appointments=[appointment])  # 422 if just taken
    code = None
    if company.phone_confirmation:
        yc.online_booking.send_phone_code(company_id=company_id, phone=phone, fullname=fullname)
        code = int(sms_code(phone))
    records = yc.online_booking.book_record(
        company_id=company_id, phone=phone, fullname=fullname, email=email, code=code, appointments=[appointment]
    )
    record = records[0] if records else None
    return Booking(
        company_id=company_id,
        service=service.title or f"service {service.id}",
        master=master.name or f"master {master.id}",
        datetime=slot.datetime,
        record_id=record.record_id if record else None,
        record_hash=record.record_hash if record else None,
    )


def choose_company(yc: Yclients, company_id: int | None) -> CompaniesListItem:
    """The company with `company_id`; by default the first one whose booking needs no SMS code, else the first."""
    companies = list(yc.companies.list())
    if company_id is not None:
        chosen = next((c for c in companies if c.id == company_id), None)
        if chosen is None:
            raise SystemExit(f"the partner token sees no company {company_id}")
        return chosen
    if not companies:
        raise SystemExit("the partner token sees no company")
    return next((c for c in companies if not c.phone_confirmation), companies[0])


def main(
    base_url: str = "https://api.yclients.com",
    partner_token: str | None = None,
    company_id: int | None = None,
    phone: str = "79161234567",
    fullname: str = "Anna Example",
    email: str = "anna@example.com",
    sms_code: SmsCode = ask_in_terminal,
) -> Booking:
    """Book one visit; the partner token defaults to $APIFORGE_YCLIENTS_PARTNER_TOKEN."""
    token = partner_token or os.environ.get("APIFORGE_YCLIENTS_PARTNER_TOKEN")
    if not token:
        raise SystemExit("set APIFORGE_YCLIENTS_PARTNER_TOKEN (or run it against `apiforge fake yclients`)")
    with Yclients(partner_token=token, base_url=base_url) as yc:
        company = choose_company(yc, company_id)
        booking = book_first_free_slot(yc, company, phone=phone, fullname=fullname, email=email, sms_code=sms_code)
    print(f"booked {booking.service} with {booking.master} at {booking.datetime} (record {booking.record_id})")
    return booking


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Book the first free visit through YCLIENTS online booking.")
    parser.add_argument("--base-url", default="https://api.yclients.com")
    parser.add_argument("--company", type=int, help="company id (default: the first the token sees)")
    parser.add_argument("--phone", default="79161234567")
    parser.add_argument("--name", default="Anna Example")
    parser.add_argument("--email", default="anna@example.com")
    args = parser.parse_args()
    main(base_url=args.base_url, company_id=args.company, phone=args.phone, fullname=args.name, email=args.email)
