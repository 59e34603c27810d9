"""Import files: one token per line, or JSON as the original's export (pure parsing)."""

from __future__ import annotations

import json

import jwt

from router.account_import import NewAccount, guess_kind, parse_import

AT = jwt.encode({"exp": 4102444800, "sub": "u"}, "k" * 32, algorithm="HS256")
JWE = "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..aXY.Y2lwaGVy.dGFn"


def test_guess_kind() -> None:
    assert guess_kind(AT) == "at"
    assert guess_kind(JWE) == "st"
    assert guess_kind("rt_abc123") == "rt"
    assert guess_kind("opaque-token") is None
    assert guess_kind("a.b.c") is None  # three parts but not a JWT


def test_text_lines_with_kinds_comments_and_defaults() -> None:
    text = f"# my accounts\n\n{AT}\n{JWE}\nrt_one\nopaque\nwith space\n"
    defaults = NewAccount(proxy_url="socks5://p:1", video_concurrency=2, remark="batch")
    entries = parse_import(text, defaults=defaults)
    assert [e.label for e in entries] == ["line 3", "line 4", "line 5", "line 6", "line 7"]
    at, st, rt, unknown, spaced = entries
    assert at.account == NewAccount(
        access_token=AT, proxy_url="socks5://p:1", video_concurrency=2, remark="batch"
    )
    assert st.account is not None and st.account.session_token == JWE
    assert rt.account is not None and rt.account.refresh_token == "rt_one"
    assert unknown.account is None and unknown.error is not None and "--kind" in unknown.error
    assert spaced.account is None
    forced = parse_import("opaque\nother\n", kind="rt", defaults=NewAccount(client_id="app_x"))
    assert [e.account for e in forced] == [
        NewAccount(refresh_token="opaque", client_id="app_x"),
        NewAccount(refresh_token="other", client_id="app_x"),
    ]


def test_json_in_the_originals_export_format() -> None:
    exported = [
        {
            "email": "a@example.com",
            "access_token": AT,
            "session_token": "st-a",
            "refresh_token": None,
            "client_id": None,
            "proxy_url": "http://p:8080",
            "remark": "first",
            "is_active": False,
            "image_enabled": True,
            "video_enabled": False,
            "image_concurrency": -1,
            "video_concurrency": 2,
        },
        {"email": "b@example.com", "refresh_token": "rt-b", "client_id": "app_b"},
        {"email": "c@example.com"},
        "not an object",
        {"email": "d@example.com", "access_token": 5},
        {"email": "e@example.com", "session_token": "st-e", "video_concurrency": "3"},
    ]
    entries = parse_import(json.dumps(exported), defaults=NewAccount(remark="default"))
    first, second, third, fourth, fifth, sixth = entries
    assert first.label == "item 1 (a@example.com)"
    assert first.account == NewAccount(
        access_token=AT,
        session_token="st-a",
        proxy_url="http://p:8080",
        remark="first",
        active=False,
        image_enabled=True,
        video_enabled=False,
        image_concurrency=-1,
        video_concurrency=2,
        email="a@example.com",
    )
    assert second.account == NewAccount(
        refresh_token="rt-b", client_id="app_b", email="b@example.com", remark="default"
    )
    assert third.account is None and third.error is not None and "no access_token" in third.error
    assert fourth.account is None and fifth.account is None and sixth.account is None
    wrapped = parse_import(json.dumps({"tokens": exported[:1]}))
    assert wrapped[0].account is not None and wrapped[0].account.access_token == AT
    assert parse_import("[not json")[0].error is not None
