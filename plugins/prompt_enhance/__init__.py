"""prompt-enhance-{short,medium,long}-{10,15,20}s: Sora's ``/editor/enhance_prompt``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

from router import (
    Completed,
    Event,
    GenerationContext,
    GenerationRequest,
    InvalidRequestError,
    ModelSpec,
    Settings,
    UpstreamError,
    hookimpl,
)

LEVELS = ("short", "medium", "long")
DURATIONS = (10, 15, 20)


class EnhanceHandler:
    async def generate(self, request: GenerationRequest, ctx: GenerationContext) -> AsyncIterator[Event]:
        prompt = request.prompt.strip()
        if not prompt:
            raise InvalidRequestError("The prompt to enhance is empty", param="messages")
        lease = await ctx.pool.acquire("video", model=request.model.id)
        try:
            session = ctx.transport.session(ctx.pool.credentials(lease.account_id))
            enhanced = await session.enhance_prompt(
                prompt, str(request.model.params["level"]), int(request.model.params["duration_s"])
            )
        except UpstreamError as exc:
            await ctx.pool.report_failure(lease.account_id, exc)
            raise
        finally:
            lease.release()
        await ctx.pool.report_success(lease.account_id)
        yield Completed(kind="text", text=enhanced)


@hookimpl
def register_models(register: Callable[[ModelSpec], None], settings: Settings) -> None:
    handler = EnhanceHandler()
    for level in LEVELS:
        for duration in DURATIONS:
            register(
                ModelSpec(
                    id=f"prompt-enhance-{level}-{duration}s",
                    kind="enhance",
                    handler=handler,
                    description=f"Prompt enhancement - {level} ({duration}s)",
                    params={"level": level, "duration_s": duration},
                )
            )
