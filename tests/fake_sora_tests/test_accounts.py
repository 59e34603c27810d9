"""Account endpoints and credential conversion (§4.1–4.5, §4.17, §4.18, §8.2)."""

from __future__ import annotations

import time

import httpx
import jwt

from tests.fake_sora import Credentials, FakeSora

from .conftest import error_of, message_of
from .spec_client import SORA_ANDROID_UA, SpecClient

ME_HEADERS = {
    "Accept": "application/json",
    "Origin": "https://sora.chatgpt.com",
    "Referer": "https://sora.chatgpt.com/",
}
CLIENT_ID = "app_LlGpXReQgckcGGUo2JrYvtJK"
REDIRECT_URI = "com.openai.chat://auth0.openai.com/ios/com.openai.chat/callback"


def auth(token: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **extra}


def test_me_reports_the_account(http: httpx.Client, account: Credentials, sim: FakeSora) -> None:
    response = http.get("/backend/me", headers=auth(account.access_token, **ME_HEADERS))
    assert response.status_code == 200
    assert response.json() | {"id": "x"} == {
        "id": "x",
        "email": "alice@example.com",
        "name": "Alice",
        "username": "alice",
        "profile_picture_url": None,
        "plan_type": "chatgpt_pro",
    }
    record = sim.requests_to("/me", "GET")[-1]
    assert record.account == "alice@example.com"
    assert record.headers["authorization"] == f"Bearer {account.access_token}"
    sim.assert_no_violations()


def test_me_username_can_be_null(http: httpx.Client, sim: FakeSora) -> None:
    creds = sim.create_account("bob@example.com", username=None)
    assert http.get("/backend/me", headers=auth(creds.access_token, **ME_HEADERS)).json()["username"] is None


def test_me_insists_on_the_h4_headers(http: httpx.Client, account: Credentials, sim: FakeSora) -> None:
    response = http.get("/backend/me", headers=auth(account.access_token, Accept="*/*"))
    assert response.status_code == 400
    assert "header accept must be 'application/json'" in message_of(response)
    assert len(sim.violations) == 1


def test_missing_or_unknown_bearer_is_token_invalidated(http: httpx.Client, account: Credentials) -> None:
    for headers in ({}, auth("nonsense"), {"Authorization": account.access_token}):
        response = http.get("/backend/billing/subscriptions", headers=headers)
        assert response.status_code == 401
        assert error_of(response)["code"] == "token_invalidated"


def test_access_tokens_can_be_invalidated_or_expired(
    http: httpx.Client, account: Credentials, sim: FakeSora
) -> None:
    url = "/backend/billing/subscriptions"
    assert sim.expire_access_tokens("alice@example.com") == 1
    assert error_of(http.get(url, headers=auth(account.access_token)))["code"] == "token_expired"
    fresh = sim.issue_access_token("alice@example.com")
    assert http.get(url, headers=auth(fresh)).status_code == 200
    sim.invalidate_access_tokens("alice@example.com")
    assert error_of(http.get(url, headers=auth(fresh)))["code"] == "token_invalidated"
    stale = sim.issue_access_token("alice@example.com", ttl_s=-5)
    assert error_of(http.get(url, headers=auth(stale)))["code"] == "token_expired"


def test_access_token_is_a_jwt_with_exp_and_profile_email(account: Credentials) -> None:
    claims = jwt.decode(account.access_token, options={"verify_signature": False})
    assert claims["exp"] > time.time() + 3600
    assert claims["https://api.openai.com/profile"]["email"] == "alice@example.com"


def test_billing_follows_the_plan(http: httpx.Client, account: Credentials, sim: FakeSora) -> None:
    url = "/backend/billing/subscriptions"
    data = http.get(url, headers=auth(account.access_token)).json()["data"]
    assert data[0]["plan"] == {"id": "chatgpt_pro", "title": "ChatGPT Pro"}
    assert data[0]["end_ts"].endswith("Z")
    sim.set_plan("alice@example.com", "chatgpt_plus")
    assert http.get(url, headers=auth(account.access_token)).json()["data"][0]["plan"]["id"] == "chatgpt_plus"
    sim.set_plan("alice@example.com", "free")
    assert http.get(url, headers=auth(account.access_token)).json() == {"data": []}


def test_invite_mine_and_bootstrap_activation(http: httpx.Client, sim: FakeSora) -> None:
    creds = sim.create_account("new@example.com", sora2="needs_activation")
    headers = auth(creds.access_token, Accept="application/json")
    first = http.get("/backend/project_y/invite/mine", headers=headers)
    assert first.status_code == 401 and "Unauthorized" in message_of(first)
    assert http.get("/backend/m/bootstrap", headers=headers).status_code == 200
    second = http.get("/backend/project_y/invite/mine", headers=headers)
    assert second.status_code == 200
    assert set(second.json()) == {"invite_code", "redeemed_count", "total_count"}


def test_unsupported_country(http: httpx.Client, sim: FakeSora) -> None:
    creds = sim.create_account("far@example.com", sora2="unsupported_country", country="CN")
    response = http.get(
        "/backend/project_y/invite/mine", headers=auth(creds.access_token, Accept="application/json")
    )
    assert response.status_code == 403
    assert error_of(response)["code"] == "unsupported_country_code"
    assert error_of(response)["param"] == "CN"


def test_nf_check_reports_quota(http: httpx.Client, account: Credentials, sim: FakeSora) -> None:
    sim.set_quota("alice@example.com", 0, resets_in=7200)
    headers = auth(account.access_token, Accept="application/json", **{"User-Agent": SORA_ANDROID_UA})
    balance = http.get("/backend/nf/check", headers=headers).json()["rate_limit_and_credit_balance"]
    assert balance["estimated_num_videos_remaining"] == 0
    assert balance["rate_limit_reached"] is True
    assert balance["access_resets_in_seconds"] == 7200


def test_username_check_and_set(alice: SpecClient, sim: FakeSora) -> None:
    sim.create_account("taken@example.com", username="taken_name")
    assert alice.post("/project_y/profile/username/check", {"username": "taken_name"}).json() == {
        "available": False
    }
    assert alice.post("/project_y/profile/username/check", {"username": "free_name"}).json() == {
        "available": True
    }
    response = alice.post("/project_y/profile/username/set", {"username": "free_name"})
    assert response.status_code == 200 and response.json()["username"] == "free_name"
    assert sim.account("alice@example.com").username == "free_name"
    bad = alice.post("/project_y/profile/username/check", {"name": "x"})
    assert bad.status_code == 400 and "unexpected key(s) ['name']" in message_of(bad)


def test_session_token_to_access_token(http: httpx.Client, account: Credentials) -> None:
    headers = {**ME_HEADERS, "Cookie": f"__Secure-next-auth.session-token={account.session_token}"}
    body = http.get("/api/auth/session", headers=headers).json()
    assert body["user"]["email"] == "alice@example.com"
    assert body["expires"].endswith("Z")
    me = http.get("/backend/me", headers=auth(body["accessToken"], **ME_HEADERS))
    assert me.json()["email"] == "alice@example.com"
    unknown = {**ME_HEADERS, "Cookie": "__Secure-next-auth.session-token=bogus"}
    assert http.get("/api/auth/session", headers=unknown).json() == {}
    assert http.get("/api/auth/session", headers=ME_HEADERS).status_code == 400


def test_refresh_token_rotates(http: httpx.Client, account: Credentials, sim: FakeSora) -> None:
    def refresh(rt: str, **changes: str) -> httpx.Response:
        body = {
            "client_id": CLIENT_ID,
            "grant_type": "refresh_token",
            "redirect_uri": REDIRECT_URI,
            "refresh_token": rt,
        }
        return http.post("/oauth/token", json=body | changes, headers={"Accept": "application/json"})

    first = refresh(account.refresh_token)
    assert first.status_code == 200
    tokens = first.json()
    assert tokens["refresh_token"] != account.refresh_token and tokens["expires_in"] > 0
    assert http.get("/backend/me", headers=auth(tokens["access_token"], **ME_HEADERS)).status_code == 200
    reused = refresh(account.refresh_token)
    assert reused.status_code == 401 and error_of(reused)["code"] == "refresh_token_reused"
    assert refresh(tokens["refresh_token"]).status_code == 200
    wrong = refresh("whatever", redirect_uri="https://example.com/callback")
    assert wrong.status_code == 400 and "redirect_uri" in message_of(wrong)
    assert sim.requests_to("/oauth/token")[0].account == "alice@example.com"
