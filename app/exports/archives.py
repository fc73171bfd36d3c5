"""Archive packages (归档包) of completed dossiers: one ZIP per dossier that stands on its own.

A package holds dossier.json (the raw document with its trail, snapshots and everything other
modules add, in Extended JSON so ObjectIds and datetimes survive), the forms as PDF when they can
be made, every file the document references anywhere, and a manifest with each file's size and
SHA-256 and, for stored files, what GridFS needs to restore them under their original ids. `verify`
checks a package against its manifest; `import_package` verifies first, then restores the files
and the document into an empty database. A batch is an archive of such packages."""

import hashlib
import zipfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import anyio
from bson import ObjectId

from app import db
from app.clock import utcnow
from app.dossiers import sections as S
from app.dossiers import writes
from app.dossiers.models import Dossier
from app.errors import Conflict, ValidationFailed
from app.exports.bundles import add_files, attachment_items, folder_name
from app.exports.forms import FormMaker
from app.exports.selection import COMPLETED
from app.exports.zipfeed import CHECKSUMS, MANIFEST, Package, dumps, loads
from app.files import service as files

FORMAT = "zhicheng-archive/1"
BATCH_FORMAT = "zhicheng-archive-batch/1"
DOCUMENT = "dossier.json"
READ_BLOCK = 1024 * 1024
PLACE_LABELS = {"publicity": "公示意见证明"}


def _stored_files(raw: dict) -> list[tuple[str, dict]]:
    """Every StoredFile the document references (working copy, snapshots, publicity proofs …), once each."""
    found: dict[Any, tuple[str, dict]] = {}

    def walk(value: Any, place: str, parent: dict | None) -> None:
        if isinstance(value, dict):
            if {"file_id", "sha256", "size", "filename"} <= value.keys():
                section = (parent or {}).get("section")
                label = S.section_label(section) if section else PLACE_LABELS.get(place, place)
                found.setdefault(value["file_id"], (label, value))
                return
            for key, item in value.items():
                walk(item, place, value)
        elif isinstance(value, list):
            for item in value:
                walk(item, place, parent)

    for key, value in raw.items():
        walk(value, key, None)
    return list(found.values())


def package_name(dossier: Dossier) -> str:
    return f"{folder_name(dossier)}-{dossier.id}.zip"


async def build_package(dossier: Dossier, *, created_by: str, forms: FormMaker,
                        spool: Path | None = None) -> Package:
    raw = await Dossier.get_pymongo_collection().find_one({"_id": dossier.id})
    package = Package(spool)
    package.add_bytes(DOCUMENT, dumps(raw), source="document")
    entry = await add_files(package, dossier, attachment_items(dossier, _stored_files(raw)), prefix="attachments/",
                            forms_prefix="forms/",
                            forms=forms, gridfs_info=True)
    package.finish({"format": FORMAT, "created_at": utcnow(), "created_by": created_by, "dossier": entry})
    return package


async def build_batch(dossiers: AsyncIterator[Dossier], *, created_by: str, selection: dict[str, Any],
                      forms: bool = True) -> tuple[Package, list]:
    """An archive of packages, one per dossier; each inner package carries its own manifest."""
    outer = Package()
    maker = FormMaker(forms)
    ids = []
    async for dossier in dossiers:
        inner = await build_package(dossier, created_by=created_by, forms=maker, spool=outer.spool)
        outer.add_package(package_name(dossier), inner)
        ids.append(dossier.id)
    outer.finish({"format": BATCH_FORMAT, "created_at": utcnow(), "created_by": created_by, "selection": selection,
                  "note": "每个申报一个归档包（.zip），包内 manifest.json 列出每个文件的大小与 SHA-256"})
    return outer, ids


def require_completed(dossier: Dossier) -> None:
    if dossier.status not in COMPLETED:
        raise Conflict("只有已办结（已发证、评审未通过或已作废）的申报可以归档", code="not_completed")


async def export_batch(batch_id: ObjectId, out: Path, *, created_by: str, forms: bool = True) -> list[Path]:
    """Writes a package per completed dossier of the batch into out (the command line)."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    maker = FormMaker(forms)
    async for dossier in Dossier.find({"batch_id": batch_id, "status": {"$in": list(COMPLETED)}}).sort("_id"):
        package = await build_package(dossier, created_by=created_by, forms=maker)
        target = out / package_name(dossier)
        async with await anyio.open_file(target, "wb") as sink:
            async for piece in package.stream():
                await sink.write(piece)
        written.append(target)
    return written


def _sha256(zf: zipfile.ZipFile, name: str) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with zf.open(name) as source:
        while block := source.read(READ_BLOCK):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def verify(path: Path) -> list[str]:
    """Problems found checking a package (or an archive of packages) against its manifest; [] when sound."""
    try:
        with zipfile.ZipFile(path) as zf:
            return _verify(zf, "")
    except (zipfile.BadZipFile, OSError) as exc:
        return [f"{path.name}：不是有效的 ZIP 文件（{exc}）"]


def _verify(zf: zipfile.ZipFile, where: str) -> list[str]:
    names = set(zf.namelist())
    if MANIFEST not in names:
        return [f"{where}缺少 {MANIFEST}"]
    manifest = loads(zf.read(MANIFEST))
    problems = []
    listed = {MANIFEST, CHECKSUMS}
    for entry in manifest.get("files", []):
        name = entry["path"]
        listed.add(name)
        if name not in names:
            problems.append(f"{where}{name}：清单中有而包中缺失")
            continue
        try:
            digest, size = _sha256(zf, name)
        except zipfile.BadZipFile as exc:
            problems.append(f"{where}{name}：内容已损坏（{exc}）")
            continue
        if size != entry["size"]:
            problems.append(f"{where}{name}：大小不符（清单 {entry['size']}，实际 {size}）")
        elif "sha256" in entry and digest != entry["sha256"]:
            problems.append(f"{where}{name}：SHA-256 不符")
        elif manifest.get("format") == BATCH_FORMAT and name.endswith(".zip"):
            with zf.open(name) as inner, zipfile.ZipFile(inner) as inner_zf:
                problems += _verify(inner_zf, f"{where}{name}/")
    problems += [f"{where}{name}：清单中没有此文件" for name in sorted(names - listed)]
    if CHECKSUMS in names:
        lines = dict(reversed(line.split("  ", 1)) for line in zf.read(CHECKSUMS).decode().splitlines() if line)
        if lines.get(MANIFEST) != hashlib.sha256(zf.read(MANIFEST)).hexdigest():
            problems.append(f"{where}{MANIFEST}：与 {CHECKSUMS} 记录的 SHA-256 不符")
    return problems


def _blocks(zf: zipfile.ZipFile, name: str) -> Iterator[bytes]:
    with zf.open(name) as source:
        while block := source.read(READ_BLOCK):
            yield block


async def import_package(path: Path) -> dict:
    """Restores one package into the configured database: verified first, refused if the dossier exists;
    files keep their GridFS ids (a file already there with the same content is shared, not copied)."""
    problems = verify(path)
    if problems:
        raise ValidationFailed("归档包校验未通过：" + "；".join(problems[:5]), code="package_invalid",
                               problems=problems)
    database = db.current()
    collection = Dossier.get_pymongo_collection()
    fs_files = database.db[f"{files.BUCKET}.files"]
    restored: list[ObjectId] = []
    with zipfile.ZipFile(path) as zf:
        manifest = loads(zf.read(MANIFEST))
        if manifest.get("format") != FORMAT:
            raise ValidationFailed("这不是单个申报的归档包", code="package_format")
        raw = loads(zf.read(DOCUMENT))
        if await collection.find_one({"_id": raw["_id"]}, {"_id": 1}):
            raise Conflict(f"申报 {raw['_id']} 已存在，未导入", code="dossier_exists")
        try:
            for entry in manifest["files"]:
                if "gridfs" not in entry:
                    continue
                file_id, info = ObjectId(entry["file_id"]), entry["gridfs"]
                existing = await fs_files.find_one({"_id": file_id})
                if existing is not None:
                    if existing["length"] != entry["size"] or (existing.get("metadata") or {}).get(
                            "sha256") != entry["sha256"]:
                        raise Conflict(f"文件 {file_id} 已存在且内容不同，未导入", code="file_exists")
                    continue
                stream = database.bucket.open_upload_stream_with_id(
                    file_id, info["filename"], chunk_size_bytes=info["chunkSize"], metadata=info.get("metadata"))
                restored.append(file_id)
                for block in _blocks(zf, entry["path"]):
                    await stream.write(block)
                await stream.close()
                await fs_files.update_one({"_id": file_id}, {"$set": {"uploadDate": info["uploadDate"]}})
            await writes.insert(raw)
        except BaseException:
            with anyio.CancelScope(shield=True):
                for file_id in restored:
                    await files.delete_file(file_id)
            raise
    return {"dossier_id": str(raw["_id"]), "files": len(restored)}
