"""A 40-line VK bot for the checkers' benchmark (bench/tooling.py): vkbottle's version.

The same app as bench/apps/vk_apiforge.py, written for vkbottle (installed in the bench's
virtualenv only); mypy --strict runs on each.
"""

from __future__ import annotations

import asyncio

from vkbottle import API
from vkbottle_types.objects import UsersFields, UsersUserFull


def describe(user: UsersUserFull) -> str:
    """`First Last (id)`, or the id alone when VK hides the name."""
    name = " ".join(part for part in (user.first_name, user.last_name) if part)
    return f"{name} ({user.id})" if name else str(user.id)


async def digest(api: API, group: str, peer_id: int) -> int:
    """Post a short digest of a community's wall to one conversation; return the message id."""
    users = await api.users.get(user_ids=[1], fields=[UsersFields.PHOTO_100])
    groups = (await api.groups.get_by_id(group_ids=[group])).groups or []
    wall = await api.wall.get(domain=group, count=5)
    lines = [describe(user) for user in users]
    lines += [g.name or str(g.id) for g in groups]
    lines += [(post.text or "")[:80] for post in wall.items]
    conversations = await api.messages.get_conversations(count=20)
    unread = len([c for c in conversations.items if c.conversation and c.conversation.unread_count])
    lines.append(f"{unread} unread conversations")
    return await api.messages.send(peer_id=peer_id, message="\n".join(lines), random_id=0)


async def main(token: str) -> None:
    """Run the digest once."""
    api = API(token=token)
    print(await digest(api, "apiclub", 1))


if __name__ == "__main__":
    asyncio.run(main("token"))
