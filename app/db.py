"""Database lifecycle: the client, Beanie's document models and the GridFS bucket."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from beanie import init_beanie
from gridfs import AsyncGridFSBucket
from pymongo import AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from app.config import Settings
from app.embedded import EmbeddedServer

T = TypeVar("T")


@dataclass
class Database:
    client: AsyncMongoClient
    db: AsyncDatabase
    bucket: AsyncGridFSBucket
    embedded: EmbeddedServer | None = None

    async def close(self) -> None:
        await self.client.close()
        if self.embedded:
            self.embedded.stop()


_current: Database | None = None


def current() -> Database:
    if _current is None:
        raise RuntimeError("database not opened")
    return _current


def resolve_uri(settings: Settings) -> tuple[str, EmbeddedServer | None]:
    if settings.mongodb_uri:
        return settings.mongodb_uri, None
    embedded = EmbeddedServer(settings.var_dir / "secantus", settings.embedded_port)
    return embedded.start(), embedded


def client_options(settings: Settings) -> dict:
    """Durable acknowledgement (a write is acknowledged once journaled on a majority, so it survives a
    kill -9 of the database; SecantusDB honours j too) and a short wait when the database is unreachable,
    so a request gets a fast 503 rather than hanging."""
    timeout_ms = int(settings.database_timeout_seconds * 1000)
    return {"tz_aware": True, "w": "majority", "journal": True,
            "serverSelectionTimeoutMS": timeout_ms, "connectTimeoutMS": timeout_ms}


async def open_database(settings: Settings, document_models: list[type]) -> Database:
    """document_models come from app.documents: the list names every domain, and db sits below them all."""
    global _current
    uri, embedded = resolve_uri(settings)
    client: AsyncMongoClient = AsyncMongoClient(uri, **client_options(settings))
    db = client[settings.database]
    await init_beanie(database=db, document_models=document_models)
    _current = Database(client=client, db=db, bucket=AsyncGridFSBucket(db), embedded=embedded)
    return _current


async def close_database() -> None:
    global _current
    if _current:
        await _current.close()
        _current = None


async def in_transaction(work: Callable[[AsyncClientSession], Awaitable[T]]) -> T:
    """Runs `work(session)` in a multi-document transaction, retried on transient write conflicts
    (so two racing requests end in one success and one clean refusal). Never around GridFS."""
    async with current().client.start_session() as session:
        return await session.with_transaction(work)
