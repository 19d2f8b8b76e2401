"""The spec corrections the corpus called for, checked on the generated SDKs themselves."""

from __future__ import annotations

import inspect
import typing

import apiforge.vk as vk
import apiforge.wialon as wialon
import apiforge.yclients as yclients
from apiforge.vk.methods.database import DatabaseMethods
from apiforge.vk.methods.friends import FriendsMethods
from apiforge.vk.methods.messages import MessagesMethods
from apiforge.vk.methods.polls import PollsMethods
from apiforge.vk.methods.users import UsersMethods
from apiforge.vk.methods.wall import WallMethods
from apiforge.vk.models import BaseNameCase
from apiforge.wialon.methods.token import TokenMethods
from apiforge.yclients.methods.staff import StaffMethods


def _params(function: object) -> dict[str, inspect.Parameter]:
    return dict(inspect.signature(function).parameters)  # type: ignore[arg-type]


def test_vk_parameters_real_callers_send() -> None:
    assert "country_id" in _params(DatabaseMethods.get_cities)
    assert "country_id" in _params(DatabaseMethods.get_universities)
    assert "owner_id" in _params(WallMethods.search)
    assert "name_case" in _params(FriendsMethods.get)
    assert "answer_id" in _params(PollsMethods.delete_vote)
    assert "conversation_message_id" in _params(MessagesMethods.edit)


def test_vk_name_case_takes_the_documented_lowercase_values() -> None:
    assert {"nom", "gen", "dat", "acc", "ins", "abl"} <= {m.value for m in BaseNameCase}
    assert {"Nom", "Gen"} <= {m.value for m in BaseNameCase}  # the schema's values stay accepted
    hint = typing.get_type_hints(UsersMethods.get)["name_case"]
    assert "gen" in str(hint)


def test_wialon_token_login_without_fl_and_activity_settings() -> None:
    assert _params(TokenMethods.login)["fl"].default is None
    assert "unit/get_activity_settings" in wialon.METHODS


def test_yclients_collection_routes_and_no_callback() -> None:
    assert "POST /api/v1/https://your-api.url" not in yclients.METHODS
    info = yclients.METHODS["GET /api/v1/staff/{company_id}"]
    assert (info.group, info.python_name) == ("staff", "list_all_legacy")
    assert "staff_id" not in _params(StaffMethods.list_all_legacy)
    assert "staff_id" in _params(StaffMethods.list_legacy)  # the document's route stays
    assert len(vk.METHODS) > 500
