"""Header sets per call class (spec §2.3) — pure functions."""

from __future__ import annotations

from router.sora import headers as h
from router.sora.sentinel import SentinelToken

TOKEN = SentinelToken(header='{"p":"x"}', device_id="dev-1", user_agent=h.MOBILE_CHROME_UA)


def test_user_agents_are_the_spec_constants() -> None:
    assert h.SORA_APP_UA == "Sora/1.2026.007 (Android 15; 24122RKC7C; build 2600700)"
    assert "Nexus 5 Build/MRA58N" in h.MOBILE_CHROME_UA and "Chrome/131.0.0.0 Mobile" in h.MOBILE_CHROME_UA
    assert h.DESKTOP_CHROME_UA.startswith("Mozilla/5.0 (Windows NT 10.0; Win64; x64)")
    assert "Chrome/131.0.0.0 Safari/537.36" in h.DESKTOP_CHROME_UA


def test_h1_generic() -> None:
    assert h.backend_headers("AT") == {
        "Authorization": "Bearer AT",
        "User-Agent": h.SORA_APP_UA,
        "Content-Type": "application/json",
    }
    assert "Content-Type" not in h.backend_headers("AT", multipart=True)


def test_h2_generic_with_sentinel() -> None:
    headers = h.sentinel_backend_headers("AT", TOKEN)
    assert headers == {
        "Authorization": "Bearer AT",
        "User-Agent": h.MOBILE_CHROME_UA,
        "Content-Type": "application/json",
        "openai-sentinel-token": '{"p":"x"}',
        "oai-device-id": "dev-1",
    }
    with_cookie = SentinelToken(header="s", device_id="d", user_agent="UA", cookie="a=b")
    assert h.sentinel_backend_headers("AT", with_cookie)["Cookie"] == "a=b"


def test_h3_create() -> None:
    token = SentinelToken(header="S", device_id="dev", user_agent=h.DESKTOP_CHROME_UA)
    headers = h.create_headers("AT", token, session_token="ST")
    assert headers["Authorization"] == "Bearer AT"
    assert headers["openai-sentinel-token"] == "S"
    assert headers["User-Agent"] == h.DESKTOP_CHROME_UA
    assert headers["oai-language"] == "en-US"
    assert headers["oai-device-id"] == "dev"
    assert headers["Accept"] == "*/*"
    assert headers["Accept-Language"] == "zh-CN,zh;q=0.9,en;q=0.8"
    assert headers["Cache-Control"] == headers["Pragma"] == "no-cache"
    assert headers["Origin"] == "https://sora.chatgpt.com"
    assert headers["Referer"] == "https://sora.chatgpt.com/explore"
    assert '"Google Chrome";v="131"' in headers["Sec-Ch-Ua"]
    assert (headers["Sec-Ch-Ua-Mobile"], headers["Sec-Ch-Ua-Platform"]) == ("?0", '"Windows"')
    assert (headers["Sec-Fetch-Dest"], headers["Sec-Fetch-Mode"], headers["Sec-Fetch-Site"]) == (
        "empty",
        "cors",
        "same-origin",
    )
    assert headers["Priority"] == "u=1, i"
    assert headers["Cookie"] == "__Secure-next-auth.session-token=ST"


def test_h3_cookie_rules() -> None:
    service = SentinelToken(header="S", device_id="d", user_agent="UA", cookie="svc=1")
    assert h.create_headers("AT", service, session_token="ST")["Cookie"] == "svc=1"
    plain = SentinelToken(header="S", device_id="d", user_agent="UA")
    assert "Cookie" not in h.create_headers("AT", plain, session_token=None)


def test_h4_account_calls() -> None:
    assert h.me_headers("AT") == {
        "Authorization": "Bearer AT",
        "Accept": "application/json",
        "Origin": "https://sora.chatgpt.com",
        "Referer": "https://sora.chatgpt.com/",
    }
    assert h.subscriptions_headers("AT") == {"Authorization": "Bearer AT"}
    assert h.invite_headers("AT") == {"Authorization": "Bearer AT", "Accept": "application/json"}
    assert h.quota_headers("AT") == {
        "Authorization": "Bearer AT",
        "Accept": "application/json",
        "User-Agent": h.SORA_APP_UA,
    }
    assert h.session_exchange_headers("ST") == {
        "Cookie": "__Secure-next-auth.session-token=ST",
        "Accept": "application/json",
        "Origin": "https://sora.chatgpt.com",
        "Referer": "https://sora.chatgpt.com/",
    }
    assert h.oauth_headers() == {"Accept": "application/json", "Content-Type": "application/json"}


def test_h5_and_h6() -> None:
    assert h.delete_headers("AT") == {"Authorization": "Bearer AT"}
    media = h.media_headers()
    assert "Authorization" not in media and "Cookie" not in media


def test_sentinel_request_headers() -> None:
    headers = h.sentinel_request_headers("UA/1", '{"p":"q"}')
    assert headers["User-Agent"] == 'UA/1 {"p":"q"}'
    assert headers["Content-Type"] == "text/plain;charset=UTF-8"
    assert headers["Origin"] == "https://chatgpt.com"
    assert headers["Referer"] == "https://chatgpt.com/backend-api/sentinel/frame.html"
    assert (headers["sec-ch-ua-mobile"], headers["sec-ch-ua-platform"]) == ("?1", '"Android"')
    assert "Authorization" not in headers and "Cookie" not in headers
    assert h.sentinel_request_headers("UA", "{}", session_token="ST")["Cookie"].endswith("=ST")
