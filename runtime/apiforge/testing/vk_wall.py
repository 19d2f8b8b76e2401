"""The walls of `FakeVK`: posts and comments, stored as VK answers them.

    with FakeVK() as fake:
        post = vk.wall.post(owner_id=-1, from_group=True, message="news")   # on the community's wall
        vk.wall.get(owner_id=-1).items[0].text                             # "news"
        vk.wall.create_comment(owner_id=-1, post_id=post.post_id, message="+1")
        fake.wall.posts[-1]["comments"]["count"]                           # 1

Like VK, posts and comments on one wall share one sequence of ids, which only grows (a deleted
post's id is not given again). A post on a community's wall is `wall_post_new` in that
community's Bots Long Poll stream, a comment on it `wall_reply_new` (see `vk_longpoll`).

Kept: owner, author (`from_group` posts are the community's, `created_by` the account), date,
text, edits, comments with replies (`reply_to_comment`), `wall.get` filters owner/others/all.
Not kept: attachments (accepted, answered as none), postponed and suggested posts, likes, reposts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from apiforge.testing._vk_base import VKError, csv, flag, is_int, owner_id, param_error, whole

if TYPE_CHECKING:
    from apiforge.testing.vk import FakeVK

GET_FILTERS = frozenset({"all", "owner", "others", "postponed", "suggests", "donut"})
DEFAULT_POSTS, MAX_POSTS = 20, 100
DEFAULT_COMMENTS, MAX_COMMENTS = 10, 100


class FakeWall:
    """The wall methods of a FakeVK (its `wall`): post, get, getById, edit, delete, createComment, getComments."""

    def __init__(self, fake: FakeVK) -> None:
        self.fake = fake
        self.posts: list[dict[str, Any]] = []
        """Every post on every wall, oldest first; `wall.delete` removes one."""
        self.comments: list[dict[str, Any]] = []
        """Every comment on every post, oldest first."""
        self._last_ids: dict[int, int] = {}  # owner id -> the last id given on that wall
        fake.methods.update(
            {
                "wall.post": self._post,
                "wall.get": self._get,
                "wall.getById": self._get_by_id,
                "wall.edit": self._edit,
                "wall.delete": self._delete,
                "wall.createComment": self._create_comment,
                "wall.getComments": self._get_comments,
            }
        )

    def add_post(self, owner_id: int, text: str, *, from_id: int | None = None) -> dict[str, Any]:
        """Put a post on a wall as if it had been there before the test (no event); returns it.

        `from_id` is the author: the account (`fake.me`) by default, the community itself for its
        own posts (`from_id=owner_id`), or another user for a post by someone else.
        """
        author = self.fake.me if from_id is None else from_id
        post: dict[str, Any] = {
            "id": self._next_id(owner_id),
            "owner_id": owner_id,
            "from_id": author,
            "date": int(self.fake.clock()),
            "text": text,
            "post_type": "post",
            "attachments": [],
            "comments": {"count": 0, "can_post": 1, "groups_can_post": True},
            "likes": {"count": 0, "user_likes": 0, "can_like": 1, "can_publish": 1},
            "reposts": {"count": 0, "user_reposted": 0},
            "post_source": {"type": "api"},
            "can_edit": int(author == self.fake.me),
            "can_delete": 1,
        }
        self.posts.append(post)
        return post

    def find(self, owner: int, post_id: int) -> dict[str, Any] | None:
        """The post `post_id` on the wall of `owner`, or None."""
        return next((p for p in self.posts if p["owner_id"] == owner and p["id"] == post_id), None)

    # The methods.

    def _post(self, params: dict[str, str]) -> object:
        owner = self._wall_owner(params)
        text = params.get("message", "")
        if not text and not params.get("attachments"):
            raise param_error("message is empty or invalid")
        as_community = owner < 0 and flag(params, "from_group")
        post = self.add_post(owner, text, from_id=owner if as_community else None)
        if as_community:
            post["can_edit"] = 1
            post["created_by"] = self.fake.me  # the admin behind a community's post
            if flag(params, "signed"):
                post["signer_id"] = self.fake.me
        return {"post_id": post["id"]}

    def _get(self, params: dict[str, str]) -> object:
        owner = self._read_owner(params)
        kind = params.get("filter") or "all"
        if kind not in GET_FILTERS:
            raise param_error(f"filter should be one of {', '.join(sorted(GET_FILTERS))}")
        offset = whole(params, "offset", 0)
        count = whole(params, "count", DEFAULT_POSTS, most=MAX_POSTS)
        wall = [dict(p) for p in reversed(self.posts) if p["owner_id"] == owner and _shown(kind, p)]  # newest first
        page = wall[offset : offset + count]
        answer: dict[str, Any] = {"count": len(wall), "items": page}
        if flag(params, "extended"):
            answer.update(self._people(page, params))
        return answer

    def _get_by_id(self, params: dict[str, str]) -> object:
        refs = csv(params.get("posts"))
        if not refs:
            raise param_error("posts is undefined")
        found = [post for post in (self._by_ref(ref) for ref in refs) if post is not None]  # unknown ones: left out
        answer: dict[str, Any] = {"items": [dict(p) for p in found]}
        if flag(params, "extended"):
            answer.update(self._people(found, params))
        return answer

    def _edit(self, params: dict[str, str]) -> object:
        post = self._existing(params)
        if "message" in params:
            if not params["message"] and not params.get("attachments"):
                raise param_error("message is empty or invalid")
            post["text"] = params["message"]
        post["edited"] = int(self.fake.clock())
        return {"post_id": post["id"]}

    def _delete(self, params: dict[str, str]) -> object:
        post = self._existing(params)
        self.posts.remove(post)
        self.comments = [c for c in self.comments if not _on(c, post)]
        return 1

    def _create_comment(self, params: dict[str, str]) -> object:
        post = self._existing(params, missing=_no_comments)
        text = params.get("message", "")
        if not text and not params.get("attachments") and not params.get("sticker_id"):
            raise param_error("message is empty or invalid")
        parent = self._parent(post, params)
        group = owner_id(params, 0, "from_group")
        comment: dict[str, Any] = {
            "id": self._next_id(post["owner_id"]),
            "from_id": -abs(group) if group else self.fake.me,
            "date": int(self.fake.clock()),
            "text": text,
            "post_id": post["id"],
            "owner_id": post["owner_id"],
            "parents_stack": [*parent["parents_stack"], parent["id"]] if parent else [],
            "attachments": [],
            "likes": {"count": 0, "user_likes": 0, "can_like": 1},
        }
        if parent is not None:
            comment["reply_to_comment"] = parent["id"]
            comment["reply_to_user"] = parent["from_id"]
        self.comments.append(comment)
        post["comments"]["count"] += 1  # VK counts replies too
        return {"comment_id": comment["id"], "parents_stack": comment["parents_stack"]}

    def _get_comments(self, params: dict[str, str]) -> object:
        post = self._existing(params, missing=_no_comments)
        level_of = whole(params, "comment_id", 0)  # 0: the top level; a comment id: the replies to it
        level = [c for c in self.comments if _on(c, post) and _parent_id(c) == level_of]
        if params.get("sort") == "desc":
            level.reverse()
        offset = whole(params, "offset", 0)
        count = whole(params, "count", DEFAULT_COMMENTS, most=MAX_COMMENTS)
        page = [self._with_thread(c) for c in level[offset : offset + count]]
        answer: dict[str, Any] = {
            "count": post["comments"]["count"],
            "items": page,
            "current_level_count": len(level),
            "can_post": True,
            "show_reply_button": True,
            "groups_can_post": True,
        }
        if flag(params, "extended"):
            answer.update(self._people(page, params))
        return answer

    # Helpers.

    def _next_id(self, owner: int) -> int:
        self._last_ids[owner] = self._last_ids.get(owner, 0) + 1
        return self._last_ids[owner]

    def _wall_owner(self, params: Mapping[str, str]) -> int:
        """The wall a post goes to: `owner_id` (a known user or community), the account's own by default."""
        owner = owner_id(params, self.fake.me)
        known = owner == self.fake.me or (self.fake.users if owner > 0 else self.fake.groups).get(abs(owner))
        if not known:
            raise param_error("owner_id is incorrect")
        return owner

    def _read_owner(self, params: Mapping[str, str]) -> int:
        """The wall `wall.get` reads: `owner_id`, or the user or community named by `domain`, or the account's."""
        domain = params.get("domain", "").strip()
        if domain and not params.get("owner_id", "").strip():
            user = next((u for u in self.fake.users.values() if u.get("screen_name") == domain), None)
            if user is not None:
                return int(user["id"])
            group = next((g for g in self.fake.groups.values() if g.get("screen_name") == domain), None)
            if group is not None:
                return -int(group["id"])
            raise param_error("domain is invalid")
        return owner_id(params, self.fake.me)

    def _existing(self, params: Mapping[str, str], *, missing: Callable[[], VKError] | None = None) -> dict[str, Any]:
        """The post named by `owner_id` + `post_id`; `missing()` (default: VK's error 210) when there is none."""
        owner = owner_id(params, self.fake.me)
        raw = params.get("post_id", "")
        if not raw.strip().isdigit():
            raise param_error("post_id is undefined")
        post = self.find(owner, int(raw))
        if post is None:
            raise (missing or _no_post)()
        return post

    def _by_ref(self, ref: str) -> dict[str, Any] | None:
        """A post by its `<owner>_<id>` reference (`-1_5`), or None."""
        owner, _, number = ref.partition("_")
        if not (is_int(owner) and number.isdigit()):
            return None
        return self.find(int(owner), int(number))

    def _parent(self, post: Mapping[str, Any], params: Mapping[str, str]) -> dict[str, Any] | None:
        raw = params.get("reply_to_comment", "").strip()
        if not raw:
            return None
        parent = next((c for c in self.comments if _on(c, post) and str(c["id"]) == raw), None)
        if parent is None:
            raise param_error("reply_to_comment is invalid")
        return parent

    def _with_thread(self, comment: Mapping[str, Any]) -> dict[str, Any]:
        """A comment as getComments lists it: with the size of its thread of replies."""
        replies = sum(
            1 for c in self.comments if comment["id"] in c["parents_stack"] and c["owner_id"] == comment["owner_id"]
        )
        return {**comment, "thread": {"count": replies, "items": [], "can_post": True, "groups_can_post": True}}

    def _people(self, items: list[dict[str, Any]], params: Mapping[str, str]) -> dict[str, Any]:
        """`profiles` and `groups` of an extended answer: the owners and authors of `items`."""
        ids = [item["owner_id"] for item in items] + [item["from_id"] for item in items]
        return self.fake.profiles_and_groups(ids, csv(params.get("fields")))


def _no_post() -> VKError:
    return VKError(210, "Access to wall's post denied")


def _no_comments() -> VKError:
    return VKError(212, "Access to post comments denied")


def _shown(kind: str, post: Mapping[str, Any]) -> bool:
    """Does `wall.get` with `filter` list a post? The fake has no postponed, suggested or donut posts."""
    if kind == "owner":
        return bool(post["from_id"] == post["owner_id"])
    if kind == "others":
        return bool(post["from_id"] != post["owner_id"])
    return kind == "all"


def _on(comment: Mapping[str, Any], post: Mapping[str, Any]) -> bool:
    return bool(comment["owner_id"] == post["owner_id"] and comment["post_id"] == post["id"])


def _parent_id(comment: Mapping[str, Any]) -> int:
    stack: list[int] = comment["parents_stack"]
    return stack[-1] if stack else 0


__all__ = ["GET_FILTERS", "FakeWall"]
