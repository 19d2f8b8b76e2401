"""Importing an SDK and building its sync client loads no decoding machinery (cattrs, the
converter) and no asyncio: they load with the first decoded response and the first async client.
Checked in a fresh interpreter per API (a module loaded once stays loaded)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

CLIENTS = {
    "vk": "apiforge.vk.VK('t')",
    "wialon": "apiforge.wialon.Wialon('t')",
    "yclients": "apiforge.yclients.Yclients('t')",
}


@pytest.mark.parametrize("api", sorted(CLIENTS))
def test_import_and_a_sync_client_load_no_converter(api: str) -> None:
    probe = (
        f"import json, sys\nimport apiforge.{api}\nclient = {CLIENTS[api]}\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('cattrs', 'asyncio')"
        " or m == 'apiforge.core.converter')))"
    )
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True).stdout
    assert json.loads(out.strip().splitlines()[-1]) == []
