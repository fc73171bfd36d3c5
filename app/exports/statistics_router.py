"""/api for statistics: the figures by one dimension, the review nodes' times, the scopes a user may count in,
the structure ratios across the units in scope, and all of them as one Excel workbook. Every figure is cut to one of the caller's read keys
(app.exports.statistics); a role without statistics is 403, a scope the caller does not hold 404."""

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from app.accounts.deps import CurrentUser
from app.clock import CHINA, utcnow
from app.exports import statistics
from app.files.names import XLSX, XLSX_FILE, download_headers

router = APIRouter(prefix="/api", tags=["statistics"])

Filter = Annotated[statistics.StatsFilter, Query()]


@router.get("/statistics/scopes", summary="当前用户可统计的范围（单位、地区或评委会）")
async def scopes(user: CurrentUser) -> list[dict]:
    return await statistics.scope_list(user)


@router.get("/statistics/figures", summary="申报数、通过数与通过率：按批次、系列、级别、单位、地区或批次类型（按单位：申报数最多的 20 个单位与“其他单位”）")
async def figures(user: CurrentUser, f: Filter,
                  by: statistics.Dimension = Query("level", description="batch/series/level/unit/region/kind")
                  ) -> dict:
    return await statistics.figures(user, f, by)


@router.get("/statistics/nodes", summary="各审核环节用时：中位数与最长")
async def nodes(user: CurrentUser, f: Filter) -> dict:
    return await statistics.node_times(user, f)


@router.get("/statistics/structure", summary="范围内各单位的岗位结构比例：核定、已聘、空缺、有职称未聘")
async def structure(user: CurrentUser, f: Filter) -> dict:
    return await statistics.structure(user, f)


@router.get("/statistics.xlsx", summary="导出统计（Excel，与统计页的数字相同）",
            response_class=Response, responses=XLSX_FILE)
async def workbook(user: CurrentUser, f: Filter) -> Response:
    content = await statistics.workbook(user, f)
    name = f"统计-{utcnow().astimezone(CHINA).strftime('%Y%m%d-%H%M')}.xlsx"
    return Response(content, media_type=XLSX, headers=download_headers(name, inline=False))
