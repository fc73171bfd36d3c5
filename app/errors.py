"""The one error shape: {"code", "message" (Chinese), "field"}, JSON for /api and a page for the web."""

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match


class AppError(Exception):
    status = 400
    code = "bad_request"
    message = "请求有误"

    def __init__(self, message: str | None = None, *, field: str | None = None, code: str | None = None,
                 status: int | None = None, **extra: Any):
        self.message = message or self.message
        self.field = field
        self.code = code or self.code
        self.status = status or self.status
        self.extra = extra
        super().__init__(self.message)

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message, "field": self.field}
        body.update(self.extra)
        return body


class ValidationFailed(AppError):
    status = 422
    code = "invalid"
    message = "输入不符合要求"


class NotAuthenticated(AppError):
    status = 401
    code = "not_authenticated"
    message = "请先登录"


class Forbidden(AppError):
    status = 403
    code = "forbidden"
    message = "无权执行此操作"


class NotFound(AppError):
    status = 404
    code = "not_found"
    message = "记录不存在"


class Conflict(AppError):
    status = 409
    code = "conflict"
    message = "与当前状态冲突"


# "The record moved since you read it" has one answer by whether the caller named the version it read.
class StaleVersion(AppError):
    """The version the caller's If-Match names has moved on: 412 with `current_version`, nothing stored."""
    status = 412
    code = "stale_version"
    message = "已被他人修改，请刷新后重试"


class Moved(Conflict):
    """Another write landed between this request's own read and its write, and the caller named no version
    (no If-Match, so nothing of theirs is stale): 409, refresh and act again."""
    message = "已被他人处理，请刷新后查看"


class TooManyRequests(AppError):
    status = 429
    code = "too_many_requests"
    message = "操作过于频繁，请稍后再试"


_PYDANTIC_MESSAGES = {
    "missing": "此项必填",
    "string_too_short": "内容过短",
    "too_short": "至少填写一项",
    "too_long": "填写的项数过多",
    "string_too_long": "内容过长",
    "string_pattern_mismatch": "格式不正确",
    "value_error": "取值不正确",
    "enum": "不是允许的选项",
    "literal_error": "不是允许的选项",
    "int_parsing": "应为整数",
    "bool_parsing": "应为是或否",
    "date_from_datetime_parsing": "日期格式不正确",
    "date_parsing": "日期格式不正确",
    "json_invalid": "请求体不是有效的 JSON",
    "model_attributes_type": "请求体格式不正确",
    "dict_type": "请求体格式不正确",
}


class ErrorBody(BaseModel):
    """What every error answers (422 adds `errors`, one per field; 500 and 503 add `request_id`)."""
    model_config = ConfigDict(extra="allow")
    code: str
    message: str = Field(description="中文说明")
    field: str | None


# Documented on every route: the answers any of them may give outside its success.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": text} for status, text in (
        (400, "请求有误"), (401, "未登录"), (403, "无权执行此操作"), (404, "不存在或不在可见范围内"),
        (405, "不支持的请求方法"), (409, "与当前状态冲突"), (412, "版本已变化（If-Match）"),
        (413, "内容过大"), (415, "不支持的内容类型"), (422, "输入不符合要求"), (428, "须带 If-Match"),
        (429, "操作过于频繁"), (500, "服务器内部错误"), (503, "数据库或依赖的服务暂时不可用"))}


def _has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def validation_body(raw_errors: list[dict[str, Any]]) -> dict[str, Any]:
    """pydantic's errors as our body: the first error's field and Chinese message, and all of them."""
    errors = []
    for err in raw_errors:
        loc = [str(p) for p in err.get("loc", ())]
        if loc and loc[0] in ("body", "query", "path", "header", "cookie"):   # where it came from, not a field
            loc = loc[1:]
        field = ".".join(loc) or None
        kind = err.get("type", "")
        message = _PYDANTIC_MESSAGES.get(kind, "输入不符合要求")
        if kind == "value_error":
            # Our validators raise ValueError with a Chinese message; pydantic prefixes "Value error, ".
            text = str(err.get("msg", "")).removeprefix("Value error, ")
            message = text if _has_chinese(text) else "格式不正确"
        errors.append({"field": field, "message": message})
    first = errors[0] if errors else {"field": None, "message": "输入不符合要求"}
    return {"code": "invalid", "message": first["message"], "field": first["field"], "errors": errors}


def wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api") and "text/html" in request.headers.get("accept", "")


def allowed_methods(request: Request) -> str:
    """Every method some route serves at this path (Starlette's own 405 names only the first route's)."""
    allowed = [method for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
               if any(route.matches({**request.scope, "method": method})[0] == Match.FULL
                      for route in request.app.router.routes)]
    return ", ".join(allowed)


def install_error_handlers(app: FastAPI, render_page: Callable[[Request, int, dict[str, Any]], Response] | None = None
                           ) -> None:
    """render_page is the web layer's error page (it owns its look; errors sit below it): without it,
    a browser gets the JSON body too."""
    def respond(request: Request, status: int, body: dict[str, Any],
                headers: dict[str, str] | None = None) -> Response:
        response = render_page(request, status, body) if render_page and wants_html(request) \
            else JSONResponse(body, status_code=status)
        response.headers.update(headers or {})
        return response

    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> Response:
        return respond(request, exc.status, exc.body())

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        return respond(request, 422, validation_body(exc.errors()))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        messages = {400: ("bad_request", "请求体无法解析"), 404: ("not_found", "页面或接口不存在"),
                    405: ("method_not_allowed", "不支持的请求方法")}
        detail = str(exc.detail)
        code, message = messages.get(exc.status_code,
                                     ("http_error", detail if _has_chinese(detail) else "请求无法处理"))
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:
            headers["Allow"] = allowed_methods(request)
        return respond(request, exc.status_code, {"code": code, "message": message, "field": None},
                       headers=headers)
