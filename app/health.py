"""GET /api/health: which dependency is down, for the load balancer and the operator."""

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from pymongo.errors import PyMongoError

from app import db
from app.render import convert

router = APIRouter(prefix="/api", tags=["ops"])


class Dependencies(BaseModel):
    database: str
    converter: str


class Health(BaseModel):
    status: str
    dependencies: Dependencies


async def database_state() -> str:
    """ok, or down when the ping fails (within the client's server-selection timeout)."""
    try:
        await db.current().db.command("ping")
    except PyMongoError:
        return "down"
    return "ok"


def converter_state() -> str:
    """The PDF converter: remote (a separate service), not_started (tests, command line), or the best
    state of the local workers (idle/busy = ok, starting, down). PDFs are not the whole service, so a
    converter that is down answers 503 on the PDF routes alone, not here."""
    try:
        converter = convert.current()
    except Exception:  # noqa: BLE001 - no converter can be made: say so rather than fail the check
        return "down"
    if isinstance(converter, convert.RemoteConverter):
        return "remote"
    if not converter.started:
        return "not_started"
    states = {w.state for w in converter.workers}
    if states & {"idle", "busy"}:
        return "ok"
    return "starting" if "starting" in states else "down"


@router.get("/health", response_model=Health, summary="健康检查：数据库与 PDF 转换服务",
            responses={503: {"model": Health, "description": "数据库不可用"}})
async def health() -> JSONResponse:
    database = await database_state()
    body = Health(status="ok" if database == "ok" else "unavailable",
                  dependencies=Dependencies(database=database, converter=converter_state()))
    return JSONResponse(body.model_dump(), status_code=200 if database == "ok" else 503,
                        headers={} if database == "ok" else {"Retry-After": "5"})
