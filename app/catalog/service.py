"""Dictionary look-ups and loading from fixtures/ JSON."""

import json
from pathlib import Path

from pymongo import UpdateOne

from app.catalog.models import DictionaryEntry
from app.config import PROJECT_ROOT
from app.errors import NotFound, ValidationFailed

FIXTURES = PROJECT_ROOT / "fixtures"


async def entries(dictionary: str, *, parent: str | None = None) -> list[DictionaryEntry]:
    query: dict = {"dictionary": dictionary, "enabled": True}
    if parent is not None:
        query["parent"] = parent
    found = await DictionaryEntry.find(query).sort("sort", "code").to_list()
    if not found and not await DictionaryEntry.find_one({"dictionary": dictionary}):
        raise NotFound(f"字典 {dictionary} 不存在", field="dictionary", code="dictionary_not_found")
    return found


async def get_entry(dictionary: str, code: str) -> DictionaryEntry | None:
    return await DictionaryEntry.find_one({"dictionary": dictionary, "code": code, "enabled": True})


async def require_entry(dictionary: str, code: str, *, field: str, label: str) -> DictionaryEntry:
    entry = await get_entry(dictionary, code)
    if entry is None:
        raise ValidationFailed(f"{label}不是有效的选项", field=field, code="unknown_choice")
    return entry


async def region_chain(code: str) -> list[str]:
    """The region and its ancestors, nearest first."""
    chain: list[str] = []
    current = await get_entry("regions", code)
    while current is not None and current.code not in chain:
        chain.append(current.code)
        current = await get_entry("regions", current.parent) if current.parent else None
    return chain


async def load_dictionaries(path: Path | None = None) -> int:
    """Upserts every dictionary in the JSON files of fixtures/dictionaries/ (or one given file) of
    {dictionary: [{code, name, parent?, extra?}]}; idempotent."""
    files = [path] if path else sorted((FIXTURES / "dictionaries").glob("*.json"))
    operations = []
    for file in files:
        for dictionary, items in json.loads(file.read_text(encoding="utf-8")).items():
            for sort, item in enumerate(items):
                document = {"dictionary": dictionary, "code": str(item["code"]), "name": item["name"],
                            "parent": item.get("parent"), "sort": item.get("sort", sort),
                            "enabled": item.get("enabled", True), "extra": item.get("extra", {})}
                operations.append(UpdateOne({"dictionary": dictionary, "code": document["code"]},
                                            {"$set": document}, upsert=True))
    if operations:
        await DictionaryEntry.get_pymongo_collection().bulk_write(operations, ordered=False)
    return len(operations)
