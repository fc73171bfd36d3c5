"""Notifications: the inbox every transition writes to (and the message gateway echoes), and announcements.

The inbox message is the record; SMS and email only nudge the person to look at it. So the inbox is
written first and a failing gateway is logged, never raised: a review step must not be undone, or
reported as failed, because a text message could not be sent.
"""

import logging
import re
from datetime import datetime

from beanie import PydanticObjectId
from pymongo import DESCENDING

from app.accounts.enums import Role
from app.accounts.models import User
from app.clock import local_text, utcnow
from app.dossiers.enums import STATUS_LABELS, DossierStatus
from app.dossiers.models import Dossier, TrailEntry
from app.errors import NotFound
from app.messaging import service as messaging
from app.notifications.models import Announcement, AnnouncementKind, InboxMessage
from app.notifications.schemas import AnnouncementIn
from app.dossiers.enums import Action
from app.catalog.models import Committee

log = logging.getLogger("app.notifications")


async def notify(*, user_id: PydanticObjectId, title: str, body: str, link: str | None = None,
                 dossier_id: PydanticObjectId | None = None, category: str = "dossier", sms: bool = True) -> None:
    """Puts the message in the person's inbox and, unless `sms` is False, sends it once to each of
    their phone (SMS) and email."""
    await InboxMessage(user_id=user_id, title=title, body=body, link=link, category=category,
                       dossier_id=dossier_id).insert()
    user = await User.get(user_id) if sms else None
    if user is None:
        return
    for channel, to in (("sms", user.phone), ("email", user.email)):
        if not to:
            continue
        try:
            await messaging.send(channel=channel, to=to, subject=f"职称申报系统：{title}", body=body, user_id=user_id)
        except Exception:
            log.exception("notification by %s to user %s failed; the inbox message stands", channel, user_id)


# What the applicant is told after each step; steps missing here (submit and withdraw, which the
# applicant took, read, and the committee's meeting bookkeeping) tell nobody anything new.
_MESSAGES: dict[str, tuple[str, str]] = {
    Action.pass_: ("单位审核通过", "您的职称申报材料已由{unit}审核通过。"),
    Action.report: ("申报材料已上报", "您的职称申报材料已由{unit}上报至{target}。"),
    Action.return_: ("申报材料被退回修改", "您的职称申报材料被{unit}退回修改。"),
    Action.reject: ("申报材料审核不通过", "您的职称申报材料未通过{unit}的审核。"),
    Action.void: ("申报流程已作废", "您的职称申报流程已被{unit}作废，本批次不能再次申报。"),
    Action.accept: ("申报材料已受理", "您的职称申报材料已由{unit}受理。"),
    Action.decide: ("评审结果：{result}", "您的职称评审结果为：{result}。"),
    Action.publish: ("评审结果公示", "您的职称评审结果已由{unit}发布，进入公示。"),
    Action.certify: ("职称证书已发放", "您的职称证书已由{unit}发放。"),
    Action.grant_edit: ("退回编辑申请已同意", "{unit}同意了您的退回编辑申请，申报材料已退回，可修改后重新提交。"),
    Action.refuse_edit: ("退回编辑申请未同意", "{unit}未同意您的退回编辑申请。"),
    Action.approve_education_change: ("修改学历申请已同意", "{unit}同意了您的修改学历申请，学历信息已更正。"),
    Action.refuse_education_change: ("修改学历申请未同意", "{unit}未同意您的修改学历申请。"),
    Action.grant_title: ("受理点审核通过", "您的职称申报已由受理点{unit}审核通过，待发证。"),          # 初定 / 认定
    Action.deny_title: ("受理点审核不通过", "您的职称申报未通过受理点{unit}的审核。"),
}
_REASON_ACTIONS = frozenset({Action.return_, Action.reject, Action.void, Action.refuse_edit,
                             Action.refuse_education_change, Action.deny_title})


async def notify_transition(dossier: Dossier, entry: TrailEntry) -> None:
    """Tells the applicant what a review step did to their dossier (the dossier as it is after the step)."""
    template = _MESSAGES.get(entry.action)
    if template is None:
        return
    facts = {"unit": entry.unit_name or "审核单位", "result": STATUS_LABELS.get(entry.to_status, entry.to_status),
             "target": await _report_target(dossier, entry) if entry.action == Action.report else ""}
    title, text = (part.format(**facts) for part in template)
    body = f"{dossier.applicant_name}：{text}"
    if entry.opinion:
        body += f"{'原因' if entry.action in _REASON_ACTIONS else '意见'}：{entry.opinion.rstrip('。.')}。"
    deadline = entry.detail.get("correction_deadline") or dossier.correction_deadline
    if entry.action == Action.return_ and deadline:
        body += f"请于{_moment_text(deadline)}前修改后重新提交。"
    await notify(user_id=dossier.applicant_id, title=title, body=body, link=f"/dossiers/{dossier.id}/track",
                 dossier_id=dossier.id)


async def _report_target(dossier: Dossier, entry: TrailEntry) -> str:
    """Where a report sent the dossier: the committee it reached, or the unit now holding it."""
    if entry.to_status == DossierStatus.at_committee:
        committee = await Committee.find_one({"code": dossier.committee_code}) if dossier.committee_code else None
        return committee.name if committee else "评委会"
    return dossier.route[-1].unit_name if dossier.route else "上级审核单位"


def _moment_text(value: datetime | str) -> str:
    """Trail details keep moments as ISO text (they are free-form JSON); people read them in China time."""
    return local_text(datetime.fromisoformat(value) if isinstance(value, str) else value)


# --- the inbox -------------------------------------------------------------------------------------

async def list_inbox(*, user: User, unread_only: bool, page: int, size: int) -> tuple[list[InboxMessage], int]:
    query = {"user_id": user.id, **({"read_at": None} if unread_only else {})}
    total = await InboxMessage.find(query).count()
    items = await (InboxMessage.find(query).sort([("created_at", DESCENDING), ("_id", DESCENDING)])
                   .skip((page - 1) * size).limit(size).to_list())
    return items, total


async def unread_count(*, user: User) -> int:
    return await InboxMessage.find({"user_id": user.id, "read_at": None}).count()


async def mark_read(*, user: User, message_id: PydanticObjectId) -> InboxMessage:
    """Someone else's message is a 404, as if it did not exist; reading twice keeps the first time."""
    message = await InboxMessage.find_one({"_id": message_id, "user_id": user.id})
    if message is None:
        raise NotFound("消息不存在", field="id")
    if message.read_at is None:
        await InboxMessage.get_pymongo_collection().update_one(
            {"_id": message.id, "read_at": None}, {"$set": {"read_at": utcnow()}})
        message = await InboxMessage.get(message.id)
    return message


async def mark_all_read(*, user: User) -> int:
    result = await InboxMessage.get_pymongo_collection().update_many(
        {"user_id": user.id, "read_at": None}, {"$set": {"read_at": utcnow()}})
    return result.modified_count


# --- announcements -----------------------------------------------------------------------------------

def _visible_to(user: User | None) -> dict:
    """Announcements without an audience are public; the others need one of the audience's roles.
    The administrator sees them all, because they are the one who keeps them."""
    if user is None:
        return {"audience": []}
    if user.has_role(Role.sysadmin):
        return {}
    roles = sorted({str(grant.role) for grant in user.roles})
    return {"$or": [{"audience": []}, {"audience": {"$in": roles}}]}


async def list_announcements(*, user: User | None, q: str | None, kind: AnnouncementKind | None, page: int,
                             size: int) -> tuple[list[Announcement], int]:
    query = _visible_to(user)
    if q:
        query["title"] = {"$regex": re.escape(q), "$options": "i"}
    if kind:
        query["kind"] = kind
    total = await Announcement.find(query).count()
    items = await (Announcement.find(query)
                   .sort([("pinned", DESCENDING), ("published_at", DESCENDING), ("_id", DESCENDING)])
                   .skip((page - 1) * size).limit(size).to_list())
    return items, total


async def get_announcement(*, user: User | None, announcement_id: PydanticObjectId) -> Announcement:
    """One not meant for this reader is a 404, like one that does not exist."""
    found = await Announcement.find_one({"_id": announcement_id, **_visible_to(user)})
    if found is None:
        raise NotFound("公告不存在", field="id")
    return found


async def create_announcement(*, actor: User, data: AnnouncementIn) -> Announcement:
    return await Announcement(**data.model_dump(), created_by=actor.id).insert()


async def update_announcement(*, actor: User, announcement_id: PydanticObjectId, data: AnnouncementIn) -> Announcement:
    announcement = await get_announcement(user=actor, announcement_id=announcement_id)
    await announcement.set({**data.model_dump(), "updated_at": utcnow(), "updated_by": actor.id})
    return announcement


async def withdraw_announcement(*, actor: User, announcement_id: PydanticObjectId) -> None:
    announcement = await get_announcement(user=actor, announcement_id=announcement_id)
    await announcement.delete()
    log.info("announcement %s (%s) withdrawn by %s", announcement.id, announcement.title, actor.login)
