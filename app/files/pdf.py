"""A PDF is accepted only when it is plainly a document: no scripts, automatic actions, embedded files,
dynamic forms or links into other files, not encrypted, whole, and nothing else glued to its end.

Refused, not sanitised: removing objects from a hostile file means trusting one more parser to find
all of them and to rewrite the rest faithfully, and the applicant's file would silently differ from what
they uploaded. A refusal names what was found, and any "print to PDF" makes an acceptable copy.

Two looks at the file, because a reader and a scanner can disagree about where objects are:
- a lexical pass over every byte outside stream data (strings and comments skipped, `#xx` escapes in
  names decoded), which also inflates the object streams (where compressed objects hide) under a hard
  output cap, so a decompression bomb is refused before pypdf ever decodes it;
- a structural pass with pypdf over every object its cross-reference tables name, as a viewer would
  resolve them; here a destination-only /OpenAction (LibreOffice writes one) is told from an action.
Pure and synchronous; the service runs it in a threadpool.
"""

import io
import mmap
import re
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

from app.errors import ValidationFailed

MB = 1024 * 1024
MAX_INFLATED = 16 * MB          # one object stream decoded; real ones hold a few hundred KB
MAX_INFLATED_TOTAL = 64 * MB    # all of them together: a file of many small bombs costs no more than this
ZIP_TAIL = 65_557               # a ZIP's end record lies within this many bytes of the end

# What a name in the file says it carries, as people are told.
ACTIVE = {
    "JavaScript": "JavaScript 脚本", "JS": "JavaScript 脚本",
    "AA": "由事件触发的附加动作（AA）", "OpenAction": "打开文件时自动执行的动作（OpenAction）",
    "Launch": "启动外部程序的动作（Launch）",
    "EmbeddedFile": "嵌入的文件（EmbeddedFile）", "EmbeddedFiles": "嵌入的文件（EmbeddedFiles）",
    "XFA": "XFA 动态表单", "RichMedia": "富媒体内容（RichMedia）",
    "SubmitForm": "提交表单的动作（SubmitForm）", "ImportData": "导入数据的动作（ImportData）",
    "GoToR": "跳转到其他文件的动作（GoToR）", "GoToE": "跳转到嵌入文件的动作（GoToE）",
}
_LEXICAL = frozenset(ACTIVE) - {"OpenAction"}   # judged by its value in the structural pass
_FLATE = {"FlateDecode", "Fl"}
_OTHER_FILTERS = {"ASCIIHexDecode", "AHx", "ASCII85Decode", "A85", "LZWDecode", "LZW", "RunLengthDecode", "RL",
                  "CCITTFaxDecode", "CCF", "JBIG2Decode", "DCTDecode", "DCT", "JPXDecode", "Crypt"}

_TOKEN = re.compile(rb"%|\(|(?<!<)<(?!<)|/([^\x00\t\n\x0c\r ()<>\[\]{}/%]*)"
                    rb"|(?<![A-Za-z])stream(?![A-Za-z])|(?<![A-Za-z])obj(?![A-Za-z])")
_STRING_CHARS = re.compile(rb"[()\\]")
_LINE_END = re.compile(rb"[\r\n]")
_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_WHITESPACE_TO_END = re.compile(rb"[\x00\t\n\x0c\r ]*\Z")


def check_pdf(fh: BinaryIO, *, field: str) -> int:
    """The page count of a harmless PDF; anything else is a ValidationFailed naming the reason."""
    with _bytes_of(fh) as data:
        _check_ending(data, field)
        _Lexer(data, field).check()
    return _check_structure(fh, field)


@contextmanager
def _bytes_of(fh: BinaryIO) -> Iterator[bytes | mmap.mmap]:
    """The file's bytes without reading a big upload into memory: a spooled file on disk is memory-mapped."""
    try:
        fd = fh.fileno()
    except (AttributeError, OSError, io.UnsupportedOperation):
        fh.seek(0)
        yield fh.read()
        return
    fh.flush()
    with mmap.mmap(fd, 0, access=mmap.ACCESS_READ) as data:
        yield data


def _broken(field: str, detail: str = "无法打开") -> ValidationFailed:
    return ValidationFailed(f"PDF 文件已损坏或不完整，{detail}", code="pdf_broken", field=field)


def _encrypted(field: str) -> ValidationFailed:
    return ValidationFailed("PDF 文件已加密，请上传未加密的文件", code="pdf_encrypted", field=field)


def _active(name: str, field: str) -> ValidationFailed:
    return ValidationFailed(f"PDF 文件含有活动内容：{ACTIVE[name]}。为安全起见不予接收，请用“打印为 PDF”另存一份后重新上传",
                            code="pdf_active_content", field=field)


def _check_ending(data: bytes | mmap.mmap, field: str) -> None:
    """A PDF ends with %%EOF and at most whitespace; a ZIP's end record near the end makes it a polyglot too."""
    eof = data.rfind(b"%%EOF")
    if eof < 0:
        raise _broken(field, "缺少文件结束标记（%%EOF）")
    extra = _WHITESPACE_TO_END.match(data, eof + 5) is None
    if extra or data.rfind(b"PK\x05\x06", max(0, len(data) - ZIP_TAIL)) >= 0:
        raise ValidationFailed("PDF 文件末尾附带了其他数据（可能是伪装成 PDF 的其他格式文件），不予接收",
                               code="pdf_extra_data", field=field)


class _Lexer:
    """Walks the tokens outside stream data; object streams are inflated (capped) and walked the same way."""

    def __init__(self, data: bytes | mmap.mmap, field: str):
        self.data, self.field = data, field
        self.inflated = 0
        self.encrypted = False
        self.found: str | None = None

    def check(self) -> None:
        object_streams = self._walk(self.data, top=True)
        if self.encrypted:   # encrypted object streams do not inflate: say why before trying
            raise _encrypted(self.field)
        for start, end, compressed in object_streams:
            if self.found:
                break
            self._walk(self._inflate(start, end) if compressed else self.data[start:end], top=False)
        if self.found:
            raise _active(self.found, self.field)

    def _walk(self, data: bytes | mmap.mmap, *, top: bool) -> list[tuple[int, int, bool]]:
        """Checks the names; at the top, returns where the object streams are and whether they are compressed."""
        object_streams: list[tuple[int, int, bool]] = []
        names: list[str] = []        # the names since the last `obj`: the dictionary of a stream that follows
        pos = 0
        while self.found is None and (token := _TOKEN.search(data, pos)):
            first, pos = data[token.start()], token.end()
            if first == 0x25:        # %
                line_end = _LINE_END.search(data, pos)
                pos = line_end.end() if line_end else len(data)
            elif first == 0x28:      # (
                pos = self._skip_string(data, pos)
            elif first == 0x3C:      # <
                pos = data.find(b">", pos) + 1
                if pos == 0:
                    raise _broken(self.field)
            elif first == 0x2F:      # /
                name = _ESCAPE.sub(lambda m: bytes([int(m[1], 16)]), token[1]).decode("latin-1")
                names.append(name)
                if name in _LEXICAL:
                    self.found = name
                self.encrypted = self.encrypted or name == "Encrypt"
            elif token[0] == b"obj":
                names = []
            else:                    # stream: its data runs to `endstream`
                if not top:          # an object stream holds no streams
                    raise _broken(self.field)
                start = pos + (2 if data[pos:pos + 2] == b"\r\n" else 1 if data[pos:pos + 1] in b"\r\n" else 0)
                end = data.find(b"endstream", start)
                if end < 0:
                    raise _broken(self.field)
                if _holds_objects(names):
                    self._require_flate_only(names)
                    object_streams.append((start, end, "Filter" in names))
                names, pos = [], end + len(b"endstream")
        return object_streams

    def _skip_string(self, data: bytes | mmap.mmap, pos: int) -> int:
        depth = 1
        while depth:
            char = _STRING_CHARS.search(data, pos)
            if char is None:
                raise _broken(self.field)
            pos = char.end() + (1 if char[0] == b"\\" else 0)
            depth += {b"(": 1, b")": -1}.get(char[0], 0)
        return pos

    def _require_flate_only(self, names: list[str]) -> None:
        """Only what this pass can decode exactly as a reader would: plain or one FlateDecode, no parameters."""
        flate = sum(name in _FLATE for name in names)
        filtered = "Filter" in names
        parameters = {"DecodeParms", "DP", "F", "FFilter"} & set(names)
        if (_OTHER_FILTERS & set(names) or parameters or flate > 1 or filtered != (flate == 1)
                or filtered and names[names.index("Filter") + 1] not in _FLATE):
            raise _broken(self.field, "其压缩对象的编码方式无法检查")

    def _inflate(self, start: int, end: int) -> bytes:
        """The object stream decoded; past the cap it is a bomb, and a damaged stream is refused whole."""
        cap = min(MAX_INFLATED, MAX_INFLATED_TOTAL - self.inflated)
        compressed = self.data[start:end]
        decoder = zlib.decompressobj()
        out = bytearray()
        pending = compressed
        try:
            while pending and not decoder.eof:
                out += decoder.decompress(pending, cap + 1 - len(out))
                if len(out) > cap:
                    raise ValidationFailed(
                        f"PDF 文件中的压缩数据解压后过大（单个超过 {MAX_INFLATED // MB} MB 或合计超过 "
                        f"{MAX_INFLATED_TOTAL // MB} MB），疑似压缩炸弹，不予接收", code="pdf_bomb", field=self.field)
                pending = decoder.unconsumed_tail
        except zlib.error as exc:
            raise _broken(self.field) from exc
        if not decoder.eof:
            raise _broken(self.field)
        self.inflated += len(out)
        return bytes(out)


def _holds_objects(names: list[str]) -> bool:
    """An object stream by its type, or by the two keys a reader that ignores the type needs."""
    return "ObjStm" in names or {"N", "First"} <= set(names)


def _check_structure(fh: BinaryIO, field: str) -> int:
    """pypdf opens the file as a viewer would and every object it can reach is looked at."""
    try:
        reader = PdfReader(fh)
        if reader.is_encrypted:
            raise _encrypted(field)
        pages = len(reader.pages)
        for number, generation in _object_ids(reader):
            found = _active_in(reader.get_object(IndirectObject(number, generation, reader)))
            if found:
                raise _active(found, field)
    except ValidationFailed:
        raise
    except Exception as exc:  # pypdf raises many types for damaged files
        raise _broken(field) from exc
    if pages == 0:
        raise ValidationFailed("PDF 文件没有页面", code="pdf_broken", field=field)
    return pages


def _object_ids(reader: PdfReader) -> Iterator[tuple[int, int]]:
    for generation, table in reader.xref.items():
        for number in table:
            yield number, generation
    for number in reader.xref_objStm:
        yield number, 0


def _active_in(obj: object) -> str | None:
    """The first active name in one object and what it holds directly (referenced objects are walked on their own)."""
    stack = [obj]
    while stack:
        item = stack.pop()
        if isinstance(item, DictionaryObject):
            for key, value in item.items():
                if key[1:] in _LEXICAL:
                    return key[1:]
                if key == "/OpenAction" and not _is_destination(value.get_object()):
                    return "OpenAction"
                stack.append(value)
        elif isinstance(item, ArrayObject):
            stack.extend(item)
        elif isinstance(item, NameObject) and item[1:] in _LEXICAL:
            return item[1:]
    return None


def _is_destination(value: object) -> bool:
    """Opening at a page (an explicit destination, or a GoTo action to one) is no active content."""
    if isinstance(value, DictionaryObject):
        return value.get("/S") == "/GoTo" and not value.get("/Next")
    return isinstance(value, ArrayObject | str | bytes)   # explicit, or named by a name or a string
