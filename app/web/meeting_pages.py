"""Review meetings (评审会): the office's list and one meeting's page (experts, 到会, dossiers with preview and
confirm, 开始表决, paper ballots, 结束 with the tally and the rule), and the experts' 评审表决 pages.

The meeting and what each viewer may see of it come from the meetings service (`visible`, `for_member`,
`out`); while the vote runs the office page also shows the tally the close would make now (votes.live_tally),
so a missing quorum is seen before 结束评审会 refuses it.
"""

from beanie import PydanticObjectId
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.accounts.enums import Role
from app.committee import committees, meetings, votes
from app.committee.calendar import china_today
from app.committee.models import MEETING_STATUS_LABELS, VOTE_LABELS
from app.committee.tally import short_line
from app.catalog import committees as catalog_committees
from app.web import choices
from app.web.committee_pages import OfficeUser
from app.web.deps import PageUser, page_id
from app.web.pages import render, require_role

router = APIRouter(include_in_schema=False)


def _meeting_id(value: str) -> PydanticObjectId:
    return page_id(value, message="评审会不存在", field="meeting_id", code="meeting_not_found")


@router.get("/committee/meetings", response_class=HTMLResponse)
async def meetings_page(request: Request, user: OfficeUser) -> Response:
    run = await committees.listing(user)
    found = await meetings.of_office(user)
    return render(request, "meetings.html", meetings=found, committees=run, names={c.code: c.name for c in run},
                  committee_options=[(c.code, c.name) for c in run],
                  status_labels=MEETING_STATUS_LABELS, today=china_today().isoformat())


@router.get("/committee/meetings/{meeting_id}", response_class=HTMLResponse)
async def meeting_page(request: Request, meeting_id: str, user: PageUser) -> Response:
    meeting, committee, office = await meetings.visible(user, _meeting_id(meeting_id))
    if not office and not user.has_role(Role.sysadmin):
        return RedirectResponse(f"/expert/meetings/{meeting.id}", status_code=303)
    view = await meetings.out(meeting, committee, viewer=user, office=True)
    accepted = await meetings.schedulable(committee) if meeting.status == "planned" else []
    tally = await votes.live_tally(meeting, committee)
    short = [(row, short_line(tally[row["id"]])) for row in view.dossiers
             if row["id"] in tally and tally[row["id"]]["present"] < tally[row["id"]]["quorum_required"]]
    return render(request, "meeting.html", meeting=meeting, committee=committee, view=view, accepted=accepted,
                  tally=tally, short=short, vote_labels=VOTE_LABELS, titles=dict(await choices.options("titles")),
                  present_members=[m for m in view.members if m["present"]])


@router.get("/expert", response_class=HTMLResponse)
async def expert_page(request: Request, user: PageUser) -> Response:
    require_role(user, (Role.expert,), "评审表决仅供评审专家使用")
    found = await meetings.invited(user)
    names = await catalog_committees.names(m.committee_code for m in found)
    return render(request, "expert.html", meetings=found, names=names, status_labels=MEETING_STATUS_LABELS,
                  me=user.id)


@router.get("/expert/meetings/{meeting_id}", response_class=HTMLResponse)
async def expert_meeting_page(request: Request, meeting_id: str, user: PageUser) -> Response:
    meeting, committee = await meetings.for_member(user, _meeting_id(meeting_id))
    view = await meetings.out(meeting, committee, viewer=user, office=False)
    return render(request, "expert_meeting.html", meeting=meeting, committee=committee, view=view,
                  present=user.id in meeting.present_ids, vote_labels=VOTE_LABELS,
                  titles=dict(await choices.options("titles")))
