"""Every real response in ../shared/samples/yclients decodes through `decode_response`; error bodies raise the typed error.

The samples are the API Blueprint's response examples, each with its HTTP status. Where one
disagreed with the OpenAPI document, specs/yclients/overlay.yaml carries the correction; the
operations only the Blueprint documents (webhook settings, a PUT of comments) come from its
`blueprint_operations`, so every sample has a method.
"""

from __future__ import annotations

from typing import Any

import pytest

from apiforge.yclients import METHODS, decode_response
from apiforge.yclients.errors import (
    ConflictError,
    ForbiddenError,
    NotFoundError,
    PaymentRequiredError,
    YclientsError,
    error_class,
)
from apiforge.yclients.models.clients import CommentsListItem
from apiforge.yclients.models.companies import HooksSettings

from .conftest import SAMPLES, load_samples, wire_of_blueprint

SAMPLES_LIST = load_samples()
pytestmark = pytest.mark.skipif(not SAMPLES_LIST, reason=f"no samples at {SAMPLES}")

# Blueprint actions the OpenAPI document lacks: the overlay's `blueprint_operations` give them methods.
BLUEPRINT_ONLY = {
    "GET /hooks_settings/{company_id}": "GET /api/v1/hooks_settings/{company_id}",
    "POST /hooks_settings/{company_id}": "POST /api/v1/hooks_settings/{company_id}",
    "PUT /comments/{company_id}/": "PUT /api/v1/comments/{company_id}/",
}
# Blueprint actions that are callbacks YCLIENTS makes to a partner's server: the overlay omits
# them from the SDK (issue 17), so their samples have no method to decode them.
CALLBACKS = {"POST /https://your-api.url"}


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
    assert unmapped == CALLBACKS
    assert len(_mapped()) == len([s for s in SAMPLES_LIST if s["method"] not in CALLBACKS])
    assert {s["method"] for s in SAMPLES_LIST} >= set(BLUEPRINT_ONLY)
    assert {wire_of_blueprint(method) for method in BLUEPRINT_ONLY} == set(BLUEPRINT_ONLY.values())


def _decode_only(method: str) -> object:
    (sample,) = [s for s in SAMPLES_LIST if s["method"] == method]
    wire = wire_of_blueprint(method)
    assert wire is not None
    return decode_response(wire, sample["body"], sample.get("params"), status_code=sample["http_status"])


def test_webhook_settings_decode_typed() -> None:
    """The Blueprint's 1/0 switches become booleans; the POST answers 201 without `good`."""
    for method in ("GET /hooks_settings/{company_id}", "POST /hooks_settings/{company_id}"):
        settings = _decode_only(method)
        assert isinstance(settings, HooksSettings)
        assert settings.urls == ["https://dev.tools.test.com/test/Hooks"]
        assert settings.active is False and settings.service_category is False
        assert settings.salon is True and settings.client_ is True and settings.finances_operation is True
    post = _decode_only("POST /hooks_settings/{company_id}")
    assert isinstance(post, HooksSettings) and post.good is None


def test_comment_update_decodes_to_the_comment() -> None:
    comment = _decode_only("PUT /comments/{company_id}/")
    (sample,) = [s for s in SAMPLES_LIST if s["method"] == "PUT /comments/{company_id}/"]
    data = sample["body"]["data"]
    assert isinstance(comment, CommentsListItem)
    assert (comment.text, comment.rating, comment.user_name) == (data["text"], data["rating"], data["user_name"])
    assert comment.id == int(data["id"]) and comment.master_id == int(data["master_id"])


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
