"""Time to first result: a fresh process imports the SDK, builds a client and makes its first call.

What every CLI run, test process and serverless cold start pays. Each scenario runs in fresh
interpreters (bytecode cached; median of several), against the same fake in another process as
section 1 and with the same call: VK `users.get` of 100 users, Wialon `core/search_items` of 100
units (after `token/login`, as the client logs in on its first call), a YCLIENTS page of 200 clients.
The floor does the same with httpx and `json.loads` (a blocking client: the first result of a
script). Goal: apiforge <= 1.3x the floor, for all three APIs.
"""

from __future__ import annotations

import os
import tempfile

import attrs

from bench import payloads
from bench.import_vk import Figures, Scenario, measure
from bench.servers import Kind, ServerProcess

GOAL = 1.3


@attrs.frozen
class Result:
    """The floor's and apiforge's figures for one API's first result."""

    api: Kind
    floor: Figures
    apiforge: Figures

    @property
    def ratio(self) -> float:
        """apiforge's wall time over the floor's."""
        return self.apiforge.seconds / self.floor.seconds

    @property
    def cpu_ratio(self) -> float:
        """apiforge's CPU time over the floor's."""
        return self.apiforge.cpu_seconds / self.floor.cpu_seconds


def _vk(url: str) -> tuple[str, str]:
    ids, fields = payloads.vk_user_ids(), list(payloads.VK_USER_FIELDS)
    form = {
        "access_token": payloads.VK_TOKEN,
        "v": payloads.VK_VERSION,
        "user_ids": ",".join(map(str, ids)),
        "fields": ",".join(fields),
    }
    floor = f"""
import json, httpx
http = httpx.Client()
result = json.loads(http.post({url + "/method/users.get"!r}, data={form!r}).content)["response"]
assert len(result) == {len(ids)}
"""
    ours = f"""
import apiforge.vk
vk = apiforge.vk.VK({payloads.VK_TOKEN!r}, base_url={url!r}, rate_limit=None)
result = vk.users.get(user_ids={ids!r}, fields={fields!r})
assert len(result) == {len(ids)} and result[0].first_name
"""
    return floor, ours


def _wialon(url: str) -> tuple[str, str]:
    endpoint = url + "/wialon/ajax.html"
    login = {"svc": "token/login", "params": f'{{"token": "{payloads.WIALON_TOKEN}"}}'}
    params = {"spec": payloads.WIALON_SPEC, "force": 1, "flags": payloads.WIALON_FLAGS, "from": 0, "to": 0}
    floor = f"""
import json, httpx
http = httpx.Client()
sid = json.loads(http.post({endpoint!r}, data={login!r}).content)["eid"]
form = {{"svc": "core/search_items", "params": json.dumps({params!r}), "sid": sid}}
result = json.loads(http.post({endpoint!r}, data=form).content)
assert len(result["items"]) == {payloads.WIALON_UNITS}
"""
    ours = f"""
import apiforge.wialon
from apiforge.wialon.models import ItemsType, SearchSpec
w = apiforge.wialon.Wialon({payloads.WIALON_TOKEN!r}, base_url={url!r}, rate_limit=None)
spec = SearchSpec(items_type=ItemsType.UNIT, prop_name="sys_name", prop_value_mask="*", sort_type="sys_name")
result = w.core.search_items(spec=spec, force=1, flags={payloads.WIALON_FLAGS!r}, from_=0, to=0)
assert len(result.items) == {payloads.WIALON_UNITS}
"""
    return floor, ours


def _yclients(url: str) -> tuple[str, str]:
    headers = {
        "Accept": "application/vnd.yclients.v2+json",
        "Authorization": f"Bearer {payloads.YCLIENTS_PARTNER}, User {payloads.YCLIENTS_USER}",
    }
    query = {"page": "1", "count": str(payloads.YCLIENTS_PAGE)}
    endpoint = f"{url}/api/v1/clients/{payloads.YCLIENTS_COMPANY}"
    floor = f"""
import json, httpx
http = httpx.Client(headers={headers!r})
result = json.loads(http.get({endpoint!r}, params={query!r}).content)["data"]
assert len(result) == {payloads.YCLIENTS_PAGE}
"""
    ours = f"""
import apiforge.yclients
yc = apiforge.yclients.Yclients({payloads.YCLIENTS_PARTNER!r}, {payloads.YCLIENTS_USER!r}, base_url={url!r}, rate_limit=None)
result = yc.clients.list(company_id={payloads.YCLIENTS_COMPANY!r}, page=1, count={payloads.YCLIENTS_PAGE!r})
assert len(result) == {payloads.YCLIENTS_PAGE}
"""
    return floor, ours


SCENARIOS = {"vk": _vk, "wialon": _wialon, "yclients": _yclients}


def run(*, runs: int, apis: tuple[Kind, ...] = ("vk", "wialon", "yclients")) -> list[Result]:
    """The first result of each API, floor and apiforge, in `runs` fresh interpreters each."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="apiforge-bench-pycache-") as cache:
        env["PYTHONPYCACHEPREFIX"] = cache
        for api in apis:
            with ServerProcess(api) as url:
                floor, ours = SCENARIOS[api](url)
                results.append(
                    Result(
                        api,
                        floor=measure(Scenario(f"{api}: httpx + json.loads", "", floor), runs, env),
                        apiforge=measure(Scenario(f"{api}: apiforge", "", ours), runs, env),
                    )
                )
    return results
