from fastapi import APIRouter

from app.catalog import service

router = APIRouter(prefix="/api/catalog", tags=["catalog"])


@router.get("/{dictionary}", summary="字典（可按上级代码级联）")
async def dictionary(dictionary: str, parent: str | None = None) -> list[dict]:
    return [{"code": e.code, "name": e.name, "parent": e.parent, **({"extra": e.extra} if e.extra else {})}
            for e in await service.entries(dictionary, parent=parent)]
