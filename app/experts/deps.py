"""Dependencies that load an expert record in the user's library (anything else is a 404)."""

from typing import Annotated

from beanie import PydanticObjectId
from fastapi import Depends

from app.accounts.deps import CurrentUser
from app.experts import service
from app.experts.models import Expert


async def _kept(expert_id: PydanticObjectId, user: CurrentUser) -> Expert:
    return await service.visible(user, expert_id)


KeptExpert = Annotated[Expert, Depends(_kept)]
"""An expert of a library the user keeps (its committee office unit), or any for the administrator."""
