"""Anonymised copies of representative works for blind review (代表作送审): pure, no database.

What it can do: drop the document information dictionary and the XMP metadata, and blank out the
applicant's name wherever a text-showing operator (Tj, TJ, ', ") carries it as a literal string in a
single-byte or UTF-16BE encoding. What it cannot do, and says so per page: text drawn through a font
whose codes are glyph ids (most embedded CJK fonts) or pages that are images only (scans) — the name
there is not readable from the content stream; the office uploads a redacted copy instead."""

import io
from dataclasses import dataclass, field

import pikepdf

SHOW_TEXT = {"Tj", "TJ", "'", '"'}
ENCODINGS = ("utf-16-be", "gbk", "latin-1")


@dataclass
class Anonymised:
    data: bytes
    replaced: int = 0                                   # name occurrences blanked
    unchecked_pages: list[int] = field(default_factory=list)   # 1-based pages whose text could not be read


def _patterns(names: list[str]) -> list[tuple[bytes, bytes]]:
    out = []
    for name in filter(None, (n.strip() for n in names)):
        for encoding in ENCODINGS:
            try:
                raw = name.encode(encoding)
            except UnicodeEncodeError:
                continue
            blank = ("＊" * len(name)).encode(encoding) if encoding != "latin-1" else b"*" * len(raw)
            out.append((raw, blank if len(blank) == len(raw) else b"*" * len(raw)))
    return out


def _scrub(value, patterns, counter: list[int]):
    if isinstance(value, pikepdf.String):
        raw = bytes(value)
        for needle, blank in patterns:
            counter[0] += raw.count(needle)
            raw = raw.replace(needle, blank)
        return pikepdf.String(raw)
    if isinstance(value, pikepdf.Array):
        return pikepdf.Array([_scrub(v, patterns, counter) for v in value])
    return value


def _readable(page: pikepdf.Page, ops) -> bool:
    """A page whose shown strings we can match: it shows text, and none of its fonts is a CID (Type0) font."""
    shows = any(str(op) in SHOW_TEXT for _, op in ops)
    fonts = page.resources.get("/Font", {}) if "/Resources" in page.obj else {}
    cid = any(fonts[f].get("/Subtype") == "/Type0" for f in fonts.keys())
    return shows and not cid


def anonymise(data: bytes, names: list[str]) -> Anonymised:
    """A copy of the PDF without metadata and with `names` blanked in the text layer where readable."""
    patterns = _patterns(names)
    with pikepdf.open(io.BytesIO(data)) as pdf:
        for key in list(pdf.trailer.keys()):
            if key == "/Info":
                del pdf.trailer[key]
        if "/Metadata" in pdf.Root:
            del pdf.Root["/Metadata"]
        counter, unchecked = [0], []
        for number, page in enumerate(pdf.pages, start=1):
            ops = pikepdf.parse_content_stream(page)
            if not _readable(page, ops):
                unchecked.append(number)
            rewritten = [pikepdf.ContentStreamInstruction([_scrub(o, patterns, counter) for o in operands], op)
                         if str(op) in SHOW_TEXT else pikepdf.ContentStreamInstruction(operands, op)
                         for operands, op in ops]
            page.obj.Contents = pdf.make_stream(pikepdf.unparse_content_stream(rewritten))
        out = io.BytesIO()
        pdf.save(out, fix_metadata_version=False)
    return Anonymised(data=out.getvalue(), replaced=counter[0], unchecked_pages=unchecked)
