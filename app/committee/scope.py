"""Who reads a dossier because of the committee's work: an expert reads the dossiers of the meetings
they sit in. Registered with the dossiers' one scope function when this package is imported."""

from app.accounts.enums import Role
from app.accounts.models import User
from app.committee.models import Meeting


async def expert_readers(user: User) -> dict | None:
    if not user.has_role(Role.expert):
        return None
    meetings = await Meeting.get_pymongo_collection().find({"member_ids": user.id}, {"_id": 1}).to_list()
    return {"meeting_id": {"$in": [m["_id"] for m in meetings]}} if meetings else None
