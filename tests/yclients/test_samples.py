"""Every real response in ../shared/samples/yclients decodes through `decode_response`; error bodies raise the typed error.

The samples are the API Blueprint's response examples, each with its HTTP status. Where one
disagreed with the OpenAPI document, specs/yclients/overlay.yaml carries the correction.
"""

from __future__ import annotations

from typing import Any

import pytest

from apiforge.core.protocols.yclients import YclientsProtocol
from apiforge.yclients import METHODS, decode_response
from apiforge.yclients.errors import (
    ConflictError,
    ForbiddenError,
    NotFoundError,
    PaymentRequiredError,
    YclientsError,
    error_class,
)

from .conftest import SAMPLES, load_samples, wire_of_blueprint

SAMPLES_LIST = load_samples()
pytestmark = pytest.mark.skipif(not SAMPLES_LIST, reason=f"no samples at {SAMPLES}")

# Blueprint actions the OpenAPI document (so the SDK) does not have: webhook settings, and a PUT of comments.
NOT_IN_THE_DOCUMENT = {
    "GET /hooks_settings/{company_id}",
    "POST /hooks_settings/{company_id}",
    "PUT /comments/{company_id}/",
}


def _mapped() -> list[tuple[str, str, dict[str, Any]]]:
    return [(s["file"], wire, s) for s in SAMPLES_LIST if (wire := wire_of_blueprint(s["method"])) is not None]


@pytest.mark.parametrize(("file", "wire", "sample"), _mapped(), ids=[f for f, _, _ in _mapped()])
def test_sample_decodes(file: str, wire: str, sample: dict[str, Any]) -> None:
    status = sample["http_status"]
    if status >= 400:
        with pytest.raises(YclientsError) as caught:
            decode_response(wire, sample["body"], sample.get("params"), status_code=status)
        error = caught.value
        assert type(error) is error_class(status), f"{file}: {type(error).__name__} for HTTP {status}"
        assert error.code == status
        assert error.message and error.message != "request failed"
    else:
        decode_response(wire, sample["body"], sample.get("params"), status_code=status)


def test_every_sample_is_checked() -> None:
    unmapped = {s["method"] for s in SAMPLES_LIST if wire_of_blueprint(s["method"]) is None}
    assert unmapped == NOT_IN_THE_DOCUMENT
    assert len(_mapped()) == len(SAMPLES_LIST) - 3


@pytest.mark.parametrize("method", sorted(NOT_IN_THE_DOCUMENT))
def test_samples_of_operations_we_lack_are_still_envelopes(method: str) -> None:
    """No generated type to check them against; the protocol still unwraps them."""
    protocol = YclientsProtocol(base_url="http://offline.invalid", error_class=error_class, partner_token="p")
    for sample in (s for s in SAMPLES_LIST if s["method"] == method):
        assert sample["body"]["success"] is True
        assert protocol.parse_body(method, sample["body"], status_code=sample["http_status"]) is not None


def _error_samples(status: int) -> list[dict[str, Any]]:
    return [s for s in SAMPLES_LIST if s["http_status"] == status and wire_of_blueprint(s["method"])]


def test_typed_errors_from_the_samples() -> None:
    """The statuses the samples show, with what their errors carry."""
    (conflict, *_) = _error_samples(409)
    error = _raise(conflict)
    assert isinstance(error, ConflictError) and error.conflict and error.meta["conflict"] is True

    (licence, *_) = _error_samples(402)
    error = _raise(licence)
    assert isinstance(error, PaymentRequiredError) and error.licence_expired

    expired = [_raise(s) for s in _error_samples(403)]
    assert all(isinstance(e, ForbiddenError) for e in expired)
    assert {e.licence_expired for e in expired} == {True, False}  # an expired licence, and "not enough rights"

    assert all(isinstance(_raise(s), NotFoundError) for s in _error_samples(404))

    validation = next(s for s in _error_samples(400) if s["body"].get("meta", {}).get("errors"))
    assert _raise(validation).errors == {"filters": ["Недопустимое значение состояния фильтра"]}

    operator = next(s for s in _error_samples(400) if isinstance(s["body"].get("errors"), list))
    assert set(_raise(operator).errors) == {"some string"}  # SMS-operator form: [{field_name, error_message}]


def _raise(sample: dict[str, Any]) -> YclientsError:
    wire = wire_of_blueprint(sample["method"])
    assert wire is not None and wire in METHODS
    with pytest.raises(YclientsError) as caught:
        decode_response(wire, sample["body"], status_code=sample["http_status"])
    return caught.value
