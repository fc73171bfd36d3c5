"""One numbering of a dossier's attachments, shared by the 材料目录, the bundle's file names, the archive
and the pages: by place (the declaration's and the commitment's files, then the sections in the form's
order), then by the row a file proves in the order the rows are listed, then by the file's position among
that row's files. Upload time plays no part, so a file added after a return takes its row's place instead
of the end, and the catalogue a reviewer prints and the folder they open say the same number."""

from dataclasses import dataclass
from typing import Any

from app.dossiers.models import AttachmentRef
from app.dossiers.sections import ATTACHMENT_PLACES, OWN_FILES, SECTIONS, section_label

PLACES = [*ATTACHMENT_PLACES, *SECTIONS]


@dataclass(frozen=True)
class Numbered:
    number: int                 # 1, 2, … across the whole dossier
    ref: AttachmentRef
    label: str                  # the place's label (学历信息, 诚信承诺书 …)
    row: int | None             # the row's position (1-based) in its section; None for a place's own files


def numbered(sections: dict[str, Any], attachments: list[AttachmentRef]) -> list[Numbered]:
    """The attachments of one state of a dossier (its working copy or a snapshot: pass that state's sections
    and attachments together) numbered by place, row and position. A place's own files (the photo, a
    declaration proof) come before its rows'; a file of a row no longer listed comes after the rows;
    places unknown to this version come last, by name."""
    rank = {name: i for i, name in enumerate(PLACES)}
    rows = {name: {row.get("id"): i for i, row in enumerate((sections.get(name) or {}).get("rows") or [], 1)}
            for name in SECTIONS if SECTIONS[name].row}

    def key(pair: tuple[int, AttachmentRef]) -> tuple:
        position, ref = pair
        row = rows.get(ref.section, {}).get(ref.row_id)
        own = ref.row_id is None or ref.row_id in OWN_FILES
        return (rank.get(ref.section, len(rank)), ref.section, 0 if own else 1 if row else 2, row or 0, position)

    ordered = sorted(enumerate(attachments), key=key)
    return [Numbered(number=n, ref=ref, label=section_label(ref.section),
                     row=rows.get(ref.section, {}).get(ref.row_id))
            for n, (_, ref) in enumerate(ordered, 1)]


def numbers(sections: dict[str, Any], attachments: list[AttachmentRef]) -> dict[str, int]:
    """Attachment id → its number, for pages that list files where they belong."""
    return {item.ref.id: item.number for item in numbered(sections, attachments)}
