"""`FakeVK`: the VK API wire protocol (POST /method/<name>, form body, `{response}` / `{error}`) with state.

with FakeVK() as fake:
    with VK(token="t", base_url=fake.url) as vk:
        vk.messages.send(peer_id=1, message="hi")
    assert fake.messages[0]["text"] == "hi"

The state lives here (users, groups, messages) and in parts, each registering its methods in
`fake.methods`: `fake.conversations` (apiforge.testing.vk_conversations), `fake.wall`
(apiforge.testing.vk_wall), `fake.uploads` (apiforge.testing.vk_uploads: upload servers and the
files they keep) and `fake.longpoll` (apiforge.testing.vk_longpoll), which turns what
happens in the others into events.

With `enforce_limits=True` a token's requests beyond its kind's limit within a second (on
`clock`) are answered with error 6, as VK does; `execute` counts as one request.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import attrs

from apiforge.core.call import PRESENT
from apiforge.testing._server import FakeServer, RecordedCall, Response, json_response, mask_fields, parse_form
from apiforge.testing._vk_base import VKError, csv, is_int, param_error
from apiforge.testing.instances import minimal_json
from apiforge.testing.ratelimits import RateLimit, RateWindows
from apiforge.testing.vk_conversations import FakeConversations, people_ids
from apiforge.testing.vk_keyboards import bot_keyboard, bot_template
from apiforge.testing.vk_longpoll import LONGPOLL_PATH, FakeLongPoll
from apiforge.testing.vk_uploads import FILES_PATH, UPLOAD_PATH, FakeUploads
from apiforge.testing.vk_wall import FakeWall
from apiforge.testing.vkscript import run_execute

Handler = Callable[[dict[str, str]], object]
SECRET_FIELDS = frozenset({"access_token"})
# Fields every users.get answer carries, whatever `fields` asks for.
_USER_BASE = ("id", "first_name", "last_name", "can_access_closed", "is_closed")
RATE_LIMITS: Mapping[str, int] = {"user": 3, "group": 20, "service": 3, "open": 3}
"""Requests per second per token, by token kind, as VK publishes them (service and open: as user tokens)."""

DEFAULT_USERS: tuple[dict[str, Any], ...] = (
    {
        "id": 1,
        "first_name": "Pavel",
        "last_name": "Durov",
        "screen_name": "durov",
        "sex": 2,
        "photo_50": "https://fake.vk/u1_50.jpg",
        "photo_100": "https://fake.vk/u1_100.jpg",
        "can_access_closed": True,
        "is_closed": False,
    },
    {
        "id": 5,
        "first_name": "Ilya",
        "last_name": "Perekopsky",
        "screen_name": "ilya",
        "sex": 2,
        "photo_50": "https://fake.vk/u5_50.jpg",
        "photo_100": "https://fake.vk/u5_100.jpg",
        "can_access_closed": True,
        "is_closed": False,
    },
)
DEFAULT_GROUPS: tuple[dict[str, Any], ...] = (
    {"id": 1, "name": "VK API", "screen_name": "apiclub", "is_closed": 0, "type": "group"},
    {"id": 22822305, "name": "VK", "screen_name": "vk", "is_closed": 0, "type": "page"},
)


class FakeVK(FakeServer):
    """A stateful fake of the VK API.

    Args:
        tokens: accepted access tokens; any other (or none) gets error 5.
        users, groups: the people and communities it knows (defaults: a couple of each).
        me: the id of the token's owner (the sender of messages, `users.get` without ids).
        token_kinds: token -> kind ("user", "group", "service"); these tokens are accepted too, and a
            method listed in `method_kinds` answers a token of another kind with VK's error.
        clock: seconds since the epoch (time.time by default; a fake clock in tests) for the dates of
            messages and posts and for the rate limits.
        enforce_limits: answer error 6 "Too many requests per second" to a token's requests beyond
            `rate_limits` within one second (off by default, as a test rarely wants to wait).
        rate_limits: requests per second by token kind, over `RATE_LIMITS` (tokens without a kind
            in `token_kinds` are user tokens).
    """

    def __init__(
        self,
        *,
        tokens: Iterable[str] = ("t",),
        users: Iterable[Mapping[str, Any]] = DEFAULT_USERS,
        groups: Iterable[Mapping[str, Any]] = DEFAULT_GROUPS,
        me: int = 1,
        token_kinds: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.time,
        enforce_limits: bool = False,
        rate_limits: Mapping[str, int] | None = None,
    ) -> None:
        super().__init__()
        self.tokens = set(tokens) | set(token_kinds or {})
        self.token_kinds: dict[str, str] = dict(token_kinds or {})
        # The token kinds each method accepts (from the specs); add entries for methods you add.
        self.method_kinds: dict[str, frozenset[str]] = {
            "users.get": frozenset({"user", "group", "service"}),
            "groups.getById": frozenset({"user", "group", "service"}),
            "messages.send": frozenset({"user", "group"}),
            "messages.getHistory": frozenset({"user", "group"}),
            "messages.getHistoryAttachments": frozenset({"user", "group"}),
            "messages.getConversations": frozenset({"user", "group"}),
            "messages.getConversationsById": frozenset({"user", "group"}),
            "messages.markAsRead": frozenset({"user", "group"}),
            "groups.getTokenPermissions": frozenset({"group"}),
            "wall.post": frozenset({"user"}),
            "wall.get": frozenset({"user", "service"}),
            "wall.getById": frozenset({"user", "service"}),
            "wall.edit": frozenset({"user"}),
            "wall.delete": frozenset({"user"}),
            "wall.createComment": frozenset({"user", "group"}),
            "wall.getComments": frozenset({"user", "service"}),
            "photos.getMessagesUploadServer": frozenset({"user", "group"}),
            "photos.saveMessagesPhoto": frozenset({"user", "group"}),
            "photos.getWallUploadServer": frozenset({"user"}),
            "photos.saveWallPhoto": frozenset({"user"}),
            "photos.getUploadServer": frozenset({"user"}),
            "photos.save": frozenset({"user"}),
            "docs.getMessagesUploadServer": frozenset({"user", "group"}),
            "docs.save": frozenset({"user", "group"}),
            "video.save": frozenset({"user"}),
        }
        self.clock = clock
        self.enforce_limits = enforce_limits
        self.rate_limits: dict[str, int] = _checked_rates({**RATE_LIMITS, **(rate_limits or {})})
        self.refused = 0
        """Requests answered with error 6 because their token was over its limit (`enforce_limits`)."""
        self._windows = RateWindows()
        self._captchas: dict[str, _Captcha] = {}
        self._captcha_sids = itertools.count(100001)
        self.users: dict[int, dict[str, Any]] = {int(u["id"]): dict(u) for u in users}
        self.groups: dict[int, dict[str, Any]] = {int(g["id"]): dict(g) for g in groups}
        self.me = me
        self.messages: list[dict[str, Any]] = []
        # (sender, random_id) -> message id: VK de-duplicates per app and sender, whatever the peer.
        self._sent: dict[tuple[int, int], int] = {}
        self.methods: dict[str, Handler] = {
            "users.get": self._users_get,
            "groups.getById": self._groups_get_by_id,
            "messages.send": self._messages_send,
            "messages.getHistory": self._messages_get_history,
            "messages.getHistoryAttachments": self._messages_get_history_attachments,
        }
        self.conversations = FakeConversations(self)
        """Conversations computed from `messages`, and who read what (apiforge.testing.vk_conversations)."""
        self.wall = FakeWall(self)
        """Posts and comments on the walls of users and communities (apiforge.testing.vk_wall)."""
        self.uploads = FakeUploads(self)
        """Upload servers, the files they received and the photos, documents and videos saved (apiforge.testing.vk_uploads)."""
        # Last: the long poll wraps the handlers of the others to turn what they do into events.
        self.longpoll = FakeLongPoll(self)
        """Bots and User Long Poll servers: events, `push`, failures (apiforge.testing.vk_longpoll)."""

    def handle(self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes) -> Response:
        if path.startswith(LONGPOLL_PATH):
            return self.longpoll.handle(method, path, query, headers)
        if path.startswith((UPLOAD_PATH, FILES_PATH)):
            return self.uploads.handle(method, path, query, headers, body)
        if not path.startswith("/method/") or method not in ("GET", "POST"):
            return 404, {"Content-Type": "text/plain"}, b"not found"
        name = path[len("/method/") :]
        form = parse_form(headers, body) if method == "POST" else {}
        params = {**query, **form}
        self.record(
            RecordedCall(
                method=name,
                params=mask_fields(form, SECRET_FIELDS),
                headers=dict(headers),
                query=mask_fields(query, SECRET_FIELDS),
                http_method=method,
                path=path,
            )
        )
        try:
            if params.get("access_token") not in self.tokens:
                raise VKError(5, "User authorization failed: invalid access_token")
            if not params.get("v"):
                raise VKError(8, "Invalid request: v (version) is required")
            self._check_rate(params["access_token"])
            self._check_token_kind(name, params["access_token"])
            self._check_captcha(name, params)
            if name == "execute":  # several calls in one request: apiforge.testing.vkscript
                return json_response(run_execute(params.get("code", ""), _WithSchemaAnswers(self)))
            handler = self.methods.get(name) or self._schema_handler(name)
            call_params = {k: v for k, v in params.items() if k not in ("access_token", "v", "lang")}
            return json_response({"response": handler(call_params)})
        except VKError as error:
            return json_response({"error": self.error_body(name, error, params)})

    @staticmethod
    def error_body(name: str, error: VKError, params: Mapping[str, str]) -> dict[str, Any]:
        """VK's error object; like the real API it echoes every parameter, the access token included."""
        echoed = [{"key": key, "value": value} for key, value in params.items()]
        echoed += [{"key": "method", "value": name}, {"key": "oauth", "value": "1"}]
        return {"error_code": error.code, "error_msg": error.message, "request_params": echoed, **error.extra}

    # Rate limits, token kinds and captcha.

    def kind_of(self, token: str) -> str:
        """The kind of an accepted token: its entry in `token_kinds`, else "user"."""
        return self.token_kinds.get(token, "user")

    def _check_rate(self, token: str) -> None:
        if not self.enforce_limits:
            return
        kind = self.kind_of(token)
        limit = RateLimit(self.rate_limits.get(kind, self.rate_limits["user"]))
        if not self._windows.admit(token, (limit,), self.clock()):
            self.refused += 1
            raise VKError(6, "Too many requests per second")

    def require_captcha(
        self, method: str, *, times: int = 1, answer: str = "fake-captcha-answer", redirect: bool = False
    ) -> None:
        """Answer `method` with error 14 until `times` captchas have been solved with `answer`.

        Each error carries a new `captcha_sid` and `captcha_img`; a call with the current sid and
        the right `captcha_key` solves one; a wrong key gets a new captcha. `redirect=True` gives
        VK's newer form instead: a `redirect_uri` and a `remixstlid`, solved by a call carrying
        `success_token=answer` and that `remixstlid`.
        """
        self._captchas[method] = _Captcha(left=times, answer=answer, redirect=redirect)

    def captchas_shown(self, method: str) -> int:
        """How many error-14 answers `method` got."""
        state = self._captchas.get(method)
        return state.shown if state is not None else 0

    def _check_captcha(self, name: str, params: Mapping[str, str]) -> None:
        state = self._captchas.get(name)
        if state is None or state.left <= 0:
            return
        if state.sid is not None and (
            (params.get("success_token") == state.answer and params.get("remixstlid") == state.sid)
            if state.redirect
            else (params.get("captcha_sid") == state.sid and params.get("captcha_key") == state.answer)
        ):
            state.left -= 1
            state.sid = None
            if state.left <= 0:
                return
        state.sid = str(next(self._captcha_sids))
        state.shown += 1
        if state.redirect:
            raise VKError(
                14,
                "Captcha needed",
                redirect_uri=f"https://id.vk.com/not_robot_captcha?domain=vk.com&session_token=fake-{state.sid}",
                remixstlid=int(state.sid),
            )
        raise VKError(
            14,
            "Captcha needed",
            captcha_sid=state.sid,
            captcha_img=f"https://api.vk.com/captcha.php?sid={state.sid}&s=1",
        )

    def _check_token_kind(self, name: str, token: str) -> None:
        kind = self.token_kinds.get(token)
        allowed = self.method_kinds.get(name)
        if kind is None or allowed is None or kind in allowed:
            return
        if kind == "group":
            raise VKError(27, "Group authorization failed: method is unavailable with group auth.")
        if kind == "service":
            raise VKError(28, "Application authorization failed: method is unavailable with service token.")
        raise VKError(15, f"Access denied: method is unavailable with {kind} token.")

    # Any other method of the schema: a minimal answer of its generated result type.

    def schema_answer(self, name: str, params: Mapping[str, str]) -> object:
        """A schema-valid answer of any VK method without a handler here: the minimal JSON value of its
        generated result type (required fields only, one-item lists), of the variant `params` select.

        Stateless: it shows the shape of an answer, not data; give a method a handler in `methods`
        for behaviour. Unknown methods get VK's error 3.
        """
        from apiforge.vk import METHODS  # on first use: importing the fake does not load the SDK

        info = METHODS.get(name)
        if info is None:
            raise VKError(3, "Unknown method passed")
        spec = info.spec
        result = next(
            (v.result for v in spec.variants if all(_sent(params.get(w), want) for w, want in v.when)), spec.result
        )
        return minimal_json(result)

    def _schema_handler(self, name: str) -> Handler:
        return lambda params: self.schema_answer(name, params)

    # Methods.

    # State that the parts share.

    def store_message(self, *, peer_id: int, from_id: int, text: str, out: bool, random_id: int) -> dict[str, Any]:
        """Keep a message of the account's conversation with `peer_id` (sent: `out`) and return it."""
        message_id = len(self.messages) + 1
        message: dict[str, Any] = {
            "id": message_id,
            "conversation_message_id": sum(1 for m in self.messages if m["peer_id"] == peer_id) + 1,
            "date": int(self.clock()),
            "from_id": from_id,
            "peer_id": peer_id,
            "text": text,
            "out": int(out),
            "version": message_id,
            "random_id": random_id,
            "attachments": [],
            "fwd_messages": [],
            "important": False,
            "is_hidden": False,
        }
        self.messages.append(message)
        return message

    def profile(self, user: Mapping[str, Any], fields: Iterable[str]) -> dict[str, Any]:
        """A user as VK shows them: the base fields and those of `fields` the user has."""
        wanted = set(fields)
        return {k: v for k, v in user.items() if k in _USER_BASE or k in wanted}

    def profiles_and_groups(self, ids: Iterable[int], fields: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        """The `profiles` and `groups` of an extended answer: the known users and communities among
        `ids` (owner, author or peer ids: negative ones are communities), each once."""
        user_ids, group_ids = people_ids(ids)
        return {
            "profiles": [self.profile(self.users[i], fields) for i in user_ids if i in self.users],
            "groups": [dict(self.groups[i]) for i in group_ids if i in self.groups],
        }

    # Methods.

    def _users_get(self, params: dict[str, str]) -> object:
        ids = csv(params.get("user_ids")) or [str(self.me)]
        fields = csv(params.get("fields"))
        found = (self._find(self.users, ref) for ref in ids)
        return [self.profile(user, fields) for user in found if user is not None]

    def _groups_get_by_id(self, params: dict[str, str]) -> object:
        refs = csv(params.get("group_ids")) or csv(params.get("group_id"))
        if not refs:
            raise param_error("group_ids is undefined")
        found: list[dict[str, Any]] = []
        for ref in refs:
            group = self._find(self.groups, ref)
            if group is None:
                raise param_error(f"group_ids {ref} invalid")
            found.append(dict(group))
        return {"groups": found, "profiles": []}

    def _messages_send(self, params: dict[str, str]) -> object:
        peer = params.get("peer_id") or params.get("user_id")
        if not peer or not is_int(peer):
            raise param_error("peer_id is undefined")
        if "random_id" not in params or not is_int(params["random_id"]):
            raise param_error("random_id is a required parameter")
        if not params.get("message") and not params.get("attachment") and not params.get("sticker_id"):
            raise param_error("message is empty or invalid")
        peer_id, random_id = int(peer), int(params["random_id"])
        key = (self.me, random_id)
        if random_id != 0 and key in self._sent:
            return self._sent[key]  # VK's de-duplication: the same send is delivered once
        text = params.get("message", "")
        # Checked before storing: a bad attachment, keyboard or template sends nothing.
        attachments = self.uploads.attachments(params)
        keyboard = bot_keyboard(params["keyboard"]) if params.get("keyboard") else None
        template = bot_template(params["template"]) if params.get("template") else None
        message = self.store_message(peer_id=peer_id, from_id=self.me, text=text, out=True, random_id=random_id)
        message["attachments"] = attachments
        if keyboard is not None:
            message["keyboard"] = {**keyboard, "author_id": self.me}
        if template is not None:
            message["template"] = template
        if random_id != 0:
            self._sent[key] = message["id"]
        return message["id"]

    def _messages_get_history(self, params: dict[str, str]) -> object:
        peer = params.get("peer_id") or params.get("user_id")
        if not peer or not is_int(peer):
            raise param_error("peer_id is undefined")
        history = [m for m in reversed(self.messages) if m["peer_id"] == int(peer)]  # newest first
        if params.get("rev") == "1":
            history.reverse()
        offset = int(params.get("offset") or 0)
        count = min(int(params.get("count") or 20), 200)
        return {"count": len(history), "items": [dict(m) for m in history[offset : offset + count]]}

    def _messages_get_history_attachments(self, params: dict[str, str]) -> object:
        # A cursor method: `next_from` names where the next page starts, and is absent after the last page.
        peer = params.get("peer_id")
        if not peer or not is_int(peer):
            raise param_error("peer_id is undefined")
        media_type = params.get("media_type") or "photo"
        found = [
            {
                "message_id": m["id"],
                "cmid": m["conversation_message_id"],
                "date": m["date"],
                "from_id": m["from_id"],
                "attachment": attachment,
            }
            for m in reversed(self.messages)  # newest first
            if m["peer_id"] == int(peer)
            for attachment in m["attachments"]
            if attachment["type"] == media_type
        ]
        start = params.get("start_from") or "0"
        if not start.isdigit():
            raise param_error("start_from is invalid")
        first, count = int(start), min(int(params.get("count") or 30), 200)
        answer: dict[str, Any] = {"items": found[first : first + count]}
        if first + count < len(found):
            answer["next_from"] = str(first + count)
        return answer

    @staticmethod
    def _find(table: Mapping[int, dict[str, Any]], ref: str) -> dict[str, Any] | None:
        ref = ref.strip()
        if is_int(ref):
            return table.get(abs(int(ref)))
        ref = ref.removeprefix("club").removeprefix("public") if ref[-1:].isdigit() else ref
        if is_int(ref):
            return table.get(int(ref))
        return next((row for row in table.values() if row.get("screen_name") == ref), None)


class _WithSchemaAnswers(Mapping[str, Handler]):
    """The fake's handlers, and the schema answer for any other method of the SDK (calls inside execute)."""

    def __init__(self, fake: FakeVK) -> None:
        self._fake = fake

    def __getitem__(self, name: str) -> Handler:
        handler = self._fake.methods.get(name)
        if handler is not None:
            return handler
        from apiforge.vk import METHODS

        if name not in METHODS:
            raise KeyError(name)
        return self._fake._schema_handler(name)

    def __iter__(self) -> Iterator[str]:
        return iter(self._fake.methods)

    def __len__(self) -> int:
        return len(self._fake.methods)


@attrs.define
class _Captcha:
    """A captcha requirement on one method: how many are left to solve, and the one shown now."""

    left: int
    answer: str
    redirect: bool = False
    sid: str | None = None
    shown: int = 0


def _sent(value: str | None, wanted: object) -> bool:
    """Does a form value select a variant's `when` entry (PRESENT, a boolean sent as 0/1, or a value)?"""
    if value is None:
        return False
    if wanted is PRESENT:
        return True
    if isinstance(wanted, bool):
        return (value.strip().lower() in ("1", "true")) is wanted
    return value == str(wanted)


def _checked_rates(rates: dict[str, int]) -> dict[str, int]:
    """The per-kind limits, failing early (at construction, not on some later request) on one that is not > 0."""
    for per_second in rates.values():
        RateLimit(per_second)
    return rates


__all__ = ["DEFAULT_GROUPS", "DEFAULT_USERS", "RATE_LIMITS", "FakeVK", "VKError"]
