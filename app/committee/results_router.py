"""/api/public/results: the 公示名单, readable without an account (rate-limited per client address)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from app.accounts.deps import Client
from app.committee import results
from app.dossiers.deps import Readable
from app.dossiers.models import Dossier

router = APIRouter(prefix="/api", tags=["public results"])


@router.get("/public/results", response_model=results.PublicResultsPage,
            summary="公示名单（公开，无需登录）：姓名、单位、系列、级别、资格名称、批次、公示期与异议联系方式")
async def public_results(client: Client, q: str | None = Query(default=None, max_length=20, description="姓名（全名）"),
                         page: int = Query(default=1, ge=1, le=1000)) -> results.PublicResultsPage:
    return await results.listing(client=client, q=q, page=page)


@router.get("/dossiers/{dossier_id}/panel", response_model=results.PanelOut,
            summary="评审专家名单：评审结果公示后，申报的读者可见作出决定的评审会专家姓名（公示前 409）")
async def dossier_panel(dossier: Annotated[Dossier, Depends(Readable("panel"))]) -> results.PanelOut:
    return await results.panel(dossier)
