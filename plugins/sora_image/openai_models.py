"""OpenAI's image model names on Sora's three image shapes, and the Images API's ``job_for``.

``gpt-image-1`` (aliases ``gpt-image-1-mini``, ``gpt-image-1.5``, ``gpt-image-2``,
``chatgpt-image-latest``) and ``dall-e-3`` (alias ``dall-e-2``) run on Sora's image generation.
``size`` picks the shape: wider than high → ``gpt-image-landscape`` (540×360), higher than wide →
``gpt-image-portrait`` (360×540), square or ``auto`` or none → ``gpt-image`` (360×360). The
``gpt-image*`` ids keep their own shape whatever ``size`` says. Without ``response_format`` the
GPT image names answer ``b64_json`` (OpenAI's GPT image models only return base64), the DALL·E
names and the ``gpt-image*`` ids a ``url``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

from plugins.sora_image.handler import ImageHandler
from plugins.sora_image.models import IMAGE_SIZES
from router import (
    Event,
    GenerationContext,
    GenerationRequest,
    InvalidRequestError,
    JobSpec,
    ModelSpec,
    check_single_image,
    parse_size,
    store_single_image,
)

#: OpenAI name → (aliases, default response_format)
OPENAI_MODELS: dict[str, tuple[tuple[str, ...], str]] = {
    "gpt-image-1": (("gpt-image-1-mini", "gpt-image-1.5", "gpt-image-2", "chatgpt-image-latest"), "b64_json"),
    "dall-e-3": (("dall-e-2",), "url"),
}
#: orientation → the model id whose shape it is
SHAPES = {"square": "gpt-image", "landscape": "gpt-image-landscape", "portrait": "gpt-image-portrait"}


def shape_for(request: GenerationRequest) -> tuple[int, int]:
    """The upstream width × height: the model's own, or the shape ``size`` asks for."""
    params = request.model.params
    if "width" in params and "height" in params:
        return int(params["width"]), int(params["height"])
    size = parse_size(request.extra.get("size"), allow_auto=True)
    return IMAGE_SIZES[SHAPES[size.orientation if size is not None else "square"]]


class OpenAIImageHandler(ImageHandler):
    """The image handler with ``job_for`` (the Images API) and OpenAI's names and sizes."""

    async def generate(self, request: GenerationRequest, ctx: GenerationContext) -> AsyncIterator[Event]:
        job = await self.job_for(request, ctx)
        async for event in ctx.tasks.run(job, owner_key_id=request.owner_key_id):
            yield event

    async def job_for(self, request: GenerationRequest, ctx: GenerationContext) -> JobSpec:
        prompt = request.prompt.strip()
        if not prompt:
            raise InvalidRequestError(
                "The prompt is empty: put the image description in the last message", param="messages"
            )
        check_single_image(request, what="an image request")
        width, height = shape_for(request)
        await ctx.pool.ensure_servable("image", model=request.model.id)
        return JobSpec(
            model=request.model.id,
            kind="image",
            params={
                "prompt": prompt,
                "width": width,
                "height": height,
                "image": await store_single_image(request, ctx, what="an image request"),
            },
            base_url=request.base_url,
        )


def register_openai_models(register: Callable[[ModelSpec], None], handler: OpenAIImageHandler) -> None:
    for model_id, (aliases, response_format) in OPENAI_MODELS.items():
        register(
            ModelSpec(
                id=model_id,
                kind="image",
                handler=handler,
                description="OpenAI Images API name: Sora images, square/landscape/portrait by size",
                aliases=aliases,
                params={"response_format": response_format},
            )
        )
