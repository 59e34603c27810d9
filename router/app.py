"""The app factory: ``create_app(settings)``; the lifespan builds and tears down every service."""

from __future__ import annotations

import logging
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from router.api import chat, files, health, models
from router.api import metrics as metrics_api
from router.api.errors import install_error_handlers
from router.api.images import routes as images_api
from router.api.videos import characters as characters_api
from router.api.videos import routes as videos_api
from router.auth import Authenticator, announce
from router.config import Settings
from router.media.cache import ResultCache
from router.media.fetch import MediaFetcher
from router.media.store import MediaStore
from router.metrics import GatewayMetrics, MetricsMiddleware
from router.passthrough import Passthrough
from router.plugins import get_plugin_manager
from router.pool.maintenance import PoolMaintenance
from router.pool.pool import AccountPool
from router.pool.upkeep import AccountUpkeep
from router.registry import build_feature_parsers, build_registry
from router.services import Services
from router.sora.client import SoraTransport
from router.storage.accounts import AccountRepository
from router.storage.credentials import AdminRepository, ApiKeyRepository
from router.storage.crypto import TokenCipher, load_or_create_key
from router.storage.db import Database
from router.storage.tasks import TaskRepository
from router.tasks.engine import TaskEngine
from router.webhooks.deliveries import DeliveryRepository
from router.webhooks.dispatcher import WebhookDispatcher

logger = logging.getLogger("sora2api")


async def build_services(settings: Settings) -> Services:
    """Every service of one gateway instance, started; the caller must ``close_services``."""
    pm = get_plugin_manager(settings.plugins)
    registry = build_registry(pm, settings)
    db = Database(settings.database.url, echo=settings.database.echo)
    await db.start()
    cipher = TokenCipher(load_or_create_key(settings.data_dir, settings.database.encryption_key))
    accounts = AccountRepository(db, cipher)
    task_repo = TaskRepository(db)
    transport = SoraTransport(settings.upstream, sentinel_settings=settings.sentinel)
    pool = AccountPool(accounts, settings.pool)
    await pool.start()
    maintenance = PoolMaintenance(pool, AccountUpkeep(accounts, transport), settings.pool)
    media = MediaStore(settings.data_dir / "uploads", max_bytes=settings.media.max_upload_bytes)
    cache = ResultCache(settings.data_dir / "cache", settings.cache)
    await cache.start()
    tasks = TaskEngine(task_repo, pool, transport, registry, media, settings, cache=cache)
    webhooks = WebhookDispatcher(settings.webhooks, DeliveryRepository(db))
    tasks.add_finish_listener(webhooks.task_finished)
    auth = Authenticator(settings.auth, ApiKeyRepository(db), AdminRepository(db))
    services = Services(
        settings=settings,
        db=db,
        plugins=pm,
        registry=registry,
        transport=transport,
        accounts=accounts,
        task_repo=task_repo,
        pool=pool,
        tasks=tasks,
        passthrough=Passthrough(settings.passthrough),
        auth=auth,
        features=build_feature_parsers(pm, settings),
        media=media,
        fetcher=MediaFetcher(transport, settings.media),
        cache=cache,
        maintenance=maintenance,
        webhooks=webhooks,
    )
    await services.passthrough.start()
    await webhooks.start()
    await tasks.start()
    await maintenance.start()
    return services


async def close_services(services: Services) -> None:
    await services.tasks.close()
    if services.webhooks is not None:
        await services.webhooks.close()
    await services.cache.close()
    if services.maintenance is not None:
        await services.maintenance.close()
    await services.pool.close()
    await services.passthrough.aclose()
    await services.transport.aclose()
    await services.db.close()


def create_app(settings: Settings) -> FastAPI:
    """A gateway app for ``settings``; nothing is built until the lifespan starts."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = await build_services(settings)
        announce(await services.auth.bootstrap(), sys.stderr)
        app.state.services = services
        metrics.watch_pool(services.pool)
        logger.info(
            "sora2api serving %d models on http://%s:%d/v1",
            len(services.registry),
            settings.server.host,
            settings.server.port,
        )
        try:
            yield
        finally:
            await close_services(services)

    app = FastAPI(title="sora2api", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None)
    install_error_handlers(app)
    metrics = GatewayMetrics()
    app.state.metrics = metrics
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    if settings.server.metrics:
        app.include_router(metrics_api.router)
    app.include_router(health.router)
    app.include_router(models.router)
    app.include_router(chat.router)
    app.include_router(files.router)
    app.include_router(characters_api.router)  # before videos: fixed paths win over {video_id}
    app.include_router(videos_api.router)
    app.include_router(images_api.router)
    return app
