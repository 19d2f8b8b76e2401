"""The shared base of generated models: repr and equality, credentials masked in the repr."""

from __future__ import annotations

import attrs
import pytest

from apiforge.core.model import Model
from apiforge.core.redact import MASK


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


def test_absent_credentials_show_as_none() -> None:
    assert repr(Login(id=2)) == "Login(id=2, user_token=None, session=None)"


def test_equality_is_by_class_and_fields() -> None:
    assert Login(id=1) == Login(id=1)
    assert Login(id=1) != Login(id=2)


def test_an_unset_field_reads_as_its_default() -> None:
    """The decoder fills only the fields a response carries; the others read as their defaults."""
    login = object.__new__(Login)
    object.__setattr__(login, "id", 3)
    assert (login.user_token, login.session) == (None, None)
    assert login == Login(id=3) and repr(login) == repr(Login(id=3))


def test_an_unset_required_field_and_an_undeclared_name_are_still_errors() -> None:
    bare = object.__new__(Login)
    with pytest.raises(AttributeError, match="'Login' object has no attribute 'id'"):
        _ = bare.id
    with pytest.raises(AttributeError, match="'Login' object has no attribute 'nickname'"):
        getattr(Login(id=1), "nickname")  # noqa: B009 - not a declared field
