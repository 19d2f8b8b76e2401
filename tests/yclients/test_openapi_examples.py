"""Every response example of the OpenAPI document decodes into the generated type of its operation.

Success examples decode into the result type; error examples raise the typed error of their
status. Examples that disagreed with the document's own schemas are settled by corrections in
specs/yclients/overlay.yaml.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from apiforge.core.call import Call
from apiforge.core.protocols.yclients import YclientsProtocol
from apiforge.yclients import METHODS, decode_response
from apiforge.yclients.errors import YclientsError, error_class
from tests.generator.test_import_yclients import BLUEPRINT_ONLY, LIST_FORMS, OMITTED

from .conftest import OPENAPI, openapi_document

DOCUMENT = openapi_document()
pytestmark = pytest.mark.skipif(DOCUMENT is None, reason=f"no OpenAPI document at {OPENAPI}")
HTTP_METHODS = ("get", "post", "put", "patch", "delete")


def _resolve(node: Any) -> Any:
    """Follow `#/components/<kind>/<name>` references."""
    assert DOCUMENT is not None
    while isinstance(node, dict) and "$ref" in node:
        _, _, kind, name = node["$ref"].split("/", 3)
        node = DOCUMENT["components"][kind][name]
    return node


def _examples() -> Iterator[tuple[str, int, object]]:
    """(wire name, HTTP status, example body) of every response example of every operation."""
    if DOCUMENT is None:
        return
    for path, item in DOCUMENT["paths"].items():
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            wire = f"{method.upper()} {path.split('?')[0]}"
            if wire in OMITTED:
                continue  # what a partner's server answers YCLIENTS: no method of the SDK
            for status, response in (operation.get("responses") or {}).items():
                if not str(status).isdigit():
                    continue
                for media in (_resolve(response).get("content") or {}).values():
                    if "example" in media:
                        yield wire, int(status), media["example"]
                    for example in (media.get("examples") or {}).values():
                        yield wire, int(status), _resolve(example).get("value")


EXAMPLES = list(_examples())


def test_the_sdk_has_every_operation_of_the_document_plus_the_blueprint_ones() -> None:
    """The document's 304 operations are methods but the omitted callback; the others are the three only
    the API Blueprint documents and the collection routes the overlay adds (`list_form`)."""
    assert DOCUMENT is not None
    operations = {
        f"{method.upper()} {path.split('?')[0]}"
        for path, item in DOCUMENT["paths"].items()
        for method in item
        if method in HTTP_METHODS
    }
    assert len(operations) == 304
    assert operations - OMITTED <= set(METHODS)
    assert not OMITTED & set(METHODS)
    assert set(METHODS) - operations == BLUEPRINT_ONLY | LIST_FORMS


def test_the_document_has_the_examples_we_expect() -> None:
    assert len(EXAMPLES) >= 230
    assert {wire for wire, _, _ in EXAMPLES} <= set(METHODS)
    assert len({wire for wire, _, _ in EXAMPLES}) >= 200


@pytest.mark.parametrize(
    ("wire", "status", "example"), EXAMPLES, ids=[f"{w} {s} #{i}" for i, (w, s, _) in enumerate(EXAMPLES)]
)
def test_example_decodes(wire: str, status: int, example: object) -> None:
    spec = METHODS[wire].spec
    if status >= 400:
        with pytest.raises(YclientsError) as caught:
            decode_response(wire, example, status_code=status)
        assert type(caught.value) is error_class(status)
        return
    if spec.result is bytes:
        # A document, not JSON (the visit receipt): the example shows its content as text.
        assert isinstance(example, str)
        protocol = YclientsProtocol(base_url="http://offline.invalid", error_class=error_class, partner_token="p")
        response = httpx.Response(status, content=example.encode() or b"%PDF-1.4")
        assert protocol.parse(Call(spec=spec, result=spec.result), response) == (example.encode() or b"%PDF-1.4")
        return
    decode_response(wire, example, status_code=status)
