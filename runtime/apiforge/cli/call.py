"""`apiforge call API METHOD key=value...`: one call through the real client, its result printed."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import TextIO, cast

from apiforge.cli.apis import APIS, credentials, open_client
from apiforge.cli.arguments import parse_arguments
from apiforge.cli.errors import CLIError
from apiforge.cli.introspect import method_facts
from apiforge.cli.output import Format, emit
from apiforge.core.converter import unstructure
from apiforge.core.errors import APIForgeError


def run_call(
    api_name: str,
    method: str,
    words: Sequence[str],
    *,
    token: str | None = None,
    user_token: str | None = None,
    token_kind: str | None = None,
    base_url: str | None = None,
    max_retries: int | None = None,
    timeout: float | None = None,
    fmt: Format = "auto",
    environ: Mapping[str, str] | None = None,
    stdout: TextIO | None = None,
) -> None:
    """Call `method` of `api_name` with `words` (`key=value`) and print the decoded result.

    The call goes through the generated method of a blocking client, so encoding, retries, rate
    limits, sessions and decoding are exactly those of the SDK. Usage problems raise UsageError
    before anything is sent; an API or transport failure raises CLIError.
    """
    api = APIS[api_name]
    info = api.find(method)
    facts = method_facts(info)
    kwargs = parse_arguments(facts, words)
    creds = credentials(
        api,
        info,
        token=token,
        user_token=user_token,
        token_kind=token_kind,
        environ=os.environ if environ is None else environ,
    )
    try:
        with open_client(api, creds, base_url=base_url, max_retries=max_retries, timeout=timeout) as client:
            target: object = client if info.toplevel else getattr(client, info.group)
            result = getattr(target, info.python_name)(**kwargs)
    except APIForgeError as exc:
        # apiforge's error texts are already redacted; its class name tells which kind of failure.
        raise CLIError(f"{type(exc).__name__}: {exc}") from None
    emit(plain(result), stdout or sys.stdout, fmt=fmt)


def plain(result: object) -> object:
    """A decoded result as JSON data with wire names (what `apiforge.core.converter.unstructure` gives)."""
    kind = type(result)
    if issubclass(kind, list) and kind is not list:
        # A list subclass (a paginated method's Page, carrying meta and total) prints as its items.
        return unstructure(list(cast("Iterable[object]", result)))
    return unstructure(result)


__all__ = ["plain", "run_call"]
