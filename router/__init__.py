"""sora2api core. Plugins import only the names listed in ``__all__``."""

from router.config import Settings
from router.errors import (
    ContentPolicyError,
    GatewayError,
    GenerationError,
    InvalidRequestError,
    NoAccountError,
    UpstreamError,
)
from router.events import Completed, Event, Failed, Partial, Progress, Reasoning, Started
from router.features import FeatureParser, Features, Parsed, Storyboard, StoryboardShot
from router.generation import GenerationContext, GenerationRequest, MediaInput
from router.hookspecs import hookimpl
from router.models import JobHandler, ModelHandler, ModelSpec
from router.sora.client import SoraSession
from router.tasks.engine import JobSpec

__all__ = [
    "Completed",
    "ContentPolicyError",
    "Event",
    "Failed",
    "FeatureParser",
    "Features",
    "GatewayError",
    "GenerationContext",
    "GenerationError",
    "GenerationRequest",
    "InvalidRequestError",
    "JobHandler",
    "JobSpec",
    "MediaInput",
    "ModelHandler",
    "ModelSpec",
    "NoAccountError",
    "Parsed",
    "Partial",
    "Progress",
    "Reasoning",
    "Settings",
    "SoraSession",
    "Started",
    "Storyboard",
    "StoryboardShot",
    "UpstreamError",
    "hookimpl",
]
