"""VK OAuth (authorization URL, code -> token) and the Bearer/Basic helpers, against a local fake server.

The fake OAuth server runs on 127.0.0.1 and checks what VK's token endpoint checks: the app's
id and secret, the redirect URI the code was issued for, and a code that is used once.
"""

from __future__ import annotations

import base64
import json
import logging
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

import httpx
import pytest

from apiforge.core import DecodeError, TransportError
from apiforge.core.auth import BasicAuth, BearerAuth, Token
from apiforge.core.auth.vk_oauth import (
    OAuthError,
    OAuthGrant,
    authorization_url,
    exchange_code,
    exchange_code_async,
    exchange_request,
    parse_grant,
)
from apiforge.core.redact import MASK, redact_text
from apiforge.testing import FakeVK
from apiforge.testing._server import FakeServer, Response, json_response, parse_form
from apiforge.vk import VK

CLIENT_ID = 51234567
CLIENT_SECRET = f"app-secret-{uuid.uuid4().hex}"
REDIRECT = "https://example.com/vk/callback"


class FakeOAuth(FakeServer):
    """oauth.vk.com's token endpoint (and any endpoint, for the auth helpers): remembers what it got."""

    def __init__(self) -> None:
        super().__init__()
        self.codes: dict[str, str] = {}  # code -> the user's access token
        self.requests: list[tuple[str, str, dict[str, str], dict[str, str]]] = []  # method, url, fields, headers

    def issue_code(self) -> tuple[str, str]:
        code, token = uuid.uuid4().hex * 2, f"vk1.a.oauth-{uuid.uuid4().hex}"
        self.codes[code] = token
        return code, token

    def handle(self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes) -> Response:
        fields = {**query, **(parse_form(headers, body) if method == "POST" else {})}
        self.requests.append((method, path, fields, headers))
        if path != "/access_token":
            return json_response({"authorization": headers.get("authorization")})
        if fields.get("client_id") != str(CLIENT_ID) or fields.get("client_secret") != CLIENT_SECRET:
            return json_response({"error": "invalid_client", "error_description": "client_secret is incorrect"}, 401)
        if fields.get("redirect_uri") != REDIRECT:
            return json_response({"error": "invalid_request", "error_description": "redirect_uri is incorrect"}, 400)
        token = self.codes.pop(fields.get("code", ""), None)
        if token is None:
            return json_response({"error": "invalid_grant", "error_description": "Code is invalid or expired."}, 401)
        return json_response({"access_token": token, "expires_in": 86400, "user_id": 1, "email": "durov@example.com"})


@pytest.fixture
def oauth() -> Iterator[FakeOAuth]:
    with FakeOAuth() as server:
        yield server


# The authorization URL


def test_authorization_url() -> None:
    url = authorization_url(CLIENT_ID, REDIRECT, ["friends", "photos"], "csrf-state-1", v="5.199")
    split = urlsplit(url)
    assert (split.scheme, split.netloc, split.path) == ("https", "oauth.vk.com", "/authorize")
    assert dict(parse_qsl(split.query)) == {
        "client_id": "51234567",
        "redirect_uri": REDIRECT,
        "display": "page",
        "scope": "friends,photos",
        "response_type": "code",
        "state": "csrf-state-1",
        "v": "5.199",
    }


def test_authorization_url_options() -> None:
    url = authorization_url(
        "51234567",
        REDIRECT,
        4096 + 2,
        response_type="token",
        display="mobile",
        revoke=True,
        base_url="http://127.0.0.1:9",
    )
    query = parse_qs(urlsplit(url).query)
    assert url.startswith("http://127.0.0.1:9/authorize?")
    assert query["scope"] == ["4098"] and query["response_type"] == ["token"]
    assert query["display"] == ["mobile"] and query["revoke"] == ["1"]
    assert "state" not in query and "v" not in query


@pytest.mark.parametrize("client_id", ["my-app", True, -5])
def test_authorization_url_needs_a_numeric_client_id(client_id: Any) -> None:
    with pytest.raises(ValueError, match="client_id must be the app's numeric id"):
        authorization_url(client_id, REDIRECT)


# The exchange request, on its own


def test_the_exchange_is_a_form_post_keeping_secrets_out_of_the_url() -> None:
    code = uuid.uuid4().hex
    request = exchange_request(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, redirect_uri=REDIRECT, code=code)
    assert request.method == "POST"
    assert str(request.url) == "https://oauth.vk.com/access_token"
    assert dict(parse_qsl(request.content.decode())) == {
        "client_id": str(CLIENT_ID),
        "client_secret": CLIENT_SECRET,
        "redirect_uri": REDIRECT,
        "code": code,
    }
    assert redact_text(f"{CLIENT_SECRET} {code}") == f"{MASK} {MASK}"  # both registered as secrets


def test_the_exchange_as_a_get_when_asked() -> None:
    request = exchange_request(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, redirect_uri=REDIRECT, code="c0de", method="GET"
    )
    assert request.method == "GET" and dict(request.url.params)["client_secret"] == CLIENT_SECRET


def test_parse_grant() -> None:
    token = f"vk1.a.parsed-{uuid.uuid4().hex}"
    grant = parse_grant({"access_token": token, "expires_in": 0, "user_id": 66748, "access_token_123": "group-tok-xyz"})
    assert grant == OAuthGrant(
        access_token=token, expires_in=0, user_id=66748, email=None, extra={"access_token_123": "group-tok-xyz"}
    )
    assert token not in repr(grant) and "group-tok-xyz" not in redact_text("group-tok-xyz")
    assert grant.token() == Token(token, "user")


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (
            {"error": "invalid_grant", "error_description": "Code is expired."},
            "VK OAuth: invalid_grant: Code is expired.",
        ),
        ([], "expected a JSON object"),
        ({"expires_in": 1}, 'code exchange: \\$\\["access_token"\\]: expected the access token string'),
        ({"access_token": "tok-abc-123", "expires_in": "soon"}, "code exchange: \\$.expires_in: expected an integer"),
    ],
)
def test_parse_grant_failures(body: Any, error: str) -> None:
    with pytest.raises((OAuthError, DecodeError), match=error):
        parse_grant(body)


# The exchange against a fake OAuth server on 127.0.0.1


def test_exchange_code(oauth: FakeOAuth) -> None:
    code, token = oauth.issue_code()
    with httpx.Client() as http:
        grant = exchange_code(
            http, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, redirect_uri=REDIRECT, code=code, base_url=oauth.url
        )
    assert (grant.access_token, grant.expires_in, grant.user_id, grant.email) == (token, 86400, 1, "durov@example.com")
    ((method, path, fields, _),) = oauth.requests
    assert (method, path, fields["code"]) == ("POST", "/access_token", code)


async def test_exchange_code_async(oauth: FakeOAuth) -> None:
    code, token = oauth.issue_code()
    async with httpx.AsyncClient() as http:
        grant = await exchange_code_async(
            http, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, redirect_uri=REDIRECT, code=code, base_url=oauth.url
        )
    assert grant.access_token == token


def test_a_used_code_is_refused(oauth: FakeOAuth) -> None:
    code, _ = oauth.issue_code()
    options: dict[str, Any] = {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "redirect_uri": REDIRECT,
        "code": code,
        "base_url": oauth.url,
    }
    with httpx.Client() as http:
        exchange_code(http, **options)
        with pytest.raises(OAuthError) as info:
            exchange_code(http, **options)
    assert (info.value.error, info.value.status_code) == ("invalid_grant", 401)
    assert str(info.value) == "VK OAuth: invalid_grant: Code is invalid or expired."


async def test_a_wrong_secret_is_refused_without_showing_it(oauth: FakeOAuth) -> None:
    wrong = f"wrong-secret-{uuid.uuid4().hex}"
    code, _ = oauth.issue_code()
    async with httpx.AsyncClient() as http:
        with pytest.raises(OAuthError) as info:
            await exchange_code_async(
                http, client_id=CLIENT_ID, client_secret=wrong, redirect_uri=REDIRECT, code=code, base_url=oauth.url
            )
    assert info.value.error == "invalid_client"
    assert wrong not in str(info.value) and wrong not in repr(info.value)


def test_an_unreachable_server_is_a_transport_error() -> None:
    with FakeOAuth() as server:
        url = server.url
    with httpx.Client() as http, pytest.raises(TransportError):
        exchange_code(
            http, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, redirect_uri=REDIRECT, code="c0de", base_url=url
        )


def test_the_granted_token_drives_a_client(oauth: FakeOAuth) -> None:
    code, token = oauth.issue_code()
    with httpx.Client() as http:
        grant = exchange_code(
            http, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, redirect_uri=REDIRECT, code=code, base_url=oauth.url
        )
    with FakeVK(tokens={token}) as fake, VK(token=grant.token(), base_url=fake.url, rate_limit=None) as vk:
        assert [u.id for u in vk.users.get(user_ids=[1])] == [1]


def test_the_oauth_flow_logs_no_secret(oauth: FakeOAuth, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # httpx and httpcore log every request at INFO/DEBUG
    code, token = oauth.issue_code()
    with httpx.Client() as http:
        grant = exchange_code(
            http, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, redirect_uri=REDIRECT, code=code, base_url=oauth.url
        )
        with pytest.raises(OAuthError) as info:
            exchange_code(
                http,
                client_id=CLIENT_ID,
                client_secret=CLIENT_SECRET,
                redirect_uri=REDIRECT,
                code=code,
                base_url=oauth.url,
            )
    assert any("access_token" in record.getMessage() for record in caplog.records)  # the request was logged
    texts = [record.getMessage() for record in caplog.records] + [repr(grant), str(info.value), repr(info.value)]
    for secret in (CLIENT_SECRET, code, token):
        assert all(secret not in text for text in texts)


# Bearer and Basic auth for any endpoint


def test_bearer_auth(oauth: FakeOAuth) -> None:
    token = f"bearer-{uuid.uuid4().hex}"
    auth = BearerAuth(token)
    with httpx.Client(auth=auth) as http:
        answer = http.get(f"{oauth.url}/anything").json()
    assert answer == {"authorization": f"Bearer {token}"}
    assert repr(auth) == f"BearerAuth({MASK})" and token not in redact_text(f"Authorization: Bearer {token}")
    assert BearerAuth(Token(token, "service")).authorization == f"Bearer {token}"


async def test_basic_auth(oauth: FakeOAuth) -> None:
    password = f"pässword-{uuid.uuid4().hex}"
    auth = BasicAuth("operator", password)
    async with httpx.AsyncClient() as http:
        answer = (await http.get(f"{oauth.url}/anything", auth=auth)).json()
    encoded = base64.b64encode(f"operator:{password}".encode()).decode()
    assert answer == {"authorization": f"Basic {encoded}"}
    assert repr(auth) == f"BasicAuth(user='operator', password={MASK})"
    assert redact_text(json.dumps(answer)) == json.dumps({"authorization": f"Basic {MASK}"})


@pytest.mark.parametrize(
    ("make", "error"),
    [
        (lambda: BearerAuth(""), "BearerAuth needs a non-empty token string"),
        (lambda: BasicAuth("a:b", "pw"), "without ':'"),
    ],
)
def test_auth_helpers_refuse_bad_input(make: Any, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        make()
