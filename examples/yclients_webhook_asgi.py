"""A YCLIENTS webhook receiver: a plain ASGI app (no web framework) that types each event and routes it.

Serve `app` with any ASGI server and point the company's webhooks at it (YCLIENTS: Settings ->
Integrations -> Webhooks, or `POST /hooks_settings/{company_id}` with `urls` and the entities):

    uvicorn examples.yclients_webhook_asgi:app --port 8000

`main()` looks the company up through the API, then delivers one sample event to the app
in-process and prints what the handlers did — against the fake server too:

    apiforge fake yclients --port 8080
    APIFORGE_YCLIENTS_PARTNER_TOKEN=partner python examples/yclients_webhook_asgi.py --base-url http://127.0.0.1:8080
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from apiforge.core.events import Router, WebhookError, parse_webhook
from apiforge.core.events.yclients_webhooks import ClientEvent, RecordEvent, WebhookEvent, WebhookStatus
from apiforge.yclients import Yclients

log = logging.getLogger("yclients_webhook")

Scope = Mapping[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

received: list[str] = []
"""What the handlers of the default app did, one line per event (for the demo and its test)."""
router = Router()


@router.on(RecordEvent, filter=lambda event: event.status == WebhookStatus.CREATE)
def new_record(event: RecordEvent) -> None:
    record = event.data
    received.append(f"new record {event.resource_id} at {record.datetime} (staff {record.staff_id})")


@router.on(RecordEvent)
def changed_record(event: RecordEvent) -> None:
    # `status` says what happened to the webhook's entity; `attendance` is the visit's own status.
    received.append(f"record {event.resource_id} {event.status.value}d, attendance {event.data.attendance}")


@router.on(ClientEvent)
def client(event: ClientEvent) -> None:
    received.append(f"client {event.resource_id} {event.status.value}d: {event.data.name}")


@router.on(WebhookEvent)
def anything_else(event: WebhookEvent[object]) -> None:
    received.append(f"{event.resource.value} {event.resource_id} {event.status.value}d")


def make_app(router: Router) -> App:
    """An ASGI app: POST a webhook body, get 200 once the router handled it (400 names what is malformed)."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        if scope["type"] != "http":
            return
        if scope["method"] != "POST":
            await _respond(send, 405, {"success": False, "error": "POST a webhook body here"})
            return
        body = await _read_body(receive)
        try:
            event = parse_webhook(body)
        except WebhookError as error:
            log.warning("rejected a webhook: %s", error)
            await _respond(send, 400, {"success": False, "error": str(error)})
            return
        await router.ahandle(event)  # a failing handler is logged by the router; YCLIENTS still gets 200
        await _respond(send, 200, {"success": True})

    return app


app = make_app(router)
"""The ASGI app with the handlers above."""


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(bytes(message.get("body", b"")))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _respond(send: Send, status: int, payload: object) -> None:
    body = json.dumps(payload, ensure_ascii=False).encode()
    headers = [(b"content-type", b"application/json; charset=utf-8"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def deliver(app: App, body: bytes, *, method: str = "POST") -> tuple[int, Mapping[str, Any]]:
    """Call `app` in-process with one request, as a server would: the status and the parsed JSON answer."""
    incoming = [{"type": "http.request", "body": body, "more_body": False}]
    answer: list[Message] = []

    async def receive() -> Message:
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        answer.append(message)

    scope = {"type": "http", "method": method, "path": "/", "headers": [(b"content-type", b"application/json")]}
    await app(scope, receive, send)
    status = int(answer[0]["status"])
    return status, json.loads(b"".join(m.get("body", b"") for m in answer[1:]))


def sample_record(company_id: int) -> bytes:
    """A webhook body as YCLIENTS sends it when a record is created."""
    event = {
        "company_id": company_id,
        "resource": "record",
        "resource_id": 1680739923,
        "status": "create",
        "data": {
            "id": 1680739923,
            "company_id": company_id,
            "staff_id": 1001539,
            "datetime": "2026-01-15T12:00:00+03:00",
            "seance_length": 3600,
            "attendance": 0,
            "deleted": False,
            "client": {"id": 210562865, "phone": "+79653605355", "name": "Anna"},
            "services": [{"id": 79067, "title": "Haircut", "cost": 1500}],
        },
    }
    return json.dumps(event).encode()


def main(base_url: str = "https://api.yclients.com", partner_token: str | None = None) -> list[str]:
    """Find the company, deliver one sample event to the app, print what happened."""
    token = partner_token or os.environ.get("APIFORGE_YCLIENTS_PARTNER_TOKEN")
    if not token:
        raise SystemExit("set APIFORGE_YCLIENTS_PARTNER_TOKEN (or run it against `apiforge fake yclients`)")
    with Yclients(partner_token=token, base_url=base_url) as yc:
        companies = yc.companies.list()
    if not companies or companies[0].id is None:
        raise SystemExit("the partner token sees no company")
    company_id = int(companies[0].id)
    print(f"point the webhooks of company {company_id} at this app (POST /hooks_settings/{company_id})")
    status, answer = asyncio.run(deliver(app, sample_record(company_id)))
    print(f"a sample record event -> HTTP {status} {answer}")
    for line in received:
        print(f"  {line}")
    return list(received)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Type and route YCLIENTS webhooks (an ASGI app).")
    parser.add_argument("--base-url", default="https://api.yclients.com")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    main(base_url=args.base_url)
