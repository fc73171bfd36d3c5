"""The application: create_app() wires routers, error handlers and the database lifespan."""

import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from app.documents import document_models
from app import db
from app.config import Settings, get_settings, settings_or_exit
from app.errors import ERROR_RESPONSES, install_error_handlers
from app.faults import FaultBarrier
from app.headers import SecurityHeaders
from app.request_size import RequestSizeLimit

log = logging.getLogger("app")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        """Start-up does a constant amount of work whatever the data: indexes, the dictionaries when the
        database has none, the committees (one upsert per committee dictionary entry), the converter.
        Migrations and the rows of a new SCHEMA run in the background (app/scheduler.py)."""
        from app import scheduler
        from app.catalog import service as catalog
        from app.catalog.models import DictionaryEntry
        from app.dossiers import access
        from app.render import convert
        from app.catalog.committees import sync_committees

        await db.open_database(settings, document_models())
        if await DictionaryEntry.find_one({}) is None:
            await catalog.load_dictionaries()
        await sync_committees()
        await convert.start(settings)
        background = scheduler.start(settings)
        try:
            yield
        finally:
            await scheduler.stop(background)
            await convert.stop()
            await access.stop()         # the access records noted and not yet written
            await db.close_database()

    app = FastAPI(title="职称申报评审服务", version="0.1.0", lifespan=lifespan, responses=ERROR_RESPONSES,
                  description="职称申报、审核、评审与材料生成。错误统一为 {code, message, field}。")
    from app.web.pages import render_error_page

    install_error_handlers(app, render_error_page)
    app.add_middleware(RequestSizeLimit)

    from app.accounts.router import router as accounts_router
    from app.catalog.router import router as catalog_router
    from app.health import router as health_router
    from app.dossiers.router import router as dossiers_router
    from app.exports.router import router as exports_router
    from app.exports.statistics_router import router as statistics_router
    from app.notifications.router import router as notifications_router
    from app.render.router import router as forms_router
    from app.committee.router import router as committee_router
    from app.committee.acceptance_router import router as acceptance_router
    from app.committee.draw_router import router as draw_router
    from app.committee.blind_router import router as blind_router
    from app.committee.results_router import router as results_router
    from app.committee.cases_router import router as cases_router
    from app.experts.router import router as experts_router
    from app.routing.router import router as routing_router
    from app.units.router import router as units_router
    from app.personnel.router import router as personnel_router
    from app.web.deps import install_page_redirects
    from app.web.pages import STATIC_DIR
    from app.web.router import router as web_router

    for router in (accounts_router, units_router, catalog_router, dossiers_router, routing_router, web_router):
        app.include_router(router)
    app.include_router(notifications_router)
    app.include_router(committee_router)
    app.include_router(acceptance_router)
    app.include_router(draw_router)
    app.include_router(blind_router)
    app.include_router(results_router)
    app.include_router(cases_router)
    app.include_router(experts_router)
    app.include_router(exports_router)
    app.include_router(statistics_router)
    app.include_router(forms_router)
    app.include_router(personnel_router)
    install_page_redirects(app)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    app.include_router(health_router)
    # Added last, so they wrap every other middleware: FaultBarrier answers whatever the others or the
    # routes raise, and SecurityHeaders (which raises nothing) marks its answers too.
    app.add_middleware(FaultBarrier)
    app.add_middleware(SecurityHeaders)
    return app


app = create_app(settings_or_exit())
