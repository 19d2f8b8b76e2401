"""Authentication: tokens and how one is chosen per call, pinning, captcha, HTTP auth, VK OAuth.

    from apiforge.core.auth import Token, LeastLoadedStrategy, CaptchaNeeded, BearerAuth

    vk = VK(token=[Token(a, "user"), Token(b, "group")], strategy=LeastLoadedStrategy())
    with vk.pin_token() as v:          # every call in the block uses one token
        v.users.get(user_ids=[1])

VK OAuth lives in `apiforge.core.auth.vk_oauth` (authorization URL, code -> token).
"""

from apiforge.core.auth.captcha import AsyncCaptchaHandler, Captcha, CaptchaHandler, CaptchaNeeded
from apiforge.core.auth.http import BasicAuth, BearerAuth
from apiforge.core.auth.pool import AsyncTokenPin, TokenPin, TokenPool, TokenSource
from apiforge.core.auth.tokens import (
    TOKEN_KINDS,
    AsyncTokenProvider,
    AsyncTokenStrategy,
    LeastLoadedStrategy,
    LeastRecentlyUsedStrategy,
    LoadAware,
    RandomStrategy,
    RoundRobinStrategy,
    Token,
    TokenKind,
    TokenProvider,
    TokenStrategy,
)

__all__ = [
    "TOKEN_KINDS",
    "AsyncCaptchaHandler",
    "AsyncTokenPin",
    "AsyncTokenProvider",
    "AsyncTokenStrategy",
    "BasicAuth",
    "BearerAuth",
    "Captcha",
    "CaptchaHandler",
    "CaptchaNeeded",
    "LeastLoadedStrategy",
    "LeastRecentlyUsedStrategy",
    "LoadAware",
    "RandomStrategy",
    "RoundRobinStrategy",
    "Token",
    "TokenKind",
    "TokenPin",
    "TokenPool",
    "TokenProvider",
    "TokenSource",
    "TokenStrategy",
]
