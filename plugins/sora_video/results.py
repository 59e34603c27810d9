"""What happens to a finished video or image before the client gets it (narration included): videos."""

from __future__ import annotations

from router import JobContext, Outcome

VIDEO_DONE = "**Video Generation Completed**\n\nCache is disabled. Using original URL directly...\n"


async def finish_video(job: JobContext, outcome: Outcome) -> Outcome:
    job.emit(VIDEO_DONE)
    return outcome
