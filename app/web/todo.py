"""The home page's to-do: what waits for the signed-in user, by role, each count a link to the page that lists
it. Every count is read by the code of the page it links to (the review queue's `queues.total`, for 被退回 and a
受理点's 待发证 too; the meetings, publicity, 补证, permission and archive pages' own services), so the number on
the home page is the total that page shows: there is no second way of counting."""

from dataclasses import dataclass, field
from urllib.parse import urlencode

from beanie import PydanticObjectId

from app.accounts.enums import ARCHIVE_ROLES, COMMITTEE_ROLES, NODE_ROLES, Role
from app.accounts.models import User
from app.catalog import batches
from app.catalog import committees as catalog_committees
from app.committee import meetings, publicity, reissue
from app.committee.schemas import PublicityFilter
from app.dossiers import service as dossiers
from app.dossiers.enums import EDITABLE, DossierStatus, status_label
from app.dossiers.models import Dossier
from app.exports import selection
from app.routing import acceptance, queues
from app.units import service as units_service
from app.units.enums import ApplicationStatus


@dataclass
class Todo:
    label: str
    count: int
    href: str
    hint: str = ""


@dataclass
class TodoGroup:
    title: str
    items: list[Todo] = field(default_factory=list)


@dataclass
class DossierStep:
    """One of the applicant's dossiers on the home page: where it is and what to do next."""
    dossier: Dossier
    batch_name: str
    status: str
    node: str
    step: str
    href: str


# A node's queue tabs as the home page counts them: (label, view, page, tab, hint, only at a 受理点). 待发证 is a
# 受理点's own (an HR bureau where 初定/认定 routes end, app.routing.acceptance): what it granted and has not yet
# certified. 初定/认定 have no publicity stage (app.routing.machine: approved → certified), so it has no 公示中.
NODE_QUEUES = (
    ("待审核", "pending", "/review", "pending", "下级单位或申报人提交、等待本单位审核", False),
    ("被退回", "sent_back", "/review", "sent_back", "上级单位或评委会退回本单位，修改后重新上报", False),
    ("待上报", "passed", "/report", "passed", "本单位已审核通过、尚未上报", False),
    ("待发证", "to_certify", "/review", "to_certify", "初定、认定经本受理点审核通过、尚未发证", True),
    ("申请待处理", "requests", "/review", "requests", "申报人的退回编辑、修改学历申请", False),
)
# The committee office's queue tabs: (label, status, page, tab, hint).
OFFICE_QUEUES = (
    ("待审查", "at_committee", "/committee", "at_committee", "已上报至评委会、等待资格审查（受理）"),
    ("待安排会议", "accepted", "/committee", "accepted", "已受理、尚未安排评审会"),
    ("待发布结果", "approved", "/committee/results", "approved", "评审通过、尚未发布进入公示"),
    ("公示中", "publicity", "/committee/results", "publicity", "评审结果公示中"),
    ("待发证", "publicized", "/committee/certificates", "publicized", "公示结束、尚未发证"),
)


def link(page: str, **params: object) -> str:
    query = urlencode({k: str(v) for k, v in params.items() if v is not None})
    return f"{page}?{query}" if query else page


async def node_groups(user: User) -> list[TodoGroup]:
    """Per unit the user acts for along a path: its review queues and its publicity opinions to give."""
    units = list(dict.fromkeys(await queues.node_units(user)))
    names = await units_service.unit_names(units)
    groups = []
    for unit in units:
        several = len(units) > 1
        group = TodoGroup(title=names.get(unit, "本单位"))
        point = await acceptance.is_acceptance_point(unit)
        for label, view, page, tab, hint, point_only in NODE_QUEUES:
            if point_only and not point:
                continue
            count = await queues.total(user, queues.QueueFilter(view=view, unit_id=unit))
            group.items.append(Todo(label, count, link(page, tab=tab, unit_id=unit if several else None), hint))
        rows = await publicity.listing(actor=user, unit_id=unit, committee_code=None, f=PublicityFilter())
        group.items.append(Todo("公示意见待办", sum(1 for r in rows if r.my_turn),
                                link("/publicity", unit_id=unit if several else None),
                                "公示中的申报等待本单位填写或审核公示意见"))
        groups.append(group)
    return groups


async def office_group(user: User) -> TodoGroup:
    group = TodoGroup(title="评委会办事机构")
    for label, status, page, tab, hint in OFFICE_QUEUES:
        count = await queues.total(user, queues.QueueFilter(view="committee", status=DossierStatus(status)))
        group.items.append(Todo(label, count, link(page, tab=tab), hint))
    voting = [m for m in await meetings.of_office(user) if m.status == "voting"]
    group.items.insert(2, Todo("表决中", len(voting), "/committee/meetings", "评审会正在表决"))     # after 待安排会议
    group.items.append(Todo("补证待审批", len(await reissue.queue(actor=user)), "/committee/reissue",
                            "持证人提出的补证申请"))
    return group


async def expert_group(user: User) -> TodoGroup:
    """The meetings open for voting the expert is invited to (the 评审表决 page's 去表决 rows), one link each."""
    voting = [m for m in await meetings.invited(user) if m.status == "voting"]
    names = await catalog_committees.names(m.committee_code for m in voting)
    group = TodoGroup(title="评审专家", items=[Todo("待表决的评审会", len(voting), "/expert", "评审会已开始表决，请逐份表决")])
    group.items += [Todo(f"{m.name}（{names.get(m.committee_code, m.committee_code)}，{m.held_on}）",
                         len(m.dossier_ids), f"/expert/meetings/{m.id}", "份申报") for m in voting]
    return group


async def archive_batches(user: User) -> list[tuple[object, int]]:
    """(batch, how many of its dossiers an archive export would package) for every batch the user sees."""
    return [(b, await selection.archivable(user, b.id)) for b in await batches.listing(actor=user)]


async def archivist_group(user: User) -> TodoGroup:
    ready = [(b, n) for b, n in await archive_batches(user) if n]
    group = TodoGroup(title="档案管理员", items=[Todo("有已办结申报可归档的批次", len(ready), "/archives",
                                                  "已发证、评审未通过或已作废的申报可导出归档包")])
    group.items += [Todo(f"{b.year} {b.name}", n, f"/archives#batch-{b.id}", "份已办结") for b, n in ready]
    return group


async def permission_group(user: User) -> TodoGroup:
    pending = await units_service.list_applications(actor=user, status=ApplicationStatus.pending, for_review=True)
    return TodoGroup(title="单位权限", items=[Todo("权限申请待审核", len(pending), "/review/permissions",
                                                "本地区单位提交的职称申报权限申请")])


async def groups_for(user: User) -> list[TodoGroup]:
    """Every to-do group of the user's roles, in the order of their daily work."""
    found: list[TodoGroup] = []
    if any(user.has_role(r) for r in NODE_ROLES):
        found += await node_groups(user)
    if any(user.has_role(r) for r in COMMITTEE_ROLES):
        found.append(await office_group(user))
    if user.has_role(Role.expert):
        found.append(await expert_group(user))
    if any(user.has_role(r) for r in ARCHIVE_ROLES):
        found.append(await archivist_group(user))
    if user.has_role(Role.hr_handler) or user.has_role(Role.sysadmin):
        found.append(await permission_group(user))
    return found


def next_step(dossier: Dossier, node: str) -> tuple[str, str]:
    """(what the applicant does next, where): fill in, correct, wait, or take the certificate."""
    page, track = f"/dossiers/{dossier.id}", f"/dossiers/{dossier.id}/track"
    status = dossier.status
    if status == DossierStatus.draft:
        return "继续填写，完成后确认申报", page
    if status in EDITABLE:
        return "按退回意见修改后重新提交", page
    if status == DossierStatus.certified:
        return "下载职称证书", f"/api/dossiers/{dossier.id}/forms/certificate.pdf"
    if status in (DossierStatus.voided, DossierStatus.not_approved, DossierStatus.publicized):
        return "查看审核记录与结果", track
    if status in (DossierStatus.approved, DossierStatus.publicity):
        return "查看评审结果与公示", track
    return f"等待{node}审核，查看进度", track


async def applicant_steps(user: User) -> list[DossierStep]:
    """The applicant's dossiers (the 我的申报 list) with status, the node holding each and the next step."""
    own = await dossiers.list_own(actor=user)
    names = await batches.names([d.batch_id for d in own])
    codes = await catalog_committees.names(d.committee_code for d in own if d.committee_code)
    steps = []
    for d in own:
        batch = await batches.recent(d.batch_id)
        node = holder(d, codes)
        step, href = next_step(d, node)
        steps.append(DossierStep(dossier=d, batch_name=names.get(d.batch_id, "—"),
                                 status=status_label(d.status, getattr(batch, "kind", None)), node=node, step=step,
                                 href=href))
    return steps


def holder(dossier: Dossier, committee_names: dict[str, str]) -> str:
    """Who holds the dossier now: the applicant while it is editable, else its committee or route unit."""
    if dossier.status in EDITABLE or dossier.status == DossierStatus.draft:
        return "申报人（本人）"
    if dossier.committee_code:
        return committee_names.get(dossier.committee_code, dossier.committee_code)
    unit_id: PydanticObjectId | None = dossier.current_unit_id
    found = next((n.unit_name for n in reversed(dossier.route) if n.unit_id == unit_id), None)
    return found or dossier.declaration.employer_unit_name or "—"
