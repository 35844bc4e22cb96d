"""The FastAPI application factory: settings, error handlers, routers per domain, the web UI.

`create_app(settings)` builds a self-contained app (its own DB session factory, storage client,
mailer and rate limiter on `app.state`), so tests can run several against different databases.
"""

from __future__ import annotations

import importlib
import logging
from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline

from agensium.service import db
from agensium.service.auth.ratelimit import TokenBucketLimiter
from agensium.service.errors import install_error_handlers
from agensium.service.mail import make_mailer
from agensium.service.storage import configure_storage
from agensium.settings import Settings, get_settings

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent.parent / "web" / "static"


def _optional(module: str, attr: str) -> object | None:
    """An attribute of another domain's module, or None while that module is not built."""
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and module.startswith(exc.name):
            return None
        raise
    return getattr(mod, attr, None)


def cors_origins(settings: Settings) -> list[str]:
    origins = list(settings.cors_origins)
    if settings.public_url:
        origins.append(settings.public_url.rstrip("/"))
    return sorted(set(origins))


def _mount_metrics(app: FastAPI) -> None:
    router = _optional("agensium.service.metrics", "router")
    if router is not None:
        app.include_router(router)  # type: ignore[arg-type]
        return
    render = _optional("agensium.service.metrics", "metrics_response")

    @app.get("/metrics", tags=["ops"], include_in_schema=False)
    def metrics() -> Response:
        if render is not None:
            body, media_type = render()  # type: ignore[operator,misc]
            return Response(body, media_type=media_type)
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for chatty in ("httpx", "httpcore", "botocore", "urllib3"):  # request lines may carry presigned URLs
        logging.getLogger(chatty).setLevel(max(logging.WARNING, logging.getLogger().level))
    # /docs and /redoc load Swagger UI / ReDoc from the package (fastapi-offline), not from a CDN
    app = FastAPIOffline(title="Agensium", version="0.1.0", docs_url="/docs", openapi_url="/openapi.json",
                         description="Data-quality service: profile, clean and master tabular data.")
    url = settings.effective_database_url
    db.configure(url)
    app.state.settings = settings
    app.state.engine = db.get_engine(url)
    app.state.session_factory = db.session_factory(url)
    app.state.storage = configure_storage(settings)
    app.state.mailer = make_mailer(settings)
    app.state.auth_limiter = TokenBucketLimiter(settings.auth_rate_limit_per_minute)
    configure_celery = _optional("agensium.service.queue.celery_app", "configure_celery")
    if configure_celery is not None:  # jobs go to the broker of these settings
        configure_celery(settings)  # type: ignore[operator]
    install_error_handlers(app)

    origins = cors_origins(settings)
    if origins:
        app.add_middleware(CORSMiddleware, allow_origins=origins, allow_credentials=False,
                           allow_methods=["*"], allow_headers=["*"])

    from agensium.service import ops
    from agensium.service.auth.routes import router as auth_router
    from agensium.service.tasks.routes import router as tasks_router
    from agensium.service.tools.routes import router as tools_router

    for router in (ops.router, auth_router, tools_router, tasks_router):
        app.include_router(router)
    for module in ("agensium.service.billing.routes", "agensium.service.billing.admin_routes"):
        for attr in ("router", "admin_router"):
            extra = _optional(module, attr)
            if extra is not None:
                app.include_router(extra)  # type: ignore[arg-type]
    _mount_metrics(app)

    if STATIC_DIR.is_dir():
        app.mount("/ui", StaticFiles(directory=STATIC_DIR, html=True), name="ui")

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/ui/" if STATIC_DIR.is_dir() else "/docs")

    return app
