"""Checks an upload by its content, never by its name or claimed type, and re-encodes images.

Pure and synchronous (pypdf and Pillow block): the service runs it in a threadpool. Every refusal is a
ValidationFailed with a Chinese message. Images are decoded and written again so that only pixels
survive: EXIF (GPS, camera, orientation), comments and anything smuggled after the image data are dropped.
A GIF is stored as a PNG of its first frame: attachments are read, printed and put into PDFs, where an
animation has no place, and one lossless still format is simpler for everything downstream.
A PDF is stored as uploaded once app.files.pdf finds it harmless (no active content, whole, unencrypted).
"""

from collections.abc import Collection
from dataclasses import dataclass
from io import BytesIO
from typing import BinaryIO

from PIL import Image, ImageOps

from app.errors import ValidationFailed
from app.files.models import FileKind
from app.files.pdf import check_pdf

# Below Pillow's own MAX_IMAGE_PIXELS (89.5 M), so the band where Pillow only warns is refused here too.
# 50 M pixels holds an A4 scan at 600 dpi (35 M) and a 50-megapixel phone photo.
MAX_PIXELS = 50_000_000
JPEG_QUALITY = 90
ID_PHOTO_SIZE = (390, 567)  # 大一寸: 33 × 48 mm at 300 dpi
ID_PHOTO_DPI = (300, 300)

_MAGIC = ((b"%PDF-", FileKind.pdf), (b"\xff\xd8\xff", FileKind.jpeg), (b"\x89PNG\r\n\x1a\n", FileKind.png),
          (b"GIF87a", FileKind.gif), (b"GIF89a", FileKind.gif))
_PILLOW_FORMATS = {FileKind.jpeg: "JPEG", FileKind.png: "PNG", FileKind.gif: "GIF"}
_PNG_MODES = {"1", "L", "LA", "P", "RGB", "RGBA", "I;16"}


@dataclass(frozen=True)
class Inspected:
    kind: FileKind         # the kind of the bytes to store (a GIF upload is stored as PNG)
    pages: int
    data: bytes | None     # the re-encoded image; None means: store the upload as it is (PDF)


def sniff(head: bytes) -> FileKind | None:
    """The kind the first bytes prove; anything else (EXE, HTML, ZIP, Office…) is None."""
    return next((kind for magic, kind in _MAGIC if head.startswith(magic)), None)


def inspect_upload(fh: BinaryIO, *, allowed: Collection[str], field: str, photo: bool = False) -> Inspected:
    """Checks the whole file in fh; with photo=True the image becomes a 大一寸 ID photo and PDFs are refused."""
    fh.seek(0)
    kind = sniff(fh.read(16))
    permitted = [k for k in FileKind if k in allowed and not (photo and k is FileKind.pdf)]
    if kind not in permitted:
        names = "、".join(k.label for k in permitted)
        raise ValidationFailed(f"文件类型不符合要求，只能上传 {names} 文件", code="file_type_not_allowed",
                               field=field)
    fh.seek(0)
    if kind is FileKind.pdf:
        return Inspected(kind=kind, pages=check_pdf(fh, field=field), data=None)
    _verify_image(fh, kind, field)
    fh.seek(0)
    try:
        with _open_image(fh, kind, field) as im:
            if photo:
                return Inspected(kind=FileKind.jpeg, pages=1, data=normalise_id_photo(im))
            stored_kind, data = _reencode(im, kind)
            return Inspected(kind=stored_kind, pages=1, data=data)
    except ValidationFailed:
        raise
    except Exception as exc:  # a hostile image can make the decoder fail in many ways; all mean "broken"
        raise _image_broken(field) from exc


def _image_broken(field: str) -> ValidationFailed:
    return ValidationFailed("图片已损坏或无法识别", code="image_broken", field=field)


def _image_too_large(field: str) -> ValidationFailed:
    return ValidationFailed(f"图片像素过大，不能超过 {MAX_PIXELS // 10_000} 万像素", code="image_too_large",
                            field=field)


def _open_image(fh: BinaryIO, kind: FileKind, field: str) -> Image.Image:
    """Opens with the sniffed decoder only, and refuses a bomb from its header before any pixel is decoded."""
    try:
        im = Image.open(fh, formats=[_PILLOW_FORMATS[kind]])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # The warning arrives as an exception where warnings are errors (python -W error).
        raise _image_too_large(field) from exc
    except Exception as exc:
        raise _image_broken(field) from exc
    if im.width * im.height > MAX_PIXELS:
        im.close()
        raise _image_too_large(field)
    return im


def _verify_image(fh: BinaryIO, kind: FileKind, field: str) -> None:
    """Pillow's structural check (PNG chunk CRCs and the like); the image must be opened again after it."""
    with _open_image(fh, kind, field) as im:
        try:
            im.verify()
        except Exception as exc:
            raise _image_broken(field) from exc


def _reencode(im: Image.Image, kind: FileKind) -> tuple[FileKind, bytes]:
    """Decodes fully (a truncated file fails here), applies the EXIF orientation, and saves without metadata."""
    im.load()
    upright = ImageOps.exif_transpose(im)
    out = BytesIO()
    if kind is FileKind.jpeg:
        if upright.mode not in ("L", "RGB"):
            upright = upright.convert("RGB")
        upright.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, **_kept_info(im, upright))
        return FileKind.jpeg, out.getvalue()
    if upright.mode == "P" and "transparency" in upright.info or upright.mode not in _PNG_MODES:
        upright = upright.convert("RGBA")
    upright.save(out, "PNG", **_kept_info(im, upright))
    return FileKind.png, out.getvalue()


def _kept_info(source: Image.Image, target: Image.Image) -> dict:
    """The only metadata worth keeping: the resolution (print size) and the colour profile, which only
    describes the pixels while their mode is unchanged."""
    keys = ("dpi", "icc_profile") if target.mode == source.mode else ("dpi",)
    return {key: source.info[key] for key in keys if source.info.get(key)}


def normalise_id_photo(im: Image.Image) -> bytes:
    """A 大一寸 JPEG: upright, cover-cropped about the centre, white behind any transparency, no metadata.

    im must not be loaded yet: draft() lets libjpeg decode a big JPEG at 1/2–1/8 scale, about three times
    faster. Asking for a square as big as the longer side keeps both sides covered whatever the rotation.
    """
    side = max(ID_PHOTO_SIZE)
    im.draft("RGB", (side, side))
    upright = ImageOps.exif_transpose(im)
    if upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info:
        rgba = upright.convert("RGBA")
        upright = Image.new("RGB", rgba.size, "white")
        upright.paste(rgba, mask=rgba.getchannel("A"))
    photo = ImageOps.fit(upright.convert("RGB"), ID_PHOTO_SIZE, Image.Resampling.LANCZOS)
    out = BytesIO()
    photo.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, dpi=ID_PHOTO_DPI)
    return out.getvalue()
