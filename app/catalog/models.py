from typing import Any

from beanie import Document
from pydantic import Field
from pymongo import ASCENDING, IndexModel


class DictionaryEntry(Document):
    """One entry of a named dictionary; `parent` links cascades (region → region, series → level …)."""
    dictionary: str
    code: str
    name: str
    parent: str | None = None
    sort: int = 0
    enabled: bool = True
    extra: dict[str, Any] = Field(default_factory=dict)

    class Settings:
        name = "dictionaries"
        indexes = [IndexModel([("dictionary", ASCENDING), ("code", ASCENDING)], unique=True),
                   IndexModel([("dictionary", ASCENDING), ("parent", ASCENDING), ("sort", ASCENDING)])]
