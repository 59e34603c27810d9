"""What happens to finished images before the client gets them (narration included)."""

from __future__ import annotations

from router import JobContext, Outcome

IMAGE_DONE = "**Image Generation Completed**\n\nCache is disabled. Using original URLs directly...\n"


async def finish_image(job: JobContext, outcome: Outcome) -> Outcome:
    job.emit(IMAGE_DONE)
    return outcome
