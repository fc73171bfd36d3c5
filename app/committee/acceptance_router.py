"""/api for the 受理点 of batches without a committee (初定, 认定): its decision and the certificates it issues.
Errors: anonymous 401, outside scope 404, wrong state or not the 受理点 409, bad input 422."""

from typing import Annotated

from fastapi import APIRouter, Depends

from app.accounts.deps import CurrentUser
from app.catalog import batches
from app.committee import acceptance
from app.committee.schemas import IssueIn
from app.dossiers.deps import Readable
from app.dossiers.enums import status_label
from app.dossiers.models import Dossier
from app.routing.schemas import trail_items
from app.routing.service import BatchResult

router = APIRouter(prefix="/api", tags=["acceptance"])


@router.post("/dossiers/{dossier_id}/acceptance-decision", summary="受理点审核决定：同意或不同意初定/认定（不经评委会）")
async def decide(data: acceptance.DecisionIn, user: CurrentUser,
                 dossier: Annotated[Dossier, Depends(Readable("acceptance-decision"))]) -> dict:
    dossier = await acceptance.decide(actor=user, dossier=dossier, data=data)
    batch = await batches.recent(dossier.batch_id)
    return {"id": str(dossier.id), "status": dossier.status,
            "status_label": status_label(dossier.status, batch.kind if batch else None),
            "version": dossier.version, "trail": trail_items(dossier.trail[-1:])[0]}


@router.post("/acceptance/certificates", response_model=BatchResult,
             summary="受理点发证：初定/认定审核通过后生成证书编号与验证码（批量，先预览后执行）")
async def issue(data: IssueIn, user: CurrentUser) -> BatchResult:
    return await acceptance.issue(actor=user, data=data)
