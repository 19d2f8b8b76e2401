"""Generated model modules load the models of other modules on first use (apiforge.core.lazy_names).

Each claim is checked in a fresh interpreter: the test process has long imported every model.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from typing import Any

import pytest

APIS = ("vk", "yclients", "wialon")


def run_fresh(code: str) -> Any:
    """Run `code` in a fresh interpreter; what it prints last, parsed as JSON."""
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("api", APIS)
def test_a_model_module_imports_no_other_model_module(api: str) -> None:
    """Importing the model modules one by one, each import adds that module alone."""
    added = run_fresh(
        f"""
        import importlib, json, sys
        import apiforge.{api}.models as models
        prefix = "apiforge.{api}.models."
        added = {{}}
        for name in [n for n in models.MODULES if prefix + n not in sys.modules]:
            before = {{m for m in sys.modules if m.startswith(prefix)}}
            importlib.import_module(prefix + name)
            added[name] = sorted({{m for m in sys.modules if m.startswith(prefix)}} - before)
        print(json.dumps(added))
        """
    )
    assert len(added) > 5
    assert {name: modules for name, modules in added.items() if modules != [f"apiforge.{api}.models.{name}"]} == {}


@pytest.mark.parametrize("api", APIS)
def test_after_load_all_every_model_resolves_its_types(api: str) -> None:
    """`models.load_all()` binds every lazily imported name: `typing.get_type_hints` works on every class."""
    counts = run_fresh(
        f"""
        import json, sys, typing
        import apiforge.{api}.models as models
        from apiforge.core.model import Model
        models.load_all()
        classes = {{
            value
            for name, module in list(sys.modules.items()) if name.startswith("apiforge.{api}.models.")
            for value in vars(module).values()
            if isinstance(value, type) and issubclass(value, Model) and value.__module__ == name
        }}
        print(json.dumps([len(classes), sum(len(typing.get_type_hints(c)) > 0 for c in classes)]))
        """
    )
    classes, typed = counts
    assert classes > 40
    assert typed > classes // 2


def test_a_model_resolves_its_field_types_once_its_fields_are_read() -> None:
    """`attrs.fields` (what the decoder, repr, evolve and asdict read first) loads the names the
    annotations use, and only the modules of those types."""
    found = run_fresh(
        """
        import json, sys, typing
        import attrs
        from apiforge.vk.models import UsersUserFull
        loaded = lambda: sorted(m for m in sys.modules if m.startswith("apiforge.vk.models."))
        before = loaded()
        attrs.fields(UsersUserFull)
        hints = typing.get_type_hints(UsersUserFull)
        print(json.dumps([before, loaded(), hints["city"].__args__[0].__name__]))
        """
    )
    assert found == [
        ["apiforge.vk.models.users"],
        [
            "apiforge.vk.models.apps",
            "apiforge.vk.models.audio",
            "apiforge.vk.models.base",
            "apiforge.vk.models.friends",
            "apiforge.vk.models.owner",
            "apiforge.vk.models.photos",
            "apiforge.vk.models.users",
            "apiforge.vk.models.video",
        ],
        "BaseCity",
    ]


def test_an_alias_built_from_foreign_models_decodes_as_its_tagged_union() -> None:
    """`UsersSubscriptionsItem` (users or communities, by `type`) is built when first needed, with its
    tag registered: decoding `users.getSubscriptions(extended=True)` picks each item's class by its tag."""
    found = run_fresh(
        """
        import json
        import apiforge.vk
        body = {"response": {"count": 2, "items": [
            {"type": "profile", "id": 1, "first_name": "A", "last_name": "B"},
            {"type": "page", "id": 2, "name": "G"},
        ]}}
        result = apiforge.vk.decode_response("users.getSubscriptions", body, {"extended": True})
        from apiforge.core.converter import union_tag
        from apiforge.vk.models.users import UsersSubscriptionsItem
        tag, classes = union_tag(UsersSubscriptionsItem)
        print(json.dumps([[type(item).__name__ for item in result.items], tag, classes["page"].__name__]))
        """
    )
    assert found == [["UsersUserFull", "GroupsGroupFull"], "type", "GroupsGroupFull"]


def test_decoded_models_pickle_evolve_and_asdict_in_a_fresh_process() -> None:
    found = run_fresh(
        """
        import json, pickle
        import attrs
        import apiforge.vk
        body = {"response": [{"id": 1, "first_name": "A", "last_name": "B", "city": {"id": 2, "title": "C"},
                              "counters": {"friends": 3}, "last_seen": {"time": 5, "platform": 7}}]}
        [user] = apiforge.vk.decode_response("users.get", body)
        again = pickle.loads(pickle.dumps(user))
        renamed = attrs.evolve(user, first_name="Z")
        print(json.dumps([again == user, renamed.city.title, attrs.asdict(user)["city"]["title"],
                          type(user.counters).__name__]))
        """
    )
    assert found == [True, "C", "C", "UsersUserCounters"]


def test_one_field_loads_only_the_modules_its_own_type_needs() -> None:
    """`load_field_names` (for a decoder resolving a field's type when it first meets the field):
    `city` needs `base`; the other modules UsersUserFull's fields refer to stay unloaded."""
    found = run_fresh(
        """
        import json, sys
        from apiforge.core.lazy_names import load_field_names
        from apiforge.vk.models import users
        load_field_names(users.UsersUserFull, "city")
        city = eval(users.UsersUserFull.__annotations__["city"], vars(users))
        print(json.dumps([sorted(m for m in sys.modules if m.startswith("apiforge.vk.models.")), str(city)]))
        """
    )
    assert found == [
        ["apiforge.vk.models.base", "apiforge.vk.models.users"],
        "apiforge.vk.models.base.BaseCity | None",
    ]


def test_a_single_object_decodes_its_foreign_field_types_in_a_fresh_process() -> None:
    """The shape decoder resolves one field's type when it first meets the field; a type from
    another model module (`city` is `base.BaseCity`, `sex` `base.BaseSex`) is bound first."""
    found = run_fresh(
        """
        import json
        from apiforge.core.converter import fast
        from apiforge.vk.models.users import UsersUserFull
        user = fast.structure({"id": 1, "sex": 2, "city": {"id": 2, "title": "C"}}, UsersUserFull)
        print(json.dumps([type(user.city).__name__, user.city.title, type(user.sex).__name__]))
        """
    )
    assert found == ["BaseCity", "C", "BaseSex"]
