"""`FakeYclients`: the YCLIENTS REST API (`{success, data, meta}` envelope, partner + user tokens) with state.

    with FakeYclients() as fake:
        with Yclients(partner_token="partner", base_url=fake.url) as yc:
            yc.login("admin", "secret")
            for client in yc.clients.iter_search(company_id=4564, page_size=50):
                ...

State that behaves like the service: companies, services, staff, clients and records (create,
list with the API's pagination — `page` + `count` in the query, `page` + `page_size` in the body —
update, delete) and the online-booking flow (`book_dates` -> `book_times` -> `book_check` ->
`book_code` -> `book_record`, then the booking client's own records). Every other operation of the
API answers a valid envelope whose `data` is the smallest value of its generated result type.

Tokens are checked as the API does: a wrong partner token, or none, is a 401; an operation that
needs a user token (by its spec) gets a 401 without one. Branch-level errors can be provoked:
`fake.expired_licences.add(company_id)` makes the branch answer 402 (licence expired).

With `enforce_limits=True` the API's published limits — 5 requests a second and 200 a minute —
hold per partner token (on `clock`); a request beyond them is a 429 with the error envelope.
The real answer to excess is undocumented (status, body, Retry-After): the fake sends no
Retry-After, so a client must back off on its own (`faults.fail_next(kind="yclients_429")`
tests one that honours the header).
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import re
import secrets
import time
import types
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs

from apiforge.core.call import MethodSpec
from apiforge.core.redact import MASK
from apiforge.testing._server import (
    FakeServer,
    RecordedCall,
    Response,
    as_array,
    as_object,
    json_response,
    mask_fields,
    parse_form,
)
from apiforge.testing.ratelimits import RateLimit, RateWindows
from apiforge.yclients.models.companies import HooksSettings

ACCEPT = "application/vnd.yclients.v2+json"
SECRET_FIELDS = frozenset({"password", "user_token", "partner_token", "code"})
_AUTH = re.compile(r"^Bearer (?P<partner>[^,\s]+)(?:,\s*User (?P<user>\S+))?$")
OPENING_HOUR = 10
CLOSING_HOUR = 18
BOOKING_DAYS = 14
DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 200
TZ = "+03:00"  # the default companies are in Europe/Moscow
RATE_LIMITS: tuple[RateLimit, ...] = (RateLimit(5, 1.0), RateLimit(200, 60.0))
"""The API's published limits: "200 requests per minute, or 5 requests per second"."""
TOO_MANY_REQUESTS = "Too many requests"

Json = Any
"""Decoded JSON as the fake keeps it (plain dicts and lists)."""


@attrs.define
class FakeUser:
    """A YCLIENTS user who can log in; `companies` are the ids they work in."""

    id: int
    login: str
    password: str
    name: str = "Admin"
    phone: str = "79000000000"
    email: str = "admin@example.com"
    avatar: str = "https://fake.yclients/avatar.png"
    companies: tuple[int, ...] = ()


@attrs.define
class BookingUser:
    """An online-booking client who logged in with an SMS code: known by phone."""

    id: int
    phone: str
    name: str = ""


DEFAULT_COMPANIES: tuple[dict[str, Any], ...] = (
    {
        "id": 4564,
        "title": "Beauty Salon",
        "city": "Moscow",
        "city_id": 2,
        "country": "Russia",
        "country_id": 1,
        "active": "1",
        "phone": "+74950000001",
        "timezone_name": "Europe/Moscow",
        "address": "Tverskaya 1",
        "coordinate_lat": 55.7558,
        "coordinate_lon": 37.6173,
        "phone_confirmation": True,
    },
    {
        "id": 4565,
        "title": "Dental Clinic",
        "city": "Kazan",
        "city_id": 3,
        "country": "Russia",
        "country_id": 1,
        "active": "1",
        "phone": "+78430000002",
        "timezone_name": "Europe/Moscow",
        "address": "Baumana 5",
        "coordinate_lat": 55.7887,
        "coordinate_lon": 49.1221,
        "phone_confirmation": False,
    },
)
DEFAULT_SERVICES: tuple[tuple[str, int, int], ...] = (("Haircut", 1500, 3600), ("Manicure", 1200, 3600))
DEFAULT_STAFF: tuple[tuple[str, str], ...] = (("Anna", "stylist"), ("Boris", "manicurist"))


HOOK_ENTITIES: tuple[str, ...] = tuple(
    field.metadata.get("wire", field.name)
    for field in attrs.fields(HooksSettings)
    if field.name not in ("urls", "active")
)
"""The entities whose changes a company's webhooks report, each switched on (1) or off (0): the
switches of the spec's `HooksSettings`."""


class YclientsFault(Exception):
    """Raised by a route: becomes an error envelope with this status, `meta.message` and more meta."""

    def __init__(self, status: int, message: str, **meta: Json) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.meta = meta


@attrs.frozen
class Request:
    """What a route handler sees: path parameters, query, JSON body and who is calling."""

    path: Mapping[str, str]
    query: Mapping[str, str]
    body: Any
    partner: str
    user: FakeUser | None
    booking_user: BookingUser | None = None

    def object_body(self) -> dict[str, Json]:
        """The body's fields that are set (a JSON object), or {}."""
        return {k: v for k, v in (as_object(self.body) or {}).items() if v is not None}


Answer = tuple[int | None, Json, Json]
"""What a route returns: HTTP status (None: the method's documented one), `data` and `meta`."""
Route = Callable[[Request], Answer]


@attrs.frozen
class _Operation:
    """One operation of the API as the fake routes it."""

    wire: str
    http_method: str
    pattern: re.Pattern[str]
    specificity: tuple[int, int]


class FakeYclients(FakeServer):
    """A stateful fake of the YCLIENTS REST API, serving every operation of `apiforge.yclients.METHODS`.

    Args:
        partner_tokens: accepted partner tokens; any other gets 401.
        users: who can log in (default: `admin` / `secret`, working in every company).
        companies: the companies it knows (each also gets two services and two employees).
        clients_per_company: how many generated clients each company has.
        today: the first bookable day (default: the real today).
        clock: seconds (time.time by default; a fake clock in tests) the rate limits are measured on.
        enforce_limits: answer 429 to a request beyond `rate_limits` (off by default).
        rate_limits: the limits of one partner token (default: `RATE_LIMITS`, 5 a second and 200 a minute).
    """

    def __init__(
        self,
        *,
        partner_tokens: Iterable[str] = ("partner",),
        users: Iterable[FakeUser] | None = None,
        companies: Iterable[Mapping[str, Any]] = DEFAULT_COMPANIES,
        clients_per_company: int = 60,
        today: dt.date | None = None,
        clock: Callable[[], float] = time.time,
        enforce_limits: bool = False,
        rate_limits: Iterable[RateLimit] = RATE_LIMITS,
    ) -> None:
        super().__init__()
        self.clock = clock
        self.enforce_limits = enforce_limits
        self.rate_limits: tuple[RateLimit, ...] = tuple(rate_limits)
        self.refused = 0
        """Requests answered 429 because their partner token was over a limit (`enforce_limits`)."""
        self._windows = RateWindows()
        self.partner_tokens = set(partner_tokens)
        self.today = today or dt.date.today()
        self.companies: dict[int, dict[str, Json]] = {int(c["id"]): dict(c) for c in companies}
        default_user = FakeUser(id=1001, login="admin", password="secret", companies=tuple(self.companies))
        self.users: list[FakeUser] = list(users) if users is not None else [default_user]
        self.user_tokens: dict[str, FakeUser] = {}
        self.booking_tokens: dict[str, BookingUser] = {}
        self.sms_codes: dict[str, str] = {}
        """The last SMS code sent to each phone by `online_booking.send_phone_code`."""
        self.expired_licences: set[int] = set()
        """Companies whose licence has expired: their user calls answer 402."""
        self.services: dict[int, dict[int, dict[str, Json]]] = {}
        self.staff: dict[int, dict[int, dict[str, Json]]] = {}
        self.clients: dict[int, dict[int, dict[str, Json]]] = {}
        self.records: dict[int, dict[int, dict[str, Json]]] = {}
        self.record_hashes: dict[int, str] = {}
        self.hooks_settings: dict[int, dict[str, Json]] = {}
        """Each company's webhook settings (`hooks.update_settings`), as the API sends them: 1/0 switches."""
        self._ids = iter(range(100_000, 10**9))
        for company in self.companies:
            self._seed(company, clients_per_company)
        self.routes: dict[str, Route] = {}
        self._operations = _operations()
        self._register_routes()

    # -- public helpers ------------------------------------------------------------------------

    def route(self, wire: str, handler: Route) -> None:
        """Answer the operation `wire` ("GET /api/v1/companies") with `handler` instead of the default."""
        if wire not in {op.wire for op in self._operations}:
            raise KeyError(f"{wire!r} is not an operation of the YCLIENTS API")
        self.routes[wire] = handler

    def login_token(self, login: str) -> str | None:
        """The current user token of a login (after a successful auth)."""
        return next((token for token, user in self.user_tokens.items() if user.login == login), None)

    def booking_token(self, phone: str) -> str | None:
        """The token of the booking client with this phone (after `login_booking_user`)."""
        return next((token for token, user in self.booking_tokens.items() if user.phone == phone), None)

    def next_id(self) -> int:
        """A fresh id for a created object."""
        return next(self._ids)

    # -- the endpoint --------------------------------------------------------------------------

    def handle(self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes) -> Response:
        found = self._operation(method, path)
        name = found[0].wire if found else f"{method} {path}"
        content_type = headers.get("content-type", "")
        if content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
            # Image uploads and deletes send form fields (and file parts), as their specs say.
            parsed: object = dict(parse_form(headers, body))
        else:
            try:
                parsed = json.loads(body) if body else None
            except ValueError:
                parsed = None
        parsed_object = as_object(parsed)
        self.record(
            RecordedCall(
                method=name,
                params=mask_fields(parsed_object, SECRET_FIELDS) if parsed_object is not None else {},
                headers={k: _mask_authorization(v) if k == "authorization" else v for k, v in headers.items()},
                query=dict(query),
                http_method=method,
                path=path,
            )
        )
        try:
            self._check_rate(headers.get("authorization", ""))
            if headers.get("accept") != ACCEPT:
                raise YclientsFault(400, f"Accept header must be {ACCEPT}")
            partner, user, booking_user = self._authorize(headers.get("authorization", ""))
            if found is None:
                raise YclientsFault(404, "Not found")
            operation, params = found
            spec = _spec(operation.wire)
            if "user" in spec.token_kinds and "partner" not in spec.token_kinds and not (user or booking_user):
                raise YclientsFault(401, "A user token is required for this request")
            if body and parsed is None:
                raise YclientsFault(400, "The body is not JSON")
            request = Request(params, query, parsed, partner, user, booking_user)
            handler = self.routes.get(operation.wire)
            if handler is None:
                return self._default_answer(operation.wire)
            status, data, meta = handler(request)
            status = status or spec.http_status or 200
            if status == 204:
                return 204, {}, b""  # No Content: an HTTP 204 carries no body
            return json_response({"success": True, "data": data, "meta": meta if meta else []}, status)
        except YclientsFault as fault:
            meta = {"message": fault.message, **fault.meta}
            return json_response({"success": False, "data": None, "meta": meta}, fault.status)

    def _operation(self, method: str, path: str) -> tuple[_Operation, dict[str, str]] | None:
        for operation in self._operations:
            if operation.http_method == method:
                match = operation.pattern.match(path)
                if match:
                    return operation, match.groupdict()
        return None

    def _check_rate(self, authorization: str) -> None:
        """429 beyond the limits; counted per partner token, before anything else is checked, as a gateway would."""
        if not self.enforce_limits:
            return
        match = _AUTH.match(authorization)
        key = match["partner"] if match else ""
        if not self._windows.admit(key, self.rate_limits, self.clock()):
            self.refused += 1
            raise YclientsFault(429, TOO_MANY_REQUESTS)

    def _authorize(self, header: str) -> tuple[str, FakeUser | None, BookingUser | None]:
        match = _AUTH.match(header)
        if match is None:
            raise YclientsFault(401, "Authorization must be 'Bearer <partner token>[, User <user token>]'")
        if match["partner"] not in self.partner_tokens:
            raise YclientsFault(401, "Partner authentication failed")
        token = match["user"]
        if token is None:
            return match["partner"], None, None
        if token in self.user_tokens:
            return match["partner"], self.user_tokens[token], None
        if token in self.booking_tokens:
            return match["partner"], None, self.booking_tokens[token]
        raise YclientsFault(401, "User authentication failed")

    def _default_answer(self, wire: str) -> Response:
        """The smallest valid answer of an operation the fake keeps no state for."""
        spec = _spec(wire)
        status = spec.http_status or 200
        if spec.result is bytes:
            return status, {"Content-Type": "application/pdf"}, b"%PDF-1.4\n%fake receipt\n"
        if status == 204:
            return 204, {}, b""
        totals: list[str] = list((spec.pagination or {}).get("total") or ())
        meta: Json = dict.fromkeys(totals, 0) or []
        return json_response({"success": True, "data": minimal_json(spec.result), "meta": meta}, status)

    # -- state ---------------------------------------------------------------------------------

    def _seed(self, company: int, clients: int) -> None:
        self.services[company] = {}
        self.staff[company] = {}
        self.records[company] = {}
        for title, price, duration in DEFAULT_SERVICES:
            service_id = self.next_id()
            self.services[company][service_id] = _service(service_id, title=title, price=price, duration=duration)
        for name, specialization in DEFAULT_STAFF:
            staff_id = self.next_id()
            self.staff[company][staff_id] = _employee(staff_id, company, name=name, specialization=specialization)
        self.clients[company] = {}
        for n in range(1, clients + 1):
            client_id = company * 1000 + n
            self.clients[company][client_id] = _client(
                client_id, name=f"Client {n:03d}", phone=f"7900{company:05d}{n:03d}", email=f"client{n}@example.com"
            )

    def _company(self, request: Request, key: str = "company_id", *, staff_only: bool = True) -> int:
        """The company a request names: it must exist, and a staff user must work there."""
        raw = request.path.get(key, "")
        company = int(raw) if raw.isdigit() else -1
        if company not in self.companies:
            raise YclientsFault(404, "Company not found")
        if company in self.expired_licences:
            raise YclientsFault(402, f"The licence must be renewed for branch id {company}")
        if request.user is not None and company not in request.user.companies:
            raise YclientsFault(403, "No access to this company")
        if staff_only and request.user is None:
            raise YclientsFault(403, "This request needs a staff user token")
        return company

    @staticmethod
    def _found(table: Mapping[int, dict[str, Json]], raw: str, what: str) -> dict[str, Json]:
        item = table.get(int(raw)) if raw.isdigit() else None
        if item is None:
            raise YclientsFault(404, f"{what} not found")
        return item

    # -- routes --------------------------------------------------------------------------------

    def _register_routes(self) -> None:
        table: dict[str, Route] = {
            "POST /api/v1/auth": self._auth,
            "POST /api/v1/user/auth": self._booking_auth,
            # companies
            "GET /api/v1/companies": self._companies_list,
            "POST /api/v1/companies": self._companies_create,
            "GET /api/v1/company/{id}/": self._company_get,
            "PUT /api/v1/company/{id}/": self._company_update,
            "DELETE /api/v1/company/{id}/": self._company_delete,
            # services
            "POST /api/v1/services/{company_id}": self._service_create,
            "GET /api/v1/company/{company_id}/services": self._service_list_all,
            "GET /api/v1/services/{company_id}": self._service_list_all,
            "GET /api/v1/company/{company_id}/services/{service_id}": self._service_list,
            "GET /api/v1/services/{company_id}/{service_id}": self._service_list,
            "PATCH /api/v1/company/{company_id}/services/{service_id}": self._service_update,
            "PUT /api/v1/services/{company_id}/{service_id}": self._service_update,
            "DELETE /api/v1/services/{company_id}/{service_id}": self._service_delete,
            # staff
            "POST /api/v1/staff/{company_id}": self._staff_create,
            "GET /api/v1/company/{company_id}/staff": self._staff_list_all,
            "GET /api/v1/staff/{company_id}": self._staff_list_all,
            "GET /api/v1/company/{company_id}/staff/{staff_id}": self._staff_list,
            "GET /api/v1/staff/{company_id}/{staff_id}": self._staff_list,
            "PUT /api/v1/staff/{company_id}/{staff_id}": self._staff_update,
            "DELETE /api/v1/staff/{company_id}/{staff_id}": self._staff_delete,
            # clients
            "POST /api/v1/company/{company_id}/clients/search": self._clients_search,
            "GET /api/v1/clients/{company_id}": self._clients_list,
            "POST /api/v1/clients/{company_id}": self._client_create,
            "GET /api/v1/client/{company_id}/{id}": self._client_get,
            "PUT /api/v1/client/{company_id}/{id}": self._client_update,
            "DELETE /api/v1/client/{company_id}/{id}": self._client_delete,
            # records
            "GET /api/v1/records/{company_id}": self._records_list,
            "POST /api/v1/records/{company_id}": self._record_create,
            "GET /api/v1/record/{company_id}/{record_id}": self._record_get,
            "PUT /api/v1/record/{company_id}/{record_id}": self._record_update,
            "DELETE /api/v1/record/{company_id}/{record_id}": self._record_delete,
            # online booking
            "GET /api/v1/book_services/{company_id}": self._book_services,
            "GET /api/v1/book_staff/{company_id}": self._book_staff,
            "GET /api/v1/book_dates/{company_id}": self._book_dates,
            "GET /api/v1/book_times/{company_id}/{staff_id}/{date}": self._book_times,
            "POST /api/v1/book_check/{company_id}": self._book_check,
            "POST /api/v1/book_code/{company_id}": self._book_code,
            "POST /api/v1/book_record/{company_id}": self._book_record,
            "GET /api/v1/user/records/{record_id}/{record_hash}": self._user_record_get,
            "DELETE /api/v1/user/records/{record_id}/{record_hash}": self._user_record_delete,
            "GET /api/v1/hooks_settings/{company_id}": self._hooks_get,
            "POST /api/v1/hooks_settings/{company_id}": self._hooks_update,
        }
        for wire, handler in table.items():
            self.route(wire, handler)

    # webhook settings

    def _hooks(self, company: int) -> dict[str, Json]:
        if company not in self.hooks_settings:
            self.hooks_settings[company] = {"urls": [], "active": 0, **dict.fromkeys(HOOK_ENTITIES, 0)}
        return self.hooks_settings[company]

    def _hooks_get(self, request: Request) -> Answer:
        return None, self._hooks(self._company(request)), []

    def _hooks_update(self, request: Request) -> Answer:
        company = self._company(request)
        body = request.object_body()
        errors: dict[str, Json] = {}
        urls = as_array(body.get("urls"))
        given: list[Json] = [url for url in urls or () if isinstance(url, str)]
        if urls is None or len(given) != len(urls):
            errors["urls"] = ["The urls field is required and must be a list of URLs"]
        switches = {key: body[key] for key in ("active", *HOOK_ENTITIES) if key in body}
        if "active" not in switches:
            errors["active"] = ["The active field is required"]
        errors.update({key: ["Must be 1 or 0"] for key, value in switches.items() if value not in (0, 1)})
        if errors:
            raise YclientsFault(400, "Validation failed", errors=errors)
        settings = self._hooks(company)
        settings["urls"] = given
        settings.update({key: 1 if value else 0 for key, value in switches.items()})
        return None, settings, []

    # auth

    def _auth(self, request: Request) -> Answer:
        body = request.object_body()
        login, password = body.get("login"), body.get("password")
        if not login or not password:
            raise YclientsFault(422, "login and password are required")
        user = next((u for u in self.users if u.login == login and u.password == password), None)
        if user is None:
            raise YclientsFault(401, "Incorrect login or password")
        token = secrets.token_hex(16)
        self.user_tokens[token] = user
        data = {
            "id": user.id,
            "user_token": token,
            "name": user.name,
            "phone": user.phone,
            "login": user.login,
            "email": user.email,
            "avatar": user.avatar,
        }
        return 201, data, []

    def _booking_auth(self, request: Request) -> Answer:
        body = request.object_body()
        phone, code = str(body.get("phone") or ""), str(body.get("code") or "")
        if not phone or not code:
            raise YclientsFault(
                422, "phone and code are required", errors={"phone": ["required"], "code": ["required"]}
            )
        if self.sms_codes.get(phone) != code:
            raise YclientsFault(401, "Wrong confirmation code")
        user = next((u for u in self.booking_tokens.values() if u.phone == phone), None) or BookingUser(
            self.next_id(), phone
        )
        token = secrets.token_hex(16)
        self.booking_tokens[token] = user
        data = {"id": user.id, "user_token": token, "name": user.name, "phone": phone, "login": phone}
        return 201, data, []

    # companies

    def _companies_list(self, request: Request) -> Answer:
        companies = list(self.companies.values())
        if request.query.get("my") == "1":
            if request.user is None:
                raise YclientsFault(401, "my=1 needs a user token")
            companies = [c for c in companies if c["id"] in request.user.companies]
        return _page(companies, request.query, "page", "count")

    def _companies_create(self, request: Request) -> Answer:
        body = request.object_body()
        if not body.get("title"):
            raise YclientsFault(400, "Validation failed", errors={"title": ["The title is required"]})
        company_id = self.next_id()
        self.companies[company_id] = {"id": company_id, "active": "1", **body}
        assert request.user is not None
        request.user.companies = (*request.user.companies, company_id)
        self._seed(company_id, 0)
        return None, self.companies[company_id], []

    def _company_get(self, request: Request) -> Answer:
        return None, self.companies[self._company(request, "id", staff_only=False)], []

    def _company_update(self, request: Request) -> Answer:
        company = self._company(request, "id")
        self.companies[company].update(request.object_body())
        return None, self.companies[company], []

    def _company_delete(self, request: Request) -> Answer:
        company = self._company(request, "id")
        for table in (self.companies, self.services, self.staff, self.clients, self.records):
            table.pop(company, None)
        return None, None, []

    # services

    def _service_create(self, request: Request) -> Answer:
        company = self._company(request)
        body = request.object_body()
        if not body.get("title"):
            raise YclientsFault(400, "Validation failed", errors={"title": ["The title is required"]})
        service_id = self.next_id()
        service = _service(service_id, title=str(body["title"]), price=0, duration=3600)
        service.update({k: v for k, v in body.items() if k in service})
        self.services[company][service_id] = service
        return None, service, []

    def _service_list_all(self, request: Request) -> Answer:
        company = self._company(request, staff_only=False)
        return None, list(self.services[company].values()), []

    def _service_list(self, request: Request) -> Answer:
        company = self._company(request, staff_only=False)
        return None, [self._found(self.services[company], request.path["service_id"], "Service")], []

    def _service_update(self, request: Request) -> Answer:
        company = self._company(request)
        service = self._found(self.services[company], request.path["service_id"], "Service")
        service.update({k: v for k, v in request.object_body().items() if k in service})
        return None, service, []

    def _service_delete(self, request: Request) -> Answer:
        company = self._company(request)
        service = self._found(self.services[company], request.path["service_id"], "Service")
        del self.services[company][service["id"]]
        return None, None, []

    # staff

    def _staff_create(self, request: Request) -> Answer:
        company = self._company(request)
        body = request.object_body()
        if not body.get("name"):
            raise YclientsFault(400, "Validation failed", errors={"name": ["The name is required"]})
        staff_id = self.next_id()
        employee = _employee(
            staff_id, company, name=str(body["name"]), specialization=str(body.get("specialization", ""))
        )
        employee.update({k: v for k, v in body.items() if k in employee})
        self.staff[company][staff_id] = employee
        return None, employee, []

    def _staff_list_all(self, request: Request) -> Answer:
        company = self._company(request, staff_only=False)
        return None, list(self.staff[company].values()), []

    def _staff_list(self, request: Request) -> Answer:
        company = self._company(request, staff_only=False)
        return None, [self._found(self.staff[company], request.path["staff_id"], "Employee")], []

    def _staff_update(self, request: Request) -> Answer:
        company = self._company(request)
        employee = self._found(self.staff[company], request.path["staff_id"], "Employee")
        employee.update({k: v for k, v in request.object_body().items() if k in employee})
        return None, employee, []

    def _staff_delete(self, request: Request) -> Answer:
        company = self._company(request)
        employee = self._found(self.staff[company], request.path["staff_id"], "Employee")
        del self.staff[company][employee["id"]]
        return None, None, []

    # clients

    def _clients_search(self, request: Request) -> Answer:
        company = self._company(request)
        body = request.object_body()
        clients = list(self.clients[company].values())
        for entry in as_array(body.get("filters")) or ():
            fil = as_object(entry) or {}
            state = as_object(fil.get("state")) or {}
            if fil.get("type") == "quick_search" and state.get("value"):
                needle = str(state["value"]).lower()
                clients = [c for c in clients if any(needle in str(c.get(k, "")).lower() for k in _QUICK)]
        fields: set[object] = {*(as_array(body.get("fields")) or ()), "id", "name"}
        status, page, meta = _page(clients, body, "page", "page_size")
        return status, [{k: v for k, v in c.items() if k in fields} for c in page], meta

    def _clients_list(self, request: Request) -> Answer:
        company = self._company(request)
        clients = list(self.clients[company].values())
        for key, field in (("fullname", "name"), ("phone", "phone"), ("email", "email")):
            wanted = request.query.get(key)
            if wanted:
                clients = [c for c in clients if wanted.lower() in str(c.get(field, "")).lower()]
        return _page(clients, request.query, "page", "count")

    def _client_create(self, request: Request) -> Answer:
        company = self._company(request)
        body = request.object_body()
        missing = {k: [f"The {k} is required"] for k in ("name", "phone") if not body.get(k)}
        if missing:
            raise YclientsFault(400, "Validation failed", errors=missing)
        client_id = self.next_id()
        client = _client(client_id, name=str(body["name"]), phone=str(body["phone"]), email=str(body.get("email", "")))
        client.update({k: v for k, v in body.items() if k in client})
        self.clients[company][client_id] = client
        return None, client, []

    def _client_get(self, request: Request) -> Answer:
        company = self._company(request)
        return None, self._found(self.clients[company], request.path["id"], "Client"), []

    def _client_update(self, request: Request) -> Answer:
        company = self._company(request)
        client = self._found(self.clients[company], request.path["id"], "Client")
        client.update({k: v for k, v in request.object_body().items() if k in client})
        client["last_change_date"] = _now()
        return None, client, []

    def _client_delete(self, request: Request) -> Answer:
        company = self._company(request)
        client = self._found(self.clients[company], request.path["id"], "Client")
        del self.clients[company][client["id"]]
        return None, None, []

    # records

    def _records_list(self, request: Request) -> Answer:
        company = self._company(request)
        records = sorted(self.records[company].values(), key=lambda r: (r["datetime"], r["id"]))
        for key in ("staff_id", "client_id"):
            wanted = request.query.get(key)
            if wanted:
                records = [r for r in records if str(r[key] if key == "staff_id" else r["client"]["id"]) == wanted]
        start, end = request.query.get("start_date"), request.query.get("end_date")
        if start:
            records = [r for r in records if r["date"][:10] >= start]
        if end:
            records = [r for r in records if r["date"][:10] <= end]
        return _page(records, request.query, "page", "count")

    def _record_create(self, request: Request) -> Answer:
        company = self._company(request)
        body = request.object_body()
        record = self._store(company, self._new_record(company, body, online=False))
        return None, [record], []

    def _record_get(self, request: Request) -> Answer:
        company = self._company(request)
        return None, self._found(self.records[company], request.path["record_id"], "Record"), []

    def _record_update(self, request: Request) -> Answer:
        company = self._company(request)
        record = self._found(self.records[company], request.path["record_id"], "Record")
        body = request.object_body()
        if "datetime" in body or "staff_id" in body or "services" in body:
            merged = {
                "staff_id": record["staff_id"],
                "services": [{"id": s["id"]} for s in record["services"]],
                "client": record["client"],
                "datetime": record["datetime"],
                **body,
            }
            replacement = self._new_record(company, merged, online=record["online"], replacing=record["id"])
            record.update({k: v for k, v in replacement.items() if k not in ("id", "create_date")})
        for key in ("comment", "attendance", "api_id"):
            if key in body:
                record[key] = body[key]
        record["last_change_date"] = _now()
        return None, record, []

    def _record_delete(self, request: Request) -> Answer:
        company = self._company(request)
        record = self._found(self.records[company], request.path["record_id"], "Record")
        del self.records[company][record["id"]]
        return None, None, []

    def _new_record(
        self, company: int, body: Mapping[str, Json], *, online: bool, replacing: int = 0
    ) -> dict[str, Json]:
        """A record made from a request body (not stored): staff, services, client, a start the staff has free."""
        employee = self.staff[company].get(_whole(body.get("staff_id")) or -1)
        if employee is None:
            raise YclientsFault(404, "Employee not found")
        services: list[dict[str, Json]] = []
        for entry in as_array(body.get("services")) or ():
            raw = as_object(entry)
            service_id = raw.get("id") if raw is not None else entry
            service = self.services[company].get(_whole(service_id) or -1)
            if service is None:
                raise YclientsFault(404, f"Service {service_id} not found")
            services.append(service)
        if not services:
            raise YclientsFault(400, "Validation failed", errors={"services": ["At least one service is required"]})
        start = _parse_datetime(body.get("datetime"))
        if start is None:
            raise YclientsFault(400, "Validation failed", errors={"datetime": ["A date and time is required"]})
        length = int(body.get("seance_length") or sum(int(s["duration"]) for s in services))
        if not self._free(company, employee["id"], start, length, ignore=replacing) and not body.get("save_if_busy"):
            raise YclientsFault(409, f"The employee is busy at {start:%Y-%m-%d %H:%M}", conflict=True)
        client = self._client_for(company, as_object(body.get("client")) or {})
        record_id = self.next_id()
        record: dict[str, Json] = {
            "id": record_id,
            "company_id": company,
            "staff_id": employee["id"],
            "services": [
                {
                    "id": s["id"],
                    "title": s["title"],
                    "cost": s["price_min"],
                    "first_cost": s["price_min"],
                    "discount": 0,
                }
                for s in services
            ],
            "staff": {"id": employee["id"], "name": employee["name"], "specialization": employee["specialization"]},
            "client": {k: client[k] for k in ("id", "name", "phone", "email")},
            "clients_count": 1,
            "date": f"{start:%Y-%m-%d %H:%M:%S}",
            "datetime": f"{start:%Y-%m-%dT%H:%M:%S}{TZ}",
            "create_date": _now(),
            "comment": str(body.get("comment", "")),
            "online": online,
            "attendance": 0,
            "confirmed": 1,
            "seance_length": length,
            "length": length,
            "api_id": str(body.get("api_id", "")),
            "deleted": False,
            "last_change_date": _now(),
            "custom_fields": dict(as_object(body.get("custom_fields")) or {}),
        }
        return record

    def _store(self, company: int, record: dict[str, Json]) -> dict[str, Json]:
        self.records[company][record["id"]] = record
        self.record_hashes[record["id"]] = secrets.token_hex(8)
        return record

    def _client_for(self, company: int, fields: Mapping[str, Json]) -> dict[str, Json]:
        """The client with this phone, created when new (as the API does when a record names one)."""
        phone = str(fields.get("phone") or "")
        for client in self.clients[company].values():
            if phone and client["phone"] == phone:
                return client
        if not phone:
            raise YclientsFault(400, "Validation failed", errors={"client": ["The client's phone is required"]})
        client_id = self.next_id()
        name = str(fields.get("name") or fields.get("fullname") or "")
        self.clients[company][client_id] = _client(
            client_id, name=name, phone=phone, email=str(fields.get("email", ""))
        )
        return self.clients[company][client_id]

    def _free(self, company: int, staff_id: int, start: dt.datetime, length: int, *, ignore: int = 0) -> bool:
        """Is the employee free for `length` seconds from `start`, within working hours?"""
        end = start + dt.timedelta(seconds=length)
        if start.hour < OPENING_HOUR or end > start.replace(hour=CLOSING_HOUR, minute=0, second=0):
            return False
        for record in self.records[company].values():
            if record["staff_id"] != staff_id or record["id"] == ignore or record["deleted"]:
                continue
            other = _parse_datetime(record["datetime"])
            assert other is not None
            if other < end and start < other + dt.timedelta(seconds=int(record["length"])):
                return False
        return True

    # online booking

    def _book_services(self, request: Request) -> Answer:
        company = self._company(request, staff_only=False)
        services = [
            {k: s[k] for k in ("id", "title", "category_id", "price_min", "price_max", "discount", "comment", "weight")}
            | {"active": 1, "seance_length": s["duration"]}
            for s in self.services[company].values()
        ]
        return None, {"events": [], "services": services, "category": []}, []

    def _book_staff(self, request: Request) -> Answer:
        company = self._company(request, staff_only=False)
        staff = [
            {"id": e["id"], "name": e["name"], "bookable": True, "specialization": e["specialization"], "rating": 5}
            for e in self.staff[company].values()
        ]
        return None, staff, []

    def _book_dates(self, request: Request) -> Answer:
        company = self._company(request, staff_only=False)
        staff_ids = self._bookable_staff(company, request.query.get("staff_id"))
        days = [self.today + dt.timedelta(days=n) for n in range(BOOKING_DAYS)]
        bookable = [d for d in days if any(self._slots(company, s, d) for s in staff_ids)]
        data = {
            "booking_days": _by_month(bookable),
            "booking_dates": [f"{d:%Y-%m-%d}" for d in bookable],
            "working_days": _by_month(days),
            "working_dates": [f"{d:%Y-%m-%d}" for d in days],
        }
        return None, data, []

    def _book_times(self, request: Request) -> Answer:
        company = self._company(request, staff_only=False)
        try:
            day = dt.date.fromisoformat(request.path["date"])
        except ValueError:
            raise YclientsFault(400, f"Bad date {request.path['date']!r}") from None
        times: dict[dt.datetime, None] = {}
        for staff_id in self._bookable_staff(company, request.path["staff_id"]):
            times.update(dict.fromkeys(self._slots(company, staff_id, day)))
        data = [
            {"time": f"{t:%H:%M}", "seance_length": 3600, "datetime": f"{t:%Y-%m-%dT%H:%M:%S}{TZ}"}
            for t in sorted(times)
        ]
        return None, data, []

    def _book_check(self, request: Request) -> Answer:
        company = self._company(request, staff_only=False)
        for appointment in self._appointments(request):
            self._slot_for(company, appointment)
        return None, None, []

    def _book_code(self, request: Request) -> Answer:
        self._company(request, staff_only=False)
        phone = str(request.object_body().get("phone") or "")
        if not phone:
            raise YclientsFault(422, "The phone is required", errors={"phone": ["required"]})
        self.sms_codes[phone] = str(1000 + secrets.randbelow(9000))  # the API types the code as a number
        return None, None, []

    def _book_record(self, request: Request) -> Answer:
        company = self._company(request, staff_only=False)
        body = request.object_body()
        phone, fullname = str(body.get("phone") or ""), str(body.get("fullname") or "")
        if not phone or not fullname:
            raise YclientsFault(422, "phone and fullname are required", errors={"phone": ["required"]})
        if self.companies[company].get("phone_confirmation"):
            code = str(body.get("code") or "")
            if not code or self.sms_codes.get(phone) != code:
                raise YclientsFault(422, "The phone is not confirmed: send the SMS code first")
        booked: list[dict[str, Json]] = []
        for appointment in self._appointments(request):
            staff_id, start, services = self._slot_for(company, appointment)
            record = self._store(
                company,
                self._new_record(
                    company,
                    {
                        "staff_id": staff_id,
                        "services": [{"id": s} for s in services],
                        "client": {"phone": phone, "name": fullname, "email": body.get("email", "")},
                        "datetime": f"{start:%Y-%m-%dT%H:%M:%S}",
                        "comment": body.get("comment", ""),
                    },
                    online=True,
                ),
            )
            booked.append(
                {
                    "id": appointment.get("id", 0),
                    "record_id": record["id"],
                    "record_hash": self.record_hashes[record["id"]],
                }
            )
        return None, booked, []

    def _user_record(self, request: Request) -> tuple[int, dict[str, Json]]:
        if request.booking_user is None:
            raise YclientsFault(401, "This request needs the booking client's token")
        raw = request.path["record_id"]
        for company, records in self.records.items():
            record = records.get(int(raw)) if raw.isdigit() else None
            if record is not None and self.record_hashes.get(record["id"]) == request.path["record_hash"]:
                if record["client"]["phone"] != request.booking_user.phone:
                    raise YclientsFault(403, "Not your record")
                return company, record
        raise YclientsFault(404, "Record not found")

    def _user_record_get(self, request: Request) -> Answer:
        company, record = self._user_record(request)
        shown = {k: record[k] for k in ("id", "services", "date", "datetime", "create_date", "comment", "deleted")}
        shown |= {"company": {"id": company, "title": self.companies[company]["title"]}, "staff": record["staff"]}
        return None, [shown | {"online": record["online"], "length": record["length"]}], []

    def _user_record_delete(self, request: Request) -> Answer:
        company, record = self._user_record(request)
        del self.records[company][record["id"]]
        return None, None, []

    # booking helpers

    def _bookable_staff(self, company: int, raw: str | None) -> list[int]:
        if raw and raw != "0":
            return [self._found(self.staff[company], raw, "Employee")["id"]]
        return list(self.staff[company])

    def _slots(self, company: int, staff_id: int, day: dt.date) -> list[dt.datetime]:
        """The free hourly starts of an employee on a bookable day."""
        if not self.today <= day < self.today + dt.timedelta(days=BOOKING_DAYS):
            return []
        starts = (dt.datetime.combine(day, dt.time(hour)) for hour in range(OPENING_HOUR, CLOSING_HOUR))
        return [start for start in starts if self._free(company, staff_id, start, 3600)]

    def _appointments(self, request: Request) -> list[dict[str, Json]]:
        appointments = [as_object(a) for a in as_array(request.object_body().get("appointments")) or ()]
        if not appointments or any(a is None for a in appointments):
            raise YclientsFault(422, "appointments are required", errors={"appointments": ["required"]})
        return [a for a in appointments if a is not None]

    def _slot_for(self, company: int, appointment: Mapping[str, Json]) -> tuple[int, dt.datetime, list[int]]:
        """Check one appointment: its services exist and its time is free (staff 0: anyone free)."""
        start = _parse_datetime(appointment.get("datetime"))
        if start is None:
            raise YclientsFault(422, "An appointment needs a datetime")
        services = [_whole(s) or -1 for s in as_array(appointment.get("services")) or ()]
        if not services or any(s not in self.services[company] for s in services):
            raise YclientsFault(422, "Unknown or missing services")
        length = sum(int(self.services[company][s]["duration"]) for s in services)
        raw_staff = str(appointment.get("staff_id") or "0")
        for staff_id in self._bookable_staff(company, raw_staff):
            bookable = self.today <= start.date() < self.today + dt.timedelta(days=BOOKING_DAYS)
            if bookable and self._free(company, staff_id, start, length):
                return staff_id, start, services
        raise YclientsFault(422, f"The time {start:%Y-%m-%d %H:%M} is already taken or not a working time")


# -- shapes of the stored objects ----------------------------------------------------------------

_QUICK = ("name", "phone", "email")


def _now() -> str:
    return f"{dt.datetime.now():%Y-%m-%dT%H:%M:%S}{TZ}"


def _service(service_id: int, *, title: str, price: int, duration: int) -> dict[str, Json]:
    return {
        "id": service_id,
        "salon_service_id": service_id,
        "title": title,
        "category_id": 1,
        "price_min": price,
        "price_max": price,
        "duration": duration,
        "discount": 0,
        "comment": "",
        "weight": 0,
        "active": 1,
        "api_id": "",
        "staff": [],
    }


def _employee(staff_id: int, company: int, *, name: str, specialization: str) -> dict[str, Json]:
    return {
        "id": staff_id,
        "name": name,
        "company_id": company,
        "specialization": specialization,
        "position": {"id": 1, "title": "Master"},
        "avatar": "https://fake.yclients/avatar.png",
        "avatar_big": "https://fake.yclients/avatar_big.png",
        "fired": 0,
        "status": 0,
        "hidden": 0,
    }


def _client(client_id: int, *, name: str, phone: str, email: str) -> dict[str, Json]:
    return {
        "id": client_id,
        "name": name,
        "phone": phone,
        "email": email,
        "categories": [],
        "sex_id": 0,
        "discount": 0,
        "card": "",
        "comment": "",
        "sms_check": 0,
        "sms_not": 0,
        "spent": 0,
        "balance": 0,
        "visits": 0,
        "last_change_date": _now(),
        "custom_fields": [],  # as the API sends an empty map
    }


def _page(items: list[Json], fields: Mapping[str, Json], page_key: str, size_key: str) -> Answer:
    """One page of `items` as the API pages: 1-based `page`, a size of at most 200, `meta.total_count`."""
    page, size = _whole(fields.get(page_key, 1)), _whole(fields.get(size_key, DEFAULT_PAGE_SIZE))
    if page is None or size is None or page < 1 or not 1 <= size <= MAX_PAGE_SIZE:
        raise YclientsFault(
            422, f"{page_key} must be >= 1 and {size_key} between 1 and {MAX_PAGE_SIZE}", errors={size_key: ["invalid"]}
        )
    return 200, items[(page - 1) * size : page * size], {"page": page, "total_count": len(items)}


def _whole(value: Json) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _parse_datetime(value: Json) -> dt.datetime | None:
    """A local start time from `2026-01-20T10:00:00+03:00` or `2026-01-20 10:00:00`."""
    if not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace(" ", "T"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=None)


def _by_month(days: Iterable[dt.date]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for day in days:
        out.setdefault(str(day.month), []).append(str(day.day))
    return out


def _mask_authorization(value: str) -> str:
    """`Bearer ***[, User ***]`: the header's shape without its secrets."""
    match = _AUTH.match(value)
    if match is None:
        return MASK
    return f"Bearer {MASK}" + (f", User {MASK}" if match["user"] is not None else "")


# -- the operations and their result types ----------------------------------------------------------


def _spec(wire: str) -> MethodSpec[Any]:
    from apiforge.yclients import METHODS

    return METHODS[wire].spec


def _operations() -> list[_Operation]:
    """Every operation of the API, most specific path first (literal segments beat placeholders)."""
    from apiforge.yclients import METHODS

    out: list[_Operation] = []
    for wire in METHODS:
        http_method, _, template = wire.partition(" ")
        holes = template.count("{")
        regex = "".join(
            f"(?P<{part[1:-1]}>[^/]+)" if part.startswith("{") else re.escape(part)
            for part in re.split(r"(\{[^}]+\})", template)
            if part
        )
        out.append(_Operation(wire, http_method, re.compile(f"^{regex}$"), (holes, -len(template))))
    return sorted(out, key=lambda op: op.specificity)


def minimal_json(tp: Any, depth: int = 0) -> Json:
    """The smallest JSON value that decodes into the type `tp` (a generated result or model type)."""
    from apiforge.core.pagination import Page
    from apiforge.core.types import JSON

    if depth > 20 or tp is JSON or tp is object or tp is Any or tp is type(None):
        return None
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        if type(None) in args:
            return None
        return minimal_json(args[0], depth + 1)
    if origin is typing.Literal:
        return args[0]
    if origin in (list, Page, Sequence) or tp in (list, Page):
        return []
    if origin is dict or tp is dict:
        return {}
    if origin is tuple:
        return [minimal_json(arg, depth + 1) for arg in args]
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return next(iter(tp)).value
    if tp is str:
        return ""
    if tp is bool:
        return False
    if tp is int:
        return 0
    if tp is float:
        return 0.0
    if tp is bytes:
        return ""
    if isinstance(tp, type) and attrs.has(tp):
        hints = typing.get_type_hints(tp)
        return {
            field.metadata.get("wire", field.name): minimal_json(hints[field.name], depth + 1)
            for field in attrs.fields(tp)
            if field.default is attrs.NOTHING
        }
    return None


__all__ = [
    "ACCEPT",
    "DEFAULT_COMPANIES",
    "BookingUser",
    "FakeUser",
    "FakeYclients",
    "Request",
    "YclientsFault",
    "minimal_json",
]
