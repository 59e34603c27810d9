"""A client's attached image, end to end: checked and stored by ``generate``, uploaded by ``submit``.

Jobs are JSON and may be resubmitted after a restart, so a job keeps only the media-store
reference; the upload (``/uploads``) happens on the leased account, because an upload id is
valid only on the account that made it.
"""

from __future__ import annotations

from router.errors import InvalidRequestError
from router.generation import GenerationContext, GenerationRequest
from router.tasks.job import JobContext

#: what Sora's ``/uploads`` takes
IMAGE_TYPES = ("image/png", "image/jpeg", "image/webp")
UPLOAD_BEGINS = "**Image Upload Begins**\n\nUploading image to server...\n"
UPLOADED = "Image uploaded successfully. Proceeding to generation...\n"


def check_single_image(request: GenerationRequest, *, what: str) -> None:
    """At most one attached image and no video, or a clear 400 naming the request kind."""
    if request.videos:
        raise InvalidRequestError(f"Attach at most one image and no video to {what}", param="messages")
    if len(request.images) > 1:
        raise InvalidRequestError(
            f"Attach at most one image to {what} (got {len(request.images)})", param="messages"
        )


async def store_single_image(request: GenerationRequest, ctx: GenerationContext, *, what: str) -> str | None:
    """The media-store reference of the attached image, if there is one."""
    check_single_image(request, what=what)
    if not request.images:
        return None
    stored = await ctx.store_input(request.images[0], accept=IMAGE_TYPES, what="image", param="messages")
    return stored.ref


async def upload_stored_image(job: JobContext, ref: str) -> str:
    """Upload a stored image on the job's account → the upload id, narrated as the original did."""
    job.emit(UPLOAD_BEGINS)
    data, meta = await job.media.get(ref)
    upload_id = await job.session.upload_image(data, meta.filename, meta.content_type)
    job.emit(UPLOADED)
    return upload_id
