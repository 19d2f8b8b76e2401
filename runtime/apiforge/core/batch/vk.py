"""VK: queued calls go out as `execute` requests of up to 25 calls each.

A call that fails inside `execute` leaves `false` in its slot of the `response` array, and an
entry `{"method", "error_code", "error_msg"}` in `execute_errors`; the entries come in the order
of the failed slots. Each `false` slot takes the next unused entry for its method (the next
unused one at all when no entry names it) and raises the typed VK error that entry describes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, TypeVar

import attrs

from apiforge.core.batch.plan import BatchPlanner, Entry, api_error, json_array, settle_value
from apiforge.core.batch.vkscript import MAX_CALLS, build_script, check_method_name
from apiforge.core.call import Call, MethodSpec, Param
from apiforge.core.errors import APIForgeError, ConfigurationError, DecodeError
from apiforge.core.pipeline import decode
from apiforge.core.protocols.base import Protocol, json_object

EXECUTE: MethodSpec[object] = MethodSpec(
    api="vk", name="execute", params=(Param("code"),), result=object, token_kinds=("user", "group")
)
"""The `execute` method as the batch planner sends it: the raw answer, decoded slot by slot later."""
T = TypeVar("T")


class VKExecutePlanner(BatchPlanner):
    """Batches VK calls into `execute` requests (VKScript built by `vkscript.build_script`)."""

    via: ClassVar[str] = "VK execute"
    max_calls = MAX_CALLS

    def admit(self, protocol: Protocol, call: Call[T]) -> Call[T]:
        call = super().admit(protocol, call)
        check_method_name(call.method)  # the name goes into the script as code: only `section.method`
        return call

    def request(self, calls: Sequence[Call[Any]]) -> Call[object]:
        kinds = [
            k for k in EXECUTE.token_kinds if all(not c.spec.token_kinds or k in c.spec.token_kinds for c in calls)
        ]
        if not kinds:
            # An empty token_kinds means "any token" to the auth layer: refuse here instead.
            methods = ", ".join(sorted({c.method for c in calls}))
            raise ConfigurationError(
                f"no token kind may run these calls in one execute ({methods}): "
                f"execute accepts {', '.join(EXECUTE.token_kinds)} tokens; batch them separately"
            )
        return Call(
            # Only a token every call accepts may run the script.
            spec=attrs.evolve(EXECUTE, api=calls[0].spec.api, token_kinds=tuple(kinds)),
            params={"code": build_script([(c.method, c.params) for c in calls])},
            result=object,
            # Replaying the script replays every call: safe only when each of them is safe to repeat.
            made_idempotent=all(c.idempotent for c in calls),
        )

    def settle(self, protocol: Protocol, entries: Sequence[Entry], payload: object, body: object) -> None:
        errors = _ExecuteErrors(body)
        slots = json_array(payload)
        if slots is None or len(slots) != len(entries):
            # The script as a whole gave no per-call answer: each call gets its own error when VK
            # listed one, else the mismatch.
            mismatch = DecodeError("execute", "$.response", payload, f"expected a list of {len(entries)} results")
            for entry in entries:
                raw = errors.take(entry.call.method, fallback=False)
                entry.pending.set_exception(mismatch if raw is None else _error(protocol, entry.call.method, raw))
            return
        for entry, slot in zip(entries, slots, strict=True):
            if slot is False:
                raw = errors.take(entry.call.method)
                if raw is not None:
                    entry.pending.set_exception(_error(protocol, entry.call.method, raw))
                    continue
                _settle_bare_false(entry)
                continue
            settle_value(entry, slot)


class _ExecuteErrors:
    """The `execute_errors` of an answer, handed out in order."""

    def __init__(self, body: object) -> None:
        envelope = json_object(body)
        raw: object = envelope.get("execute_errors") if envelope is not None else None
        items = json_array(raw) or []
        self._left: list[Mapping[str, Any]] = [e for e in map(json_object, items) if e is not None]

    def take(self, method: str, *, fallback: bool = True) -> Mapping[str, Any] | None:
        for index, error in enumerate(self._left):
            if error.get("method") == method:
                return self._left.pop(index)
        if fallback and self._left:
            return self._left.pop(0)
        return None


def _error(protocol: Protocol, method: str, raw: Mapping[str, Any]) -> APIForgeError:
    # The entry is a VK error object plus the failed method's name, which the error already carries.
    error = {k: v for k, v in raw.items() if k != "method"}
    return api_error(protocol, method, {"error": error})


def _settle_bare_false(entry: Entry) -> None:
    """`false` with no error left for it: a value when the call may return false, else a clear error."""
    try:
        value = decode(entry.call, False)
    except DecodeError:
        entry.pending.set_exception(
            DecodeError(
                entry.call.method, "$", False, "execute gave false (a failed call) with no execute_errors entry"
            )
        )
    else:
        entry.pending.set_result(value)


__all__ = ["EXECUTE", "VKExecutePlanner"]
