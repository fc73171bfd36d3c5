"""Dossiers loaded in the caller's scope, as dependencies: a route names what it needs and never calls the
scope functions itself. Another person's dossier, or one out of reach, is the same 404 as an unknown id."""

from typing import Annotated

from beanie import PydanticObjectId
from fastapi import Depends, Request

from app.accounts.deps import Client, CurrentUser
from app.dossiers import service
from app.dossiers.models import Dossier


class Readable:
    """A dossier the user may read, recording the access as `action` with `detail`; the detail may name the
    route's path parameters ("form:{form}.{fmt}") so the access record says what was read."""

    def __init__(self, detail: str | None = None, action: str = "read") -> None:
        self.detail = detail
        self.action = action

    async def __call__(self, request: Request, dossier_id: PydanticObjectId, user: CurrentUser,
                       client: Client) -> Dossier:
        detail = self.detail.format(**request.path_params) if self.detail else None
        return await service.get_readable(user, dossier_id, client=client, action=self.action, detail=detail)


ReadableDossier = Annotated[Dossier, Depends(Readable())]

