"""`FakeWialon`: the Wialon Remote API (POST /wialon/ajax.html with svc, params, sid) with sessions and units.

with FakeWialon() as fake:
    with Wialon(token=fake.token, base_url=fake.url) as w:
        w.core.search_item(id=734455, flags=1)
    fake.expire_session()   # every open session dies: the next call gets {"error": 1}
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import secrets
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs

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

DEFAULT_TOKEN = "5dce19710a5e26ab8b7b8986cb3c49e58C291791B7F0A7AEB8AFBFCEED7DC03BC48FF5F8"
"""A 72-character token the fake accepts by default."""
SECRET_FIELDS = frozenset({"token", "sid", "authHash"})
# Item data flags (Wialon's `flags` of search_item(s)).
FLAG_BASE = 0x1
FLAG_CUSTOM_PROPS = 0x8
FLAG_LAST_MESSAGE = 0x400
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
Service = Callable[["Session", dict[str, Any]], object]


class WialonFault(Exception):
    """Raised by a service handler: becomes `{"error": code[, "reason": ...]}`."""

    def __init__(self, code: int, reason: str = "") -> None:
        super().__init__(reason or f"error {code}")
        self.code = code
        self.reason = reason


@attrs.define
class Session:
    """An open session: its id, the user it belongs to, when it was opened."""

    sid: str
    user: str
    opened: float


class FakeWialon(FakeServer):
    """A stateful fake of the Wialon Remote API.

    Args:
        tokens: accepted tokens (default: `DEFAULT_TOKEN`); others get error 8 at `token/login`.
        units: the units it knows (`id`, `nm`, optional `pos`, `prp`, `params` of the last message).
        user: the login name of the token's owner.
    """

    def __init__(
        self,
        *,
        tokens: Iterable[str] = (DEFAULT_TOKEN,),
        units: Iterable[Mapping[str, Any]] = DEFAULT_UNITS,
        user: str = "demo",
        user_id: int = 27,
    ) -> None:
        super().__init__()
        self.tokens = set(tokens)
        self.units: dict[int, dict[str, Any]] = {int(u["id"]): {"cls": UNIT_CLASS, **u} for u in units}
        self.user = user
        self.user_id = user_id
        self.sessions: dict[str, Session] = {}
        self.services: dict[str, Service] = {
            "core/search_item": self._search_item,
            "core/search_items": self._search_items,
            "core/logout": self._logout,
            "core/batch": self._batch,
        }

    @property
    def token(self) -> str:
        """One accepted token (for tests that do not care which)."""
        return next(iter(sorted(self.tokens)))

    @property
    def logins(self) -> int:
        """How many `token/login` calls were made."""
        return len(self.calls_to("token/login"))

    def expire_session(self, sid: str | None = None) -> None:
        """End one session (or all of them) as if it timed out: its next call gets `{"error": 1}`."""
        with self._lock:
            if sid is None:
                self.sessions.clear()
            else:
                self.sessions.pop(sid, None)

    # The endpoint.

    def handle(self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes) -> Response:
        if path != "/wialon/ajax.html":
            return 404, {"Content-Type": "text/plain"}, b"not found"
        form = parse_form(headers, body) if method == "POST" else {}
        fields = {**query, **form}
        svc = fields.get("svc", "")
        try:
            params = as_object(json.loads(fields.get("params") or "{}"))
        except ValueError:
            params = None
        recorded: dict[str, Any] = {k: v for k, v in fields.items() if k != "params"}
        recorded["params"] = mask_fields(params, SECRET_FIELDS) if params is not None else fields.get("params")
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
        return json_response(self.answer(svc, params, fields.get("sid")))

    def answer(self, svc: str, params: dict[str, Any], sid: str | None) -> object:
        """The answer to one service call (also used for the calls inside core/batch)."""
        try:
            if not svc:
                raise WialonFault(1)
            if svc == "token/login":
                return self._token_login(params)
            service = self.services.get(svc)
            if service is None:
                raise WialonFault(2, "Invalid service name")
            session = self.sessions.get(sid or "")
            if session is None:
                raise WialonFault(1)
            return service(session, params)
        except WialonFault as fault:
            return {"error": fault.code, "reason": fault.reason} if fault.reason else {"error": fault.code}

    # Services.

    def _token_login(self, params: dict[str, Any]) -> object:
        token = params.get("token")
        if not isinstance(token, str) or token not in self.tokens:
            raise WialonFault(8)
        sid = secrets.token_hex(16)
        now = time.time()
        self.sessions[sid] = Session(sid=sid, user=self.user, opened=now)
        token_info: dict[str, object] = {
            "app": "apiforge",
            "ct": int(now) - 3600,
            "at": int(now) - 3600,
            "dur": 0,
            "fl": -1,
            "p": "{}",
            "items": [],
        }
        return {
            "host": "127.0.0.1",
            "eid": sid,
            "gis_sid": secrets.token_hex(16),
            "au": self.user,
            "tm": int(now),
            "pi": 60,
            "wsdk_version": "2.0",
            "hw_gw_ip": "127.0.0.1",
            "user": {
                "nm": self.user,
                "cls": CLASSES["user"],
                "id": self.user_id,
                "prp": {"tz": "10800", "language": "en", "dst": "-1"},
                "crt": self.user_id,
                "bact": self.user_id - 1,
                "fl": 0,
                "hm": "",
                "uacl": -1,
                "mu": 0,
                "ct": 0,
                "ftp": {},
                "ld": int(now),
                "pfl": 0,
                "ap": {},
            },
            "token": json.dumps(token_info, separators=(",", ":")),
            "th": hashlib.sha1(token.encode()).hexdigest(),
            "classes": dict(CLASSES),
            "features": {"unlim": 1, "svcs": {}},
        }

    def _logout(self, session: Session, params: dict[str, Any]) -> object:
        self.sessions.pop(session.sid, None)
        return {"error": 0}

    def _search_item(self, session: Session, params: dict[str, Any]) -> object:
        item_id, flags = params.get("id"), params.get("flags")
        if not isinstance(item_id, int) or not isinstance(flags, int):
            raise WialonFault(4)
        unit = self.units.get(item_id)
        if unit is None:
            raise WialonFault(7)
        return {"item": self.item_view(unit, flags), "flags": flags}

    def _search_items(self, session: Session, params: dict[str, Any]) -> object:
        spec = as_object(params.get("spec"))
        flags, first, last = params.get("flags"), params.get("from", 0), params.get("to", 0)
        if spec is None or not isinstance(flags, int) or not isinstance(first, int) or not isinstance(last, int):
            raise WialonFault(4)
        items_type = spec.get("itemsType", "")
        prop = spec.get("propName", "")
        prop_name = str(prop) if prop else ""
        mask = str(spec.get("propValueMask", "*"))
        if items_type not in ("", "avl_unit"):
            found: list[dict[str, Any]] = []
        else:
            found = [u for u in self.units.values() if _matches(u, prop_name, mask)]
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

    def _batch(self, session: Session, params: dict[str, Any]) -> object:
        calls = as_array(params.get("params"))
        if calls is None:
            raise WialonFault(4)
        results: list[object] = []
        for item in calls:
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

    @staticmethod
    def item_view(unit: Mapping[str, Any], flags: int) -> dict[str, Any]:
        """The part of a unit the data flags ask for."""
        view: dict[str, Any] = {"id": unit["id"]}
        if flags & FLAG_BASE:
            view.update({"nm": unit["nm"], "cls": unit["cls"], "mu": 0, "uacl": -1})
        if flags & FLAG_CUSTOM_PROPS:
            view["prp"] = dict(unit.get("prp", {}))
        if flags & FLAG_LAST_MESSAGE:
            pos = unit.get("pos")
            view["pos"] = dict(pos) if pos else None
            params = dict(unit.get("params", {}))
            view["lmsg"] = (
                {"t": pos["t"], "f": 1, "tp": "ud", "pos": dict(pos), "i": 0, "o": 0, "p": params} if pos else None
            )
        return view


def _prop(unit: Mapping[str, Any], name: str) -> object:
    if name == "sys_id":
        return unit["id"]
    if name == "sys_name" or not name:
        return unit["nm"]
    return unit.get("prp", {}).get(name, "")


def _matches(unit: Mapping[str, Any], prop_name: str, mask: str) -> bool:
    """Wialon masks: `*` any run of characters, case-insensitive; several masks joined with `,` are OR-ed."""
    value = str(_prop(unit, prop_name)).lower()
    return any(fnmatch.fnmatchcase(value, part.strip().lower()) for part in mask.split(",") if part.strip())


__all__ = ["DEFAULT_TOKEN", "DEFAULT_UNITS", "FakeWialon", "Session", "WialonFault"]
