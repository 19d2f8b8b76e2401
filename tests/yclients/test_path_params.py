"""YCLIENTS path parameters: a value is one path segment, or the call is refused before anything is sent.

`quote()` leaves `.` and `..` alone and httpx removes dot segments, so without a check
`company_users.delete(company_id=4564, user_id="..")` went out as `DELETE /api/v1/company/4564`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apiforge.core.call import Call, MethodSpec
from apiforge.yclients import METHODS, AsyncYclients, Yclients

# A user token no method name or path contains: the module's client keeps it registered (masked)
# for the rest of the run, and a short one ("user") would mask parts of other tests' texts.
USER_TOKEN = "path-params-user-token"

PATH_PARAMS: list[tuple[MethodSpec[Any], str]] = [
    (info.spec, param.wire) for info in METHODS.values() for param in info.spec.params if param.location == "path"
]

HOSTILE = [
    "",
    " ",
    ".",
    "..",
    " .. ",
    "%2e",
    "%2E%2e",
    "%252e%252e",
    ".%2e",
    "\uff0e\uff0e",  # fullwidth dots: NFKC folds them into ".."
    "a/b",
    "../4564",
    "/",
    "%2F",
    "%252F",
    "a\\b",
    "%5c",
    "?",
    "x?force=1",
    "%3F",
    "#",
    "x#y",
    "%23",
    "\uff0f",  # fullwidth solidus
    "a\nb",
    "a\x00",
    "%00",
    "\x7f",
    "\ud800",  # a lone surrogate: no UTF-8 form at all
]
BREAKERS = ["/", "\\", "?", "#", "%2f", "%2F", "%252F", "%5C", "%3f", "%23", "\n", "\x00", "%0a"]

hostile_values = st.one_of(
    st.sampled_from(HOSTILE),
    st.builds(lambda a, b, c: a + b + c, st.text(max_size=5), st.sampled_from(BREAKERS), st.text(max_size=5)),
)
any_values = st.one_of(st.text(max_size=12), st.integers(), st.sampled_from(HOSTILE))


class Recorder:
    """An in-process transport that records the raw path of every request it is given."""

    def __init__(self) -> None:
        self.paths: list[bytes] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.raw_path.partition(b"?")[0])
        return httpx.Response(204)


def segments(template: str) -> list[str]:
    return template.split("/")


def call_with(spec: MethodSpec[Any], param: str, value: object) -> Call[Any]:
    """A call of `spec` with `value` for `param` and a valid id for its other path parameters."""
    path = {p.wire: ("7" if p.wire != param else str(value)) for p in spec.params if p.location == "path"}
    return Call(spec=spec, path_params=path)


def check_every_path_param(yc: Yclients, recorder: Recorder, value: object, *, must_refuse: bool) -> None:
    for spec, param in PATH_PARAMS:
        before = len(recorder.paths)
        try:
            yc.request(call_with(spec, param, value))
        except ValueError as error:
            assert len(recorder.paths) == before, f"{spec.name} {param}={value!r}: refused but sent"
            text = str(error)
            assert spec.name in text and param in text and repr(str(value)) in text, text
            continue
        assert not must_refuse, f"{spec.name}: {param}={value!r} was sent as {recorder.paths[-1]!r}"
        assert len(recorder.paths) == before + 1
        template = spec.name.partition(" ")[2]
        seen = recorder.paths[-1].decode("ascii").split("/")
        assert len(seen) == len(segments(template)), (spec.name, value, seen)
        index = segments(template).index("{" + param + "}")
        assert unquote(seen[index]) == str(value)
        assert all(segment not in (".", "..") for segment in seen)


@pytest.fixture(scope="module")
def client() -> Any:
    recorder = Recorder()
    yc = Yclients(
        "partner",
        USER_TOKEN,
        rate_limit=None,
        max_retries=0,
        http_client=httpx.Client(transport=httpx.MockTransport(recorder)),
    )
    yield yc, recorder
    yc.close()


def test_the_inventory_is_every_path_parameter() -> None:
    # Every YCLIENTS method whose path has a placeholder contributes each placeholder.
    placeholders = sum(wire.count("{") for wire in METHODS)
    assert len(PATH_PARAMS) == placeholders > 400


@settings(max_examples=40)
@given(value=hostile_values)
def test_hostile_values_are_refused_for_every_path_parameter(client: Any, value: str) -> None:
    yc, recorder = client
    check_every_path_param(yc, recorder, value, must_refuse=True)


@settings(max_examples=40)
@given(value=any_values)
def test_any_value_is_refused_or_stays_one_segment(client: Any, value: object) -> None:
    yc, recorder = client
    check_every_path_param(yc, recorder, value, must_refuse=str(value) in HOSTILE)


@pytest.mark.parametrize("value", ["..", ".", "", "%2e%2e", "7/../..", "%2F"])
def test_the_reported_deletion_is_refused(value: str) -> None:
    recorder = Recorder()
    with (
        Yclients(
            "partner", USER_TOKEN, rate_limit=None, http_client=httpx.Client(transport=httpx.MockTransport(recorder))
        ) as yc,
        pytest.raises(ValueError, match=r"DELETE /api/v1/company/\{company_id\}/users/\{user_id\}.*user_id="),
    ):
        yc.company_users.delete(company_id=4564, user_id=value)  # type: ignore[arg-type]
    assert recorder.paths == []


async def test_the_reported_deletion_is_refused_async() -> None:
    recorder = Recorder()
    async with AsyncYclients(
        "partner", USER_TOKEN, rate_limit=None, http_client=httpx.AsyncClient(transport=httpx.MockTransport(recorder))
    ) as yc:
        with pytest.raises(ValueError, match=r"user_id='\.\.'"):
            await yc.company_users.delete(company_id=4564, user_id="..")  # type: ignore[arg-type]
        await yc.company_users.delete(company_id=4564, user_id=12)
    assert recorder.paths == [b"/api/v1/company/4564/users/12"]


def test_a_plain_id_and_text_with_spaces_are_sent_escaped_as_one_segment() -> None:
    recorder = Recorder()
    with Yclients(
        "partner", USER_TOKEN, rate_limit=None, http_client=httpx.Client(transport=httpx.MockTransport(recorder))
    ) as yc:
        yc.company_users.delete(company_id=4564, user_id=12)
        yc.request(call_with(METHODS["DELETE /api/v1/company/{company_id}/users/{user_id}"].spec, "user_id", "a b.c"))
    assert recorder.paths == [b"/api/v1/company/4564/users/12", b"/api/v1/company/7/users/a%20b.c"]
