"""File names people see: kept readable (Chinese welcome) but harmless on every disk, shell and browser."""

import re
import unicodedata
from urllib.parse import quote

from app.files.models import FileKind

MAX_NAME_BYTES = 180   # UTF-8 bytes, well under the 255 most file systems allow, so a ZIP entry can add a prefix
UNNAMED = "未命名"

_RESERVED = re.compile(r'[<>:"/\\|?*]')
_SPACES = re.compile(r"\s+")
_EXTENSION = re.compile(r"\.(?=[0-9]*[A-Za-z])[A-Za-z0-9]{1,5}$")   # ".2" in "v1.2" is no extension
_ALIASES = {FileKind.jpeg: {".jpg", ".jpeg"}}
# Device names Windows refuses as file names, with or without an extension.
_WINDOWS_DEVICES = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


def safe_filename(name: str | None, kind: FileKind) -> str:
    """The display name without path, control or reserved characters or leading dots, with kind's extension.

    A claimed extension that contradicts the content is replaced: `报告.exe` holding a PDF becomes `报告.pdf`.
    """
    text = _clean(re.split(r"[/\\]", name or "")[-1])         # browsers on Windows may send C:\fakepath\x.pdf
    stem, extension = text, ""
    if match := _EXTENSION.search(text):
        stem, extension = text[: match.start()], match.group(0).lower()
    if extension not in _ALIASES.get(kind, {kind.extension}):
        extension = kind.extension
    return safe_name(stem, max_bytes=MAX_NAME_BYTES - len(extension)) + extension


def safe_name(text: str | None, *, max_bytes: int = MAX_NAME_BYTES, fallback: str = UNNAMED) -> str:
    """The one sanitiser of a name (an upload, a ZIP entry or folder, a generated form): no control or reserved
    characters, no leading or trailing dots or spaces, no Windows device name, at most max_bytes of UTF-8."""
    text = _truncate(_clean(text or ""), max_bytes).strip(" .") or fallback
    if text.split(".")[0].upper() in _WINDOWS_DEVICES:
        text = f"_{text}"
    return text


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    text = "".join(ch for ch in text if not unicodedata.category(ch).startswith("C"))  # NUL, CR, bidi overrides
    return _SPACES.sub(" ", _RESERVED.sub("_", text)).strip(" .")


def _truncate(text: str, max_bytes: int) -> str:
    return text.encode()[:max_bytes].decode(errors="ignore")


def content_disposition(filename: str, *, inline: bool) -> str:
    """RFC 6266 with an RFC 5987 `filename*` for the real name and a plain ASCII `filename` for old clients."""
    stem, dot, extension = filename.rpartition(".")
    if not dot:
        stem, extension = filename, ""
    fallback = _ascii(stem).strip(" ._-") or "file"
    if extension := _ascii(extension):
        fallback += "." + extension
    disposition = "inline" if inline else "attachment"
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def _ascii(text: str) -> str:
    """What survives in ASCII (accents lose their marks, Chinese goes), safe inside a quoted string."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = "".join(ch for ch in text if ch.isprintable() and ch not in '"\\')
    return _SPACES.sub(" ", text).strip()


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSX_FILE = {200: {"content": {XLSX: {}}, "description": "Excel 文件"}}     # a route's documented answer


# A file we send is a document, never a page of ours: even opened in a tab it runs no script, reaches
# nothing of the site, can be framed only by our own pages, and its type is not second-guessed.
SANDBOX_CSP = "sandbox; default-src 'none'; frame-ancestors 'self'"


def download_headers(filename: str, *, inline: bool) -> dict[str, str]:
    """The headers of every file download: disposition, sandbox, nosniff, and no shared caching of personal files."""
    return {"Content-Disposition": content_disposition(filename, inline=inline), "Content-Security-Policy": SANDBOX_CSP,
            "X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"}
