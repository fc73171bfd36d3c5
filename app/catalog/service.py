"""Dictionary look-ups and loading from fixtures/ JSON."""

import asyncio
import json
import time
from pathlib import Path

from pymongo import UpdateOne

from app.catalog.models import DictionaryEntry
from app.config import PROJECT_ROOT
from app.errors import NotFound, ValidationFailed

FIXTURES = PROJECT_ROOT / "fixtures"


async def entries(dictionary: str, *, parent: str | None = None,
                  include_disabled: bool = False) -> list[DictionaryEntry]:
    query: dict = {"dictionary": dictionary} if include_disabled else {"dictionary": dictionary, "enabled": True}
    if parent is not None:
        query["parent"] = parent or None     # ?parent= (empty) asks for the top level
    found = await DictionaryEntry.find(query).sort("sort", "code").to_list()
    if not found and not await DictionaryEntry.find_one({"dictionary": dictionary}):
        raise NotFound(f"字典 {dictionary} 不存在", field="dictionary", code="dictionary_not_found")
    return found


async def dictionary_names() -> list[dict]:
    counts = await (await DictionaryEntry.get_pymongo_collection().aggregate(
        [{"$group": {"_id": "$dictionary", "count": {"$sum": 1}}}, {"$sort": {"_id": 1}}])).to_list()
    return [{"dictionary": c["_id"], "count": c["count"]} for c in counts]


async def put_entry(dictionary: str, code: str, entry: dict) -> dict:
    """Adds or changes one entry through the import's checks; the fields not given keep their stored values."""
    stored = await DictionaryEntry.find_one({"dictionary": dictionary, "code": code})
    item = {"code": code, "name": stored.name if stored else None, "parent": stored.parent if stored else None,
            "sort": stored.sort if stored else 0, "enabled": stored.enabled if stored else True,
            "extra": stored.extra if stored else {}}
    item.update({k: entry[k] for k in ("name", "parent", "sort", "enabled", "extra") if k in entry})
    await import_dictionaries({dictionary: [item]})
    return item


async def get_entry(dictionary: str, code: str) -> DictionaryEntry | None:
    return await DictionaryEntry.find_one({"dictionary": dictionary, "code": code, "enabled": True})


# How long this process serves the codes of a dictionary from its own copy (section saves check every
# coded field). Dictionaries change rarely, by an administrator; an import here drops the copies at once,
# one made by another process is seen within this time.
RECENT_SECONDS = 10.0
_codes: dict[str, tuple[float, frozenset[str]]] = {}


_loading: dict[str, asyncio.Future] = {}


async def _load_codes(dictionary: str) -> frozenset[str]:
    found = DictionaryEntry.get_pymongo_collection().find({"dictionary": dictionary, "enabled": True},
                                                           {"code": 1, "_id": 0})
    codes = frozenset([doc["code"] async for doc in found])
    _codes[dictionary] = (time.monotonic(), codes)
    return codes


async def is_code(dictionary: str, code: str) -> bool:
    """Whether `code` is an enabled entry of `dictionary`, from a copy at most RECENT_SECONDS old. Requests
    that find the copy missing or old at the same moment (a deadline's saves) wait for one read of it."""
    held = _codes.get(dictionary)
    if held is not None and time.monotonic() - held[0] < RECENT_SECONDS:
        return code in held[1]
    loading = _loading.get(dictionary)
    if loading is None:
        loading = _loading[dictionary] = asyncio.ensure_future(_load_codes(dictionary))
        loading.add_done_callback(lambda done: _loading.pop(dictionary, None) if _loading.get(dictionary) is done
                                  else None)
    return code in await asyncio.shield(loading)


def forget_codes() -> None:
    """Drops this process's copies of the dictionaries' codes (after an import, or a test's change)."""
    _codes.clear()
    _loading.clear()


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
    """Loads the JSON files of fixtures/dictionaries/ (or one given file); idempotent."""
    files = [path] if path else sorted((FIXTURES / "dictionaries").glob("*.json"))
    total = 0
    for file in files:
        total += await import_dictionaries(json.loads(file.read_text(encoding="utf-8")))
    return total


async def export_dictionaries(names: list[str] | None = None) -> dict[str, list[dict]]:
    """The same shape load_dictionaries reads, so a province can move its dictionaries between systems."""
    query: dict = {"dictionary": {"$in": names}} if names else {}
    exported: dict[str, list[dict]] = {}
    for entry in await DictionaryEntry.find(query).sort("dictionary", "sort", "code").to_list():
        item = {"code": entry.code, "name": entry.name}
        if entry.parent is not None:
            item["parent"] = entry.parent
        if entry.extra:
            item["extra"] = entry.extra
        if not entry.enabled:
            item["enabled"] = False
        exported.setdefault(entry.dictionary, []).append(item)
    return exported


async def import_dictionaries(data: dict[str, list[dict]]) -> int:
    """Checks the whole file first (codes, names, parents), then upserts; nothing is stored from a bad file."""
    if not isinstance(data, dict) or not data:
        raise ValidationFailed("导入文件应为 {字典名: [条目…]} 的 JSON 对象", field="file", code="bad_import")
    for dictionary, items in data.items():
        if not isinstance(items, list):
            raise ValidationFailed(f"字典 {dictionary} 应为条目列表", field=dictionary, code="bad_import")
        seen: set[str] = set()
        for index, item in enumerate(items):
            if not isinstance(item, dict) or not str(item.get("code", "")).strip() or not str(
                    item.get("name", "")).strip():
                raise ValidationFailed(f"字典 {dictionary} 第{index + 1}条缺少代码或名称",
                                       field=f"{dictionary}.{index}", code="bad_import")
            if str(item["code"]) in seen:
                raise ValidationFailed(f"字典 {dictionary} 代码 {item['code']} 重复", field=f"{dictionary}.{index}",
                                       code="bad_import")
            seen.add(str(item["code"]))
    operations = []
    for dictionary, items in data.items():
        for sort, item in enumerate(items):
            document = {"dictionary": dictionary, "code": str(item["code"]).strip(), "name": str(item["name"]).strip(),
                        "parent": item.get("parent"), "sort": item.get("sort", sort),
                        "enabled": item.get("enabled", True), "extra": item.get("extra", {})}
            operations.append(UpdateOne({"dictionary": dictionary, "code": document["code"]},
                                        {"$set": document}, upsert=True))
    await DictionaryEntry.get_pymongo_collection().bulk_write(operations, ordered=False)
    forget_codes()
    return len(operations)
