"""A 40-line VK bot for the checkers' benchmark (bench/tooling.py): apiforge's version.

bench/apps/vk_vkbottle.py is the same app written for vkbottle; mypy --strict runs on each.
"""

from __future__ import annotations

import asyncio

from apiforge.vk import AsyncVK
from apiforge.vk.models import UsersUserFull


def describe(user: UsersUserFull) -> str:
    """`First Last (id)`, or the id alone when VK hides the name."""
    name = " ".join(part for part in (user.first_name, user.last_name) if part)
    return f"{name} ({user.id})" if name else str(user.id)


async def digest(vk: AsyncVK, group: str, peer_id: int) -> int:
    """Post a short digest of a community's wall to one conversation; return the message id."""
    users = await vk.users.get(user_ids=[1], fields=["photo_100"])
    groups = (await vk.groups.get_by_id(group_ids=[group])).groups or []
    wall = await vk.wall.get(domain=group, count=5)
    lines = [describe(user) for user in users]
    lines += [g.name or str(g.id) for g in groups]
    lines += [(post.text or "")[:80] for post in wall.items]
    conversations = await vk.messages.get_conversations(count=20)
    unread = len([c for c in conversations.items if c.conversation and c.conversation.unread_count])
    lines.append(f"{unread} unread conversations")
    return await vk.messages.send(peer_id=peer_id, message="\n".join(lines))


async def main(token: str) -> None:
    """Run the digest once."""
    async with AsyncVK(token=token) as vk:
        print(await digest(vk, "apiclub", 1))


if __name__ == "__main__":
    asyncio.run(main("token"))
