"""Everything one app instance owns, built in the lifespan and reached through ``router.deps``."""

from __future__ import annotations

from dataclasses import dataclass

import pluggy

from router.auth import Authenticator
from router.config import Settings
from router.features import FeatureParsers
from router.generation import GenerationContext
from router.media.cache import ResultCache
from router.media.fetch import MediaFetcher
from router.media.store import MediaStore
from router.passthrough import Passthrough
from router.pool.maintenance import PoolMaintenance
from router.pool.pool import AccountPool
from router.registry import ModelRegistry
from router.sora.client import SoraTransport
from router.storage.accounts import AccountRepository
from router.storage.db import Database
from router.storage.tasks import TaskRepository
from router.tasks.engine import TaskEngine
from router.webhooks.dispatcher import WebhookDispatcher


@dataclass
class Services:
    settings: Settings
    db: Database
    plugins: pluggy.PluginManager
    registry: ModelRegistry
    transport: SoraTransport
    accounts: AccountRepository
    task_repo: TaskRepository
    pool: AccountPool
    tasks: TaskEngine
    passthrough: Passthrough
    auth: Authenticator
    features: FeatureParsers
    media: MediaStore
    fetcher: MediaFetcher
    cache: ResultCache
    #: the pool's background jobs (token renewal, re-tests, quota return)
    maintenance: PoolMaintenance | None = None
    #: sends the task events to the configured webhook endpoints
    webhooks: WebhookDispatcher | None = None

    @property
    def context(self) -> GenerationContext:
        return GenerationContext(
            settings=self.settings,
            pool=self.pool,
            tasks=self.tasks,
            transport=self.transport,
            features=self.features,
            media=self.media,
            fetcher=self.fetcher,
        )
