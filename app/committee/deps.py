"""Dependencies that load a committee resource already in the user's scope (anything else is a 404)."""

from typing import Annotated

from beanie import PydanticObjectId
from fastapi import Depends

from app.accounts.deps import CurrentUser
from app.catalog.models import Committee
from app.committee import meetings
from app.committee.models import Meeting


async def _visible_meeting(meeting_id: PydanticObjectId, user: CurrentUser) -> tuple[Meeting, Committee, bool]:
    return await meetings.visible(user, meeting_id)


VisibleMeeting = Annotated[tuple[Meeting, Committee, bool], Depends(_visible_meeting)]
"""(meeting, committee, runs its office) for the office, the sysadmin and the invited experts."""


async def _office_meeting(meeting_id: PydanticObjectId, user: CurrentUser) -> tuple[Meeting, Committee]:
    return await meetings.for_office(user, meeting_id)


OfficeMeeting = Annotated[tuple[Meeting, Committee], Depends(_office_meeting)]
"""(meeting, committee) for the office that runs its committee: 404 outside scope, 403 for an expert. Every
office-only meeting route loads its meeting this way; the service then asks for the states it works in."""
