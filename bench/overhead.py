"""Per-call overhead: one realistic call, made by raw httpx (the floor), apiforge and the existing SDKs.

Every contender talks to the same fake in another process (bench.servers) and gets the same bytes:
VK `users.get` (100 users x 20 fields), Wialon `core/search_items` (100 units with positions and
last messages), YCLIENTS `GET /api/v1/clients/{company_id}` (a page of 200 clients). Client-side
rate limiters are off everywhere (apiforge `rate_limit=None`, vk_api `RPS_DELAY = 0`, py-aiowialon
`rps=10**6`): the server is local and the point is the cost of the client, not of its limiter.

The floor is httpx with `json.loads` of the body and nothing else, in the same flavour (a blocking
`httpx.Client` for blocking clients, an `httpx.AsyncClient` for async ones). Raw aiohttp (a
`ClientSession` and `json.loads`) is shown beside the async floor, and each async apiforge client
runs twice: over its default httpx transport and over `transport="aiohttp"`.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
from collections.abc import Awaitable, Callable
from typing import Any, Literal

import attrs
import httpx

from bench import payloads
from bench.measure import Timing, run_async, time_sync
from bench.servers import Kind, ServerProcess

Flavour = Literal["sync", "async"]
SyncOp = Callable[[], object]
AsyncOp = Callable[[], Awaitable[object]]
SyncFactory = Callable[[str], tuple[SyncOp, Callable[[], None]]]
AsyncFactory = Callable[[str], Awaitable[tuple[AsyncOp, Callable[[], Awaitable[None]]]]]


@attrs.frozen
class Contender:
    """One client making the API's benchmark call: `factory(url)` -> (operation, close)."""

    api: Kind
    name: str
    flavour: Flavour
    role: Literal["floor", "apiforge", "peer", "reference"]
    """floor: raw httpx, the ratios' base; reference: another raw client, shown beside it (no goal)."""
    factory: SyncFactory | AsyncFactory
    requires: str | None = None
    """The import name of the peer package; the contender is skipped when it is not installed."""
    decodes: str = "typed models"
    """What the caller gets back."""

    def available(self) -> bool:
        """Is the package this contender needs importable here?"""
        return self.requires is None or importlib.util.find_spec(self.requires) is not None


@attrs.frozen
class Result:
    """A contender's timing, or why it was not measured."""

    contender: Contender
    timing: Timing | None
    note: str = ""


# VK: users.get with 100 ids and 15 extra fields.

_VK_FORM = {
    "user_ids": ",".join(map(str, payloads.vk_user_ids())),
    "fields": ",".join(payloads.VK_USER_FIELDS),
}


def _vk_httpx(url: str) -> tuple[SyncOp, Callable[[], None]]:
    http = httpx.Client()
    data = {"access_token": payloads.VK_TOKEN, "v": payloads.VK_VERSION, **_VK_FORM}
    endpoint = url + "/method/users.get"
    return (lambda: json.loads(http.post(endpoint, data=data).content)["response"]), http.close


async def _vk_httpx_async(url: str) -> tuple[AsyncOp, Callable[[], Awaitable[None]]]:
    http = httpx.AsyncClient()
    data = {"access_token": payloads.VK_TOKEN, "v": payloads.VK_VERSION, **_VK_FORM}
    endpoint = url + "/method/users.get"

    async def call() -> object:
        return json.loads((await http.post(endpoint, data=data)).content)["response"]

    return call, http.aclose


async def _vk_aiohttp(url: str) -> tuple[AsyncOp, Callable[[], Awaitable[None]]]:
    import aiohttp  # an optional extra: the contender is skipped without it

    http = aiohttp.ClientSession()
    data = {"access_token": payloads.VK_TOKEN, "v": payloads.VK_VERSION, **_VK_FORM}
    endpoint = url + "/method/users.get"

    async def call() -> object:
        async with http.post(endpoint, data=data) as response:
            return json.loads(await response.read())["response"]

    return call, http.close


def _vk_apiforge(url: str) -> tuple[SyncOp, Callable[[], None]]:
    from apiforge.vk import VK

    vk = VK(payloads.VK_TOKEN, base_url=url, rate_limit=None)
    ids, fields = payloads.vk_user_ids(), list(payloads.VK_USER_FIELDS)
    return (lambda: vk.users.get(user_ids=ids, fields=fields)), vk.close


async def _vk_apiforge_async(url: str) -> tuple[AsyncOp, Callable[[], Awaitable[None]]]:
    from apiforge.vk import AsyncVK

    vk = AsyncVK(payloads.VK_TOKEN, base_url=url, rate_limit=None)
    ids, fields = payloads.vk_user_ids(), list(payloads.VK_USER_FIELDS)
    return (lambda: vk.users.get(user_ids=ids, fields=fields)), vk.aclose


async def _vk_apiforge_aiohttp(url: str) -> tuple[AsyncOp, Callable[[], Awaitable[None]]]:
    from apiforge.vk import AsyncVK

    vk = AsyncVK(payloads.VK_TOKEN, base_url=url, rate_limit=None, transport="aiohttp")
    ids, fields = payloads.vk_user_ids(), list(payloads.VK_USER_FIELDS)
    return (lambda: vk.users.get(user_ids=ids, fields=fields)), vk.aclose


async def _vk_vkbottle(url: str) -> tuple[AsyncOp, Callable[[], Awaitable[None]]]:
    from vkbottle import API  # type: ignore[import-not-found]  # a peer: installed only in the bench venv

    api: Any = API(payloads.VK_TOKEN)
    api.API_URL = url + "/method/"  # vkbottle's documented class attribute, set on this instance
    api.API_VERSION = payloads.VK_VERSION
    ids, fields = payloads.vk_user_ids(), list(payloads.VK_USER_FIELDS)

    async def close() -> None:
        await api.http_client.close()

    return (lambda: api.users.get(user_ids=ids, fields=fields)), close


def _vk_vk_api(url: str) -> tuple[SyncOp, Callable[[], None]]:
    import vk_api  # type: ignore[import-not-found]  # a peer: installed only in the bench venv

    adapters: Any = importlib.import_module("requests.adapters")  # vk_api's HTTP stack (no stubs installed)

    class ToLocal(adapters.HTTPAdapter):  # type: ignore[misc]  # subclassing an untyped peer class
        """vk_api posts to a fixed https://api.vk.ru URL: send those requests to the local fake instead."""

        def send(self, request: Any, *args: Any, **kwargs: Any) -> Any:
            request.url = url + request.url.removeprefix("https://api.vk.ru")
            return super().send(request, *args, **kwargs)

    session: Any = vk_api.VkApi(token=payloads.VK_TOKEN, api_version=payloads.VK_VERSION)
    session.RPS_DELAY = 0  # its built-in 3 requests/s sleep (apiforge's limiter is off too)
    session.http.mount("https://api.vk.ru/", ToLocal())
    values = dict(_VK_FORM)
    return (lambda: session.method("users.get", values)), session.http.close


# Wialon: core/search_items over 100 units.


def _wialon_login(http: httpx.Client, url: str) -> str:
    answer = http.post(
        url + "/wialon/ajax.html",
        data={"svc": "token/login", "params": json.dumps({"token": payloads.WIALON_TOKEN})},
    ).json()
    return str(answer["eid"])


def _wialon_form(sid: str) -> dict[str, str]:
    params = {"spec": payloads.WIALON_SPEC, "force": 1, "flags": payloads.WIALON_FLAGS, "from": 0, "to": 0}
    return {"svc": "core/search_items", "params": json.dumps(params), "sid": sid}


def _wialon_httpx(url: str) -> tuple[SyncOp, Callable[[], None]]:
    http = httpx.Client()
    form = _wialon_form(_wialon_login(http, url))
    endpoint = url + "/wialon/ajax.html"
    return (lambda: json.loads(http.post(endpoint, data=form).content)), http.close


async def _wialon_httpx_async(url: str) -> tuple[AsyncOp, Callable[[], Awaitable[None]]]:
    with httpx.Client() as login:
        form = _wialon_form(_wialon_login(login, url))
    http = httpx.AsyncClient()
    endpoint = url + "/wialon/ajax.html"

    async def call() -> object:
        return json.loads((await http.post(endpoint, data=form)).content)

    return call, http.aclose


async def _wialon_aiohttp(url: str) -> tuple[AsyncOp, Callable[[], Awaitable[None]]]:
    import aiohttp  # an optional extra: the contender is skipped without it

    with httpx.Client() as login:
        form = _wialon_form(_wialon_login(login, url))
    http = aiohttp.ClientSession()
    endpoint = url + "/wialon/ajax.html"

    async def call() -> object:
        async with http.post(endpoint, data=form) as response:
            return json.loads(await response.read())

    return call, http.close


def _wialon_spec() -> Any:
    from apiforge.wialon.models import ItemsType, SearchSpec

    return SearchSpec(items_type=ItemsType.UNIT, prop_name="sys_name", prop_value_mask="*", sort_type="sys_name")


def _wialon_apiforge(url: str) -> tuple[SyncOp, Callable[[], None]]:
    from apiforge.wialon import Wialon

    w = Wialon(payloads.WIALON_TOKEN, base_url=url, rate_limit=None)
    spec = _wialon_spec()
    return (lambda: w.core.search_items(spec=spec, force=1, flags=payloads.WIALON_FLAGS, from_=0, to=0)), w.close


async def _wialon_apiforge_async(url: str) -> tuple[AsyncOp, Callable[[], Awaitable[None]]]:
    from apiforge.wialon import AsyncWialon

    w = AsyncWialon(payloads.WIALON_TOKEN, base_url=url, rate_limit=None)
    spec = _wialon_spec()
    return (lambda: w.core.search_items(spec=spec, force=1, flags=payloads.WIALON_FLAGS, from_=0, to=0)), w.aclose


async def _wialon_apiforge_aiohttp(url: str) -> tuple[AsyncOp, Callable[[], Awaitable[None]]]:
    from apiforge.wialon import AsyncWialon

    w = AsyncWialon(payloads.WIALON_TOKEN, base_url=url, rate_limit=None, transport="aiohttp")
    spec = _wialon_spec()
    return (lambda: w.core.search_items(spec=spec, force=1, flags=payloads.WIALON_FLAGS, from_=0, to=0)), w.aclose


async def _wialon_aiowialon(url: str) -> tuple[AsyncOp, Callable[[], Awaitable[None]]]:
    from aiowialon import Wialon  # type: ignore[import-not-found]  # a peer: installed only in the bench venv

    port = int(url.rsplit(":", 1)[1])
    w: Any = Wialon(scheme="http", host="127.0.0.1", port=port, token=payloads.WIALON_TOKEN, rps=10**6)
    await w.login()

    def call() -> Awaitable[object]:
        result: Awaitable[object] = w.core_search_items(
            spec=payloads.WIALON_SPEC, force=1, flags=payloads.WIALON_FLAGS, from_=0, to=0
        )
        return result

    async def close() -> None:
        await w._close_http_session()

    return call, close


# YCLIENTS: a page of 200 clients.

_YC_HEADERS = {
    "Accept": "application/vnd.yclients.v2+json",
    "Authorization": f"Bearer {payloads.YCLIENTS_PARTNER}, User {payloads.YCLIENTS_USER}",
}
_YC_QUERY = {"page": "1", "count": str(payloads.YCLIENTS_PAGE)}


def _yclients_httpx(url: str) -> tuple[SyncOp, Callable[[], None]]:
    http = httpx.Client(headers=_YC_HEADERS)
    endpoint = f"{url}/api/v1/clients/{payloads.YCLIENTS_COMPANY}"
    return (lambda: json.loads(http.get(endpoint, params=_YC_QUERY).content)["data"]), http.close


async def _yclients_httpx_async(url: str) -> tuple[AsyncOp, Callable[[], Awaitable[None]]]:
    http = httpx.AsyncClient(headers=_YC_HEADERS)
    endpoint = f"{url}/api/v1/clients/{payloads.YCLIENTS_COMPANY}"

    async def call() -> object:
        return json.loads((await http.get(endpoint, params=_YC_QUERY)).content)["data"]

    return call, http.aclose


async def _yclients_aiohttp(url: str) -> tuple[AsyncOp, Callable[[], Awaitable[None]]]:
    import aiohttp  # an optional extra: the contender is skipped without it

    http = aiohttp.ClientSession(headers=_YC_HEADERS)
    endpoint = f"{url}/api/v1/clients/{payloads.YCLIENTS_COMPANY}"

    async def call() -> object:
        async with http.get(endpoint, params=_YC_QUERY) as response:
            return json.loads(await response.read())["data"]

    return call, http.close


def _yclients_apiforge(url: str) -> tuple[SyncOp, Callable[[], None]]:
    from apiforge.yclients import Yclients

    yc = Yclients(payloads.YCLIENTS_PARTNER, payloads.YCLIENTS_USER, base_url=url, rate_limit=None)
    company, size = payloads.YCLIENTS_COMPANY, payloads.YCLIENTS_PAGE
    return (lambda: yc.clients.list(company_id=company, page=1, count=size)), yc.close


async def _yclients_apiforge_async(url: str) -> tuple[AsyncOp, Callable[[], Awaitable[None]]]:
    from apiforge.yclients import AsyncYclients

    yc = AsyncYclients(payloads.YCLIENTS_PARTNER, payloads.YCLIENTS_USER, base_url=url, rate_limit=None)
    company, size = payloads.YCLIENTS_COMPANY, payloads.YCLIENTS_PAGE
    return (lambda: yc.clients.list(company_id=company, page=1, count=size)), yc.aclose


async def _yclients_apiforge_aiohttp(url: str) -> tuple[AsyncOp, Callable[[], Awaitable[None]]]:
    from apiforge.yclients import AsyncYclients

    yc = AsyncYclients(
        payloads.YCLIENTS_PARTNER, payloads.YCLIENTS_USER, base_url=url, rate_limit=None, transport="aiohttp"
    )
    company, size = payloads.YCLIENTS_COMPANY, payloads.YCLIENTS_PAGE
    return (lambda: yc.clients.list(company_id=company, page=1, count=size)), yc.aclose


async def _yclients_package(url: str) -> tuple[AsyncOp, Callable[[], Awaitable[None]]]:
    from yclients import YclientsClient  # type: ignore[import-not-found]  # a peer: installed only in the bench venv

    yc: Any = YclientsClient(partner_token=payloads.YCLIENTS_PARTNER, user_token=payloads.YCLIENTS_USER, base_url=url)
    company, size = payloads.YCLIENTS_COMPANY, payloads.YCLIENTS_PAGE
    return (lambda: yc.clients.list(company, page_=1, count_=size)), yc.aclose


CONTENDERS: tuple[Contender, ...] = (
    Contender("vk", "raw httpx", "sync", "floor", _vk_httpx, decodes="dicts"),
    Contender("vk", "apiforge VK", "sync", "apiforge", _vk_apiforge),
    Contender("vk", "vk_api", "sync", "peer", _vk_vk_api, requires="vk_api", decodes="dicts"),
    Contender("vk", "raw httpx (async)", "async", "floor", _vk_httpx_async, decodes="dicts"),
    Contender("vk", "apiforge AsyncVK", "async", "apiforge", _vk_apiforge_async),
    Contender("vk", "apiforge AsyncVK (aiohttp)", "async", "apiforge", _vk_apiforge_aiohttp, requires="aiohttp"),
    Contender("vk", "raw aiohttp", "async", "reference", _vk_aiohttp, requires="aiohttp", decodes="dicts"),
    Contender("vk", "vkbottle", "async", "peer", _vk_vkbottle, requires="vkbottle", decodes="pydantic models"),
    Contender("wialon", "raw httpx", "sync", "floor", _wialon_httpx, decodes="dicts"),
    Contender("wialon", "apiforge Wialon", "sync", "apiforge", _wialon_apiforge),
    Contender("wialon", "raw httpx (async)", "async", "floor", _wialon_httpx_async, decodes="dicts"),
    Contender("wialon", "apiforge AsyncWialon", "async", "apiforge", _wialon_apiforge_async),
    Contender(
        "wialon", "apiforge AsyncWialon (aiohttp)", "async", "apiforge", _wialon_apiforge_aiohttp, requires="aiohttp"
    ),
    Contender("wialon", "raw aiohttp", "async", "reference", _wialon_aiohttp, requires="aiohttp", decodes="dicts"),
    Contender("wialon", "py-aiowialon", "async", "peer", _wialon_aiowialon, requires="aiowialon", decodes="dicts"),
    Contender("yclients", "raw httpx", "sync", "floor", _yclients_httpx, decodes="dicts"),
    Contender("yclients", "apiforge Yclients", "sync", "apiforge", _yclients_apiforge),
    Contender("yclients", "raw httpx (async)", "async", "floor", _yclients_httpx_async, decodes="dicts"),
    Contender("yclients", "apiforge AsyncYclients", "async", "apiforge", _yclients_apiforge_async),
    Contender(
        "yclients",
        "apiforge AsyncYclients (aiohttp)",
        "async",
        "apiforge",
        _yclients_apiforge_aiohttp,
        requires="aiohttp",
    ),
    Contender("yclients", "raw aiohttp", "async", "reference", _yclients_aiohttp, requires="aiohttp", decodes="dicts"),
    Contender(
        "yclients",
        "yclients (PyPI)",
        "async",
        "peer",
        _yclients_package,
        requires="yclients",
        decodes="pydantic models",
    ),
)


def measure_contender(contender: Contender, url: str, *, iterations: int, warmup: int) -> Timing:
    """Time `iterations` calls of one contender against the server at `url`."""
    if contender.flavour == "sync":
        operation, close = contender.factory(url)  # type: ignore[misc]  # the sync factory by flavour
        try:
            return time_sync(operation, iterations=iterations, warmup=warmup)
        finally:
            close()
    factory: AsyncFactory = contender.factory  # type: ignore[assignment]  # the async factory by flavour
    closers: list[Callable[[], Awaitable[None]]] = []

    async def setup() -> AsyncOp:
        operation, close = await factory(url)
        closers.append(close)
        return operation

    async def teardown() -> None:
        for close in closers:
            await close()

    return run_async(setup, teardown, iterations=iterations, warmup=warmup)


def run(*, iterations: int, warmup: int, apis: tuple[Kind, ...] = ("vk", "wialon", "yclients")) -> list[Result]:
    """Measure every contender of `apis`, one server process per API."""
    results: list[Result] = []
    for api in apis:
        with ServerProcess(api) as url:
            for contender in (c for c in CONTENDERS if c.api == api):
                if not contender.available():
                    results.append(Result(contender, None, f"{contender.requires} is not installed here"))
                    continue
                try:
                    timing = measure_contender(contender, url, iterations=iterations, warmup=warmup)
                except Exception as exc:  # noqa: BLE001 - a peer that cannot run is reported, not fatal
                    first_lines = " ".join(str(exc).splitlines()[:3])  # a table cell: one line
                    results.append(Result(contender, None, f"failed: {type(exc).__name__}: {first_lines}"[:300]))
                    continue
                results.append(Result(contender, timing))
    return results


def floor_of(results: list[Result], result: Result) -> Timing | None:
    """The raw-httpx timing of the same API and flavour as `result`."""
    for other in results:
        c = other.contender
        if c.role == "floor" and c.api == result.contender.api and c.flavour == result.contender.flavour:
            return other.timing
    return None
