"""Wialon errors say what their code means (as VK's and YCLIENTS' do), with the server's reason."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from apiforge.testing.wialon import FakeWialon
from apiforge.wialon import Wialon, decode_response
from apiforge.wialon.errors import ERRORS_BY_CODE, AccessDeniedError, OnlyOneRequestError, WialonError

from .support import TOKEN, UNIT

SPEC = Path(__file__).parents[2] / "specs" / "wialon" / "errors.yaml"


def _documented() -> dict[int, str]:
    return {int(entry["code"]): str(entry["message"]) for entry in yaml.safe_load(SPEC.read_text())["errors"]}


@pytest.mark.parametrize(("code", "meaning"), sorted(_documented().items()))
def test_every_documented_code_reads_as_its_meaning(code: int, meaning: str) -> None:
    with pytest.raises(WialonError) as caught:
        decode_response("core/search_item", {"error": code})
    error = caught.value
    assert type(error) is ERRORS_BY_CODE[code] and type(error).meaning == meaning
    assert error.message == meaning
    assert str(error) == f"core/search_item: [{code}] {meaning}"


def test_the_reason_follows_the_meaning() -> None:
    with pytest.raises(OnlyOneRequestError) as caught:
        decode_response("core/search_items", {"error": 1003, "reason": "LIMIT api_concurrent"})
    assert str(caught.value) == (
        "core/search_items: [1003] Only one request allowed at the moment (LIMIT api_concurrent)"
    )
    assert caught.value.details["reason"] == "LIMIT api_concurrent"


def test_an_undocumented_code_says_so_plainly() -> None:
    with pytest.raises(WialonError) as caught:
        decode_response("core/search_item", {"error": 4242, "reason": "something new"})
    assert type(caught.value) is WialonError
    assert str(caught.value) == "core/search_item: [4242] something new"
    with pytest.raises(WialonError) as caught:
        decode_response("core/search_item", {"error": 4242})
    assert str(caught.value) == "core/search_item: [4242] error 4242"


def test_an_error_from_the_server_reads_as_its_meaning() -> None:
    with (
        FakeWialon() as fake,
        Wialon(token=TOKEN, base_url=fake.url, operate_as="stranger", max_retries=0) as w,
        pytest.raises(AccessDeniedError) as caught,
    ):
        w.core.search_item(id=UNIT, flags=1)
    assert str(caught.value) == "token/login: [7] Access denied (the token's owner cannot act as this user)"
