"""The real-usage corpus: calls found in public projects must fit the generated SDKs."""

from __future__ import annotations

import pytest

from tests.corpus.checker import APIS, CorpusError, Mismatch, accepts, check, classify

# The share of calls (to methods the API still has) the SDK must support.
THRESHOLD = 0.98
# The least a corpus holds: calls, and the projects they come from.
MINIMUM = {"vk": (500, 30), "wialon": (150, 20), "yclients": (100, 12)}


@pytest.mark.parametrize("api", APIS)
def test_real_calls_fit_the_generated_signatures(api: str, capsys: pytest.CaptureFixture[str]) -> None:
    report = check(api)
    with capsys.disabled():
        print("\n" + report.summary())
    calls, projects = MINIMUM[api]
    assert len(report.outcomes) >= calls
    assert report.projects >= projects
    unsupported = [
        f"{o.call['source']}: {'; '.join(map(str, o.mismatches))}" for o in report.outcomes if o.status == "unsupported"
    ]
    assert report.share >= THRESHOLD, "\n".join(unsupported)


def test_every_mismatch_kind_is_detected() -> None:
    """The checker is not a rubber stamp: each kind of mismatch is reported on a made-up call."""
    src = "example/example@" + "0" * 40 + ":x.py:1"

    def kinds(api: str, method: str, params: dict[str, object], **extra: object) -> list[str]:
        return [m.kind for m in classify(api, {"method": method, "params": params, "source": src, **extra}).mismatches]

    assert kinds("vk", "users.nosuchMethod", {}) == ["missing method"]
    assert kinds("vk", "users.get", {"no_such_param": 1}) == ["missing parameter"]
    assert kinds("vk", "messages.getHistory", {"count": "many"}) == ["type too narrow"]
    assert "wrongly required" in kinds("vk", "messages.markAsImportantConversation", {})
    assert kinds("vk", "users.get", {"fields": "photo_100,city", "user_ids": [1, 2]}) == []
    assert classify(
        "vk", {"method": "audio.get", "params": {}, "source": src, "status": "removed", "reason": "r"}
    ).status == ("removed upstream")


def test_contradictory_entries_are_refused() -> None:
    src = "example/example@" + "0" * 40 + ":x.py:1"
    with pytest.raises(CorpusError, match="marked removed"):
        classify("vk", {"method": "users.get", "params": {}, "source": src, "status": "removed", "reason": "r"})
    with pytest.raises(CorpusError, match="caller error but fits"):
        classify("vk", {"method": "users.get", "params": {}, "source": src, "status": "caller_error", "reason": "r"})


def test_wire_literals() -> None:
    from collections.abc import Sequence
    from typing import Literal

    assert accepts(int, "123") and not accepts(int, "abc")
    assert accepts(bool, 1) and not accepts(bool, 2)
    assert accepts(Sequence[Literal["a", "b"]], "a,b") and not accepts(Sequence[Literal["a", "b"]], "a,c")
    assert accepts(Literal["Nom"] | None, "Nom") and not accepts(Literal["Nom"] | None, "nom")
    assert str(Mismatch("missing parameter", "users.get", "x")) == "missing parameter: users.get x"
