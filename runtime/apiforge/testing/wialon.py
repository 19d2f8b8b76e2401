"""`FakeWialon`: the Wialon Remote API (POST /wialon/ajax.html with svc, params, sid; /avl_evts) with state.

    with FakeWialon() as fake:
        with Wialon(token=fake.token, base_url=fake.url) as w:
            w.core.search_item(id=734455, flags=1)
        fake.expire_session()   # every open session dies: the next call gets {"error": 1}

What it keeps, like the service does:

- units with positions and message history (`push_message` adds one, as a tracker would);
- sessions per login (`token/login`, `core/duplicate`, `operateAs`), which expire after
  `session_timeout` idle seconds on `clock` (a fake clock in tests) or on `expire_session()`;
- items registered per session with `core/update_data_flags`; `push_message`, `rename_item`
  and `delete_item` queue `m` / `u` / `d` events for the sessions that registered the item,
  served by `/avl_evts`;
- the per-session message loader (`messages/load_interval`, `load_last`, `get_messages`, `unload`);
- uploads: multipart bodies are parsed, every file is kept in `uploads`;
- `core/batch`, with stop-on-error (`flags=1`);
- requests in flight per session (`max_in_flight`), optionally answering `1003 LIMIT api_concurrent`
  beyond Wialon's limits (`enforce_limits=True`), and `hold()` / `release()` to keep requests
  waiting, for concurrency tests.

Every other service of the catalogue answers a minimal value valid for its result type.
"""

from __future__ import annotations

import asyncio
import email.parser
import email.policy
import fnmatch
import hashlib
import json
import secrets
import threading
import time
import typing
from collections import Counter
from collections.abc import Callable, Generator, Iterable, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any
from urllib.parse import parse_qsl

import attrs
import httpx

from apiforge.testing._server import (
    FakeServer,
    RecordedCall,
    Response,
    Served,
    as_array,
    as_object,
    json_response,
    mask_fields,
)

DEFAULT_TOKEN = "5dce19710a5e26ab8b7b8986cb3c49e58C291791B7F0A7AEB8AFBFCEED7DC03BC48FF5F8"
"""A 72-character token the fake accepts by default."""
SECRET_FIELDS = frozenset({"token", "sid", "authHash"})
SESSION_TIMEOUT = 300.0
"""Seconds an idle session lives (Wialon: 5 minutes)."""
MAX_REQUESTS = 10
MAX_HEAVY = 3
# Item data flags (search_item(s), update_data_flags).
FLAG_BASE = 0x1
FLAG_CUSTOM_PROPS = 0x2
FLAG_CUSTOM_FIELDS = 0x8
FLAG_ADVANCED = 0x100
FLAG_LAST_MESSAGE = 0x400
FLAG_POSITION = 0x400000
CLASSES = {
    "avl_hw": 1,
    "avl_resource": 3,
    "avl_retranslator": 4,
    "avl_unit": 2,
    "avl_unit_group": 17,
    "user": 1,
    "avl_route": 19,
}
UNIT_CLASS = CLASSES["avl_unit"]
ALL_MESSAGES = 0xFFFFFFFF

DEFAULT_UNITS: tuple[dict[str, Any], ...] = (
    {
        "id": 734455,
        "nm": "Truck 01",
        "pos": {"x": 37.6173, "y": 55.7558, "z": 150, "s": 42, "c": 90, "sc": 12, "t": 1_700_000_000},
    },
    {
        "id": 734456,
        "nm": "Truck 02",
        "pos": {"x": 30.3351, "y": 59.9343, "z": 10, "s": 0, "c": 0, "sc": 9, "t": 1_700_000_100},
    },
    {
        "id": 734457,
        "nm": "Van 01",
        "pos": {"x": 49.1221, "y": 55.7887, "z": 60, "s": 61, "c": 270, "sc": 11, "t": 1_700_000_200},
    },
)
DEFAULT_RESOURCES: tuple[dict[str, Any], ...] = ({"id": 734400, "nm": "Fleet resource"},)
Service = Callable[["Session", dict[str, Any]], object]
# The service and the uploaded files of the request being answered (set around `answer` by the endpoint).
_UPLOADS: ContextVar[tuple[str, tuple[UploadedFile, ...]]] = ContextVar(
    "apiforge_fake_wialon_uploads", default=("", ())
)
# Set while the async in-process transport holds a request, so `serve` does not count it twice.
_COUNTED: ContextVar[bool] = ContextVar("apiforge_fake_wialon_counted", default=False)


class WialonFault(Exception):
    """Raised by a service handler: becomes `{"error": code[, "reason": ...]}`."""

    def __init__(self, code: int, reason: str = "") -> None:
        super().__init__(reason or f"error {code}")
        self.code = code
        self.reason = reason


@attrs.define
class Session:
    """An open session: its id, the user it acts as, when it was opened and last used, what it registered."""

    sid: str
    user: str
    opened: float
    last_seen: float = 0.0
    number: int = 0
    """1 for the first session the fake opened, 2 for the next, ...: names a session without its id."""
    flags: dict[int, int] = attrs.field(factory=dict[int, int])
    """Item id -> data flags registered with core/update_data_flags."""
    events: list[dict[str, Any]] = attrs.field(factory=list[dict[str, Any]])
    """AVL events not yet fetched by /avl_evts."""
    loaded: list[dict[str, Any]] = attrs.field(factory=list[dict[str, Any]])
    """The message loader: what messages/load_* loaded."""


@attrs.frozen
class UploadedFile:
    """One file part of a multipart upload."""

    field: str
    filename: str
    content: bytes


@attrs.frozen
class FileAnswer:
    """A service answer that is a file (sent as an attachment, not JSON)."""

    content: bytes
    filename: str = "file.bin"


@attrs.frozen
class Upload:
    """One upload the fake received: the service, its params and its files."""

    svc: str
    params: Mapping[str, Any]
    files: tuple[UploadedFile, ...]

    def file(self, field: str | None = None) -> UploadedFile:
        """The file of part `field` (or the only file)."""
        for item in self.files:
            if field is None or item.field == field:
                return item
        raise KeyError(field)


class FakeWialon(FakeServer):
    """A stateful fake of the Wialon Remote API.

    Args:
        tokens: accepted tokens (default: `DEFAULT_TOKEN`); others get error 8 at `token/login`.
        units: the units it knows (`id`, `nm`, optional `pos`, `prp`, `params` of the last message, `uid`).
        resources: the resources it knows (`id`, `nm`).
        user: the login name of the token's owner; `user_id` its id.
        sub_users: other users the token may act as (`operateAs`), by name -> id.
        clock: seconds (time.time by default; a fake clock in tests) for session expiry and message times.
        session_timeout: idle seconds before a session expires.
        enforce_limits: answer `{"error": 1003, "reason": "LIMIT api_concurrent"}` to a request beyond
            Wialon's per-session limits (10 in flight, 3 heavy, one per exclusive group).
    """

    def __init__(
        self,
        *,
        tokens: Iterable[str] = (DEFAULT_TOKEN,),
        units: Iterable[Mapping[str, Any]] = DEFAULT_UNITS,
        resources: Iterable[Mapping[str, Any]] = DEFAULT_RESOURCES,
        user: str = "demo",
        user_id: int = 27,
        sub_users: Mapping[str, int] | None = None,
        clock: Callable[[], float] = time.time,
        session_timeout: float = SESSION_TIMEOUT,
        enforce_limits: bool = False,
    ) -> None:
        super().__init__()
        self.tokens = set(tokens)
        self.units: dict[int, dict[str, Any]] = {}
        for unit in units:
            self.add_unit(unit)
        self.resources: dict[int, dict[str, Any]] = {
            int(r["id"]): {"cls": CLASSES["avl_resource"], "type": "avl_resource", **r} for r in resources
        }
        self.user = user
        self.user_id = user_id
        self.sub_users: dict[str, int] = dict(sub_users or {})
        self.clock = clock
        self.session_timeout = session_timeout
        self.enforce_limits = enforce_limits
        self.sessions: dict[str, Session] = {}
        self.opened_sessions = 0
        self.served: list[tuple[str, int]] = []
        """(service, session number) of every call answered within a live session, in order."""
        self.uploads: list[Upload] = []
        """Every multipart upload received, in order."""
        self.files: dict[tuple[int, int, str], bytes] = {}
        """Files stored with file/put: (itemId, storageType, path) -> content."""
        self.in_flight: Counter[tuple[str, str]] = Counter()
        """Requests being answered now, by (session id, group): "all", "heavy" or "exclusive:<key>"."""
        self.max_in_flight: Counter[tuple[str, str]] = Counter()
        """The most requests seen in flight at once, by (session id, group)."""
        self.refused = 0
        """Requests answered `1003 LIMIT api_concurrent` because they broke a limit (`enforce_limits`)."""
        self._flight = threading.Condition()
        self._open = threading.Event()
        self._open.set()
        self._async_open: asyncio.Event | None = None
        self.auth_hashes: dict[str, str] = {}
        """Hashes issued by core/create_auth_hash -> the user they log in as."""
        self.services: dict[str, Service] = {
            "core/search_item": self._search_item,
            "core/search_items": self._search_items,
            "core/update_data_flags": self._update_data_flags,
            "core/logout": self._logout,
            "core/duplicate": self._duplicate,
            "core/create_auth_hash": self._create_auth_hash,
            "core/batch": self._batch,
            "messages/load_interval": self._load_interval,
            "messages/load_last": self._load_last,
            "messages/get_messages": self._get_messages,
            "messages/unload": self._unload,
            "unit/upload_image": self._upload,
            "resource/upload_driver_image": self._upload,
            "resource/upload_tacho_file": self._upload,
            "resource/upload_zone_image": self._upload,
            "resource/upload_trailer_image": self._upload,
            "resource/upload_tag_image": self._upload,
            "file/put": self._file_put,
            "file/read": self._file_read,
            "exchange/import_json": self._upload,
            "exchange/import_messages": self._upload,
            "exchange/import_zones_read": self._upload,
            "exchange/import_pois_read": self._upload,
            "order/attach": self._upload,
        }

    @property
    def token(self) -> str:
        """One accepted token (for tests that do not care which)."""
        return next(iter(sorted(self.tokens)))

    @property
    def logins(self) -> int:
        """How many `token/login` calls were made."""
        return len(self.calls_to("token/login"))

    # State a test drives.

    def add_unit(self, unit: Mapping[str, Any]) -> dict[str, Any]:
        """Add a unit (`id`, `nm`, optional `pos`, `prp`, `params`, `uid`); its `pos` becomes its first message."""
        stored: dict[str, Any] = {"cls": UNIT_CLASS, "type": "avl_unit", **unit}
        stored["id"] = int(stored["id"])
        messages: list[dict[str, Any]] = []
        pos = stored.get("pos")
        if pos:
            messages.append(_message(dict(pos), dict(stored.get("params", {}))))
        stored["messages"] = messages
        with self._lock:
            self.units[stored["id"]] = stored
        return stored

    def push_message(
        self,
        unit_id: int,
        *,
        x: float,
        y: float,
        t: int | None = None,
        z: float = 0,
        speed: int = 0,
        course: int = 0,
        satellites: int = 10,
        params: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A new data message from a unit's tracker: it moves the unit and queues `m` (and `u`) events.

        Sessions that registered the unit get an `m` event with the message; those whose flags
        include the last message or the position also get a `u` event with the new `pos`/`lmsg`.
        Returns the message.
        """
        with self._lock:
            unit = self._unit(unit_id)
            when = int(self.clock()) if t is None else t
            pos = {"x": x, "y": y, "z": z, "s": speed, "c": course, "sc": satellites, "t": when}
            message = _message(pos, dict(params or {}))
            unit["pos"] = pos
            unit["params"] = dict(params or {})
            history: list[dict[str, Any]] = unit["messages"]
            history.append(message)
            history.sort(key=lambda m: int(m["t"]))
            for session in self.sessions.values():
                flags = session.flags.get(unit_id)
                if flags is None:
                    continue
                session.events.append({"i": unit_id, "t": "m", "d": dict(message)})
                changed: dict[str, Any] = {}
                if flags & (FLAG_LAST_MESSAGE | FLAG_POSITION):
                    changed["pos"] = dict(pos)
                if flags & FLAG_LAST_MESSAGE:
                    changed["lmsg"] = dict(message)
                if changed:
                    session.events.append({"i": unit_id, "t": "u", "d": changed})
            return message

    def rename_item(self, item_id: int, name: str) -> None:
        """Rename a unit: sessions that registered it with the base flag get a `u` event `{"nm": name}`."""
        with self._lock:
            self._unit(item_id)["nm"] = name
            for session in self.sessions.values():
                if session.flags.get(item_id, 0) & FLAG_BASE:
                    session.events.append({"i": item_id, "t": "u", "d": {"nm": name}})

    def delete_item(self, item_id: int) -> None:
        """Delete a unit: sessions that registered it get a `d` event and forget it."""
        with self._lock:
            self.units.pop(item_id, None)
            for session in self.sessions.values():
                if session.flags.pop(item_id, None) is not None:
                    session.events.append({"i": item_id, "t": "d"})

    def expire_session(self, sid: str | None = None) -> None:
        """End one session (or all of them) as if it timed out: its next call gets `{"error": 1}`."""
        with self._lock:
            if sid is None:
                self.sessions.clear()
            else:
                self.sessions.pop(sid, None)

    def session_of_user(self, user: str) -> list[Session]:
        """The open sessions acting as `user`."""
        with self._lock:
            return [s for s in self.sessions.values() if s.user == user]

    # Concurrency: what is in flight, and holding requests back.

    def hold(self) -> None:
        """Keep every request waiting (counted as in flight) until `release()`."""
        self._open.clear()
        self._async_open = asyncio.Event()

    def release(self) -> None:
        """Let held requests (and all later ones) through. Call it from the event loop in async tests."""
        self._open.set()
        event, self._async_open = self._async_open, None
        if event is not None:
            event.set()

    def wait_in_flight(self, count: int, *, group: str = "all", timeout: float = 10.0) -> bool:
        """Block until some session has `count` requests of `group` in flight (False after `timeout`)."""
        with self._flight:
            return self._flight.wait_for(lambda: self.peak_now(group) >= count, timeout)

    def peak_now(self, group: str = "all") -> int:
        """The most requests of `group` any one session has in flight right now."""
        return max((n for (_, g), n in self.in_flight.items() if g == group), default=0)

    def peak(self, group: str = "all") -> int:
        """The most requests of `group` any one session ever had in flight at once."""
        return max((n for (_, g), n in self.max_in_flight.items() if g == group), default=0)

    def serve(self, method: str, url: str, headers: Mapping[str, str], body: bytes) -> Served:
        if _COUNTED.get():
            return super().serve(method, url, headers, body)
        with self._counted(_groups(headers, body, url)) as over_limit:
            self._open.wait()
            if over_limit:
                return Served(json_response({"error": 1003, "reason": "LIMIT api_concurrent"}))
            return super().serve(method, url, headers, body)

    def async_transport(self) -> httpx.MockTransport:
        """An in-process transport for `httpx.AsyncClient(transport=...)`; `hold()` awaits without blocking the loop."""
        base = super().async_transport()

        async def handler(request: httpx.Request) -> httpx.Response:
            with self._counted(_groups(request.headers, request.content, str(request.url))) as over_limit:
                while self._async_open is not None:
                    await self._async_open.wait()
                if over_limit:
                    status, headers, body = json_response({"error": 1003, "reason": "LIMIT api_concurrent"})
                    return httpx.Response(status, headers=headers, content=body)
                token = _COUNTED.set(True)
                try:
                    return await base.handle_async_request(request)
                finally:
                    _COUNTED.reset(token)

        return httpx.MockTransport(handler)

    @contextmanager
    def _counted(self, groups: tuple[str | None, tuple[str, ...]]) -> Generator[bool]:
        sid, names = groups
        if sid is None:
            yield False
            return
        limits = {"all": MAX_REQUESTS, "heavy": MAX_HEAVY}
        with self._flight:
            over = False
            for name in names:
                key = (sid, name)
                self.in_flight[key] += 1
                self.max_in_flight[key] = max(self.max_in_flight[key], self.in_flight[key])
                over = over or self.in_flight[key] > limits.get(name, 1)
            self._flight.notify_all()
        refuse = over and self.enforce_limits
        if refuse:
            with self._flight:
                self.refused += 1
        try:
            yield refuse
        finally:
            with self._flight:
                for name in names:
                    self.in_flight[(sid, name)] -= 1
                self._flight.notify_all()

    # The endpoints.

    def handle(self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes) -> Response:
        if path == "/avl_evts":
            return self._avl_evts(method, query, headers, body)
        if path != "/wialon/ajax.html":
            return 404, {"Content-Type": "text/plain"}, b"not found"
        form, files = _parse_body(headers, body) if method == "POST" else ({}, ())
        fields = {**query, **form}
        svc = fields.get("svc", "")
        try:
            params = as_object(json.loads(fields.get("params") or "{}"))
        except ValueError:
            params = None
        recorded: dict[str, Any] = {k: v for k, v in fields.items() if k != "params"}
        recorded["params"] = mask_fields(params, SECRET_FIELDS) if params is not None else fields.get("params")
        if files:
            recorded["files"] = {f.field: f.filename for f in files}
        self.record(
            RecordedCall(
                method=svc,
                params=mask_fields(recorded, SECRET_FIELDS),
                headers=dict(headers),
                query=mask_fields(query, SECRET_FIELDS),
                http_method=method,
                path=path,
            )
        )
        if params is None:
            return json_response({"error": 4, "reason": "params is not a JSON object"})
        token = _UPLOADS.set((svc, files))
        try:
            answer = self.answer(svc, params, fields.get("sid"))
        finally:
            _UPLOADS.reset(token)
        if isinstance(answer, FileAnswer):
            disposition = f'attachment; filename="{answer.filename}"'
            return 200, {"Content-Type": "application/octet-stream", "Content-Disposition": disposition}, answer.content
        return json_response(answer)

    def answer(self, svc: str, params: dict[str, Any], sid: str | None) -> object:
        """The answer to one service call (also used for the calls inside core/batch)."""
        try:
            if not svc:
                raise WialonFault(1)
            if svc == "token/login":
                return self._token_login(params)
            if svc == "core/use_auth_hash":
                return self._use_auth_hash(params)
            if svc not in self.services and not _known_service(svc):
                raise WialonFault(2, "Invalid service name")
            session = self._live_session(sid)
            self.served.append((svc, session.number))
            service = self.services.get(svc)
            if service is None:
                return minimal_answer(svc)
            return service(session, params)
        except WialonFault as fault:
            return {"error": fault.code, "reason": fault.reason} if fault.reason else {"error": fault.code}

    def _avl_evts(self, method: str, query: dict[str, str], headers: dict[str, str], body: bytes) -> Response:
        form = _parse_body(headers, body)[0] if method == "POST" else {}
        fields = {**query, **form}
        self.record(
            RecordedCall(
                method="avl_evts",
                params=mask_fields(fields, SECRET_FIELDS),
                headers=dict(headers),
                query=mask_fields(query, SECRET_FIELDS),
                http_method=method,
                path="/avl_evts",
            )
        )
        try:
            session = self._live_session(fields.get("sid"))
        except WialonFault as fault:
            return json_response({"error": fault.code})
        self.served.append(("avl_evts", session.number))
        events, session.events = session.events, []
        return json_response({"tm": int(self.clock()), "events": events})

    def _live_session(self, sid: str | None) -> Session:
        """The session `sid` names, refreshed; error 1 when it is unknown or has been idle too long."""
        session = self.sessions.get(sid or "")
        now = self.clock()
        if session is not None and now - session.last_seen > self.session_timeout:
            del self.sessions[session.sid]
            session = None
        if session is None:
            raise WialonFault(1)
        session.last_seen = now
        return session

    # Sessions.

    def _open_session(self, user: str) -> Session:
        sid = secrets.token_hex(16)
        now = self.clock()
        self.opened_sessions += 1
        session = Session(sid=sid, user=user, opened=now, last_seen=now, number=self.opened_sessions)
        self.sessions[sid] = session
        return session

    def _user_id(self, user: str) -> int:
        if user == self.user:
            return self.user_id
        if user in self.sub_users:
            return self.sub_users[user]
        raise WialonFault(7, "the token's owner cannot act as this user")

    def _token_login(self, params: dict[str, Any]) -> object:
        token = params.get("token")
        if not isinstance(token, str) or token not in self.tokens:
            raise WialonFault(8)
        operate_as = params.get("operateAs") or self.user
        if not isinstance(operate_as, str):
            raise WialonFault(4)
        self._user_id(operate_as)
        session = self._open_session(operate_as)
        return self.login_body(session, token)

    def _create_auth_hash(self, session: Session, params: dict[str, Any]) -> object:
        auth_hash = secrets.token_hex(16)
        self.auth_hashes[auth_hash] = session.user
        return {"authHash": auth_hash}

    def _use_auth_hash(self, params: dict[str, Any]) -> object:
        # A login like token/login: no session needed; a hash works once, as on Wialon.
        user = self.auth_hashes.pop(str(params.get("authHash", "")), None)
        if user is None:
            raise WialonFault(8)
        operate_as = params.get("operateAs") or user
        if not isinstance(operate_as, str):
            raise WialonFault(4)
        self._user_id(operate_as)
        return self.login_body(self._open_session(operate_as), None)

    def _duplicate(self, session: Session, params: dict[str, Any]) -> object:
        operate_as = params.get("operateAs") or self.user
        if not isinstance(operate_as, str):
            raise WialonFault(4)
        self._user_id(operate_as)
        if not params.get("continueCurrentSession", False):
            self.sessions.pop(session.sid, None)
        return self.login_body(self._open_session(operate_as), None)

    def login_body(self, session: Session, token: str | None) -> dict[str, Any]:
        """The login (or core/duplicate) response of `session`, as Wialon shapes it."""
        now = int(self.clock())
        user_id = self._user_id(session.user)
        token_info: dict[str, object] = {
            "app": "apiforge",
            "ct": now - 3600,
            "at": now - 3600,
            "dur": 0,
            "fl": -1,
            "p": "{}",
            "items": [],
        }
        return {
            "host": "127.0.0.1",
            "eid": session.sid,
            "gis_sid": secrets.token_hex(16),
            "au": session.user,
            "tm": now,
            "pi": 60,
            "wsdk_version": "2.0",
            "hw_gw_ip": "127.0.0.1",
            "user": {
                "nm": session.user,
                "cls": CLASSES["user"],
                "id": user_id,
                "prp": {"tz": "10800", "language": "en", "dst": "-1"},
                "crt": self.user_id,
                "bact": self.user_id - 1,
                "fl": 0,
                "hm": "",
                "uacl": -1,
                "mu": 0,
                "ct": 0,
                "ftp": {},
                "ld": now,
                "pfl": 0,
                "ap": {},
            },
            "token": json.dumps(token_info, separators=(",", ":")),
            "th": hashlib.sha1((token or session.sid).encode()).hexdigest(),
            "classes": dict(CLASSES),
            "features": {"unlim": 1, "svcs": {}},
        }

    def _logout(self, session: Session, params: dict[str, Any]) -> object:
        self.sessions.pop(session.sid, None)
        return {"error": 0}

    # Items.

    def _unit(self, unit_id: int) -> dict[str, Any]:
        unit = self.units.get(unit_id)
        if unit is None:
            raise KeyError(f"FakeWialon has no unit {unit_id}")
        return unit

    def _items(self) -> list[dict[str, Any]]:
        user = {"id": self.user_id, "nm": self.user, "cls": CLASSES["user"], "type": "user"}
        return [*self.units.values(), *self.resources.values(), user]

    def _item(self, item_id: int) -> dict[str, Any] | None:
        return next((item for item in self._items() if item["id"] == item_id), None)

    def _search_item(self, session: Session, params: dict[str, Any]) -> object:
        item_id, flags = params.get("id"), params.get("flags")
        if not isinstance(item_id, int) or not isinstance(flags, int):
            raise WialonFault(4)
        item = self._item(item_id)
        if item is None:
            raise WialonFault(7)
        return {"item": self.item_view(item, flags), "flags": flags}

    def _search_items(self, session: Session, params: dict[str, Any]) -> object:
        spec = as_object(params.get("spec"))
        flags, first, last = params.get("flags"), params.get("from", 0), params.get("to", 0)
        if spec is None or not isinstance(flags, int) or not isinstance(first, int) or not isinstance(last, int):
            raise WialonFault(4)
        items_type = str(spec.get("itemsType") or "")
        prop = spec.get("propName", "")
        prop_names = [p for p in str(prop or "").split("|") if p] or ["sys_name"]
        mask = str(spec.get("propValueMask", "*"))
        found = [
            item
            for item in self._items()
            if (not items_type or item["type"] == items_type) and any(_matches(item, p, mask) for p in prop_names)
        ]
        sort_key = str(spec.get("sortType") or "sys_name")
        found.sort(key=lambda u: (str(_prop(u, sort_key)).lower(), u["id"]))
        chosen = found[first:] if last == 0 else found[first : last + 1]
        echo: dict[str, object] = {
            "itemsType": items_type,
            "propName": prop,
            "propValueMask": mask,
            "sortType": spec.get("sortType", ""),
            "propType": spec.get("propType", ""),
            "or_logic": str(int(bool(spec.get("or_logic", False)))),
        }
        return {
            "searchSpec": echo,
            "dataFlags": flags,
            "totalItemsCount": len(found),
            "indexFrom": first,
            "indexTo": last,
            "items": [self.item_view(u, flags) for u in chosen],
        }

    def _update_data_flags(self, session: Session, params: dict[str, Any]) -> object:
        specs = as_array(params.get("spec"))
        if specs is None:
            raise WialonFault(4)
        answer: list[dict[str, Any]] = []
        for raw in specs:
            spec = as_object(raw)
            if spec is None:
                raise WialonFault(4)
            kind, data, flags, mode = spec.get("type"), spec.get("data"), spec.get("flags"), spec.get("mode", 0)
            if not isinstance(flags, int) or mode not in (0, 1, 2):
                raise WialonFault(4)
            if kind == "id" and isinstance(data, int):
                ids = [data]
            elif kind == "col" and isinstance(data, list):
                ids = [i for i in typing.cast("list[object]", data) if isinstance(i, int)]
            elif kind == "type" and isinstance(data, str):
                ids = [item["id"] for item in self._items() if item["type"] == data]
            elif kind == "access":
                ids = []
            else:
                raise WialonFault(4)
            for item_id in ids:
                item = self._item(item_id)
                if item is None:
                    continue
                current = session.flags.get(item_id, 0)
                new = flags if mode == 0 else current | flags if mode == 1 else current & ~flags
                if new == 0 or (mode == 2 and flags & FLAG_BASE):
                    session.flags.pop(item_id, None)
                    new = 0
                else:
                    session.flags[item_id] = new
                answer.append({"i": item_id, "d": self.item_view(item, new) if new else None, "f": new})
        return answer

    @staticmethod
    def item_view(item: Mapping[str, Any], flags: int) -> dict[str, Any]:
        """The part of an item the data flags ask for."""
        view: dict[str, Any] = {"id": item["id"]}
        if flags & FLAG_BASE:
            view.update({"nm": item["nm"], "cls": item["cls"], "mu": 0, "uacl": -1})
        if flags & FLAG_CUSTOM_PROPS:
            view["prp"] = dict(item.get("prp", {}))
        if flags & FLAG_CUSTOM_FIELDS:
            view["flds"] = dict(item.get("flds", {}))
        if flags & FLAG_ADVANCED and item.get("type") == "avl_unit":
            view.update({"uid": str(item.get("uid", item["id"])), "hw": int(item.get("hw", 0)), "ph": ""})
        if flags & (FLAG_LAST_MESSAGE | FLAG_POSITION) and item.get("type") == "avl_unit":
            pos = item.get("pos")
            view["pos"] = dict(pos) if pos else None
        if flags & FLAG_LAST_MESSAGE and item.get("type") == "avl_unit":
            messages: list[dict[str, Any]] = item.get("messages", [])
            view["lmsg"] = dict(messages[-1]) if messages else None
        return view

    # Messages.

    def _load_interval(self, session: Session, params: dict[str, Any]) -> object:
        unit = self._unit_param(params, "itemId")
        time_from, time_to = params.get("timeFrom"), params.get("timeTo")
        if not isinstance(time_from, int) or not isinstance(time_to, int):
            raise WialonFault(4)
        messages = [m for m in unit["messages"] if time_from <= m["t"] <= time_to and _flags_match(m, params)]
        return self._load(session, messages, params)

    def _load_last(self, session: Session, params: dict[str, Any]) -> object:
        unit = self._unit_param(params, "itemId")
        last_time, last_count = params.get("lastTime"), params.get("lastCount")
        if not isinstance(last_time, int) or not isinstance(last_count, int):
            raise WialonFault(4)
        messages = [m for m in unit["messages"] if m["t"] <= last_time and _flags_match(m, params)]
        return self._load(session, messages[-last_count:] if last_count else [], params)

    def _load(self, session: Session, messages: list[dict[str, Any]], params: dict[str, Any]) -> object:
        session.loaded = [dict(m) for m in messages]
        count = params.get("loadCount", ALL_MESSAGES)
        shown = session.loaded if not isinstance(count, int) or count >= ALL_MESSAGES else session.loaded[:count]
        return {"count": len(session.loaded), "messages": shown}

    def _get_messages(self, session: Session, params: dict[str, Any]) -> object:
        first, last = params.get("indexFrom", 0), params.get("indexTo", len(session.loaded) - 1)
        if not isinstance(first, int) or not isinstance(last, int):
            raise WialonFault(4)
        return session.loaded[first : last + 1]

    def _unload(self, session: Session, params: dict[str, Any]) -> object:
        session.loaded = []
        return {}

    def _unit_param(self, params: dict[str, Any], name: str) -> dict[str, Any]:
        unit_id = params.get(name)
        if not isinstance(unit_id, int):
            raise WialonFault(4)
        unit = self.units.get(unit_id)
        if unit is None:
            raise WialonFault(7)
        return unit

    # Uploads.

    def _upload(self, session: Session, params: dict[str, Any]) -> object:
        upload = self._received(params)
        event_hash = params.get("eventHash")
        if isinstance(event_hash, str) and event_hash:
            # Completion of an asynchronous operation: an event for item -1 carrying the hash.
            session.events.append({"i": -1, "t": "u", "d": {"hash": event_hash, "files": len(upload.files)}})
        return minimal_answer(upload.svc)

    def _received(self, params: dict[str, Any]) -> Upload:
        svc, files = _UPLOADS.get()
        if not files:
            raise WialonFault(4, "no file in the request")
        upload = Upload(svc=svc, params=dict(params), files=files)
        self.uploads.append(upload)
        return upload

    def _file_put(self, session: Session, params: dict[str, Any]) -> object:
        item_id, storage, path = params.get("itemId"), params.get("storageType"), params.get("path")
        if not isinstance(item_id, int) or not isinstance(storage, int) or not isinstance(path, str):
            raise WialonFault(4)
        self.files[(item_id, storage, path)] = self._received(params).files[0].content
        return {}

    def _file_read(self, session: Session, params: dict[str, Any]) -> object:
        item_id, storage, path = params.get("itemId"), params.get("storageType"), params.get("path")
        if not isinstance(item_id, int) or not isinstance(storage, int) or not isinstance(path, str):
            raise WialonFault(4)
        content = self.files.get((item_id, storage, path))
        if content is None:
            raise WialonFault(3, "file not found")
        return {"content": content.decode("utf-8", "replace")}

    # Batch.

    def _batch(self, session: Session, params: dict[str, Any]) -> object:
        calls = as_array(params.get("params"))
        if calls is None:
            raise WialonFault(4)
        stop_on_error = params.get("flags") == 1  # flags=1: after the first failure every call answers error 10
        results: list[object] = []
        for item in calls:
            if stop_on_error and any((r := as_object(res)) is not None and r.get("error") for res in results):
                results.append({"error": 10})
                continue
            call = as_object(item)
            call_params = as_object(call.get("params", {})) if call is not None else None
            if call is None or call_params is None:
                results.append({"error": 4})
                continue
            svc = str(call.get("svc", ""))
            if svc in ("core/batch", "token/login"):
                results.append({"error": 4})
                continue
            results.append(self.answer(svc, dict(call_params), session.sid))
        return results


def _message(pos: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """A data message (tp "ud") at `pos`, flags: position set."""
    position = {k: pos[k] for k in ("y", "x", "z", "s", "c", "sc") if k in pos}
    return {
        "t": int(pos.get("t", 0)),
        "f": 1,
        "tp": "ud",
        "pos": position,
        "i": 0,
        "o": 0,
        "p": params,
        "lc": 0,
        "rt": 0,
    }


def _flags_match(message: Mapping[str, Any], params: Mapping[str, Any]) -> bool:
    """Wialon's message filter: `(message flags & flagsMask) == (flags & flagsMask)`; data messages are type 0."""
    flags, mask = params.get("flags", 0), params.get("flagsMask", 0)
    if not isinstance(flags, int) or not isinstance(mask, int):
        raise WialonFault(4)
    return (int(message.get("f", 0)) & mask) == (flags & mask)


def _prop(item: Mapping[str, Any], name: str) -> object:
    if name == "sys_id":
        return item["id"]
    if name == "sys_name" or not name:
        return item["nm"]
    if name == "sys_unique_id":
        return item.get("uid", "")
    return item.get("prp", {}).get(name, "")


def _matches(item: Mapping[str, Any], prop_name: str, mask: str) -> bool:
    """Wialon masks: `*` any run of characters, case-insensitive; several masks joined with `,` are OR-ed."""
    value = str(_prop(item, prop_name)).lower()
    return any(fnmatch.fnmatchcase(value, part.strip().lower()) for part in mask.split(",") if part.strip())


def _parse_body(headers: Mapping[str, str], body: bytes) -> tuple[dict[str, str], tuple[UploadedFile, ...]]:
    """The text fields and the file parts of a url-encoded or multipart body."""
    content_type = headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        return (dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)) if body else {}), ()
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    fields: dict[str, str] = {}
    files: list[UploadedFile] = []
    if not message.is_multipart():
        return fields, ()
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        payload = part.get_payload(decode=True)
        content = payload if isinstance(payload, bytes) else b""
        filename = part.get_filename()
        if filename is None:
            fields[str(name)] = content.decode("utf-8", "replace")
        else:
            files.append(UploadedFile(field=str(name), filename=filename, content=content))
    return fields, tuple(files)


def _groups(headers: Mapping[str, str], body: bytes, url: str) -> tuple[str | None, tuple[str, ...]]:
    """The session a request uses and the limit groups it counts in ("all", "heavy", "exclusive:<key>")."""
    lowered = {k.lower(): v for k, v in headers.items()}
    query = dict(parse_qsl(url.partition("?")[2], keep_blank_values=True))
    fields = {**query, **_parse_body(lowered, body)[0]}
    sid = fields.get("sid")
    if not sid:
        return None, ()
    spec = _method_spec(fields.get("svc", ""))
    names = ["all"]
    if spec is not None and spec.heavy:
        names.append("heavy")
    if spec is not None and spec.exclusive:
        names.append(f"exclusive:{spec.exclusive}")
    return sid, tuple(names)


def _method_spec(svc: str) -> Any:
    from apiforge.wialon import METHODS

    info = METHODS.get(svc)
    return info.spec if info is not None else None


def _known_service(svc: str) -> bool:
    from apiforge.wialon import METHODS

    return svc in METHODS


def minimal_answer(svc: str) -> object:
    """A minimal answer of `svc` that decodes into its generated result type (a `FileAnswer` for files)."""
    spec = _method_spec(svc)
    if spec is None:
        return {}
    if spec.result is bytes:
        return FileAnswer(b"", filename=svc.replace("/", "_"))
    return _minimal_json(spec.result)


def _minimal_json(tp: object) -> object:
    from apiforge.testing.instances import minimal_json

    args = typing.get_args(tp)
    if typing.get_origin(tp) is tuple and args and Ellipsis not in args:
        # Wialon's `[id, object]` answers are fixed pairs; instances.minimal_json builds tuples as sequences.
        return [minimal_json(arg) for arg in args]
    return minimal_json(tp)


__all__ = [
    "DEFAULT_RESOURCES",
    "DEFAULT_TOKEN",
    "DEFAULT_UNITS",
    "FakeWialon",
    "FileAnswer",
    "Session",
    "Upload",
    "UploadedFile",
    "WialonFault",
    "minimal_answer",
]
