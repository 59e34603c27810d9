import json

from router import streaming


def _decode(frame: str) -> dict[str, object]:
    assert frame.startswith("data: ") and frame.endswith("\n\n")
    decoded: dict[str, object] = json.loads(frame[len("data: ") :])
    return decoded


def test_one_id_and_model_on_every_chunk_and_role_once() -> None:
    writer = streaming.ChunkWriter(model="sora2-landscape-10s")
    chunks = [
        writer.chunk(reasoning="a"),
        writer.chunk(content="b"),
        writer.chunk(finish_reason="stop"),
    ]
    assert {chunk["id"] for chunk in chunks} == {writer.id}
    assert {chunk["model"] for chunk in chunks} == {"sora2-landscape-10s"}
    assert {chunk["created"] for chunk in chunks} == {writer.created}
    deltas = [chunk["choices"][0]["delta"] for chunk in chunks]
    assert deltas == [{"role": "assistant", "reasoning_content": "a"}, {"content": "b"}, {}]
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"


def test_sse_framing_round_trips_unicode() -> None:
    frame = streaming.sse({"text": "角色 ✨"})
    assert _decode(frame) == {"text": "角色 ✨"}
    assert streaming.DONE == "data: [DONE]\n\n"
    assert streaming.KEEP_ALIVE.startswith(":")


def test_completion_object_shape() -> None:
    body = streaming.completion(model="gpt-image", content="x", reasoning="r", extra={"task_id": "image_1"})
    assert body["object"] == "chat.completion"
    assert body["choices"][0]["message"] == {"role": "assistant", "content": "x", "reasoning_content": "r"}
    assert body["choices"][0]["finish_reason"] == "stop"
    assert body["task_id"] == "image_1"
