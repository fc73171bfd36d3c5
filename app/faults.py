"""The last line of the error contract: whatever escapes the routes' handlers is still answered in it.

A pure ASGI middleware, added last so it wraps everything else (the other middlewares included): an
unreachable database becomes a fast 503 `database_unavailable` with Retry-After, any other unexpected
exception a 500 `internal_error` carrying a request id that the log line repeats. /api gets the JSON body,
the pages the error page.
"""

import logging
import uuid
from typing import Any

from pymongo.errors import ConnectionFailure
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import wants_html

log = logging.getLogger("app.faults")

RETRY_AFTER_SECONDS = 5
DATABASE_DOWN = {"code": "database_unavailable", "message": "数据库暂时不可用，请稍后重试", "field": None}
INTERNAL = {"code": "internal_error", "message": "服务器内部错误，请稍后重试；如仍出现请联系管理员并提供请求编号",
            "field": None}


def database_unreachable(exc: BaseException) -> bool:
    """Whether the driver could not reach the database (server selection timed out, the connection was
    refused or dropped), looking through chained causes and exception groups as well."""
    seen: set[int] = set()
    pending = [exc]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, ConnectionFailure):
            return True
        pending.extend([current.__cause__, current.__context__])
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)
    return False


def fault_response(scope: Scope, exc: Exception) -> Response:
    request_id = uuid.uuid4().hex[:16]
    if database_unreachable(exc):
        log.warning("request %s %s: database unavailable (%s: %s)", request_id, scope.get("path"),
                    type(exc).__name__, exc)
        status, body = 503, dict(DATABASE_DOWN)
    else:
        log.error("request %s %s %s failed", request_id, scope.get("method"), scope.get("path"), exc_info=exc)
        status, body = 500, dict(INTERNAL)
    body["request_id"] = request_id
    headers = {"X-Request-ID": request_id}
    if status == 503:
        headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    request = Request(scope)
    response: Response | None = None
    if wants_html(request):
        response = _error_page(request, status, body)
    if response is None:
        response = JSONResponse(body, status_code=status)
    response.headers.update(headers)
    return response


def _error_page(request: Request, status: int, body: dict[str, Any]) -> Response | None:
    from app.web.pages import render_error_page  # the web layer owns its look

    try:
        return render_error_page(request, status, body)
    except Exception:  # the page itself failed to render: the JSON body still answers
        log.exception("the error page failed to render")
        return None


class FaultBarrier:
    """Answers any exception a request raises, unless its response has already begun (then the
    connection can only be dropped, which the server does)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception as exc:
            if started:
                raise
            await fault_response(scope, exc)(scope, receive, send)
