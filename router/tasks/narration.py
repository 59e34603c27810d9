"""The progress sentences of the original, which purpose-built UIs parse; one place for all of them."""

from __future__ import annotations

GENERATION_BEGINS = "**Generation Process Begins**\n\nInitializing generation request...\n"
RETRYING = "**Retrying on another account**\n\nAttempt {attempt} failed: {reason}\n"


def video_progress(percent: int, status: str) -> str:
    return f"**Video Generation Progress**: {percent}% ({status})\n"


def image_progress(percent: int) -> str:
    return f"**Processing**\n\nGeneration in progress: {percent}% completed...\n"
