"""`import apiforge.vk` loads no method group and no model module until they are used.

Checked in fresh interpreters (the test process has long imported everything): which modules
`sys.modules` holds after each step. The figures (time, memory) are bench/import_vk.py's job.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

# The client's own methods (`vk.execute(...)`) are part of the client class, not a group: their specs and
# their blocking and awaited classes (with the packages of those).
CLIENT_METHODS = {
    "apiforge.vk.methods.execute",
    "apiforge.vk.methods.sync",
    "apiforge.vk.methods.sync.execute",
    "apiforge.vk.methods.aio",
    "apiforge.vk.methods.aio.execute",
}


def loaded_after(code: str) -> set[str]:
    """The apiforge.vk modules and heavy dependencies a fresh interpreter holds after `code`."""
    probe = textwrap.dedent(code) + textwrap.dedent(
        """
        import json, sys
        print(json.dumps(sorted(m for m in sys.modules if m.startswith(("apiforge.vk", "cattrs", "asyncio")))))
        """
    )
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True).stdout
    names: list[str] = json.loads(out.strip().splitlines()[-1])
    return set(names)


def groups_and_models(modules: set[str]) -> set[str]:
    return {m for m in modules if m.startswith(("apiforge.vk.methods.", "apiforge.vk.models."))} - CLIENT_METHODS


def test_import_loads_no_group_and_no_model() -> None:
    modules = loaded_after("import apiforge.vk")
    assert "apiforge.vk" in modules
    assert not groups_and_models(modules)
    assert "apiforge.vk.models" not in modules  # not even the lazy index


def test_creating_clients_loads_no_group_and_no_model() -> None:
    modules = loaded_after(
        """
        import apiforge.vk
        vk = apiforge.vk.VK("token")
        avk = apiforge.vk.AsyncVK("token")
        """
    )
    assert not groups_and_models(modules)


def test_decoding_machinery_loads_on_first_use() -> None:
    """cattrs (the converter) and asyncio are not needed to import the SDK or make a sync client."""
    modules = loaded_after("import apiforge.vk\nvk = apiforge.vk.VK('token')")
    assert not {m for m in modules if m.startswith(("cattrs", "asyncio"))}


def test_a_group_loads_on_first_use_with_only_what_it_needs() -> None:
    modules = loaded_after(
        """
        import apiforge.vk
        vk = apiforge.vk.VK("token")
        vk.users
        """
    )
    groups = {m for m in groups_and_models(modules) if m.startswith("apiforge.vk.methods.")}
    assert groups == {"apiforge.vk.methods.users", "apiforge.vk.methods.sync.users"}  # specs, the blocking class
    assert "apiforge.vk.models.users" in modules


def test_the_models_index_loads_no_model_module() -> None:
    modules = loaded_after("import apiforge.vk.models")
    assert "apiforge.vk.models" in modules
    assert not {m for m in modules if m.startswith("apiforge.vk.models.")}


def test_a_model_name_loads_its_module() -> None:
    modules = loaded_after("from apiforge.vk.models import BaseCountry")
    assert "apiforge.vk.models.base" in modules


@pytest.mark.parametrize("name", ["METHODS", "decode_response", "VK", "AsyncVK"])
def test_the_public_names_are_there(name: str) -> None:
    import apiforge.vk

    assert name in apiforge.vk.__all__
    assert getattr(apiforge.vk, name) is not None


def test_loading_every_model_builds_no_attrs_metadata() -> None:
    """Model modules are plain bytecode: no class gets its attrs field table until something reads it."""
    probe = textwrap.dedent(
        """
        import json, sys
        import apiforge.vk.models as models
        from apiforge.core.model import Model
        models.load_all()
        classes = {
            value
            for name, module in sys.modules.items() if name.startswith("apiforge.vk.models.")
            for value in vars(module).values()
            if isinstance(value, type) and issubclass(value, Model) and value.__module__ == name
        }  # a set: an alias names a class a second time
        built = [c.__name__ for c in classes if "__attrs_attrs__" in c.__dict__]
        print(json.dumps({"classes": len(classes), "built": built}))
        """
    )
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True).stdout
    found = json.loads(out.strip().splitlines()[-1])
    models_dir = Path(__file__).resolve().parents[2] / "generated/apiforge/vk/models"
    written = sum(text.count("(Model):\n") for text in (p.read_text() for p in models_dir.glob("*.py")))
    assert found["classes"] == written > 700
    assert found["built"] == []


def model_modules(modules: set[str]) -> set[str]:
    return {m for m in modules if m.startswith("apiforge.vk.models.")}


def test_a_group_loads_only_the_model_modules_its_signatures_name() -> None:
    """`vk.users` loads `users` and `base` (its methods' parameter and result types), not the ~25
    modules those models refer to: model modules import each other on first use."""
    modules = loaded_after("import apiforge.vk\nvk = apiforge.vk.VK('token')\nvk.users")
    assert model_modules(modules) == {"apiforge.vk.models.base", "apiforge.vk.models.users"}


def test_the_first_users_get_loads_only_the_modules_of_its_fields_types() -> None:
    """The first `users.get` through FakeVK loads the modules of `UsersUserFull`'s field types, no more."""
    from apiforge.testing import FakeVK

    with FakeVK(tokens={"t"}) as fake:
        modules = loaded_after(
            f"""
            import apiforge.vk
            vk = apiforge.vk.VK("t", base_url={fake.url!r}, rate_limit=None)
            users = vk.users.get(user_ids=[1, 2], fields=["city", "sex", "photo_100", "counters", "last_seen"])
            assert users[0].first_name == "Pavel", users
            """
        )
    # users, base and the modules of UsersUserFull's other field types (apps, audio, friends, owner,
    # photos, video); the 25 modules of the graph behind them before.
    assert len(model_modules(modules)) <= 8
    assert {"apiforge.vk.models.users", "apiforge.vk.models.base"} <= modules
    assert not {"apiforge.vk.models.groups", "apiforge.vk.models.messages", "apiforge.vk.models.wall"} & modules
