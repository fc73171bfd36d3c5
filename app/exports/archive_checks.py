"""What an archive package is checked for: the PDF/A-2b points veraPDF would look at (read with pikepdf,
veraPDF itself is not installable here), the dangers in any PDF, and the four checks of GB/T 18894 and
DA/T 70 (真实性, 完整性, 可用性, 安全性) over an unpacked BagIt bag. Pure functions of files: no database."""

import io
import json
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree

import bagit
import pikepdf
from PIL import Image

CHECKS = ("真实性", "完整性", "可用性", "安全性")
# Actions that reach outside the file or run something: PDF/A forbids them, an archive keeps none.
EXTERNAL_ACTIONS = {"/Launch", "/GoToR", "/GoToE", "/ImportData", "/SubmitForm", "/Sound", "/Movie", "/Rendition"}
EXECUTABLE_MAGIC = (b"\x7fELF", b"MZ", b"#!", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe")
MAX_ENTRIES = 20_000


@dataclass
class Check:
    name: str
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.problems


@dataclass
class Verification:
    """The four checks of one package (and, for a batch archive, of each package in it)."""
    checks: dict[str, Check] = field(default_factory=lambda: {name: Check(name) for name in CHECKS})

    @property
    def problems(self) -> list[str]:
        return [f"{c.name}：{p}" for c in self.checks.values() for p in c.problems]

    @property
    def passed(self) -> bool:
        return not self.problems

    def add(self, check: str, problem: str) -> None:
        self.checks[check].problems.append(problem)

    def merge(self, other: "Verification", where: str) -> None:
        for name, check in other.checks.items():
            self.checks[name].problems += [f"{where}{p}" for p in check.problems]
            self.checks[name].notes += [f"{where}{n}" for n in check.notes]


# --- PDFs ---

def _walk(pdf: pikepdf.Pdf):
    """Every dictionary of the file: each indirect object and the direct ones nested in it."""
    stack = list(pdf.objects)
    while stack:
        obj = stack.pop()
        if isinstance(obj, pikepdf.Stream):
            obj = obj.stream_dict
        if isinstance(obj, pikepdf.Dictionary):
            yield obj
            children = obj.values()
        elif isinstance(obj, pikepdf.Array):
            children = list(obj)
        else:
            continue
        stack += [c for c in children if isinstance(c, (pikepdf.Dictionary, pikepdf.Array)) and not c.is_indirect]


def pdf_dangers(pdf: pikepdf.Pdf) -> list[str]:
    """JavaScript, actions and references that leave the file, embedded files (安全性 for every PDF)."""
    found = set()
    names = pdf.Root.get("/Names")
    if names is not None and ("/JavaScript" in names or "/EmbeddedFiles" in names):
        found.add("含 JavaScript 或嵌入文件" if "/EmbeddedFiles" in names else "含 JavaScript")
    for d in _walk(pdf):
        kind = d.get("/S")
        if kind == "/JavaScript" or "/JS" in d:
            found.add("含 JavaScript")
        elif kind in EXTERNAL_ACTIONS:
            found.add(f"含外部引用或外部动作（{kind}）")
        if d.get("/Subtype") == "/Form" and "/Ref" in d:
            found.add("含外部引用的 XObject（/Ref）")
        if d.get("/Type") == "/Filespec" and d.get("/FS") == "/URL":
            found.add("含指向网络地址的文件引用")
    return sorted(found)


def unembedded_fonts(pdf: pikepdf.Pdf) -> list[str]:
    """Fonts without their program in the file (Type 3 fonts draw with PDF operators; Type 0 are checked
    through their descendants, which are objects of their own)."""
    missing = []
    for d in _walk(pdf):
        if d.get("/Type") != "/Font" or d.get("/Subtype") in ("/Type3", "/Type0"):
            continue
        descriptor = d.get("/FontDescriptor")
        if descriptor is None or not any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")):
            missing.append(str(d.get("/BaseFont", "?")).lstrip("/"))
    return sorted(set(missing))


def pdfa_problems(data: bytes) -> list[str]:
    """Why a PDF is not PDF/A-2b by the points veraPDF checks first; [] when it passes them."""
    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except pikepdf.PasswordError:
        return ["已加密"]
    except pikepdf.PdfError as exc:
        return [f"无法打开（{exc}）"]
    with pdf:
        problems = []
        if pdf.is_encrypted:
            problems.append("已加密")
        meta = pdf.open_metadata()
        part, conformance = meta.get("pdfaid:part"), meta.get("pdfaid:conformance")
        if (part, conformance) != ("2", "B"):
            problems.append(f"XMP 中 PDF/A 标识为 part={part} conformance={conformance}，应为 2/B")
        intents = pdf.Root.get("/OutputIntents") or []
        if not any(i.get("/S") == "/GTS_PDFA1" and "/DestOutputProfile" in i for i in intents):
            problems.append("缺少 PDF/A 输出意图（OutputIntent）")
        fonts = unembedded_fonts(pdf)
        if fonts:
            problems.append("字体未嵌入：" + "、".join(fonts))
        return problems + pdf_dangers(pdf)


def pdf_pages(path: Path) -> int:
    with pikepdf.open(path) as pdf:
        return len(pdf.pages)


# --- the ZIP and the bag ---

def safe_extract(zf: zipfile.ZipFile, target: Path, result: Verification) -> Path | None:
    """Unpacks a serialized bag (one top-level folder, RFC 8493 §4.2), refusing what could escape the folder
    or is not a plain file (安全性); an entry whose bytes fail the ZIP's CRC is named under 真实性. Returns
    the bag's folder, None when refused."""
    refused, tops = [], set()
    infos = zf.infolist()
    if len(infos) > MAX_ENTRIES:
        result.add("安全性", f"条目过多（{len(infos)}）")
        return None
    for info in infos:
        path = PurePosixPath(info.filename)
        mode = info.external_attr >> 16
        if path.is_absolute() or ".." in path.parts or "\\" in info.filename:
            refused.append(f"{info.filename}：路径越出归档包")
        elif mode and (mode & 0o170000) not in (0o100000, 0o040000):
            refused.append(f"{info.filename}：不是普通文件（链接或设备）")
        else:
            tops.add(path.parts[0])
    for problem in refused:
        result.add("安全性", problem)
    if refused:
        return None
    if len(tops) != 1:
        result.add("完整性", f"归档包应只有一个顶层文件夹，实有 {len(tops)} 个")
        return None
    for info in infos:
        try:
            zf.extract(info, target)
        except (zipfile.BadZipFile, zlib.error) as exc:
            (target / info.filename).write_bytes(raw_entry(zf, info))
            result.add("真实性", f"{info.filename.split('/', 1)[-1]}：内容已损坏或被改动（{exc}）")
    return target / tops.pop()


def raw_entry(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """An entry's bytes without the CRC check, so the bag's own checksums judge a damaged file too."""
    zf.fp.seek(info.header_offset)
    name_length, extra_length = struct.unpack("<HH", zf.fp.read(30)[26:30])
    zf.fp.seek(info.header_offset + 30 + name_length + extra_length)
    data = zf.fp.read(info.compress_size)
    return data if info.compress_type == zipfile.ZIP_STORED else zlib.decompressobj(-15).decompress(data)


FIXITY = (bagit.ChecksumMismatch,)


def validate_bag(root: Path, result: Verification) -> bagit.Bag | None:
    """Full BagIt validation (bagit.txt, manifests, tag manifests, Payload-Oxum, every checksum) with the
    Library of Congress `bagit` package; a changed byte is 真实性, a missing or stray file 完整性."""
    try:
        bag = bagit.Bag(str(root))
        bag.validate(processes=1)
    except bagit.BagValidationError as exc:
        for detail in exc.details or [exc]:
            check = "真实性" if isinstance(detail, FIXITY) else "完整性"
            result.add(check, f"BagIt 校验未通过：{detail}")
        return bagit.Bag(str(root)) if exc.details else None
    except bagit.BagError as exc:
        result.add("完整性", f"不是有效的 BagIt 包：{exc}")
        return None
    return bag


def catalogue_entries(xml_path: Path) -> list[dict]:
    """The 文件 entries of 文件目录.xml as dicts (路径, 哈希, 题名 …)."""
    root = ElementTree.parse(xml_path).getroot()
    entries = []
    for item in root.iter("文件"):
        entry = {child.tag: (child.text or "") for child in item}
        entries.append(entry)
    return entries


def usable(path: Path, name: str, *, form: bool) -> tuple[list[str], list[str]]:
    """(可用性 problems, 安全性 problems) of one payload file, by what it claims to be."""
    usability: list[str] = []
    security: list[str] = []
    head = path.open("rb").read(8)
    if any(head.startswith(magic) for magic in EXECUTABLE_MAGIC):
        security.append(f"{name}：是可执行文件")
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        data = path.read_bytes()
        if form:
            problems = pdfa_problems(data)
            security += [f"{name}：{p}" for p in problems if _is_danger(p)]
            usability += [f"{name}：不符合 PDF/A-2b（{p}）" for p in problems if not _is_danger(p)]
        else:
            try:
                with pikepdf.open(io.BytesIO(data)) as pdf:
                    if pdf.is_encrypted:
                        security.append(f"{name}：已加密")
                    security += [f"{name}：{p}" for p in pdf_dangers(pdf)]
            except pikepdf.PasswordError:
                security.append(f"{name}：已加密，无法打开")
            except pikepdf.PdfError as exc:
                usability.append(f"{name}：PDF 无法打开（{exc}）")
    elif suffix in (".jpg", ".jpeg", ".png"):
        try:
            with Image.open(path) as image:
                image.verify()
        except Exception as exc:  # noqa: BLE001 - Pillow raises many kinds for a broken image
            usability.append(f"{name}：图片无法打开（{type(exc).__name__}）")
    elif suffix in (".json", ".xml", ".txt", ".csv"):
        try:
            text = path.read_text("utf-8-sig")
            if suffix == ".json":
                json.loads(text)
            elif suffix == ".xml":
                ElementTree.fromstring(text.encode())
        except (UnicodeDecodeError, ValueError, ElementTree.ParseError) as exc:
            usability.append(f"{name}：无法读取（{exc}）")
    return usability, security


def _is_danger(problem: str) -> bool:
    return problem.startswith(("已加密", "含 "))
