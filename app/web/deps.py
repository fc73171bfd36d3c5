"""The sign-in gate of every web page, as dependencies: `PageUser` is the signed-in user, or the page answers
with a redirect (to the login page with `next`, or to the forced password change) from one handler."""

from typing import Annotated
from urllib.parse import quote

from beanie import PydanticObjectId
from bson.errors import InvalidId
from fastapi import Depends, FastAPI, Request
from fastapi.responses import RedirectResponse

from app.accounts.deps import Client, OptionalAuth
from app.accounts.models import User
from app.dossiers import service as dossiers
from app.dossiers.models import Dossier
from app.errors import NotFound

PASSWORD_PAGE = "/account/password"


class PageRedirect(Exception):
    """Raised by a page dependency that sends the browser elsewhere instead of showing the page."""

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


async def optional_page_user(request: Request, auth: OptionalAuth) -> User | None:
    """The signed-in user (None for a visitor); one who must change the password is sent to do so first."""
    if auth is None:
        return None
    request.state.user = auth.user
    if auth.user.must_change_password and request.url.path != PASSWORD_PAGE:
        raise PageRedirect(PASSWORD_PAGE)
    return auth.user


async def page_user(request: Request, user: Annotated[User | None, Depends(optional_page_user)]) -> User:
    """The signed-in user; a visitor is sent to the login page, which brings them back here afterwards."""
    if user is None:
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise PageRedirect(f"/login?next={quote(path, safe='')}")
    return user


PageUser = Annotated[User, Depends(page_user)]
OptionalPageUser = Annotated[User | None, Depends(optional_page_user)]


def page_id(value: str, *, message: str = "记录不存在", field: str = "id", code: str) -> PydanticObjectId:
    """An id in a page's path; a malformed one is the same 404 page as a record out of scope."""
    try:
        return PydanticObjectId(value)
    except (InvalidId, TypeError):
        raise NotFound(message, field=field, code=code) from None


def _dossier_id(value: str) -> PydanticObjectId:
    return page_id(value, message="申报材料不存在", field="dossier_id", code="dossier_not_found")


async def own_page_dossier(dossier_id: str, user: PageUser) -> Dossier:
    """The applicant's dossier, or one the user's unit entered for them (the editor pages serve both)."""
    return await dossiers.get_editable(user, _dossier_id(dossier_id))


async def readable_page_dossier(dossier_id: str, user: PageUser, client: Client) -> Dossier:
    return await dossiers.get_readable(user, _dossier_id(dossier_id), client=client, detail="page")


PageOwnDossier = Annotated[Dossier, Depends(own_page_dossier)]
PageReadableDossier = Annotated[Dossier, Depends(readable_page_dossier)]


def install_page_redirects(app: FastAPI) -> None:
    @app.exception_handler(PageRedirect)
    async def _redirect(request: Request, exc: PageRedirect) -> RedirectResponse:
        return RedirectResponse(exc.location, status_code=303)
