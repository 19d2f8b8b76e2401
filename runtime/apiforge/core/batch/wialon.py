"""Wialon: queued calls go out as one `core/batch` request.

`params={"params": [{"svc": ..., "params": {...}}, ...], "flags": 0|1}`; the answer is an array
aligned with the calls, each item that call's own result or `{"error": N}`. With flags=1 (stop on
error) the server stops at the first failure and answers error 10 for every later call: those
calls raise their own error 10 too, marked `details["skipped"] = True`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from apiforge.core.batch.plan import BatchPlanner, Entry, json_array, settle_value
from apiforge.core.call import Call, MethodSpec, Param
from apiforge.core.errors import APIError, APIForgeError, DecodeError
from apiforge.core.protocols.base import Protocol

CORE_BATCH: MethodSpec[object] = MethodSpec(
    api="wialon", name="core/batch", params=(Param("params", "params", "native"), Param("flags", "params", "native"))
)
"""`core/batch` as the batch planner sends it: the raw array, decoded item by item later."""
STOP_ON_ERROR = 1
SKIPPED_CODE = 10


class WialonBatchPlanner(BatchPlanner):
    """Batches Wialon service calls into `core/batch` requests.

    Args:
        stop_on_error: send flags=1: the server stops at the first failing call.
        max_calls: calls per request (Wialon documents no limit; None sends all in one).
    """

    via: ClassVar[str] = "Wialon core/batch"

    def __init__(self, *, stop_on_error: bool = False, max_calls: int | None = None) -> None:
        if max_calls is not None and max_calls < 1:
            raise ValueError(f"max_calls must be at least 1 or None, got {max_calls!r}")
        self.stop_on_error = stop_on_error
        self.max_calls = max_calls

    def request(self, calls: Sequence[Call[Any]]) -> Call[object]:
        heavy = any(c.spec.heavy for c in calls)
        exclusive = next((c.spec.exclusive for c in calls if c.spec.exclusive), None)
        spec = MethodSpec[object](
            api=calls[0].spec.api, name=CORE_BATCH.name, params=CORE_BATCH.params, heavy=heavy, exclusive=exclusive
        )
        return Call(
            spec=spec,
            params={
                "params": [{"svc": c.method, "params": dict(c.params)} for c in calls],
                "flags": STOP_ON_ERROR if self.stop_on_error else 0,
            },
            result=object,
            made_idempotent=all(c.idempotent for c in calls),
        )

    def settle(self, protocol: Protocol, entries: Sequence[Entry], payload: object, body: object) -> None:
        items = json_array(payload)
        if items is None or len(items) != len(entries):
            mismatch = DecodeError("core/batch", "$", payload, f"expected a list of {len(entries)} results")
            for entry in entries:
                entry.pending.set_exception(mismatch)
            return
        failed = False
        for entry, item in zip(entries, items, strict=True):
            try:
                # Each item reads exactly as a lone call's answer would: `{"error": N}` raises the typed error.
                value = protocol.parse_body(entry.call.method, item)
            except APIForgeError as error:
                if failed and self.stop_on_error and isinstance(error, APIError) and error.code == SKIPPED_CODE:
                    error = _skipped(error)
                failed = True
                entry.pending.set_exception(error)
                continue
            settle_value(entry, value)


def _skipped(error: APIError) -> APIError:
    """Error 10 of a call the server did not run because an earlier one failed: said plainly, same class."""
    return type(error)(
        error.method,
        error.code,
        "not run: an earlier call of the batch failed (stop_on_error)",
        **{**error.details, "skipped": True},
    )


__all__ = ["CORE_BATCH", "WialonBatchPlanner"]
