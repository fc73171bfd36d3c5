"""The record of each export: one row per table, bundle or archive, with the selection that made it.

A 10,000-row roster is one event here rather than 10,000 DossierAccess rows; bundles and archives,
which hand out the applicants' own files, also write a DossierAccess row per dossier."""

from datetime import datetime
from typing import Any

from beanie import Document, PydanticObjectId
from pydantic import Field
from pymongo import ASCENDING, DESCENDING, IndexModel

from app.clock import utcnow


class ExportEvent(Document):
    kind: str                                   # overview | roster | results | bundle | archive
    user_id: PydanticObjectId | None = None     # None: the command line
    user_name: str
    selection: dict[str, Any] = Field(default_factory=dict)
    columns: list[str] = Field(default_factory=list)
    rows: int = 0                               # rows or dossiers exported
    revealed_ids: bool = False                  # ID numbers exported unmasked
    ip: str | None = None
    at: datetime = Field(default_factory=utcnow)

    class Settings:
        name = "export_events"
        indexes = [IndexModel([("at", DESCENDING)]), IndexModel([("user_id", ASCENDING), ("at", DESCENDING)])]
