"""Importing an SDK and building its client loads no method group and no model module it does not use.

Checked in fresh interpreters (the test process has long imported everything). The figures
(time, memory) are the benchmark's job (`python -m bench --only imports first`).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

CLIENTS = {
    "vk": "apiforge.vk.VK('token')",
    "yclients": "apiforge.yclients.Yclients('partner')",
    "wialon": "apiforge.wialon.Wialon('t' * 72)",
}
# Models a client needs when it is built: Wialon's sessions hold the type of the login answer.
BUILT_WITH = {"vk": set[str](), "yclients": set[str](), "wialon": {"apiforge.wialon.models.session"}}


@pytest.mark.parametrize("api", sorted(CLIENTS))
def test_building_a_client_loads_no_model_it_does_not_use(api: str) -> None:
    probe = f"""
import json, sys
import apiforge.{api}
client = {CLIENTS[api]}
print(json.dumps(sorted(m for m in sys.modules if m.startswith("apiforge.{api}."))))
"""
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    loaded = set(json.loads(done.stdout.strip().splitlines()[-1]))
    # VK's `execute` is a method of the client itself: its blocking and async classes are the clients' bases.
    toplevel = {f"apiforge.{api}.methods.{part}" for part in ("execute", "sync", "aio", "sync.execute", "aio.execute")}
    groups = {m for m in loaded if ".methods." in m} - toplevel
    assert groups == set()
    assert {m for m in loaded if ".models." in m} == BUILT_WITH[api]
    # The table of every method (`apiforge.<api>.METHODS`) loads when first read.
    assert f"apiforge.{api}._registry" not in loaded


@pytest.mark.parametrize("api", sorted(CLIENTS))
def test_the_table_of_methods_loads_when_first_read(api: str) -> None:
    probe = f"""
import sys
import apiforge.{api}
assert "apiforge.{api}._registry" not in sys.modules
methods = apiforge.{api}.METHODS
assert "apiforge.{api}._registry" in sys.modules and len(methods) > 100
assert apiforge.{api}.METHODS is methods
from apiforge.{api} import *
assert METHODS is methods
"""
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr


def test_a_client_builds_few_attrs_classes_on_import() -> None:
    """attrs compiles each class's methods at import (~0.4 ms a class): the effects, built by every
    call, are plain immutable classes. The classes still made with attrs are counted, so a new one
    on the import path is a decision, not an accident."""
    probe = """
import json, sys
import attrs
import apiforge.vk
client = apiforge.vk.VK("token")
built = sorted(
    f"{name}.{value.__name__}"
    for name, module in list(sys.modules.items()) if name.startswith("apiforge.")
    for value in vars(module).values()
    if isinstance(value, type) and value.__module__ == name and attrs.has(value)
)
print(json.dumps(built))
"""
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    built: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    assert not [name for name in built if name.startswith("apiforge.core.effects.")]
    assert len(built) <= 14, built


def test_effects_are_immutable_values() -> None:
    from apiforge.core.effects import Acquire, Callback, Send, Sleep

    assert Acquire("wialon:session") == Acquire("wialon:session", 1) != Acquire("wialon:session", 2)
    assert hash(Sleep(1.5)) == hash(Sleep(1.5))
    assert repr(Callback(print, (1,))) == f"Callback(function={print!r}, args=(1,))"
    match Acquire("x", 3):
        case Acquire(name, size):
            assert (name, size) == ("x", 3)
    assert Send.__match_args__ == ("request", "stream")
    with pytest.raises(AttributeError, match="immutable"):
        Sleep(1.0).seconds = 2.0
