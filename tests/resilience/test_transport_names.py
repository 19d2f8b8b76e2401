"""A transport failure names the API method it struck, as an API error does, for all three APIs.

Before, the name was the last segment of the URL's path: `ajax.html` for every Wialon service,
`companies` (or an id) for YCLIENTS.
"""

from __future__ import annotations

import pytest

from apiforge.core.errors import TransportError
from apiforge.testing import FakeVK, FakeWialon, FakeYclients
from apiforge.vk import VK
from apiforge.wialon import Wialon
from apiforge.yclients import Yclients

UNIT = 734455


@pytest.mark.parametrize("kind", ["reset_before", "reset_after"])
def test_a_wialon_transport_error_names_the_service(kind: str) -> None:
    with FakeWialon() as fake, Wialon(token=fake.token, base_url=fake.url, max_retries=0) as w:
        w.core.search_item(id=UNIT, flags=1)
        fake.faults.fail_next(1, kind=kind)  # type: ignore[arg-type]
        with pytest.raises(TransportError) as caught:
            w.core.search_item(id=UNIT, flags=1)
    assert caught.value.method == "core/search_item"
    assert str(caught.value).startswith("core/search_item: ")


def test_a_wialon_login_transport_error_names_token_login() -> None:
    with FakeWialon() as fake, Wialon(token=fake.token, base_url=fake.url, max_retries=0) as w:
        fake.faults.fail_next(1, kind="reset_before")
        with pytest.raises(TransportError) as caught:
            w.core.search_item(id=UNIT, flags=1)
    assert caught.value.method == "token/login"
    assert fake.token not in str(caught.value)


def test_an_avl_events_transport_error_names_avl_evts() -> None:
    from apiforge.core.protocols.wialon import AVL_EVENTS_SPEC

    with FakeWialon() as fake, Wialon(token=fake.token, base_url=fake.url, max_retries=0) as w:
        w.core.search_item(id=UNIT, flags=1)
        fake.faults.fail_next(1, kind="reset_before")
        with pytest.raises(TransportError) as caught:
            w.request(AVL_EVENTS_SPEC.call({}))
    assert caught.value.method == "avl_evts"


def test_a_yclients_transport_error_names_the_method() -> None:
    with FakeYclients() as fake, Yclients("partner", base_url=fake.url, rate_limit=None, max_retries=0) as yc:
        fake.faults.fail_next(1, kind="reset_before")
        with pytest.raises(TransportError) as caught:
            yc.companies.list()
    assert caught.value.method == "GET /api/v1/companies"
    assert str(caught.value).startswith("GET /api/v1/companies: ")


def test_a_yclients_transport_error_of_a_path_with_ids_names_the_method() -> None:
    with FakeYclients() as fake, Yclients("partner", base_url=fake.url, rate_limit=None, max_retries=0) as yc:
        yc.login("admin", "secret")
        fake.faults.fail_next(1, kind="reset_before")
        with pytest.raises(TransportError) as caught:
            yc.clients.search(company_id=4564, page=1, page_size=25)
    assert caught.value.method == "POST /api/v1/company/{company_id}/clients/search"


def test_a_vk_transport_error_names_the_method() -> None:
    with FakeVK() as fake, VK(token="t", base_url=fake.url, rate_limit=None, max_retries=0) as vk:
        fake.faults.fail_next(1, kind="reset_before")
        with pytest.raises(TransportError) as caught:
            vk.users.get(user_ids=[1])
    assert caught.value.method == "users.get"
