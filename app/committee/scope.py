"""Who reads a dossier because of the committee's work: the experts of the meeting it is scheduled in
("meeting:<id>" among its read keys). Registered with the dossiers' one scope rule when this package is
imported."""

from app.accounts.enums import Role
from app.accounts.models import User
from app.committee.models import Meeting
from app.dossiers.scope import Key, Readers


def meeting_keys(doc: dict) -> list[Key]:
    return [f"meeting:{doc['meeting_id']}"] if doc.get("meeting_id") else []


async def expert_keys(user: User) -> list[Key]:
    if not user.has_role(Role.expert):
        return []
    meetings = await Meeting.get_pymongo_collection().find({"member_ids": user.id}, {"_id": 1}).to_list()
    return [f"meeting:{m['_id']}" for m in meetings]


EXPERTS = Readers(fields=frozenset({"meeting_id"}), of_dossier=meeting_keys, of_user=expert_keys)
