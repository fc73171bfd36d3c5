"""代表作送审, the reviewer's side and the deadline's: a reviewer's list, one assignment with the anonymised copies
and the score form, the score (before the deadline, once), a declared conflict (a reserve from the same draw takes
the place), and the periodic reminders and overdue marking (app.scheduler runs `deadlines` under its lease).

A reviewer reaches a round only through an assignment of their own (anything else is a 404): the answer names the
round's code and the reviewer's label, never the dossier's id, applicant, ID number or unit, and the files served
are the anonymised copies. A score is written into the dossier's `blind_reviews` through its one write path; the
dossier decides a double submit (the same score again is answered as stored, another one is a 409)."""

from beanie import PydanticObjectId

from app.accounts.models import User
from app.clock import local_text, utcnow
from app.committee import blind, blind_form
from app.committee.models import BLIND_STATUS_LABELS, BlindAssignment
from app.dossiers import writes
from app.dossiers.models import BlindScore, Dossier
from app.errors import Conflict, NotFound
from app.experts import draws
from app.experts.models import ExpertDraw
from app.experts.schemas import SwapIn
from app.files.models import StoredFile
from app.notifications import service as notifications


class AssignmentNotFound(NotFound):
    code = "blind_assignment_not_found"
    message = "评审任务不存在"


async def mine(user: User) -> list[BlindAssignment]:
    """The reviewer's assignments, newest first (the (user_id, assigned_at) index)."""
    return await BlindAssignment.find({"user_id": user.id}).sort([("assigned_at", -1)]).to_list()


async def assignment_of(user: User, assignment_id: PydanticObjectId) -> BlindAssignment:
    found = await BlindAssignment.find_one({"_id": assignment_id})
    if found is None or found.user_id != user.id:
        raise AssignmentNotFound(field="assignment_id")
    return found


async def _round(assignment: BlindAssignment) -> tuple[Dossier, BlindScore]:
    dossier = await writes.read({"_id": assignment.dossier_id})
    review = None
    if dossier is not None and dossier.blind_reviews is not None:
        review = next((r for r in dossier.blind_reviews.reviews if r.assignment_id == str(assignment.id)), None)
    if review is None:
        raise AssignmentNotFound(field="assignment_id")
    return dossier, review


def overdue(assignment: BlindAssignment) -> bool:
    return assignment.status == "overdue" or (assignment.status == "pending" and utcnow() > assignment.due_at)


def listed(a: BlindAssignment) -> dict:
    status = "overdue" if overdue(a) else a.status
    return {"id": str(a.id), "code": a.code, "label": a.label, "status": status,
            "status_label": BLIND_STATUS_LABELS[status], "assigned_at": a.assigned_at, "due_at": a.due_at}


async def view(assignment: BlindAssignment) -> dict:
    """What the reviewer works from: the code, the works (anonymised copies only), the form and their own score."""
    dossier, review = await _round(assignment)
    round_ = dossier.blind_reviews
    works = [{"id": w.id, "label": f"代表作{w.id}", "pages": w.anonymised.pages, "size": w.anonymised.size}
             for w in round_.works if w.anonymised is not None] if assignment.status != "declined" else []
    return {**listed(assignment), "criteria": [c.model_dump() for c in round_.criteria],
            "pass_mark": round_.pass_mark, "opinion_required": round_.opinion_required,
            "opinion_max_chars": round_.opinion_max_chars, "works": works,
            "score": {"points": review.points, "total": review.total, "passed": review.passed,
                      "opinion": review.opinion, "submitted_at": review.submitted_at}
            if review.status == "submitted" else None}


async def work_file(assignment: BlindAssignment, work_id: str) -> StoredFile:
    if assignment.status == "declined":
        raise NotFound("代表作不存在", field="work_id", code="work_not_found")
    dossier, _ = await _round(assignment)
    return blind.work_file(dossier, work_id)


def _index(dossier: Dossier, assignment: BlindAssignment) -> int:
    for i, r in enumerate(dossier.blind_reviews.reviews if dossier.blind_reviews else []):
        if r.assignment_id == str(assignment.id):
            return i
    raise AssignmentNotFound(field="assignment_id")


def _complete(reviews: list[BlindScore]) -> bool:
    return all(r.status in ("submitted", "declined", "overdue") for r in reviews)


async def score(*, actor: User, assignment: BlindAssignment, points: list[int], opinion: str | None) -> dict:
    """Stores the score once, before the deadline: the same score sent again is answered as stored; another
    score after one was stored is a 409, and so is anything after the deadline or a declared conflict."""
    if assignment.status == "declined":
        raise Conflict("您已申明回避，不能评分", code="blind_review_declined")
    dossier, _ = await _round(assignment)
    text = blind_form.require_score_shape(dossier.blind_reviews, points, opinion)
    now = utcnow()

    async def plan(fresh: Dossier) -> writes.Change | None:
        i = _index(fresh, assignment)
        current = fresh.blind_reviews.reviews[i]
        if current.status == "submitted":
            if current.points == points and current.opinion == text:
                return None                 # the same score again: answered as stored
            raise Conflict("评分已提交，不能修改", code="already_scored")
        if current.status == "declined":
            raise Conflict("您已申明回避，不能评分", code="blind_review_declined")
        if current.status == "overdue" or now > assignment.due_at:
            raise Conflict(f"评审期限已于{local_text(assignment.due_at)}截止，不能再提交评分", code="blind_review_overdue")
        total = sum(points)
        done = current.model_copy(update={"status": "submitted", "points": points, "total": total, "opinion": text,
                                          "passed": total >= fresh.blind_reviews.pass_mark, "submitted_at": now})
        reviews = [*fresh.blind_reviews.reviews[:i], done, *fresh.blind_reviews.reviews[i + 1:]]
        update = {f"blind_reviews.reviews.{i}": writes.to_bson(done)}
        if _complete(reviews):
            update["blind_reviews.status"] = "complete"
        return writes.Change({"$set": update})

    await writes.retrying(writes_loader(assignment.dossier_id), plan)
    await BlindAssignment.get_pymongo_collection().update_one(
        {"_id": assignment.id, "status": {"$in": ["pending", "overdue"]}},
        {"$set": {"status": "submitted"}, "$unset": {"remind_at": ""}, "$inc": {"version": 1}})
    return await view(await BlindAssignment.get(assignment.id))


def writes_loader(dossier_id: PydanticObjectId):
    async def load() -> Dossier:
        dossier = await writes.read({"_id": dossier_id})
        if dossier is None:
            raise AssignmentNotFound(field="assignment_id")
        return dossier
    return load


async def declare_conflict(*, actor: User, assignment: BlindAssignment, reason: str) -> dict:
    """申明回避: the reviewer steps out with a reason before scoring; the draw's next unused reserve takes the
    place (recorded on the draw as a swap with the reason), or the round is marked short of reviewers."""
    if assignment.status != "pending" or overdue(assignment):
        raise Conflict("只有未评分且未逾期的评审任务可以申明回避", code="blind_review_state")
    dossier, review = await _round(assignment)
    draw_id = review.draw_id or dossier.blind_reviews.draw_id      # the draw that chose this reviewer
    record = await ExpertDraw.get(draw_id) if draw_id else None
    incoming = None
    if record is not None:
        try:
            swapped = await draws.swap(actor=actor, record=record, data=SwapIn(
                out_id=review.expert_id, reason=f"送审专家申明回避：{reason}"))
            incoming = draws.current_members(swapped)[draws.current_members(record).index(review.expert_id)]
        except Conflict as exc:
            if exc.code != "no_reserve":
                raise
    rule = await blind.rule_of(dossier)
    added = None
    if incoming is not None:
        expert = (await draws.experts_by_id([incoming]))[incoming]
        added = blind.new_assignment(dossier, dossier.blind_reviews, expert, len(dossier.blind_reviews.reviews) + 1,
                                     rule)
    now = utcnow()

    async def plan(fresh: Dossier) -> writes.Change:
        i = _index(fresh, assignment)
        if fresh.blind_reviews.reviews[i].status != "pending":
            raise Conflict("只有未评分且未逾期的评审任务可以申明回避", code="blind_review_state")
        declined = fresh.blind_reviews.reviews[i].model_copy(update={"status": "declined", "declined_reason": reason,
                                                                     "submitted_at": now})
        reviews = [*fresh.blind_reviews.reviews[:i], declined, *fresh.blind_reviews.reviews[i + 1:]]
        if added is not None:
            reviews.append(blind.review_of(added).model_copy(update={"draw_id": review.draw_id}))
        update = {"blind_reviews.reviews": [writes.to_bson(r) for r in reviews]}
        if added is None:
            update["blind_reviews.short_of_reviewers"] = True
        return writes.Change({"$set": update})

    await writes.retrying(writes_loader(assignment.dossier_id), plan)
    await BlindAssignment.get_pymongo_collection().update_one(
        {"_id": assignment.id, "status": "pending"},
        {"$set": {"status": "declined"}, "$unset": {"remind_at": ""}, "$inc": {"version": 1}})
    if added is not None:
        await added.insert()
        await blind.tell_reviewer(added)
    return {"declined": True, "reserve_drawn": added is not None}


async def remind_due() -> int:
    """Reminds each reviewer whose reminder time has come and who has not scored, once: the conditional update
    that unsets `remind_at` is what claims the reminder, so two runs never send it twice."""
    sent = 0
    now = utcnow()
    collection = BlindAssignment.get_pymongo_collection()
    async for a in collection.find({"status": "pending", "remind_at": {"$lte": now}}):
        claimed = await collection.update_one({"_id": a["_id"], "status": "pending", "remind_at": a["remind_at"]},
                                              {"$unset": {"remind_at": ""}, "$set": {"reminded_at": now}})
        if claimed.modified_count:
            await notifications.notify(user_id=a["user_id"], title="代表作送审即将截止",
                                       body=f"代表作送审（{a['code']}）将于{local_text(a['due_at'])}截止，请尽快评分。",
                                       link=f"/expert/blind-reviews/{a['_id']}")
            sent += 1
    return sent


async def mark_overdue() -> int:
    """Marks each unscored assignment past its deadline overdue, in its own record and in the dossier's round."""
    marked = 0
    collection = BlindAssignment.get_pymongo_collection()
    async for a in collection.find({"status": "pending", "due_at": {"$lte": utcnow()}}):
        assignment = BlindAssignment.model_validate(a)

        async def plan(fresh: Dossier) -> writes.Change | None:
            i = _index(fresh, assignment)
            if fresh.blind_reviews.reviews[i].status != "pending":
                return None
            update = {f"blind_reviews.reviews.{i}.status": "overdue"}
            reviews = [r.model_copy(update={"status": "overdue"}) if j == i else r
                       for j, r in enumerate(fresh.blind_reviews.reviews)]
            if _complete(reviews):
                update["blind_reviews.status"] = "complete"
            return writes.Change({"$set": update})

        await writes.retrying(writes_loader(assignment.dossier_id), plan)
        done = await collection.update_one({"_id": a["_id"], "status": "pending"},
                                           {"$set": {"status": "overdue"}, "$unset": {"remind_at": ""},
                                            "$inc": {"version": 1}})
        marked += done.modified_count
    return marked


async def deadlines() -> int:
    """The periodic job: reminders, then overdue marking; returns how many assignments it touched."""
    return await remind_due() + await mark_overdue()
