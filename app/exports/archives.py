"""Archive packages (归档包) of completed dossiers: one ZIP per dossier holding one BagIt bag (RFC 8493).

The delivered file is the bag serialized as a ZIP with a single top-level folder named like the file
(RFC 8493 §4.2), so each dossier is one file that stands on its own. Inside, data/ holds the forms as
PDF/A-2b (forms/), every file the document references anywhere (attachments/, named and ordered by
app.exports.bundles), the records made from the trail (records/: 审核记录, 评审会纪要, 公示记录), the raw
document (dossier.json, Extended JSON so ObjectIds and datetimes survive), package.json (what GridFS needs to
restore each file under its id) and the hand-over metadata (说明文件.txt, 文件目录.xml). The bag is made and
checked with the Library of Congress `bagit` package; `verify` is a full bag validation plus the four
checks of GB/T 18894 / DA/T 70 (app.exports.archive_checks); `import_package` verifies first, then
restores the files and the document into a database that need not hold its units. A batch is an archive
of such packages with a manifest of its own (app.exports.zipfeed)."""

import hashlib
import tempfile
import uuid
import zipfile
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import anyio
import bagit
from bson import ObjectId

from app import db
from app.catalog import service as catalog
from app.catalog.models import Batch, Committee
from app.clock import utcnow
from app.committee import meetings, tally
from app.committee.models import Meeting
from app.dossiers import sections as S
from app.dossiers import service as dossier_service
from app.dossiers import writes
from app.dossiers.models import Dossier
from app.dossiers.rows import DossierRow
from app.errors import AppError, Conflict, ValidationFailed
from app.exports import archive_meta as meta
from app.exports.archive_checks import (Verification, catalogue_entries, raw_entry, safe_extract, usable,
                                        validate_bag)
from app.exports.bundles import add_files, attachment_items, folder_name
from app.exports.forms import FormMaker
from app.exports.selection import COMPLETED
from app.exports.zipfeed import CHECKSUMS, MANIFEST, Package, dumps, gridfs_chunks, loads
from app.files import service as files
from app.render import watermark
from app.render.contexts import bundle_forms

FORMAT = "zhicheng-archive/2"
BATCH_FORMAT = "zhicheng-archive-batch/2"
READ_BLOCK = 1024 * 1024
PLACE_LABELS = {"publicity": "公示意见证明", "step_attachments": "流程附件", "reissue_requests": "补证证明材料"}
TAG_ORDER = ("bagit.txt", "bag-info.txt", "manifest-sha256.txt", "tagmanifest-sha256.txt")


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


class ArchiveForms(FormMaker):
    """The forms of each package as PDF/A-2b (申报表, 简介表, 材料目录, and the certificate once issued), through
    the warm converter pool; once the converter is found unavailable the export stops asking."""

    def __init__(self, wanted: bool = True):
        super().__init__()
        self.omitted = None if wanted else "本次导出未要求生成表单"

    async def make(self, dossier: Dossier) -> tuple[list[tuple[str, bytes]], str | None]:
        """[(file name, PDF/A bytes)] and, when something is missing, why (for the 说明文件)."""
        if self.omitted or self.unavailable:
            return [], self.omitted or self.unavailable
        from app.render import convert, service as render     # here: verify and import need no docxtpl

        if not watermark.is_official(dossier.status):
            return [], "申报未经受理即办结，没有正式版表单"
        from app.exports import formcache

        made: list[tuple[str, bytes]] = []
        forms = await formcache.forms_of(dossier, self.templates)
        wanted = set(meta.expected_forms(dossier.status, dossier.certificate, forms))
        for form, label in meta.FORMS:
            if f"{label}.pdf" not in wanted:
                continue
            try:
                made.append((f"{label}.pdf", (await render.form_pdf(dossier, form, pdfa=True)).content))
            except (convert.ConverterUnavailable, convert.ConversionTimeout) as exc:
                self.unavailable = f"{exc.message}：其余申报不再生成表单"
                return made, self.unavailable
            except AppError as exc:
                return made, f"{label}生成失败：{exc.message}"
        return made, None


class BagFiles:
    """What bundles.add_files fills for a bag: the payload on disk instead of a ZIP. Stored files are only
    planned there (add_files is not async); `fetch` then writes them from GridFS chunk by chunk."""

    unique = Package.unique          # the same (2), (3) … rule for a name already taken

    def __init__(self, payload: Path):
        self.payload = payload
        self.files: list[dict[str, Any]] = []
        self._paths: set[str] = set()
        self._pending: list[tuple[Path, ObjectId, int]] = []

    def _target(self, path: str) -> Path:
        target = self.payload / path
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def add_bytes(self, path: str, data: bytes, **info: Any) -> str:
        path = self.unique(path)
        self._target(path).write_bytes(data)
        self.files.append({"path": path, "size": len(data), "sha256": hashlib.sha256(data).hexdigest(), **info})
        return path

    def add_gridfs(self, path: str, file_id: ObjectId, size: int, sha256: str, **info: Any) -> str:
        path = self.unique(path)
        self._pending.append((self._target(path), file_id, size))
        self.files.append({"path": path, "size": size, "sha256": sha256, "file_id": str(file_id), **info})
        return path

    async def fetch(self) -> None:
        for target, file_id, size in self._pending:
            async with await anyio.open_file(target, "wb") as sink:
                async for chunk in gridfs_chunks(file_id, size):
                    await sink.write(chunk)
        self._pending.clear()


async def minutes(dossier: Dossier, committee: Committee | None) -> dict | None:
    """评审会纪要 of this dossier: the meeting, who attended, who was recused, the tally and its wording as
    the committee words it (app.committee), and the decision in the trail."""
    meeting_id = dossier.meeting_id or (dossier.votes.meeting_id if dossier.votes else None)
    if meeting_id is None:
        return None
    record: dict[str, Any] = {}
    meeting = await Meeting.get(meeting_id)
    if meeting is not None and committee is not None:
        seen = await meetings.out(meeting, committee, viewer=None, office=True)
        row = next((r for r in seen.dossiers if r["id"] == str(dossier.id)), {})
        record["评审会"] = {"名称": seen.name, "日期": seen.held_on.isoformat(), "地点": seen.location,
                         "状态": seen.status_label, "规则": seen.rule}
        record["到会"] = [{"专家": m["name"], "到会": m["present"], "单位": m["units"]} for m in seen.members]
        record["回避"] = row.get("recused", [])
        if seen.signer:
            record["签署"] = {"签署人": seen.signer["name"], "身份": seen.signer["role_label"],
                            "签署时间": seen.signer["signed_at"].isoformat()}
    else:
        record["说明"] = "评审会记录已不在数据库中，本纪要仅含申报上保存的表决结果"
    if dossier.votes is not None:
        record["表决"] = dossier.votes.model_dump(mode="json")
        record["表决结果"] = tally.vote_line(dossier.votes)
    record["决定"] = [e.model_dump(mode="json") for e in dossier.trail if e.action == "decide"]
    return record


async def _committee(dossier: Dossier) -> Committee | None:
    code = dossier.committee_code or (dossier.certificate.committee_code if dossier.certificate else None) or (
        dossier.reported_to[-1] if dossier.reported_to else None)
    return await Committee.find_one(Committee.code == code) if code else None


async def _entry_name(dictionary: str, code: str) -> str:
    entry = await catalog.get_entry(dictionary, code)
    return entry.name if entry else code


async def write_bag(dossier: Dossier, root: Path, *, created_by: str, forms: ArchiveForms) -> None:
    """The dossier's bag in `root` (which must not exist): the payload, the metadata, then `bagit.make_bag`."""
    raw = await Dossier.get_pymongo_collection().find_one({"_id": dossier.id})
    root.mkdir(parents=True)
    payload = BagFiles(root)
    payload.add_bytes(meta.DOCUMENT, dumps(raw), source="document")
    entry = await add_files(payload, dossier, attachment_items(dossier, _stored_files(raw)),
                            prefix="attachments/", forms_prefix="forms/",
                            forms=forms, gridfs_info=True)
    await payload.fetch()
    committee = await _committee(dossier)
    committee_name = meta.committee_name(dossier, committee.name if committee else None)
    batch = await Batch.get_pymongo_collection().find_one({"_id": dossier.batch_id})
    names = meta.Names(committee=committee_name, batch=batch["name"] if batch else "",
                       title=await _entry_name("titles", dossier.declaration.title),
                       specialty=await _entry_name("specialties", dossier.declaration.specialty))
    if batch is not None:           # its rules and dates: the dossier's pages need them where it is restored
        payload.add_bytes(meta.BATCH, dumps(batch), source="batch")
    payload.add_bytes(meta.TRAIL, dumps(meta.trail_record(dossier)), source="record")
    record = await minutes(dossier, committee)
    if record is not None:
        payload.add_bytes(meta.MINUTES, dumps(record), source="record")
    proofs = {f["file_id"]: f"data/{f['path']}" for f in payload.files if "file_id" in f}
    publicity = meta.publicity_record(dossier, proofs)
    if publicity is not None:
        payload.add_bytes(meta.PUBLICITY, dumps(publicity), source="record")
    made_at = utcnow()
    payload.add_bytes(meta.PACKAGE, dumps({"format": FORMAT, "created_at": made_at, "created_by": created_by,
                                           "dossier": entry, "files": list(payload.files)}), source="package")
    meeting_day = None
    if record is not None and "评审会" in record:
        meeting_day = date.fromisoformat(record["评审会"]["日期"])
    items = meta.items_for(dossier, payload.files, await anyio.to_thread.run_sync(
        meta.page_counts, root, payload.files), committee_name, meeting_day, made_at)
    notes = [n for n in (entry.get("forms_note"),) if n] + [
        f"文件缺失：{m['section']} {m['filename']}（{m['file_id']}）" for m in entry.get("missing", [])]
    payload.add_bytes(meta.README, meta.readme(dossier, items, names=names, made_at=made_at, made_by=created_by,
                                               notes=notes))
    payload.add_bytes(meta.CATALOGUE, meta.catalogue_xml(dossier, items, names=names, made_at=made_at,
                                                         made_by=created_by))
    none_official = None if watermark.is_official(dossier.status) else entry.get("forms_note")
    info = meta.bag_info(dossier, names=names, made_by=created_by, fmt=FORMAT,
                         forms_note=forms.omitted or none_official)
    await anyio.to_thread.run_sync(lambda: bagit.make_bag(str(root), info, processes=1, checksums=["sha256"]))


def _bag_order(root: Path) -> list[Path]:
    """The tag files first (a reader sees what the bag is before its payload), then data/ in name order."""
    tags = [root / name for name in TAG_ORDER if (root / name).exists()]
    rest = sorted(p for p in root.rglob("*") if p.is_file() and p not in tags)
    return tags + rest


async def build_package(dossier: Dossier, *, created_by: str, forms: ArchiveForms,
                        spool: Path | None = None) -> Package:
    """The dossier's package as a sized ZIP stream of its bag (made on disk in the spool folder)."""
    package = Package(spool)
    stem = package_name(dossier).removesuffix(".zip")
    root = package.spool / uuid.uuid4().hex / stem
    await write_bag(dossier, root, created_by=created_by, forms=forms)
    for path in _bag_order(root):
        package.zip.add_path(str(path), f"{stem}/{path.relative_to(root).as_posix()}")
    return package


async def build_batch(dossiers: AsyncIterator[Dossier], *, created_by: str, selection: dict[str, Any],
                      forms: bool = True) -> tuple[Package, list]:
    """An archive of packages, one per dossier, each a bag of its own; the outer manifest lists them."""
    outer = Package()
    maker = ArchiveForms(forms)
    ids = []
    async for dossier in dossiers:
        inner = await build_package(dossier, created_by=created_by, forms=maker, spool=outer.spool)
        outer.add_package(package_name(dossier), inner)
        ids.append(dossier.id)
    outer.finish({"format": BATCH_FORMAT, "created_at": utcnow(), "created_by": created_by, "selection": selection,
                  "note": "每个申报一个归档包（.zip，内为一个 BagIt 包），用 python -m app archive verify 检测"})
    return outer, ids


def require_completed(dossier: Dossier) -> None:
    if dossier.status not in COMPLETED:
        raise Conflict("只有已办结（已发证、评审未通过或已作废）的申报可以归档", code="not_completed")


async def completed_ids(batch_id: ObjectId) -> list:
    """The completed dossiers of a batch, by _id: on the rows, one equality per status on their (batch_id, status)
    index (SecantusDB scans for a `$in` beside an equality); the dossiers carry no batch index."""
    found = DossierRow.get_pymongo_collection()
    return sorted({r["_id"] for status in COMPLETED
                   async for r in found.find({"batch_id": batch_id, "status": status}, {"_id": 1})})


async def export_batch(batch_id: ObjectId, out: Path, *, created_by: str, forms: bool = True) -> list[Path]:
    """Writes a package per completed dossier of the batch into out (the command line), the dossiers read by _id a
    few at a time (`completed_ids`)."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    maker = ArchiveForms(forms)
    ids = await completed_ids(batch_id)
    for start in range(0, len(ids), ARCHIVED_AT_ONCE):
        for dossier in await dossier_service.by_ids(ids[start:start + ARCHIVED_AT_ONCE]):
            package = await build_package(dossier, created_by=created_by, forms=maker)
            target = out / package_name(dossier)
            async with await anyio.open_file(target, "wb") as sink:
                async for piece in package.stream():
                    await sink.write(piece)
            written.append(target)
    return written


# Dossiers read at once by export_batch (each ~14 KB, with its whole trail and snapshots).
ARCHIVED_AT_ONCE = 20


# --- verification ---

def verify(path: Path) -> Verification:
    """The four checks of a package, or of each package of a batch archive (a bundle's manifest too)."""
    result = Verification()
    try:
        with zipfile.ZipFile(path) as zf, tempfile.TemporaryDirectory(prefix="zc-verify-") as tmp:
            if MANIFEST in zf.namelist():
                _verify_manifest(zf, Path(tmp), result)
            else:
                _verify_bag(zf, Path(tmp), result)
    except (zipfile.BadZipFile, OSError) as exc:
        result.add("可用性", f"{path.name}：不是有效的 ZIP 文件（{exc}）")
    return result


def _verify_manifest(zf: zipfile.ZipFile, tmp: Path, result: Verification) -> None:
    """A ZIP with a manifest of our own (a batch archive, or an attachment bundle): each file's size and
    SHA-256, the manifest's own SHA-256, and each package of a batch archive as a bag of its own."""
    names = set(zf.namelist())
    manifest = loads(zf.read(MANIFEST))
    listed = {MANIFEST, CHECKSUMS}
    for entry in manifest.get("files", []):
        name = entry["path"]
        listed.add(name)
        if name not in names:
            result.add("完整性", f"{name}：清单中有而包中缺失")
            continue
        spooled = tmp / uuid.uuid4().hex
        try:
            with zf.open(name) as source, spooled.open("wb") as sink:
                while block := source.read(READ_BLOCK):
                    sink.write(block)
        except zipfile.BadZipFile as exc:      # judged further below, so the report names what changed
            result.add("真实性", f"{name}：内容已损坏或被改动（{exc}）")
            spooled.write_bytes(raw_entry(zf, zf.getinfo(name)))
        size = spooled.stat().st_size
        if size != entry["size"]:
            result.add("真实性", f"{name}：大小不符（清单 {entry['size']}，实际 {size}）")
        elif "sha256" in entry and _file_sha256(spooled) != entry["sha256"]:
            result.add("真实性", f"{name}：SHA-256 不符")
        elif manifest.get("format") == BATCH_FORMAT and name.endswith(".zip"):
            result.merge(verify(spooled), f"{name}/")
        spooled.unlink()
    for name in sorted(names - listed):
        result.add("完整性", f"{name}：清单中没有此文件")
    lines = dict(reversed(line.split("  ", 1)) for line in zf.read(CHECKSUMS).decode().splitlines() if line) \
        if CHECKSUMS in names else {}
    if lines.get(MANIFEST) != hashlib.sha256(zf.read(MANIFEST)).hexdigest():
        result.add("真实性", f"{MANIFEST}：与 {CHECKSUMS} 记录的 SHA-256 不符")


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while block := source.read(READ_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def _verify_bag(zf: zipfile.ZipFile, tmp: Path, result: Verification) -> None:
    root = safe_extract(zf, tmp, result)
    if root is None:
        return
    bag = validate_bag(root, result)
    if bag is None:
        return
    data = root / "data"
    try:
        package = loads((data / meta.PACKAGE).read_bytes())
        raw = loads((data / meta.DOCUMENT).read_bytes())
        listed = catalogue_entries(data / meta.CATALOGUE)
    except Exception as exc:  # noqa: BLE001 - a missing or unreadable record: the package cannot be checked further
        result.add("完整性", f"缺少或无法读取 {meta.PACKAGE}、{meta.DOCUMENT} 或 {meta.CATALOGUE}（{exc}）")
        return
    _authenticity(bag, package, raw, listed, result)
    _completeness(bag, package, raw, listed, result)
    for name in sorted(bag.payload_files()):
        relative = name.removeprefix("data/")
        usability, security = usable(root / name, relative,
                                     form=relative.startswith("forms/") and relative.endswith(".pdf"))
        result.checks["可用性"].problems += usability
        result.checks["安全性"].problems += security


def _manifest(bag: bagit.Bag) -> dict[str, str]:
    return {path: hashes.get("sha256", "") for path, hashes in bag.entries.items() if path.startswith("data/")}


def _authenticity(bag: bagit.Bag, package: dict, raw: dict, listed: list[dict], result: Verification) -> None:
    """The bag's identifiers match the document, and every hash recorded elsewhere matches the bag's manifest:
    the 文件目录's, and for stored files the SHA-256 the dossier recorded at upload."""
    dossier_id = str(raw.get("_id"))
    if bag.info.get("External-Identifier") != dossier_id:
        result.add("真实性", f"bag-info.txt 的 External-Identifier 与申报编号 {dossier_id} 不符")
    volume_ids = [e.get("档号") for e in listed if "档号" in e]
    if volume_ids and volume_ids[0] != dossier_id:
        result.add("真实性", f"{meta.CATALOGUE} 的档号与申报编号不符")
    hashes = _manifest(bag)
    for entry in listed:
        if "路径" in entry and hashes.get(entry["路径"]) not in (None, entry.get("哈希值")):
            result.add("真实性", f"{entry['路径']}：{meta.CATALOGUE} 记录的 SHA-256 与文件不符")
    for f in package.get("files", []):
        actual = hashes.get(f"data/{f['path']}")
        if actual is not None and f.get("sha256") != actual:
            result.add("真实性", f"data/{f['path']}：与申报上传时记录的 SHA-256 不符")


def _bag_forms(bag: bagit.Bag) -> tuple[str, ...]:
    """The forms the bag's batch (its batch.json) names for its dossiers; a bag without one, 评审's."""
    path = Path(bag.path) / "data" / meta.BATCH
    if not path.exists():
        return meta.REVIEW_FORMS
    return bundle_forms(((loads(path.read_bytes()) or {}).get("rules") or {}).get("forms"))


def _completeness(bag: bagit.Bag, package: dict, raw: dict, listed: list[dict], result: Verification) -> None:
    """Every document is listed in the 文件目录 and present; the records and forms this dossier must have
    are there; every file the document references came along."""
    payload = set(bag.payload_files())
    catalogued = {e["路径"] for e in listed if "路径" in e}
    own = {f"data/{meta.CATALOGUE}", f"data/{meta.README}"}
    for path in sorted(payload - catalogued - own):
        result.add("完整性", f"{path}：不在 {meta.CATALOGUE} 中")
    for path in sorted(catalogued - payload):
        result.add("完整性", f"{path}：{meta.CATALOGUE} 中有而包中缺失")
    required = [meta.DOCUMENT, meta.PACKAGE, meta.README, meta.CATALOGUE, meta.TRAIL]
    if raw.get("meeting_id") or raw.get("votes"):
        required.append(meta.MINUTES)
    if raw.get("publicity"):
        required.append(meta.PUBLICITY)
    forms_note = bag.info.get("Zhicheng-Forms", "")
    if forms_note.startswith("omitted"):
        result.checks["完整性"].notes.append(f"未含表单：{forms_note.removeprefix('omitted: ')}")
    elif watermark.is_official(raw.get("status")):
        required += [f"forms/{name}" for name in meta.expected_forms(raw.get("status"), raw.get("certificate"),
                                                                     _bag_forms(bag))]
    for name in required:
        if f"data/{name}" not in payload:
            result.add("完整性", f"缺少 {name}")
    carried = {f["file_id"] for f in package.get("files", []) if "file_id" in f and f"data/{f['path']}" in payload}
    for label, stored in _stored_files(raw):
        if str(stored["file_id"]) not in carried:
            result.add("完整性", f"缺少{label}文件 {stored['filename']}（{stored['file_id']}）")


# --- import ---

def _blocks(path: Path):
    with path.open("rb") as source:
        while block := source.read(READ_BLOCK):
            yield block


async def import_package(path: Path) -> dict:
    """Restores one package into the configured database: all four checks first, refused if the dossier
    exists; files keep their GridFS ids (a file already there with the same content is shared, not copied).
    The dossier needs nothing else from its old database: its route and names travel with it."""
    result = await anyio.to_thread.run_sync(verify, path)
    if not result.passed:
        raise ValidationFailed("归档包检测未通过：" + "；".join(result.problems[:5]), code="package_invalid",
                               problems=result.problems)
    database = db.current()
    collection = Dossier.get_pymongo_collection()
    fs_files = database.db[f"{files.BUCKET}.files"]
    restored: list[ObjectId] = []
    with zipfile.ZipFile(path) as zf, tempfile.TemporaryDirectory(prefix="zc-import-") as tmp:
        if MANIFEST in zf.namelist():
            if loads(zf.read(MANIFEST)).get("format") == BATCH_FORMAT:
                raise ValidationFailed("这是批量归档，请逐个导入其中的归档包", code="package_format")
            raise ValidationFailed("这不是 BagIt 格式的单个申报归档包（旧格式的包请在原系统重新导出）",
                                   code="package_format")
        root = safe_extract(zf, Path(tmp), Verification())
        data = root / "data"
        package = loads((data / meta.PACKAGE).read_bytes())
        if package.get("format") != FORMAT:
            raise ValidationFailed("这不是本系统的单个申报归档包", code="package_format")
        raw = loads((data / meta.DOCUMENT).read_bytes())
        if await collection.find_one({"_id": raw["_id"]}, {"_id": 1}):
            raise Conflict(f"申报 {raw['_id']} 已存在，未导入", code="dossier_exists")
        batch_added = await _restore_batch(data / meta.BATCH)
        try:
            for entry in package["files"]:
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
                for block in _blocks(data / entry["path"]):
                    await stream.write(block)
                await stream.close()
                await fs_files.update_one({"_id": file_id}, {"$set": {"uploadDate": info["uploadDate"]}})
            await writes.insert(raw)
        except BaseException:
            with anyio.CancelScope(shield=True):
                for file_id in restored:
                    await files.delete_file(file_id)
                if batch_added is not None:
                    await Batch.get_pymongo_collection().delete_one({"_id": batch_added})
            raise
    return {"dossier_id": str(raw["_id"]), "files": len(restored)}


async def _restore_batch(path: Path) -> ObjectId | None:
    """The dossier's batch, when the database lacks it (its pages read the batch's rules and dates); another
    batch of the same name and year keeps its name, the restored one is named as restored. Returns the id
    inserted, so a failed import takes it back."""
    if not path.exists():
        return None
    batch = loads(path.read_bytes())
    collection = Batch.get_pymongo_collection()
    if await collection.find_one({"_id": batch["_id"]}, {"_id": 1}):
        return None
    if await collection.find_one({"name": batch["name"], "year": batch.get("year")}, {"_id": 1}):
        batch["name"] = f"{batch['name']}（归档恢复 {str(batch['_id'])[-6:]}）"
    await collection.insert_one(batch)
    return batch["_id"]
