"""Adding accounts every way (AT, ST, RT; one or a file), keeping them alive, and seeing their state."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from tests.fake_sora import FakeSora, FakeSoraServer, Timing
from tests.support.pool_gateway import accounts, add, cli, image, pool_gateway, sdk, settle, video, wait_for


@pytest.fixture(autouse=True)
def _instant(sim: FakeSora) -> None:
    """Generations take milliseconds: these tests are about the pool, not progress."""
    sim.timing = Timing.instant()


def test_accounts_added_as_at_st_and_rt_all_serve_requests(
    tmp_path: Path, upstream: FakeSoraServer, sim: FakeSora
) -> None:
    with (
        pool_gateway(tmp_path, upstream, pool={"selection": "round_robin"}) as gateway,
        sdk(gateway) as client,
    ):
        by_at = sim.create_account("at@example.com", plan="chatgpt_plus")
        by_st = sim.create_account("st@example.com", plan="chatgpt_plus")
        by_rt = sim.create_account("rt@example.com", plan="chatgpt_plus")
        add(gateway, by_at)
        add(gateway, by_st, token="--st")
        add(gateway, by_rt, "--client-id", by_rt.client_id, token="--rt")
        assert sim.count("/api/auth/session") == 1 and sim.count("/oauth/token") == 1
        settle(gateway)
        for i in range(3):
            image(client, f"pear {i}")
        assert {r.account for r in sim.requests_to("/video_gen", "POST")} == {
            "at@example.com",
            "st@example.com",
            "rt@example.com",
        }
        # the refresh token was spent and rotated; the stored one is the new one, so it renews
        assert sim.account("rt@example.com").refresh_token != by_rt.refresh_token
        code, out, _ = cli(gateway, "tokens", "refresh", "3")
        assert code == 0 and "ok: renewed from the refresh token" in out


def test_rt_only_import_keeps_the_rotated_refresh_token(
    tmp_path: Path, upstream: FakeSoraServer, sim: FakeSora
) -> None:
    one = sim.create_account("one@example.com", plan="chatgpt_plus")
    two = sim.create_account("two@example.com", plan="chatgpt_pro")
    file = tmp_path / "rts.txt"
    file.write_text(f"# refresh tokens\n{one.refresh_token}\n\n{two.refresh_token}\n{one.refresh_token}\n")
    with pool_gateway(tmp_path, upstream) as gateway, sdk(gateway) as client:
        code, out, err = cli(
            gateway, "tokens", "import", str(file), "--kind", "rt", "--client-id", one.client_id
        )
        assert code == 0, out + err
        lines = out.splitlines()
        assert lines[0].startswith("line 2: added account 1: one@example.com")
        assert lines[1].startswith("line 4: added account 2: two@example.com  chatgpt_pro")
        assert lines[2] == "line 5: duplicate: the same token as line 2"
        assert lines[3] == "2 added, 0 updated, 1 duplicate, 0 failed"
        assert one.refresh_token not in out + err
        rotated = sim.account("one@example.com").refresh_token
        assert rotated != one.refresh_token
        # the stored token is the rotated one: renewing works (the spent one would be refused)
        code, out, _ = cli(gateway, "tokens", "refresh", "1")
        assert code == 0 and "account 1: ok: renewed from the refresh token" in out
        assert sim.account("one@example.com").refresh_token != rotated
        # importing the spent token again: a clear reason for that line
        code, out, _ = cli(
            gateway, "tokens", "import", str(file), "--kind", "rt", "--client-id", one.client_id
        )
        assert code == 1
        assert "line 2: failed: " in out and "already been used" in out
        image(client)


def test_json_import_in_the_originals_export_format_reports_per_item(
    tmp_path: Path, upstream: FakeSoraServer, sim: FakeSora
) -> None:
    at = sim.create_account("at@example.com", plan="chatgpt_plus")
    st = sim.create_account("st@example.com", plan="chatgpt_plus")
    rt = sim.create_account("rt@example.com", plan="chatgpt_plus")
    known = sim.create_account("known@example.com", plan="chatgpt_plus")
    exported = [
        {"email": "at@example.com", "access_token": at.access_token, "video_concurrency": 2, "remark": "x"},
        {"email": "st@example.com", "session_token": st.session_token, "is_active": False},
        {"email": "rt@example.com", "refresh_token": rt.refresh_token, "client_id": rt.client_id},
        {"email": "bad@example.com", "access_token": "not-a-jwt"},
        {"email": "at@example.com", "access_token": at.access_token},
        {"email": "known@example.com", "access_token": sim.issue_access_token("known@example.com")},
        {"email": "none@example.com"},
    ]
    file = tmp_path / "tokens_2026-03-07.json"
    file.write_text(json.dumps(exported))
    with pool_gateway(tmp_path, upstream) as gateway:
        add(gateway, known)
        code, out, _ = cli(gateway, "tokens", "import", str(file))
        assert code == 1  # some items failed
        report = out.splitlines()
        assert report[0].startswith("item 1 (at@example.com): added account 2:")
        assert (
            report[1].startswith("item 2 (st@example.com): added account 3:")
            and "disabled (manual)" in report[1]
        )
        assert report[2].startswith("item 3 (rt@example.com): added account 4:")
        assert report[3] == "item 4 (bad@example.com): failed: The access token is not a valid JWT"
        assert report[4] == "item 5 (at@example.com): duplicate: the same token as item 1 (at@example.com)"
        assert report[5].startswith("item 6 (known@example.com): updated account 1:")
        assert (
            report[6] == "item 7 (none@example.com): failed: no access_token, session_token or refresh_token"
        )
        assert report[7] == "3 added, 1 updated, 1 duplicate, 2 failed"
        state = accounts(gateway)
        assert state["at@example.com"]["video_concurrency"] == 2 and state["at@example.com"]["remark"] == "x"
        assert (
            state["st@example.com"]["has_session_token"] and state["st@example.com"]["status"] == "disabled"
        )
        assert state["rt@example.com"]["has_refresh_token"]
        for secret in (at.access_token, st.session_token, rt.refresh_token):
            assert secret not in out


def test_duplicates_and_bad_tokens_get_clear_reasons(
    tmp_path: Path, upstream: FakeSoraServer, sim: FakeSora
) -> None:
    creds = sim.create_account("dup@example.com", plan="chatgpt_plus")
    dead = sim.create_account("dead@example.com", plan="chatgpt_plus")
    sim.invalidate_access_tokens("dead@example.com")
    expired = sim.create_account("old@example.com", plan="chatgpt_plus")
    with pool_gateway(tmp_path, upstream) as gateway:
        add(gateway, creds, "--st", creds.session_token)
        sessions = sim.count("/api/auth/session")
        cases = {
            ("--at", creds.access_token): "This access token already belongs to account 1 (dup@example.com)",
            ("--st", creds.session_token): "This session token already belongs to account 1",
            ("--at", "not-a-jwt"): "The access token is not a valid JWT",
            ("--at", sim.issue_access_token("old@example.com", -60)): "The access token expired on",
            ("--at", dead.access_token): "rejected the account's credentials",
            ("--st", "no-such-session"): "The session token is invalid or expired",
            ("--rt", "no-such-refresh"): "Could not validate your refresh token",
        }
        for (flag, token), reason in cases.items():
            code, out, err = cli(gateway, "tokens", "add", flag, token)
            assert code == 1 and out == ""
            assert err.startswith("error: ") and reason in err, err
            assert token not in err or token == "not-a-jwt"
        assert sim.count("/api/auth/session") == sessions + 1  # the duplicate ST was not spent
        assert expired.email not in accounts(gateway)


def test_tokens_are_renewed_ahead_of_expiry_from_st_and_rt(
    tmp_path: Path, upstream: FakeSoraServer, sim: FakeSora
) -> None:
    st = sim.create_account("st@example.com", plan="chatgpt_plus")
    rt = sim.create_account("rt@example.com", plan="chatgpt_plus")
    with pool_gateway(tmp_path, upstream, pool={"refresh_ahead": 3600}) as gateway, sdk(gateway) as client:
        short_st = sim.issue_access_token("st@example.com", 120)
        short_rt = sim.issue_access_token("rt@example.com", 120)
        code, _, err = cli(gateway, "tokens", "add", "--at", short_st, "--st", st.session_token)
        assert code == 0, err
        code, _, err = cli(
            gateway, "tokens", "add", "--at", short_rt, "--rt", rt.refresh_token, "--client-id", rt.client_id
        )
        assert code == 0, err
        assert sim.count("/oauth/token") == 0  # the access token was good: the RT is kept for later

        def renewed() -> bool:
            state = accounts(gateway)
            return all(
                str(state[e]["last_refresh_result"]).startswith("ok")
                for e in ("st@example.com", "rt@example.com")
            )

        wait_for(renewed)
        state = accounts(gateway)
        assert state["st@example.com"]["last_refresh_result"] == "ok: renewed from the session token"
        assert state["rt@example.com"]["last_refresh_result"] == "ok: renewed from the refresh token"
        for email in ("st@example.com", "rt@example.com"):
            expires = datetime.fromisoformat(state[email]["expires_at"])
            assert (expires - datetime.fromisoformat(state[email]["last_refresh_at"])).days >= 9
        assert sim.account("rt@example.com").refresh_token != rt.refresh_token  # rotated and kept
        with sim.lock:  # only the renewed tokens work now
            for token in (short_st, short_rt):
                sim.accounts.access_tokens[token].state = "invalidated"
        image(client)
        image(client)
        assert all(r.status == 200 for r in sim.requests_to("/video_gen", "POST"))


def test_an_account_that_cannot_be_renewed_is_marked_expired_with_the_reason(
    tmp_path: Path, upstream: FakeSoraServer, sim: FakeSora
) -> None:
    sim.create_account("short@example.com", plan="chatgpt_plus")
    token = sim.issue_access_token("short@example.com", 2)
    with pool_gateway(tmp_path, upstream) as gateway:
        code, _, err = cli(gateway, "tokens", "add", "--at", token, "--st", "a-session-that-died")
        assert code == 0, err
        wait_for(lambda: accounts(gateway)["short@example.com"]["disabled_reason"] == "expired", timeout=8)
        state = accounts(gateway)["short@example.com"]
        assert state["status"] == "disabled"
        assert state["last_refresh_result"].startswith("failed: session token: ")
        assert "expired" in state["last_error"] and "a-session-that-died" not in json.dumps(state)


def test_tokens_list_shows_the_pool_state_and_enable_disable_test_update(
    tmp_path: Path, upstream: FakeSoraServer, sim: FakeSora
) -> None:
    creds = sim.create_account(
        "view@example.com", plan="chatgpt_pro", quota=12, access_resets_in_seconds=3600
    )
    with pool_gateway(tmp_path, upstream) as gateway, sdk(gateway) as client:
        add(gateway, creds, "--video-concurrency", "2", "--total-concurrency", "2", "--remark", "main")
        video(client)
        wait_for(lambda: accounts(gateway)["view@example.com"]["remaining_videos"] == 11)
        code, out, _ = cli(gateway, "tokens", "list")
        assert code == 0
        line = out.rstrip("\n")
        for part in (
            "   1  view@example.com  chatgpt_pro  sora2: yes  videos left: 11 (resets ",
            "in flight: video 0/2 image 0/1 total cap 2",
            "  active  token expires ",
            "ok 1 / failed 0",
            "remark: main",
        ):
            assert part in line, line
        assert creds.access_token not in out

        assert "disabled (manual)" in cli(gateway, "tokens", "disable", "1")[1]
        assert "  active  " in cli(gateway, "tokens", "enable", "1")[1]
        code, out, _ = cli(gateway, "tokens", "test", "1")
        assert code == 0 and out.startswith("account 1: ok: healthy")
        code, out, _ = cli(
            gateway, "tokens", "update", "1", "--proxy", "socks5://user:pw@127.0.0.1:9", "--no-image"
        )
        assert code == 0 and "proxy socks5://127.0.0.1:9" in out and "off: image" in out and "pw@" not in out
        assert cli(gateway, "tokens", "update", "1", "--proxy", "")[0] == 0
        assert accounts(gateway)["view@example.com"]["proxy_url"] is None
        sim.invalidate_access_tokens("view@example.com")
        code, out, _ = cli(gateway, "tokens", "test", "--all")
        assert code == 1 and "account 1: failed: " in out and "disabled (token_invalid)" in out
        code, _, err = cli(gateway, "tokens", "refresh", "1")
        assert code == 1 and "no session or refresh token" in _ + err
