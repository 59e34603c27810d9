"""Standard Webhooks signatures, against a vector computed here by hand and the official SDK's check."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

import openai
import pytest
from pydantic import ValidationError

from router.config import WebhookEndpoint
from router.webhooks.signing import new_secret, sign, signed_headers

KEY = bytes(range(32))
SECRET = "whsec_" + base64.b64encode(KEY).decode()
BODY = (
    '{"id":"evt_1","object":"event","created_at":1700000000,"type":"video.completed","data":{"id":"video_1"}}'
)


def test_signature_matches_a_vector_computed_independently() -> None:
    message = b"wh_abc.1700000000." + BODY.encode()
    expected = "v1," + base64.b64encode(hmac.new(KEY, message, hashlib.sha256).digest()).decode()
    assert sign(SECRET, "wh_abc", 1700000000, BODY) == expected


def test_the_official_sdk_verifies_and_unwraps_the_headers() -> None:
    headers = signed_headers(SECRET, "wh_abc", BODY)
    assert abs(int(headers["webhook-timestamp"]) - time.time()) < 5
    client = openai.OpenAI(api_key="unused", webhook_secret=SECRET)
    client.webhooks.verify_signature(BODY, headers)
    event = client.webhooks.unwrap(BODY, headers)
    assert event.type == "video.completed"
    assert event.data.id == "video_1"


def test_the_sdk_rejects_a_changed_body_a_wrong_secret_and_an_old_timestamp() -> None:
    client = openai.OpenAI(api_key="unused")
    headers = signed_headers(SECRET, "wh_abc", BODY)
    with pytest.raises(openai.InvalidWebhookSignatureError):
        client.webhooks.verify_signature(BODY.replace("video_1", "video_2"), headers, secret=SECRET)
    with pytest.raises(openai.InvalidWebhookSignatureError):
        client.webhooks.verify_signature(BODY, headers, secret=new_secret())
    old = signed_headers(SECRET, "wh_abc", BODY, timestamp=int(time.time()) - 3600)
    with pytest.raises(openai.InvalidWebhookSignatureError, match="too old"):
        client.webhooks.verify_signature(BODY, old, secret=SECRET)


def test_new_secrets_are_valid_config_and_bad_ones_are_refused() -> None:
    secret = new_secret()
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) == 32
    assert WebhookEndpoint(url="https://hooks.example/sora", secret=secret).events == []
    for bad in ("plain-text", "whsec_not base64!", "whsec_" + base64.b64encode(b"short").decode()):
        with pytest.raises(ValidationError, match="secret"):
            WebhookEndpoint(url="https://hooks.example/sora", secret=bad)
    with pytest.raises(ValidationError):
        WebhookEndpoint(url="https://hooks.example/sora", secret=secret, events=["video.deleted"])
    with pytest.raises(ValidationError, match="url"):
        WebhookEndpoint(url="hooks.example/sora", secret=secret)
