"""Excel tables (一览表, 花名册, 评审结果花名册) streamed from a MongoDB cursor into XlsxWriter.

The cursor reads the dossiers' small rows (app.dossiers.rows), not the dossiers. XlsxWriter runs in
constant-memory mode (each row goes to disk as soon as the next one starts) in worker threads, fed
blocks of rows from a projected cursor: a 10,000-row roster never has its rows in memory at once. The finished file is unlinked as soon as it is opened, so nothing is left
behind when the download ends or breaks."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import suppress
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

import xlsxwriter
from anyio import to_thread

from app.accounts.audit import ClientInfo
from app.accounts.models import User
from app.accounts.validators import mask_id_number
from app.catalog.models import Batch, DictionaryEntry
from app.clock import CHINA, utcnow
from app.errors import NotFound, ValidationFailed
from app.dossiers import access, identity
from app.dossiers.identity import Purpose
from app.exports import columns as C
from app.exports.selection import ExportFilter, record, selection
from app.committee.models import Meeting

BLOCK_ROWS = 500            # rows handed to the writer thread at a time
MAX_ROWS = 200_000          # a province's year (docs/SCALING.md); a larger selection is refused, never cut short
# Access records (one per full ID number shown, app.dossiers.identity) waiting beyond this are written before the
# next block is read: a province's table notes 100,000, more than the database takes in the background (on
# SecantusDB ~500–1,250 a second, docs/BENCHMARKS.md Rosters), and past access.MAX_PENDING they would be dropped.
ACCESS_BACKLOG = 10_000
FORMATS = {"date": "yyyy-mm-dd", "month": "yyyy-mm", "datetime": "yyyy-mm-dd hh:mm"}


def resolve(table: str, keys: list[str] | None) -> tuple[C.Table, list[C.Column]]:
    spec = C.TABLES.get(table)
    if spec is None:
        raise NotFound("没有这种表格", field="table", code="table_not_found")
    chosen = [k.strip() for key in keys or [] for k in key.split(",") if k.strip()] or spec.default
    unknown = [k for k in chosen if k not in spec.allowed]
    if unknown:
        raise ValidationFailed(f"{spec.title}没有列“{unknown[0]}”", field="columns", code="unknown_column",
                               allowed=spec.allowed)
    return spec, [C.ALL[k] for k in dict.fromkeys(chosen)]


def column_list(table: str) -> list[dict]:
    spec, _ = resolve(table, None)
    return [{"key": k, "header": C.ALL[k].header, "default": k in spec.default} for k in spec.allowed]


async def _context() -> C.Context:
    names: dict[str, dict[str, str]] = {}
    async for entry in DictionaryEntry.get_pymongo_collection().find(
            {"dictionary": {"$in": list(C.DICTIONARIES)}}, {"dictionary": 1, "code": 1, "name": 1}):
        names.setdefault(entry["dictionary"], {})[entry["code"]] = entry["name"]
    return C.Context(names=names)


async def _resolve(ctx: C.Context, block: list[dict], sources: set[str]) -> None:
    """Batch and meeting names of a block of rows' facts, fetched once per name. (Not `distinct` over
    the selection up front: on SecantusDB that is one more full scan.)"""
    if "batch_id" in sources:
        missing = list({f.get("batch_id") for f in block} - ctx.batches.keys() - {None})
        if missing:
            found = await Batch.get_pymongo_collection().find({"_id": {"$in": missing}}, {"name": 1}).to_list()
            ctx.batches.update({i: None for i in missing} | {b["_id"]: b["name"] for b in found})
    if "meeting_id" in sources:
        missing = list({f.get("meeting_id") for f in block} - ctx.meetings.keys() - {None})
        if missing:
            found = await Meeting.get_pymongo_collection().find({"_id": {"$in": missing}},
                                                                {"name": 1, "held_on": 1}).to_list()
            ctx.meetings.update({i: {} for i in missing} | {m["_id"]: m for m in found})


async def _cells(ctx: C.Context, block: list[dict], cols: list[C.Column], sources: set[str],
                 before: int) -> list[list]:
    """A block of rows' facts as cell values, numbered on from `before`."""
    await _resolve(ctx, block, sources)
    for n, facts in enumerate(block, before + 1):
        facts["seq"] = n
    return [[col.value(facts, ctx) for col in cols] for facts in block]


class _Sheet:
    """One worksheet in constant-memory mode; its methods run in a worker thread, one at a time."""

    def __init__(self, path: str, title: str, cols: list[C.Column]):
        self.book = xlsxwriter.Workbook(path, {"constant_memory": True, "tmpdir": os.path.dirname(path)})
        self.sheet = self.book.add_worksheet(title)
        self.cols = cols
        self.header = self.book.add_format({"bold": True, "align": "center", "valign": "vcenter", "border": 1,
                                            "bg_color": "#DDEBF7", "text_wrap": True})
        self.wrap = self.book.add_format({"text_wrap": True, "valign": "top"})
        self.formats = {kind: self.book.add_format({"num_format": f, "valign": "top"}) for kind, f in FORMATS.items()}
        for i, col in enumerate(cols):
            self.sheet.set_column(i, i, col.width, self.wrap if col.width > 30 else None)
            self.sheet.write_string(0, i, col.header, self.header)
        self.sheet.freeze_panes(1, 0)
        self.rows = 0

    def write(self, block: list[list]) -> None:
        for values in block:
            self.rows += 1
            for i, (col, value) in enumerate(zip(self.cols, values)):
                self._cell(self.rows, i, col.kind, value)

    def _cell(self, row: int, i: int, kind: str, value) -> None:
        if value is None or value == "":
            return
        if kind in FORMATS:
            moment = C.as_date(value)
            if moment is None:
                self.sheet.write_string(row, i, str(value))
                return
            if kind != "datetime" and isinstance(moment, datetime):
                moment = moment.date()
            self.sheet.write_datetime(row, i, moment, self.formats[kind])
        elif kind == "int" and isinstance(value, int):
            self.sheet.write_number(row, i, value)
        else:
            self.sheet.write_string(row, i, str(value), self.wrap if "\n" in str(value) else None)

    def close(self) -> None:
        self.sheet.autofilter(0, 0, max(self.rows, 1), len(self.cols) - 1)
        self.book.close()


@dataclass
class TableFile:
    file: BinaryIO
    filename: str
    size: int
    rows: int


async def _blocks(selected: AsyncIterator[dict]) -> AsyncIterator[list[dict]]:
    block: list[dict] = []
    async for row in selected:
        block.append(row)
        if len(block) == BLOCK_ROWS:
            yield block
            block = []
    if block:
        yield block


def _shown_ids(user: User, docs: list[dict], ip: str | None) -> int:
    """Masks in place the ID numbers of the rows this reader may not see in full in a table
    (app.dossiers.identity); returns how many it left full (each recorded on the dossier's access record)."""
    full = 0
    for doc in docs:
        facts = doc.setdefault("facts", {})
        if identity.reveals(user, Purpose.export, doc, ip=ip):
            full += 1
        else:
            facts["id_number"] = mask_id_number(facts.get("id_number"))
    return full


async def export(*, user: User, table: str, f: ExportFilter, keys: list[str] | None,
                 client: ClientInfo | None) -> TableFile:
    """Writes the table for the user's selection; returns the open (already unlinked) file."""
    spec, cols = resolve(table, keys)
    chosen = await selection(user, f)
    ctx = await _context()
    sources = {c.source for c in cols}
    revealed = 0
    workdir = tempfile.mkdtemp(prefix="zc-xlsx-")
    path = os.path.join(workdir, "table.xlsx")
    projection = {f"facts.{s}": 1 for s in sources}
    if "id_number" in sources:      # whose it is and their employer: the rule decides per row
        projection.update({"applicant_id": 1, "declaration.employer_unit_id": 1})
    blocks = _blocks(chosen.rows(projection, limit=MAX_ROWS + 1))
    fetch = asyncio.ensure_future(anext(blocks, None))
    try:
        sheet = await to_thread.run_sync(_Sheet, path, spec.title, cols)
        while docs := await fetch:
            # The next block is fetched while this one is written: the database and the writer overlap.
            fetch = asyncio.ensure_future(anext(blocks, None))
            # Over the limit is found only here: counting first would read the selection twice.
            if sheet.rows + len(docs) > MAX_ROWS:
                raise ValidationFailed(f"一次最多导出 {MAX_ROWS} 行，所选范围超过了，请按年度或批次缩小筛选范围",
                                       code="selection_too_large", limit=MAX_ROWS)
            if "id_number" in sources:
                revealed += _shown_ids(user, docs, client.ip if client else None)
            await to_thread.run_sync(sheet.write, await _cells(ctx, [d.get("facts") or {} for d in docs], cols,
                                                               sources, sheet.rows))
            if access.waiting() > ACCESS_BACKLOG:
                await access.flush()
        await to_thread.run_sync(sheet.close)
        handle = open(path, "rb")
    finally:
        fetch.cancel()
        with suppress(asyncio.CancelledError, Exception):
            await fetch
        await blocks.aclose()
        for name in os.listdir(workdir):
            os.unlink(os.path.join(workdir, name))
        os.rmdir(workdir)
    await record(table, user=user, client=client, selection=f.described(), count=sheet.rows,
                 columns=[c.key for c in cols], revealed=revealed > 0)
    stamp = utcnow().astimezone(CHINA).strftime("%Y%m%d-%H%M")
    return TableFile(file=handle, filename=f"{spec.title}-{stamp}.xlsx", size=os.fstat(handle.fileno()).st_size,
                     rows=sheet.rows)
