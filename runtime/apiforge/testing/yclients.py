"""`FakeYclients`: the YCLIENTS REST API (`{success, data, meta}` envelope, partner + user tokens) with state.

with FakeYclients() as fake:
    with Yclients(partner_token="partner", base_url=fake.url) as yc:
        yc.login("admin", "secret")
        yc.clients.search(company_id=4564, page=1, page_size=25)
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs

from apiforge.core.redact import MASK
from apiforge.testing._server import FakeServer, RecordedCall, Response, as_array, as_object, json_response, mask_fields

ACCEPT = "application/vnd.yclients.v2+json"
SECRET_FIELDS = frozenset({"password", "user_token", "partner_token"})
_AUTH = re.compile(r"^Bearer (?P<partner>[^,\s]+)(?:,\s*User (?P<user>\S+))?$")


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
    },
)


class YclientsFault(Exception):
    """Raised by a route: becomes an error envelope with this status and `meta.message`."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


Route = Callable[[re.Match[str], "Request"], tuple[int, object, object]]


@attrs.frozen
class Request:
    """What a route handler sees: query, JSON body and who is calling."""

    query: Mapping[str, str]
    body: Any
    partner: str
    user: FakeUser | None


class FakeYclients(FakeServer):
    """A stateful fake of the YCLIENTS REST API.

    Args:
        partner_tokens: accepted partner tokens; any other gets 401.
        users: who can log in (default: `admin` / `secret`, working in every company).
        companies: the companies it knows.
        clients_per_company: how many generated clients each company has.
    """

    def __init__(
        self,
        *,
        partner_tokens: Iterable[str] = ("partner",),
        users: Iterable[FakeUser] | None = None,
        companies: Iterable[Mapping[str, Any]] = DEFAULT_COMPANIES,
        clients_per_company: int = 60,
    ) -> None:
        super().__init__()
        self.partner_tokens = set(partner_tokens)
        self.companies: dict[int, dict[str, Any]] = {int(c["id"]): dict(c) for c in companies}
        default_user = FakeUser(id=1001, login="admin", password="secret", companies=tuple(self.companies))
        self.users: list[FakeUser] = list(users) if users is not None else [default_user]
        self.user_tokens: dict[str, FakeUser] = {}
        self.clients: dict[int, list[dict[str, Any]]] = {
            company: [
                {
                    "id": company * 1000 + n,
                    "name": f"Client {n:03d}",
                    "phone": f"7900{company:05d}{n:03d}",
                    "email": f"client{n}@example.com",
                }
                for n in range(1, clients_per_company + 1)
            ]
            for company in self.companies
        }
        # (http method, path pattern, needs a user token, route)
        self.routes: list[tuple[str, re.Pattern[str], str, bool, Route]] = []
        self.route("POST", "/api/v1/auth", self._auth)
        self.route("GET", "/api/v1/companies", self._companies)
        self.route("POST", "/api/v1/company/{company_id}/clients/search", self._clients_search, user=True)

    def route(self, method: str, template: str, handler: Route, *, user: bool = False) -> None:
        """Answer `method template` (path parameters in braces) with `handler`."""
        pattern = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template) + "$")
        self.routes.append((method, pattern, template, user, handler))

    def login_token(self, login: str) -> str | None:
        """The current user token of a login (after a successful auth)."""
        return next((token for token, user in self.user_tokens.items() if user.login == login), None)

    # The endpoint.

    def handle(self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes) -> Response:
        found = next(((m, p, t, u, h) for m, p, t, u, h in self.routes if m == method and p.match(path)), None)
        name = f"{method} {found[2]}" if found else f"{method} {path}"
        try:
            parsed: object = json.loads(body) if body else None
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
            if headers.get("accept") != ACCEPT:
                raise YclientsFault(400, f"Accept header must be {ACCEPT}")
            partner, user = self._authorize(headers.get("authorization", ""))
            if found is None:
                raise YclientsFault(404, "Not found")
            _, pattern, _, needs_user, handler = found
            if needs_user and user is None:
                raise YclientsFault(401, "A user token is required for this request")
            if body and parsed is None:
                raise YclientsFault(400, "The body is not JSON")
            match = pattern.match(path)
            assert match is not None
            status, data, meta = handler(match, Request(query=query, body=parsed, partner=partner, user=user))
            return json_response({"success": True, "data": data, "meta": meta}, status)
        except YclientsFault as fault:
            return json_response({"success": False, "data": None, "meta": {"message": fault.message}}, fault.status)

    def _authorize(self, header: str) -> tuple[str, FakeUser | None]:
        match = _AUTH.match(header)
        if match is None:
            raise YclientsFault(401, "Authorization must be 'Bearer <partner token>[, User <user token>]'")
        if match["partner"] not in self.partner_tokens:
            raise YclientsFault(401, "Partner authentication failed")
        if match["user"] is None:
            return match["partner"], None
        user = self.user_tokens.get(match["user"])
        if user is None:
            raise YclientsFault(401, "User authentication failed")
        return match["partner"], user

    # Routes.

    def _auth(self, match: re.Match[str], request: Request) -> tuple[int, object, object]:
        body = as_object(request.body) or {}
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

    def _companies(self, match: re.Match[str], request: Request) -> tuple[int, object, object]:
        companies = list(self.companies.values())
        if request.query.get("my") == "1":
            if request.user is None:
                raise YclientsFault(401, "my=1 needs a user token")
            companies = [c for c in companies if c["id"] in request.user.companies]
        return 200, companies, {"total_count": len(companies)}

    def _clients_search(self, match: re.Match[str], request: Request) -> tuple[int, object, object]:
        company = int(match["company_id"]) if match["company_id"].isdigit() else -1
        if company not in self.companies:
            raise YclientsFault(404, "Company not found")
        assert request.user is not None
        if company not in request.user.companies:
            raise YclientsFault(403, "No access to this company")
        body = {k: v for k, v in (as_object(request.body) or {}).items() if v is not None}
        page, size = body.get("page", 1), body.get("page_size", 25)
        if not isinstance(page, int) or not isinstance(size, int) or page < 1 or not 1 <= size <= 200:
            raise YclientsFault(422, "page must be >= 1 and page_size between 1 and 200")
        fields: set[object] = {*(as_array(body.get("fields")) or ()), "id", "name"}
        everyone = self.clients[company]
        chosen = everyone[(page - 1) * size : page * size]
        return 200, [{k: v for k, v in c.items() if k in fields} for c in chosen], {"total_count": len(everyone)}


def _mask_authorization(value: str) -> str:
    """`Bearer ***[, User ***]`: the header's shape without its secrets."""
    match = _AUTH.match(value)
    if match is None:
        return MASK
    return f"Bearer {MASK}" + (f", User {MASK}" if match["user"] is not None else "")


__all__ = ["ACCEPT", "DEFAULT_COMPANIES", "FakeUser", "FakeYclients", "YclientsFault"]
