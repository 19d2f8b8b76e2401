"""The three APIs as the command line sees them: their methods, tokens and clients."""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Mapping
from dataclasses import dataclass

from apiforge.cli.errors import UsageError
from apiforge.core import SyncClient
from apiforge.core.auth.tokens import TokenKind
from apiforge.core.registry import MethodInfo

API_NAMES = ("vk", "yclients", "wialon")


@dataclass(frozen=True)
class Api:
    """One API: its name on the command line and where its token comes from."""

    name: str
    title: str
    token_env: str
    user_token_env: str | None = None

    def methods(self) -> Mapping[str, MethodInfo]:
        """The generated `METHODS` registry (wire name -> MethodInfo)."""
        registry: Mapping[str, MethodInfo] = importlib.import_module(f"apiforge.{self.name}").METHODS
        return registry

    def find(self, name: str) -> MethodInfo:
        """A method by its wire name (`users.get`, `GET /api/v1/companies`) or Python path (`companies.list`).

        Raises UsageError naming the closest methods when there is no such method.
        """
        methods = self.methods()
        if name in methods:
            return methods[name]
        by_attribute = {info.attribute: info for info in methods.values()}
        if name in by_attribute:
            return by_attribute[name]
        folded = name.casefold()
        loose = [info for key, info in (*methods.items(), *by_attribute.items()) if key.casefold() == folded]
        if len({info.spec_name for info in loose}) == 1:
            return loose[0]
        candidates = list(dict.fromkeys([*methods, *by_attribute]))
        close = difflib.get_close_matches(name, candidates, n=5, cutoff=0.6)
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        raise UsageError(f"{self.title} has no method {name!r}{hint} (list them: apiforge methods {self.name})")


APIS: dict[str, Api] = {
    "vk": Api("vk", "VK", token_env="APIFORGE_VK_TOKEN"),
    "yclients": Api(
        "yclients",
        "YCLIENTS",
        token_env="APIFORGE_YCLIENTS_PARTNER_TOKEN",
        user_token_env="APIFORGE_YCLIENTS_USER_TOKEN",
    ),
    "wialon": Api("wialon", "Wialon", token_env="APIFORGE_WIALON_TOKEN"),
}


VK_TOKEN_KINDS: tuple[TokenKind, ...] = ("user", "group", "service", "open")
VK_TOKEN_KIND_ENV = "APIFORGE_VK_TOKEN_KIND"


@dataclass(frozen=True)
class Credentials:
    """The tokens a client is opened with (YCLIENTS: partner token plus an optional user token; VK: the kind)."""

    token: str
    user_token: str | None = None
    kind: TokenKind = "user"

    def __repr__(self) -> str:
        # Tokens never reach a repr, even in a traceback.
        user = "***" if self.user_token else "None"
        return f"Credentials(token=***, user_token={user}, kind={self.kind!r})"


def credentials(
    api: Api,
    info: MethodInfo,
    *,
    token: str | None,
    user_token: str | None,
    environ: Mapping[str, str],
    token_kind: str | None = None,
) -> Credentials:
    """The tokens for calling `info`: options first, then the environment; UsageError when one is missing."""
    main = token or environ.get(api.token_env) or None
    if main is None:
        kind = "partner token" if api.name == "yclients" else "token"
        raise UsageError(f"{api.title} needs a {kind} to call {_wire(info)}: pass --token or set {api.token_env}")
    user = None
    if api.user_token_env is not None:
        user = user_token or environ.get(api.user_token_env) or None
        if user is None and info.spec.token_kinds == ("user",):
            raise UsageError(
                f"{_wire(info)} acts as a user and needs a user token: pass --user-token or set {api.user_token_env}"
                f" (get one with: apiforge call {api.name} auth.login login=... password=...)"
            )
    return Credentials(main, user, _kind(api, token_kind or environ.get(VK_TOKEN_KIND_ENV)))


def _kind(api: Api, given: str | None) -> TokenKind:
    if not given:
        return "user"
    if api.name != "vk":
        raise UsageError(f"--token-kind is for VK tokens; {api.title} has no token kinds")
    for kind in VK_TOKEN_KINDS:
        if kind == given:
            return kind
    raise UsageError(f"VK token kind {given!r} is not one of {', '.join(VK_TOKEN_KINDS)}")


def _wire(info: MethodInfo) -> str:
    return info.spec.name


def open_client(
    api: Api, creds: Credentials, *, base_url: str | None, max_retries: int | None, timeout: float | None
) -> SyncClient:
    """A blocking client of `api`; `base_url` None keeps the API's own address."""
    if api.name == "vk":
        from apiforge.vk import VK

        if base_url:
            return VK(
                token=creds.token, token_kind=creds.kind, base_url=base_url, max_retries=max_retries, timeout=timeout
            )
        return VK(token=creds.token, token_kind=creds.kind, max_retries=max_retries, timeout=timeout)
    if api.name == "yclients":
        from apiforge.yclients import Yclients

        if base_url:
            return Yclients(creds.token, creds.user_token, base_url=base_url, max_retries=max_retries, timeout=timeout)
        return Yclients(creds.token, creds.user_token, max_retries=max_retries, timeout=timeout)
    from apiforge.wialon import Wialon

    if base_url:
        return Wialon(creds.token, base_url=base_url, max_retries=max_retries, timeout=timeout)
    return Wialon(creds.token, max_retries=max_retries, timeout=timeout)


__all__ = ["API_NAMES", "APIS", "Api", "Credentials", "credentials", "open_client"]
