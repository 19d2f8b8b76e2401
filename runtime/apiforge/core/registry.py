"""What the generated METHODS registries hold, and decoding a saved response through them."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any, NamedTuple

from apiforge.core.call import Call, MethodSpec
from apiforge.core.pipeline import decode
from apiforge.core.protocols.base import ErrorFactory, Protocol, load_body


class MethodInfo(NamedTuple):
    """One method of a generated API: where it lives and what it returns."""

    group: str
    python_name: str
    result: str
    module: str
    spec_name: str
    toplevel: bool = False

    @property
    def spec(self) -> MethodSpec[Any]:
        """The method's MethodSpec (imports its group module)."""
        return getattr(importlib.import_module(self.module), self.spec_name)  # type: ignore[no-any-return]

    @property
    def attribute(self) -> str:
        """How a user reaches it: `users.get`, or `execute` for methods of the client itself."""
        return self.python_name if self.toplevel else f"{self.group}.{self.python_name}"


def protocol_for(api: str, error_class: ErrorFactory) -> Protocol:
    """A protocol adapter for reading bodies (no credentials: it never sends)."""
    if api == "vk":
        from apiforge.core.protocols.vk import VKProtocol

        return VKProtocol(base_url="http://offline.invalid", error_class=error_class, version="", token="")
    if api == "yclients":
        from apiforge.core.protocols.yclients import YclientsProtocol

        return YclientsProtocol(base_url="http://offline.invalid", error_class=error_class, partner_token="")
    from apiforge.core.protocols.wialon import WialonProtocol

    return WialonProtocol(base_url="http://offline.invalid", error_class=error_class, token=None)


def decode_with(
    api: str,
    error_class: ErrorFactory,
    info: MethodInfo,
    body: object,
    params: Mapping[str, object] | None,
    *,
    status_code: int | None = None,
) -> object:
    """Decode a saved response body exactly as a call of `info` would."""
    spec = info.spec
    parsed = load_body(spec.name, body)
    payload = protocol_for(api, error_class).parse_body(spec.name, parsed, status_code=status_code)
    # Built directly, not by `spec.call`: nothing is sent, so the arguments are not checked.
    call = Call(spec=spec, result=spec.result_type(dict(params or {})))
    return decode(call, payload)


__all__ = ["MethodInfo", "decode_with"]
