"""YCLIENTS webhooks: the events YCLIENTS POSTs to your server, typed, with any web framework.

YCLIENTS sends a JSON body per change of an entity it is set up to report (`/hooks_settings`):

    {"company_id": 4564, "resource": "record", "resource_id": 1680739923, "status": "update",
     "data": {...the entity, with the same fields as through the API...}}

`parse_webhook(body)` returns the event class of its resource (`RecordEvent`, `ClientEvent`, ...)
with `data` typed by a lenient model of that entity: the fields listed are typed, every one may
be missing (a delete carries little), and the whole body stays in `raw`. A body that is not a
webhook raises `WebhookError` naming what is wrong.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar, Generic, TypeVar, cast

import attrs

from apiforge.core.converter import structure
from apiforge.core.enums import OpenStrEnum
from apiforge.core.errors import APIForgeError, DecodeError
from apiforge.core.protocols.base import json_object
from apiforge.core.redact import redact_text
from apiforge.core.types import JSON

T_co = TypeVar("T_co", covariant=True)
SOURCE = "YCLIENTS webhook"


class WebhookError(APIForgeError, ValueError):
    """A body is not a YCLIENTS webhook event: names the field and what is wrong with it."""


class WebhookStatus(OpenStrEnum):
    """What happened to the entity (open: an unknown value decodes as `UNKNOWN_<value>`)."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


class WebhookResource(OpenStrEnum):
    """The `resource` of an event: the entity kinds of the webhook settings, under both their names."""

    COMPANY = "company"
    SALON = "salon"
    SERVICE_CATEGORY = "service_category"
    SERVICE = "service"
    STAFF = "staff"
    MASTER = "master"
    GOOD = "good"
    CLIENT = "client"
    RECORD = "record"
    GOODS_OPERATIONS_SALE = "goods_operations_sale"
    GOODS_OPERATIONS_RECEIPT = "goods_operations_receipt"
    GOODS_OPERATIONS_CONSUMABLE = "goods_operations_consumable"
    GOODS_OPERATIONS_STOLEN = "goods_operations_stolen"
    GOODS_OPERATIONS_MOVE = "goods_operations_move"
    FINANCES_OPERATION = "finances_operation"


# The entities. Nested objects stay JSON: YCLIENTS sends `[]` for an empty one.


@attrs.frozen(kw_only=True)
class WebhookCompany:
    """A company (salon)."""

    id: int | None = None
    title: str | None = None
    short_descr: str | None = None
    active: int | None = None
    phone: str | None = None
    country_id: int | None = None
    city_id: int | None = None
    timezone: str | None = None
    address: str | None = None


@attrs.frozen(kw_only=True)
class WebhookServiceCategory:
    """A category of services."""

    id: int | None = None
    salon_service_id: int | None = None
    title: str | None = None
    weight: int | None = None
    staff: JSON = None


@attrs.frozen(kw_only=True)
class WebhookService:
    """A service."""

    id: int | None = None
    salon_service_id: int | None = None
    title: str | None = None
    category_id: int | None = None
    price_min: float | None = None
    price_max: float | None = None
    discount: float | None = None
    comment: str | None = None
    weight: int | None = None
    active: int | None = None
    api_id: str | None = None
    staff: JSON = None


@attrs.frozen(kw_only=True)
class WebhookStaff:
    """A member of staff (master)."""

    id: int | None = None
    name: str | None = None
    company_id: int | None = None
    specialization: str | None = None
    position: JSON = None
    avatar: str | None = None
    fired: int | None = None
    status: int | None = None
    hidden: int | None = None


@attrs.frozen(kw_only=True)
class WebhookGood:
    """A good (product) of the storage."""

    good_id: int | None = None
    title: str | None = None
    label: str | None = None
    article: str | None = None
    barcode: str | None = None
    category_id: int | None = None
    cost: float | None = None
    actual_cost: float | None = None
    unit_id: int | None = None
    last_change_date: str | None = None


@attrs.frozen(kw_only=True)
class WebhookClient:
    """A client."""

    id: int | None = None
    name: str | None = None
    phone: str | None = None
    email: str | None = None
    sex: str | None = None
    birth_date: str | None = None
    discount: float | None = None
    card: str | None = None
    comment: str | None = None
    spent: float | None = None
    balance: float | None = None
    visits: int | None = None
    categories: JSON = None
    custom_fields: JSON = None
    last_change_date: str | None = None


@attrs.frozen(kw_only=True)
class WebhookRecord:
    """A record (appointment). `attendance`: 2 confirmed, 1 came, 0 waiting, -1 did not come."""

    id: int | None = None
    company_id: int | None = None
    staff_id: int | None = None
    visit_id: int | None = None
    datetime: str | None = None
    date: str | None = None
    create_date: str | None = None
    last_change_date: str | None = None
    seance_length: int | None = None
    length: int | None = None
    comment: str | None = None
    attendance: int | None = None
    visit_attendance: int | None = None
    confirmed: int | None = None
    deleted: bool | None = None
    paid_full: int | None = None
    prepaid: bool | None = None
    client: JSON = None
    staff: JSON = None
    services: JSON = None
    goods_transactions: JSON = None
    custom_fields: JSON = None


@attrs.frozen(kw_only=True)
class WebhookGoodsOperation:
    """A goods transaction: a sale, receipt, write-off of a consumable or of stolen goods, a move."""

    id: int | None = None
    document_id: int | None = None
    type_id: int | None = None
    type: JSON = None
    company_id: int | None = None
    good_id: int | None = None
    good: JSON = None
    amount: float | None = None
    cost_per_unit: float | None = None
    discount: float | None = None
    cost: float | None = None
    storage_id: int | None = None
    client_id: int | None = None
    master_id: int | None = None
    create_date: str | None = None
    last_change_date: str | None = None
    comment: str | None = None
    deleted: bool | None = None


@attrs.frozen(kw_only=True)
class WebhookFinanceOperation:
    """A financial transaction (payment, expense)."""

    id: int | None = None
    document_id: int | None = None
    date: str | None = None
    type_id: int | None = None
    amount: float | None = None
    comment: str | None = None
    record_id: int | None = None
    visit_id: int | None = None
    expense: JSON = None
    account: JSON = None
    client: JSON = None
    master: JSON = None
    supplier: JSON = None
    last_change_date: str | None = None


# The events.


@attrs.frozen(kw_only=True)
class WebhookEvent(Generic[T_co]):
    """One webhook event: which company, which entity, what happened, the entity's data.

    Attributes:
        company_id: the company the event belongs to.
        resource: the entity kind as sent (`record`, `goods_operations_sale`, ...).
        resource_id: the entity's id.
        status: create, update or delete.
        data: the entity, typed by the model of its kind.
        raw: the whole body as received.
    """

    RESOURCES: ClassVar[tuple[str, ...]] = ()
    """The `resource` values of this class."""
    DATA: ClassVar[object] = JSON
    """The model `data` is decoded into."""

    company_id: int
    resource: WebhookResource
    resource_id: int
    status: WebhookStatus
    data: T_co
    raw: Mapping[str, JSON] = attrs.field(factory=dict[str, JSON], eq=False, repr=False)


@attrs.frozen(kw_only=True)
class CompanyEvent(WebhookEvent[WebhookCompany]):
    """A company was created, changed or deleted (setting `salon`)."""

    RESOURCES: ClassVar[tuple[str, ...]] = ("company", "salon")
    DATA: ClassVar[object] = WebhookCompany


@attrs.frozen(kw_only=True)
class ServiceCategoryEvent(WebhookEvent[WebhookServiceCategory]):
    """A service category changed (setting `service_category`)."""

    RESOURCES: ClassVar[tuple[str, ...]] = ("service_category",)
    DATA: ClassVar[object] = WebhookServiceCategory


@attrs.frozen(kw_only=True)
class ServiceEvent(WebhookEvent[WebhookService]):
    """A service changed (setting `service`)."""

    RESOURCES: ClassVar[tuple[str, ...]] = ("service",)
    DATA: ClassVar[object] = WebhookService


@attrs.frozen(kw_only=True)
class StaffEvent(WebhookEvent[WebhookStaff]):
    """A member of staff changed (setting `master`)."""

    RESOURCES: ClassVar[tuple[str, ...]] = ("staff", "master")
    DATA: ClassVar[object] = WebhookStaff


@attrs.frozen(kw_only=True)
class GoodEvent(WebhookEvent[WebhookGood]):
    """A good changed (setting `good`)."""

    RESOURCES: ClassVar[tuple[str, ...]] = ("good",)
    DATA: ClassVar[object] = WebhookGood


@attrs.frozen(kw_only=True)
class ClientEvent(WebhookEvent[WebhookClient]):
    """A client changed (setting `client`)."""

    RESOURCES: ClassVar[tuple[str, ...]] = ("client",)
    DATA: ClassVar[object] = WebhookClient


@attrs.frozen(kw_only=True)
class RecordEvent(WebhookEvent[WebhookRecord]):
    """A record changed (setting `record`). `status` is the webhook's; the visit's is `data.attendance`."""

    RESOURCES: ClassVar[tuple[str, ...]] = ("record",)
    DATA: ClassVar[object] = WebhookRecord


@attrs.frozen(kw_only=True)
class GoodsOperationEvent(WebhookEvent[WebhookGoodsOperation]):
    """A goods transaction changed (settings `goods_operations_*`; `resource` says which kind)."""

    RESOURCES: ClassVar[tuple[str, ...]] = (
        "goods_operations_sale",
        "goods_operations_receipt",
        "goods_operations_consumable",
        "goods_operations_stolen",
        "goods_operations_move",
    )
    DATA: ClassVar[object] = WebhookGoodsOperation


@attrs.frozen(kw_only=True)
class FinanceOperationEvent(WebhookEvent[WebhookFinanceOperation]):
    """A financial transaction changed (setting `finances_operation`)."""

    RESOURCES: ClassVar[tuple[str, ...]] = ("finances_operation",)
    DATA: ClassVar[object] = WebhookFinanceOperation


@attrs.frozen(kw_only=True)
class UnknownWebhookEvent(WebhookEvent[JSON]):
    """An event of a resource this SDK does not know: `data` is the raw JSON."""


EVENT_CLASSES: tuple[type[WebhookEvent[object]], ...] = (
    CompanyEvent,
    ServiceCategoryEvent,
    ServiceEvent,
    StaffEvent,
    GoodEvent,
    ClientEvent,
    RecordEvent,
    GoodsOperationEvent,
    FinanceOperationEvent,
)
EVENTS_BY_RESOURCE: Mapping[str, type[WebhookEvent[object]]] = {
    resource: cls for cls in EVENT_CLASSES for resource in cls.RESOURCES
}
"""The event class of each `resource` value."""


def parse_webhook(body: bytes | bytearray | str | Mapping[str, object]) -> WebhookEvent[object]:
    """The typed event of a YCLIENTS webhook body (bytes or text as received, or parsed JSON).

    Raises:
        WebhookError: the body is not JSON or not an object, a field is missing or has the
            wrong type (`company_id`, `resource`, `resource_id`, `status`, `data`), or `data`
            does not fit its entity's model (the error names the field path).
    """
    event = json_object(_load(body))
    if event is None:
        raise WebhookError(f"{SOURCE}: the body must be a JSON object")
    resource = _field(event, "resource", str)
    company_id = _field(event, "company_id", int)
    resource_id = _field(event, "resource_id", int)
    status = _field(event, "status", str)
    data: object = event.get("data")
    if data is None or data == []:
        data = {}  # a delete may carry nothing (YCLIENTS writes an empty object as [])
    if json_object(data) is None:
        raise WebhookError(f"{SOURCE}: {resource}: 'data' must be an object, got {_shown(data)}")
    cls: type[WebhookEvent[object]] = EVENTS_BY_RESOURCE.get(resource, UnknownWebhookEvent)
    try:
        typed: Any = structure(data, cls.DATA, method=f"{SOURCE} {resource}")
    except DecodeError as error:
        raise WebhookError(f"{SOURCE}: {resource}: 'data' does not fit its model: {error}") from None
    return cls(
        company_id=company_id,
        resource=WebhookResource(resource),
        resource_id=resource_id,
        status=WebhookStatus(status),
        data=typed,
        raw=cast("Mapping[str, JSON]", event),
    )


def _load(body: bytes | bytearray | str | Mapping[str, object]) -> object:
    if isinstance(body, Mapping):
        return body
    if not isinstance(body, bytes | bytearray | str):
        raise WebhookError(f"{SOURCE}: expected the body as bytes, text or a dict, got {type(body).__name__}")
    if not body.strip():
        raise WebhookError(f"{SOURCE}: the body is empty")
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise WebhookError(f"{SOURCE}: the body is not JSON ({error})") from None
    except RecursionError:  # anyone can post to a webhook URL
        raise WebhookError(f"{SOURCE}: the body is nested too deeply to read") from None


_T = TypeVar("_T", int, str)


def _field(event: Mapping[str, Any], name: str, kind: type[_T]) -> _T:
    if name not in event:
        raise WebhookError(f"{SOURCE}: the body has no {name!r}")
    value: object = event[name]
    if kind is int and isinstance(value, str) and value.strip().isdigit():
        value = int(value)  # ids sometimes arrive as strings
    if isinstance(value, bool) or not isinstance(value, kind) or (kind is str and not value):
        what = "an integer" if kind is int else "a non-empty string"
        raise WebhookError(f"{SOURCE}: {name!r} must be {what}, got {_shown(value)}")
    return value


def _shown(value: object) -> str:
    text = repr(value)
    return redact_text(text if len(text) <= 100 else text[:100] + "...")


__all__ = [
    "EVENTS_BY_RESOURCE",
    "ClientEvent",
    "CompanyEvent",
    "FinanceOperationEvent",
    "GoodEvent",
    "GoodsOperationEvent",
    "RecordEvent",
    "ServiceCategoryEvent",
    "ServiceEvent",
    "StaffEvent",
    "UnknownWebhookEvent",
    "WebhookClient",
    "WebhookCompany",
    "WebhookError",
    "WebhookEvent",
    "WebhookFinanceOperation",
    "WebhookGood",
    "WebhookGoodsOperation",
    "WebhookRecord",
    "WebhookResource",
    "WebhookService",
    "WebhookServiceCategory",
    "WebhookStaff",
    "WebhookStatus",
    "parse_webhook",
]
