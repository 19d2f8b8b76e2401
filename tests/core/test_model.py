"""The shared base of generated models: attrs metadata on first use, repr and equality, credentials
masked in the repr. Both shapes of model are checked: the generator's (plain slots and `__init__`)
and an `attrs.define` subclass."""

from __future__ import annotations

import concurrent.futures
import copy
import pickle
import sys
import threading
import weakref
from collections.abc import Callable
from types import FrameType
from typing import Any

import attrs
import cattrs
import pytest

from apiforge.core.converter import structure
from apiforge.core.model import Model
from apiforge.core.redact import MASK
from apiforge.vk.models import UsersUserFull


@attrs.define(kw_only=True, slots=True, repr=False, eq=False)
class Login(Model):
    id: int
    user_token: str | None = None
    session: str | None = attrs.field(default=None, metadata={"wire": "eid"})


def test_repr_masks_credential_fields_by_wire_name() -> None:
    login = Login(id=1, user_token="u-secret-123", session="sid-secret-456")
    shown = repr(login)
    assert shown == f"Login(id=1, user_token={MASK!r}, session={MASK!r})"
    assert "u-secret-123" not in shown and "sid-secret-456" not in shown
    assert login.user_token == "u-secret-123"  # the value itself is untouched


def test_absent_credentials_are_left_out() -> None:
    assert repr(Login(id=2)) == "Login(id=2)"


def test_equality_is_by_class_and_fields() -> None:
    assert Login(id=1) == Login(id=1)
    assert Login(id=1) != Login(id=2)


def test_an_unset_field_reads_as_its_default() -> None:
    """The decoder fills only the fields a response carries; the others read as their defaults."""
    login = object.__new__(Login)
    object.__setattr__(login, "id", 3)
    assert (login.user_token, login.session) == (None, None)
    assert login == Login(id=3) and repr(login) == repr(Login(id=3))


def test_an_unset_field_with_a_factory_default_is_an_error() -> None:
    @attrs.define(kw_only=True, slots=True, repr=False, eq=False)
    class Tagged(Model):
        tags: list[str] = attrs.Factory(list)

    assert Tagged().tags == []
    with pytest.raises(AttributeError, match="'Tagged' object has no attribute 'tags'"):
        _ = object.__new__(Tagged).tags  # no plain default to read: the factory runs only in __init__


def test_an_unset_required_field_and_an_undeclared_name_are_still_errors() -> None:
    bare = object.__new__(Login)
    with pytest.raises(AttributeError, match="'Login' object has no attribute 'id'"):
        _ = bare.id
    with pytest.raises(AttributeError, match="'Login' object has no attribute 'nickname'"):
        getattr(Login(id=1), "nickname")  # noqa: B009 - not a declared field


# A model as the generator writes it: plain slots, annotations and a keyword-only __init__; the
# attrs field table is built from them on first read.


class Page(Model):
    __slots__ = ("count", "from_", "items", "title")
    __wire_names__ = {"from_": "from"}  # noqa: RUF012 -- read-only, as the generator writes it

    count: int
    items: list[int]
    from_: int | None
    title: str | None

    def __init__(self, *, count: int, items: list[int], from_: int | None = None, title: str | None = None) -> None:
        self.count = count
        self.items = items
        self.from_ = from_
        self.title = title


def test_a_generated_model_is_an_attrs_class_to_attrs() -> None:
    assert attrs.has(Page) and not attrs.has(Model)
    fields = attrs.fields(Page)
    assert [f.name for f in fields] == ["count", "items", "from_", "title"]  # declaration order, not slot order
    assert [f.default for f in fields] == [attrs.NOTHING, attrs.NOTHING, None, None]
    assert fields.from_.metadata == {"wire": "from"} and fields.title.metadata == {}
    assert fields.count.name == "count"  # a field named like a tuple method reads as the field
    assert all(f.kw_only and f.init and f.alias == f.name for f in fields)
    assert attrs.fields(Page) is fields  # built once


def test_the_field_table_is_built_on_first_read_only() -> None:
    class Fresh(Model):
        __slots__ = ("id",)
        id: int

        def __init__(self, *, id: int) -> None:
            self.id = id

    assert "__attrs_attrs__" not in Fresh.__dict__
    Fresh(id=1)  # constructing needs no field table
    assert "__attrs_attrs__" not in Fresh.__dict__
    assert [f.name for f in attrs.fields(Fresh)] == ["id"]
    assert "__attrs_attrs__" in Fresh.__dict__


def test_threads_reading_the_field_table_first_all_get_the_one_table() -> None:
    names = [f"f{n}" for n in range(200)]  # a wide class: building its table takes a while
    namespace: dict[str, object] = {"__slots__": tuple(names), "__annotations__": dict.fromkeys(names, "int")}
    wide = type("Wide", (Model,), namespace)
    start = threading.Barrier(8)

    def first_read() -> object:
        start.wait()
        return attrs.fields(wide)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads take turns while a table is being built
    try:
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            tables = list(pool.map(lambda _: first_read(), range(8)))
    finally:
        sys.setswitchinterval(interval)
    assert all(table is attrs.fields(wide) for table in tables)


def test_attrs_and_cattrs_functions_work_on_a_generated_model() -> None:
    page = Page(count=2, items=[1, 2], from_=5)
    assert attrs.asdict(page) == {"count": 2, "items": [1, 2], "from_": 5, "title": None}
    assert attrs.evolve(page, title="t") == Page(count=2, items=[1, 2], from_=5, title="t")
    attrs.resolve_types(Page)
    assert attrs.fields(Page).items.type == list[int]
    converter = cattrs.Converter()
    assert converter.structure({"count": 1, "items": ["3"]}, Page) == Page(count=1, items=[3])


def test_a_generated_model_copies_pickles_and_takes_weak_references() -> None:
    page = Page(count=1, items=[1], title="a")
    assert copy.deepcopy(page) == page and copy.deepcopy(page) is not page
    assert pickle.loads(pickle.dumps(page)) == page
    assert weakref.ref(page)() is page
    with pytest.raises(TypeError, match="unhashable"):
        hash(page)
    with pytest.raises(AttributeError):
        page.nickname = "x"  # type: ignore[attr-defined]  # slots: no undeclared attributes


def test_a_sparse_instance_pickles_with_its_absent_fields_still_defaults() -> None:
    sparse = object.__new__(Page)
    object.__setattr__(sparse, "count", 1)
    object.__setattr__(sparse, "items", [])
    restored = pickle.loads(pickle.dumps(sparse))
    assert restored == Page(count=1, items=[]) and restored.title is None


def test_the_generated_init_is_keyword_only_and_checks_its_arguments() -> None:
    with pytest.raises(TypeError):
        Page(1, [])  # type: ignore[misc]
    with pytest.raises(TypeError, match="count"):
        Page(items=[])  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="nickname"):
        Page(count=1, items=[], nickname="x")  # type: ignore[call-arg]


def test_a_subclass_of_a_generated_model_keeps_its_fields() -> None:
    class Base(Model):
        __slots__ = ("id", "name")
        id: int
        name: str | None

        def __init__(self, *, id: int, name: str | None = None) -> None:
            self.id = id
            self.name = name

    class Special(Base):
        __slots__ = ()

    # The subclass's table is read first: it is built from the classes it derives from.
    assert [f.name for f in attrs.fields(Special)] == ["id", "name"]
    assert repr(Special(id=1)) == "Special(id=1)"
    assert repr(Special(id=1, name="x")) == "Special(id=1, name='x')"
    bare = object.__new__(Special)
    assert bare.name is None  # an unset field reads as the default of the inherited __init__


# The generator's shape today: fields in the instance dict, optional ones with class-level
# defaults, no `__slots__` and no `__getattr__` (which would slow every attribute read).


def _python_calls_during(action: Callable[[], object]) -> list[str]:
    """The names of the Python functions `action` runs (its own frame excluded)."""
    names: list[str] = []

    def spy(frame: FrameType, event: str, _: object) -> None:
        if event == "call":
            names.append(frame.f_code.co_name)

    sys.setprofile(spy)
    try:
        action()
    finally:
        sys.setprofile(None)
    return [name for name in names if name != "<lambda>"]


def _decoded_users() -> list[UsersUserFull]:
    wire = [
        {"id": 1, "first_name": "A", "last_name": "B", "sex": 1, "domain": "a"},
        {"id": 1, "first_name": "A", "last_name": "B", "sex": 1, "domain": "a"},
    ]
    return structure(wire, list[UsersUserFull], method="users.get")


def test_an_absent_field_of_a_decoded_generated_model_is_a_plain_class_attribute_read() -> None:
    user, _ = _decoded_users()
    assert user.nickname is None and user.maiden_name is None
    # No Python-level fallback (`__getattr__`) runs: CPython's fast attribute paths stay on.
    assert _python_calls_during(lambda: (user.nickname, user.maiden_name, user.first_name)) == []
    assert "nickname" not in vars(user)  # absent: the decoder set only what the response carried
    assert not hasattr(UsersUserFull, "__getattr__")


def test_equality_of_generated_models_reads_unset_fields_without_a_fallback() -> None:
    first, second = _decoded_users()
    assert first == second
    assert "__getattr__" not in _python_calls_during(lambda: first == second)
    second.nickname = None  # set to its default: still equal to the absent one
    assert first == second and second == first
    second.nickname = "n"
    assert first != second and second != first
    full = UsersUserFull(id=1, first_name="A", last_name="B", sex=first.sex, domain="a")  # every field set
    assert full == first and first == full


def test_a_sparse_generated_model_works_with_attrs_copy_pickle_and_weakref() -> None:
    user, _ = _decoded_users()
    assert attrs.evolve(user, nickname="n").nickname == "n" and user.nickname is None
    assert attrs.asdict(user)["nickname"] is None and attrs.asdict(user)["first_name"] == "A"
    assert copy.deepcopy(user) == user and copy.copy(user) == user
    restored = pickle.loads(pickle.dumps(user))
    assert restored == user and restored.nickname is None and "nickname" not in vars(restored)
    assert weakref.ref(user)() is user
    with pytest.raises(TypeError, match="unhashable"):
        hash(user)


# The repr shows what is set (issue 18, item 8).


def _vk_user() -> Any:
    from apiforge.vk import decode_response

    body: Any
    body = {
        "response": [
            {
                "id": 1,
                "first_name": "Pavel",
                "last_name": "Durov",
                "is_closed": False,
                "can_access_closed": True,
                "sex": 2,
                "photo_100": "https://x/p.jpg",
                "city": {"id": 2, "title": "Saint Petersburg"},
            }
        ]
    }
    users: Any = decode_response("users.get", body, {"fields": "sex,photo_100,city"})
    return users[0]


def test_a_decoded_model_shows_only_the_fields_it_carries() -> None:
    user = _vk_user()
    assert repr(user) == (
        "UsersUserFull(id=1, first_name='Pavel', last_name='Durov', can_access_closed=True, is_closed=False,"
        " sex=BaseSex.MALE, photo_100='https://x/p.jpg', city=BaseCity(id=2, title='Saint Petersburg'))"
    )


def test_the_repr_evaluates_to_an_equal_model() -> None:
    import apiforge.vk.models as models

    namespace = {name: getattr(models, name) for name in ("UsersUserFull", "BaseCity", "BaseSex")}
    user = _vk_user()
    assert eval(repr(user), namespace) == user
    built = models.UsersUserFull(id=5, first_name="A", last_name="B", is_closed=None, deactivated=None)
    assert repr(built) == "UsersUserFull(id=5, first_name='A', last_name='B')"  # a field given its default is left out
    assert eval(repr(built), namespace) == built


def test_a_value_unlike_its_default_is_shown() -> None:
    @attrs.define(kw_only=True, slots=True, repr=False, eq=False)
    class Flags(Model):
        on: bool | int = False
        name: str = ""

    assert repr(Flags()) == "Flags()"
    assert repr(Flags(on=0, name="n")) == "Flags(on=0, name='n')"  # 0 is not the default False
    assert eval(repr(Flags(on=True)), {"Flags": Flags}) == Flags(on=True)


def test_a_long_poll_key_never_shows() -> None:
    from apiforge.vk.models.groups import GroupsLongPollServer
    from apiforge.vk.models.messages import MessagesLongpollParams

    server = GroupsLongPollServer(key="lp-key-secret-0001", server="https://lp.vk.com/wh1", ts="5")
    assert repr(server) == f"GroupsLongPollServer(key={MASK!r}, server='https://lp.vk.com/wh1', ts='5')"
    params = MessagesLongpollParams(key="lp-key-secret-0002", server="im.vk.com/nim1", ts=7)
    assert "lp-key-secret-0002" not in repr(params)


def test_a_key_that_names_something_is_shown() -> None:
    from apiforge.vk.models.base import BaseRequestParam

    assert (
        repr(BaseRequestParam(key="method", value="users.get")) == "BaseRequestParam(key='method', value='users.get')"
    )
