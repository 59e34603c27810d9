"""sora2api core. Plugins import only the names listed in ``__all__``."""

from router.api.videos.params import Dimensions, parse_seconds, parse_size
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
from router.media.cache import CachedFile, ResultCache
from router.media.fetch import FetchedMedia, MediaFetcher
from router.media.store import MediaStore, StoredMedia
from router.media.uploads import check_single_image, store_single_image, upload_stored_image
from router.models import JobHandler, ModelHandler, ModelSpec
from router.sora.client import SoraSession
from router.tasks.job import JobContext, JobSpec, Outcome

__all__ = [
    "CachedFile",
    "Completed",
    "ContentPolicyError",
    "Dimensions",
    "Event",
    "Failed",
    "FeatureParser",
    "Features",
    "FetchedMedia",
    "GatewayError",
    "GenerationContext",
    "GenerationError",
    "GenerationRequest",
    "InvalidRequestError",
    "JobContext",
    "JobHandler",
    "JobSpec",
    "MediaFetcher",
    "MediaInput",
    "MediaStore",
    "ModelHandler",
    "ModelSpec",
    "NoAccountError",
    "Outcome",
    "Parsed",
    "Partial",
    "Progress",
    "Reasoning",
    "ResultCache",
    "Settings",
    "SoraSession",
    "Started",
    "StoredMedia",
    "Storyboard",
    "StoryboardShot",
    "UpstreamError",
    "check_single_image",
    "hookimpl",
    "parse_seconds",
    "parse_size",
    "store_single_image",
    "upload_stored_image",
]
