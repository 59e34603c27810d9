import base64

import pytest

from router.api.chat_request import ChatCompletionRequest, parse_content
from router.errors import InvalidRequestError


def _request(content: object) -> ChatCompletionRequest:
    return ChatCompletionRequest.model_validate(
        {
            "model": "gpt-image",
            "messages": [{"role": "system", "content": "ignored"}, {"role": "user", "content": content}],
        }
    )


def test_string_content_is_the_prompt() -> None:
    assert parse_content(_request("a cat")) == ("a cat", [], [])


def test_array_content_with_data_uri_and_url() -> None:
    png = b"\x89PNG\r\n\x1a\nfake"
    uri = "data:image/png;base64," + base64.b64encode(png).decode()
    prompt, images, videos = parse_content(
        _request(
            [
                {"type": "text", "text": "make it blue"},
                {"type": "image_url", "image_url": {"url": uri}},
                {"type": "image_url", "image_url": {"url": "https://example.com/a/cat.jpg?x=1"}},
                {"type": "video_url", "video_url": {"url": "data:video/mp4;base64,AAAA"}},
            ]
        )
    )
    assert prompt == "make it blue"
    assert (
        images[0].data == png and images[0].content_type == "image/png" and images[0].filename == "image.png"
    )
    assert images[1].url == "https://example.com/a/cat.jpg?x=1" and images[1].filename == "cat.jpg"
    assert videos[0].content_type == "video/mp4" and videos[0].data == b"\x00\x00\x00"


@pytest.mark.parametrize(
    "item",
    [
        {"type": "image_url", "image_url": "ftp://x"},
        {"type": "image_url"},
        {"type": "text", "text": 3},
        {"type": "audio", "audio": {}},
    ],
)
def test_bad_items_are_clear_400s(item: dict[str, object]) -> None:
    with pytest.raises(InvalidRequestError) as info:
        parse_content(_request([item]))
    assert info.value.status == 400
    assert info.value.param is not None and info.value.param.startswith("messages[1].content[0]")
