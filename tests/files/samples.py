"""Upload samples made on the fly with pypdf and Pillow (no binary fixtures in the repository)."""

import io
import os
import random
import struct
import zipfile
import zlib

from PIL import Image
from pypdf import PdfReader, PdfWriter

ORIENTATION, GPS_IFD = 0x0112, 0x8825


def pdf(pages: int = 1, *, padding: int = 0) -> bytes:
    """A valid A4 PDF; padding adds an embedded file of random bytes to make it as big as wanted."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(595, 842)
    if padding:
        writer.add_attachment("padding.bin", os.urandom(padding))
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
