"""初定 and 认定: the HR bureau's 受理点 decides, without a committee, and issues the certificate.

A batch whose rules end its route at the 受理点 (app.catalog.kinds) sends its dossiers up its units' paths
to the first HR bureau they reach (app.routing.acceptance); the handler there grants or denies (同意 /
不同意, a reason required), then issues the certificate on the granted ones. Both are transitions of the
state machine applied through the one write path (app.routing.service.apply), the certificate written in the
same update as the certify step; numbers come from the certificates' counter (app.committee.certificates),
per kind, region and year, so they never repeat and never meet a committee's."""

from pydantic import Field

from app.accounts.models import User
from app.accounts.schemas import Strict
from app.catalog.kinds import CERTIFICATE_LETTERS
from app.committee.certificates import certify, document_number_of, holder_fields, next_seq, verification_code
from app.committee.schemas import IssueIn
from app.dossiers.enums import STATUS_LABELS
from app.dossiers.enums import DossierStatus as S
from app.dossiers.models import Certificate, Dossier
from app.errors import Conflict
from app.routing import acceptance as route
from app.routing import service as routing
from app.routing.machine import Action, Actor
from app.routing.service import BatchResult, run_batch
from app.units.models import Unit

DECIDABLE = (S.submitted, S.passed)


class DecisionIn(Strict):
    approve: bool = Field(description="同意（初定/认定）或不同意")
    opinion: str | None = Field(default=None, max_length=2000, description="审核意见；不同意须填写原因")
    signer: str | None = Field(default=None, max_length=30, description="负责人签字")


async def _at_acceptance_point(actor: User, dossier: Dossier) -> tuple[routing.Acting, str]:
    """The actor as the 受理点 holding a dossier of a batch without a committee, and the batch's kind."""
    acting = await routing.acting_as(actor, dossier)
    batch = await route.without_committee(dossier)
    if batch is None:
        raise Conflict("该申报所属批次经评审委员会评审，不由受理点决定", code="not_acceptance_kind")
    if acting.kind != Actor.node or not await route.is_acceptance_point(acting.unit_id):
        raise Conflict("该申报尚未到达人社部门受理点", code="not_acceptance_point")
    return acting, batch.kind


async def decide(*, actor: User, dossier: Dossier, data: DecisionIn) -> Dossier:
    """同意 or 不同意 by the 受理点: approved (to be certified) or not_approved (the end of the route)."""
    acting, _ = await _at_acceptance_point(actor, dossier)
    return await routing.apply(dossier=dossier, acting=acting, actor=actor,
                               action=Action.grant_title if data.approve else Action.deny_title,
                               opinion=data.opinion, signer=data.signer)


async def issue(*, actor: User, data: IssueIn) -> BatchResult:
    """发证 on granted dossiers, singly or in batch (preview first), each its own certify transition."""
    document_number = document_number_of(data)

    async def work(dossier: Dossier) -> None:
        acting, kind = await _at_acceptance_point(actor, dossier)
        if dossier.status != S.approved:       # checked before a number is drawn for it
            raise Conflict(f"当前状态“{STATUS_LABELS[dossier.status]}”下不能发证，受理点审核通过后方可发证",
                           code="illegal_transition")
        unit = await Unit.get(acting.unit_id)
        body = (data.issuing_body or "").strip() or unit.name
        seq = await next_seq(f"certificate:{kind}:{unit.region_code}:{data.issued_on.year}")
        certificate = Certificate(
            number=f"{data.issued_on.year}{CERTIFICATE_LETTERS.get(kind, 'XX')}{unit.region_code}{seq:05d}",
            verification_code=verification_code(), document_number=document_number, issued_on=data.issued_on,
            issuing_body=body, committee_code="", committee_name=unit.name, **await holder_fields(dossier),
            issued_by=actor.id, issuing_unit_id=unit.id, kind=kind)
        await certify(dossier=dossier, acting=acting, actor=actor, certificate=certificate, data=data, taken="")

    return await run_batch(actor=actor, ids=data.ids, confirm=data.confirm, action=Action.certify, label="发证",
                           work=work)
