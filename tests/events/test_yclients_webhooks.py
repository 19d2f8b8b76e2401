"""YCLIENTS webhooks: typed events per resource, clear errors on malformed bodies, the ASGI example in-process."""

from __future__ import annotations

import json
import runpy
from pathlib import Path
from typing import Any

import pytest

from apiforge.core.events import Router, WebhookError, parse_webhook
from apiforge.core.events.yclients_webhooks import (
    EVENTS_BY_RESOURCE,
    ClientEvent,
    CompanyEvent,
    FinanceOperationEvent,
    GoodEvent,
    GoodsOperationEvent,
    RecordEvent,
    ServiceCategoryEvent,
    ServiceEvent,
    StaffEvent,
    UnknownWebhookEvent,
    WebhookResource,
    WebhookStatus,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "yclients_webhook_asgi.py"
SETTINGS = (
    "salon",
    "service_category",
    "service",
    "good",
    "master",
    "client",
    "record",
    "goods_operations_sale",
    "goods_operations_receipt",
    "goods_operations_consumable",
    "goods_operations_stolen",
    "goods_operations_move",
    "finances_operation",
)
"""The entities of the webhook settings (reference §1.9)."""


def body(resource: str = "record", status: str = "create", data: object = None, **overrides: Any) -> dict[str, Any]:
    event: dict[str, Any] = {"company_id": 4564, "resource": resource, "resource_id": 77, "status": status}
    event["data"] = {"id": 77} if data is None else data
    event.update(overrides)
    return {k: v for k, v in event.items() if v is not ...}


def test_every_entity_of_the_settings_has_an_event_class() -> None:
    assert set(SETTINGS) <= set(EVENTS_BY_RESOURCE)
    assert set(EVENTS_BY_RESOURCE) <= {member.value for member in WebhookResource}


@pytest.mark.parametrize(
    ("resource", "cls"),
    [
        ("company", CompanyEvent),
        ("salon", CompanyEvent),
        ("service_category", ServiceCategoryEvent),
        ("service", ServiceEvent),
        ("staff", StaffEvent),
        ("master", StaffEvent),
        ("good", GoodEvent),
        ("client", ClientEvent),
        ("record", RecordEvent),
        ("goods_operations_sale", GoodsOperationEvent),
        ("goods_operations_move", GoodsOperationEvent),
        ("finances_operation", FinanceOperationEvent),
    ],
)
def test_each_resource_has_its_typed_event(resource: str, cls: type) -> None:
    event = parse_webhook(body(resource))
    assert type(event) is cls
    assert (event.company_id, event.resource, event.resource_id, event.status) == (
        4564,
        WebhookResource(resource),
        77,
        WebhookStatus.CREATE,
    )


def test_a_record_as_yclients_sends_it() -> None:
    raw = body(
        "record",
        "update",
        {
            "id": 1680739923,
            "visit_id": "1463687220",  # ids arrive as strings at times
            "attendance": 1,
            "visit_attendance": 1,
            "deleted": False,
            "paid_full": 1,
            "datetime": "2026-01-15T12:00:00+03:00",
            "client": {"id": 210562865, "phone": "+79653605355", "display_name": "..."},
            "services": [{"id": 1, "cost": 1500.5}],
            "something_new": {"kept": "in raw"},
        },
        resource_id="1680739923",
    )
    event = parse_webhook(json.dumps(raw).encode())
    assert isinstance(event, RecordEvent)
    assert event.status is WebhookStatus.UPDATE and event.resource_id == 1680739923
    record = event.data
    assert (record.id, record.visit_id, record.attendance, record.deleted) == (1680739923, 1463687220, 1, False)
    assert record.client == {"id": 210562865, "phone": "+79653605355", "display_name": "..."}
    assert json.loads(json.dumps(event.raw))["data"]["something_new"] == {"kept": "in raw"}


def test_a_finance_operation_with_php_empty_objects() -> None:
    data = {"id": 199254095, "amount": 100, "expense": {"id": 8, "title": "Other income"}, "master": [], "supplier": []}
    event = parse_webhook(body("finances_operation", data=data))
    assert isinstance(event, FinanceOperationEvent)
    assert (event.data.amount, event.data.master) == (100.0, [])


def test_a_delete_may_carry_no_data() -> None:
    for empty in ([], None):
        raw = body("client", "delete")
        raw["data"] = empty
        event = parse_webhook(raw)
        assert isinstance(event, ClientEvent) and event.status is WebhookStatus.DELETE and event.data.id is None


def test_unknown_resources_and_statuses_are_kept_open() -> None:
    event = parse_webhook(body("loyalty_card", "archive", {"id": 1, "x": [1]}))
    assert isinstance(event, UnknownWebhookEvent)
    assert event.data == {"id": 1, "x": [1]}
    assert event.status.value == "archive" and event.resource.value == "loyalty_card"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "the body is empty"),
        (b"<html>", "the body is not JSON"),
        (b"[]", "the body must be a JSON object"),
        (json.dumps(body(resource=...)).encode(), "the body has no 'resource'"),
        (json.dumps(body(company_id=...)).encode(), "the body has no 'company_id'"),
        (json.dumps(body(company_id="salon")).encode(), "'company_id' must be an integer, got 'salon'"),
        (json.dumps(body(resource_id=True)).encode(), "'resource_id' must be an integer, got True"),
        (json.dumps(body(status="")).encode(), "'status' must be a non-empty string, got ''"),
        (json.dumps(body(data="yes")).encode(), "record: 'data' must be an object, got 'yes'"),
        (json.dumps(body(data={"id": "seventy"})).encode(), r"record: 'data' does not fit its model: .*\$\.id"),
        (3.5, "expected the body as bytes, text or a dict, got float"),
    ],
)
def test_malformed_bodies_say_what_is_wrong(raw: Any, message: str) -> None:
    with pytest.raises(WebhookError, match=message) as caught:
        parse_webhook(raw)
    assert str(caught.value).startswith("YCLIENTS webhook:")
    assert isinstance(caught.value, ValueError)


def test_the_router_dispatches_webhook_events_by_class() -> None:
    router = Router()
    seen: list[str] = []

    @router.on(RecordEvent, filter=lambda e: e.status is WebhookStatus.CREATE)
    def created(event: RecordEvent) -> None:
        seen.append(f"new record {event.data.id}")

    @router.on(ClientEvent)
    def client(event: ClientEvent) -> None:
        seen.append(f"client {event.data.name}")

    router.run_sync([parse_webhook(body("record")), parse_webhook(body("client", data={"id": 1, "name": "Ann"}))])
    assert seen == ["new record 77", "client Ann"]


# The ASGI example, called in-process.


@pytest.fixture
def example() -> dict[str, Any]:
    return runpy.run_path(str(EXAMPLE))


async def test_the_asgi_app_routes_a_webhook(example: dict[str, Any]) -> None:
    status, answer = await example["deliver"](example["app"], example["sample_record"](4564))
    assert (status, answer) == (200, {"success": True})
    assert example["received"] == ["new record 1680739923 at 2026-01-15T12:00:00+03:00 (staff 1001539)"]
    update = json.dumps(body("record", "update", {"id": 5, "attendance": -1})).encode()
    assert await example["deliver"](example["app"], update) == (200, {"success": True})
    assert example["received"][-1] == "record 77 updated, attendance -1"


async def test_the_asgi_app_answers_400_naming_what_is_malformed(example: dict[str, Any]) -> None:
    status, answer = await example["deliver"](example["app"], b'{"company_id": 1, "resource": "record"}')
    assert status == 400 and answer["success"] is False
    assert "'resource_id'" in answer["error"]
    assert example["received"] == []


async def test_the_asgi_app_refuses_other_methods_and_serves_lifespan(example: dict[str, Any]) -> None:
    status, _ = await example["deliver"](example["app"], b"", method="GET")
    assert status == 405
    sent: list[dict[str, Any]] = []
    incoming = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]

    async def receive() -> dict[str, Any]:
        return incoming.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await example["app"]({"type": "lifespan"}, receive, send)
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]


def test_the_example_main_runs_against_the_fake(example: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    from apiforge.testing import FakeYclients

    with FakeYclients(partner_tokens={"partner"}) as fake:
        lines = example["main"](base_url=fake.url, partner_token="partner")
        assert fake.calls_to("GET /api/v1/companies")
    assert lines == ["new record 1680739923 at 2026-01-15T12:00:00+03:00 (staff 1001539)"]
    assert "HTTP 200" in capsys.readouterr().out
