"""The application: routers, static files, middleware, one error handler for API and pages."""

from __future__ import annotations

import gc
import logging
import sys
from contextlib import asynccontextmanager
from urllib.parse import quote

from asgi_csrf import asgi_csrf
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from heatcases import db
from heatcases.config import Settings
from heatcases.deps import UPLOAD_FORM_OVERHEAD, UPLOAD_PATHS, is_multipart_form
from heatcases.directory import service as directory_service
from heatcases.errors import HeatcasesError, InvalidInput, NotAuthenticated, PasswordChangeRequired, error_responses
from heatcases.i18n import translate
from heatcases.metrics import rollup as _view_rollup  # its listener rolls up every counted view
from heatcases.middleware import (
    SECURITY_HEADERS,
    BodyLimitMiddleware,
    ConcurrencyLimitMiddleware,
    SecurityHeadersMiddleware,
    bare_page,
    is_api_path,
)
from heatcases.notifications import service as notifications_service
from heatcases.notifications.worker import NotificationWorker
from heatcases.review import checklist as review_checklist
from heatcases.search.service import SearchService
from heatcases.synonyms import service as synonyms_service
from heatcases.templating import render, request_language, wants_json

log = logging.getLogger("heatcases")


class _NoQueryStrings(logging.Filter):
    """Access log lines without query strings: a search for a phone number must not be logged."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            record.args = (args[0], args[1], args[2].split("?", 1)[0], args[3], args[4])
        return True


_ACCESS_FILTER = _NoQueryStrings()


def _is_api(request: Request) -> bool:
    return is_api_path(request.url.path)


def _error_page(request: Request, status: int, message_key: str):
    if wants_json(request):  # a page's script (the review queue, the form's draft) asked
        message = translate(message_key, request_language(request))
        return JSONResponse({"detail": message_key, "message": message}, status_code=status)
    return render(request, "errors/error.html", {"status": status, "message_key": message_key}, status_code=status)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(HeatcasesError)
    async def heatcases_error(request: Request, error: HeatcasesError):
        if _is_api(request):
            if isinstance(error, InvalidInput):
                detail = [{"loc": ["body", error.field], "msg": error.detail, "type": "value_error"}]
                return JSONResponse({"detail": detail}, status_code=422)
            headers = {"WWW-Authenticate": "Bearer"} if isinstance(error, NotAuthenticated) else None
            return JSONResponse({"detail": error.detail}, status_code=error.status_code, headers=headers)
        if isinstance(error, NotAuthenticated) and not wants_json(request):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
        if isinstance(error, PasswordChangeRequired) and not wants_json(request):
            return RedirectResponse("/me/profile?msg=flash.choose_password", status_code=303)
        return _error_page(request, error.status_code, error.message_key)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, error: RequestValidationError):
        if _is_api(request):
            errors = [
                {"loc": list(item.get("loc", ())), "msg": item.get("msg", ""), "type": item.get("type", "")}
                for item in error.errors()
            ]
            return JSONResponse({"detail": errors}, status_code=422)
        return _error_page(request, 422, "error.422")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException):
        if _is_api(request):
            return JSONResponse({"detail": error.detail}, status_code=error.status_code, headers=error.headers)
        key = f"error.{error.status_code}"
        return _error_page(request, error.status_code, key if translate(key, "zh") != key else "error.generic")

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, error: Exception):
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        if _is_api(request):
            response = JSONResponse({"detail": "internal error; it has been logged"}, status_code=500)
        else:
            response = _error_page(request, 500, "error.500")
        # Starlette sends this answer from its outermost middleware, past SecurityHeadersMiddleware.
        for name, value in SECURITY_HEADERS:
            response.headers[name.decode()] = value.decode()
        return response


def document_common_errors(app: FastAPI) -> None:
    """Declare in the OpenAPI document the errors every API operation shares: 401 (no valid bearer token,
    or wrong credentials for a token) and, where a body is taken, 400 (unparseable) and 413 (too large)."""
    build = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            for path, operations in build()["paths"].items():
                if not is_api_path(path):
                    continue
                for operation in operations.values():
                    codes = (400, 401, 413) if "requestBody" in operation else (401,)
                    responses = {str(code): body for code, body in error_responses(*codes).items()}
                    responses.update(operation["responses"])
                    operation["responses"] = dict(sorted(responses.items()))
        return app.openapi_schema

    app.openapi = openapi


async def _csrf_failed(scope, send, message_id):
    body = bare_page(scope, 403, "error.csrf")
    await send(
        {"type": "http.response.start", "status": 403, "headers": [(b"content-type", b"text/html; charset=utf-8")]}
    )
    await send({"type": "http.response.body", "body": body})


def _due_tomorrow(settings: Settings):
    """The notification worker's job that tells people of a reading list due tomorrow they have not finished."""
    from heatcases.assignments import service as assignments_service
    from heatcases.metrics.periods import today

    def job(session, _now) -> int:
        return assignments_service.remind_due_soon(
            session, today=today(settings.tz), window_minutes=settings.view_window_minutes
        )

    return job


SWITCH_INTERVAL_SECONDS = 0.0005
YOUNG_COLLECTION_AFTER = 20_000  # new objects between the collector's young passes (Python's default: 700)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    engine = db.make_engine(settings)
    access_log = logging.getLogger("uvicorn.access")
    if _ACCESS_FILTER not in access_log.filters:
        access_log.addFilter(_ACCESS_FILTER)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if settings.auto_migrate:
            db.migrate(settings, engine)
        review_checklist.ensure_defaults(engine)  # the default review checklist, the first time
        if _view_rollup.catch_up(engine):
            logging.getLogger("heatcases.metrics").warning("view rollup disagreed with the views: rebuilt it")
        app.state.search.start()
        if settings.notifications_worker:
            app.state.notifications.start()
        # What start-up made lives as long as the process: keep it out of the collector's full passes,
        # which otherwise pause a request for ~100 ms now and then (seen in bench/metrics_bench.py).
        gc.freeze()
        # A young collection every YOUNG_COLLECTION_AFTER new objects instead of Python's 700: with ~20 requests in
        # flight their objects survived two young collections, reached the old generation and made a full
        # collection run every ~8 s, 45-100 ms with the GIL held. 20,000: none in a 3-minute busiest hour
        # (bench/README.md, session 15), the same CPU per request.
        gc.set_threshold(YOUNG_COLLECTION_AFTER, *gc.get_threshold()[1:])
        # A request thread back from SQLite or NumPy (which run without the GIL) waits for the thread holding
        # the GIL to let go, by default up to 5 ms each time; a search makes dozens of such calls, so with
        # 40 request threads busy a request waited far longer than it worked. 0.5 ms: the shift's p50 from
        # 310 ms to 120 ms at the same work (bench/load/run.py, bench/README.md).
        sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
        try:
            yield
        finally:
            app.state.notifications.stop()
            app.state.search.stop()
            engine.dispose()

    app = FastAPI(
        title="HEAT Case Library",
        version="0.1.0",
        description="Service stories tagged with the HEAT values: submit, review, feature, read.",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.read_engine = db.reader(engine)
    app.state.search = SearchService(settings, engine)
    app.state.unread_notifications = notifications_service.unread_counter(app.state.read_engine)
    app.state.notifications = NotificationWorker(settings, engine, jobs={"reading due": _due_tomorrow(settings)})
    synonyms_service.install(app.state.search, every=settings.synonyms_refresh_seconds)
    # The company directory, when configured: sign-in for its people (the accounts' external login) and the sync.
    app.state.directory = directory_service.directory_for(settings)
    app.state.external_login = directory_service.DirectoryLogin(app.state.directory) if app.state.directory else None

    from heatcases.accounts import api as accounts_api
    from heatcases.accounts import pages as accounts_pages
    from heatcases.assignments import api as assignments_api
    from heatcases.assignments import pages as assignments_pages
    from heatcases.cases import api as cases_api
    from heatcases.cases import lesson_pages
    from heatcases.cases import pages as cases_pages
    from heatcases.directory import api as directory_api
    from heatcases.directory import pages as directory_pages
    from heatcases.health import api as health_api
    from heatcases.lessons import api as lessons_api
    from heatcases.lessons import pages as lessons_pages
    from heatcases.metrics import api as metrics_api
    from heatcases.metrics import pages as metrics_pages
    from heatcases.notifications import api as notifications_api
    from heatcases.notifications import pages as notifications_pages
    from heatcases.praise import api as praise_api
    from heatcases.praise import pages as praise_pages
    from heatcases.review import api as review_api
    from heatcases.review import pages as review_pages
    from heatcases.search import api as search_api
    from heatcases.search import pages as search_pages
    from heatcases.synonyms import api as synonyms_api
    from heatcases.synonyms import pages as synonyms_pages

    app.include_router(health_api.router)
    app.include_router(accounts_api.router)
    app.include_router(directory_api.router)
    app.include_router(cases_api.router)
    app.include_router(synonyms_api.router)
    app.include_router(search_api.router)
    app.include_router(metrics_api.router)
    app.include_router(review_api.router)
    app.include_router(directory_pages.router)  # before accounts': /admin/users/import is not a /admin/users/{username}
    app.include_router(lessons_api.router)
    app.include_router(praise_api.router)
    app.include_router(accounts_pages.router)
    app.include_router(lesson_pages.router)
    app.include_router(cases_pages.router)
    app.include_router(search_pages.router)
    app.include_router(metrics_pages.router)
    app.include_router(synonyms_pages.router)
    app.include_router(lessons_pages.router)
    app.include_router(praise_pages.router)
    app.include_router(review_pages.router)
    app.include_router(notifications_api.router)
    app.include_router(notifications_pages.router)
    app.include_router(assignments_api.router)
    app.include_router(assignments_pages.router)
    app.mount("/static", StaticFiles(directory=db.ROOT / "static"), name="static")
    install_error_handlers(app)
    document_common_errors(app)

    # Added innermost first: CSRF for the pages' forms, security headers, body limit, the request line (concurrency).
    app.add_middleware(
        asgi_csrf,
        signing_secret=settings.secret_key,
        cookie_name="heat_csrf",
        cookie_secure=settings.cookie_secure,
        always_protect={"/login"},
        # the API takes bearer tokens, not cookies; multipart forms are checked by deps.multipart_csrf
        skip_if_scope=lambda scope: is_api_path(scope["path"]) or is_multipart_form(scope["path"]),
        send_csrf_failed=_csrf_failed,
    )
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        uploads=UPLOAD_PATHS,
        upload_bytes=settings.max_attachment_bytes + UPLOAD_FORM_OVERHEAD,
    )
    app.add_middleware(
        ConcurrencyLimitMiddleware,
        limit=settings.max_active_requests,
        timeout=settings.queue_timeout_seconds,
        max_waiting=settings.max_queued_requests,
    )
    return app
