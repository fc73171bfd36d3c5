"""Anonymised copies for blind review: metadata gone, the name gone from the text layer where it is readable,
image-only pages named as unchecked. Pure: PDFs built in memory, no database."""

import io

import pikepdf
from pypdf import PdfReader

from app.committee.anonymise import anonymise
from tests.factories import pdf_bytes


def paper(text: str, title: str = "Wang Xiaoming paper") -> bytes:
    """A one-page PDF showing `text` in Helvetica, with the author in its metadata."""
    pdf = pikepdf.new()
    font = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1,
                                                BaseFont=pikepdf.Name.Helvetica))
    page = pdf.add_blank_page()
    page.obj.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
    page.obj.Contents = pdf.make_stream(f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("latin-1"))
    pdf.docinfo["/Author"] = "Wang Xiaoming"
    pdf.docinfo["/Title"] = title
    with pdf.open_metadata() as meta:
        meta["dc:creator"] = ["Wang Xiaoming"]
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def text_of(data: bytes) -> str:
    return "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


def test_name_and_metadata_are_removed():
    original = paper("Author: Wang Xiaoming, Jinan Art Centre. Results of Wang Xiaoming.")
    assert "Wang Xiaoming" in text_of(original) and b"Wang Xiaoming" in original
    copy = anonymise(original, ["Wang Xiaoming"])
    assert copy.replaced == 2 and copy.unchecked_pages == []
    assert "Wang Xiaoming" not in text_of(copy.data) and "Jinan Art Centre" in text_of(copy.data)
    assert b"Wang Xiaoming" not in copy.data                        # nor in /Info nor the XMP packet
    with pikepdf.open(io.BytesIO(copy.data)) as pdf:
        assert "/Info" not in pdf.trailer and "/Metadata" not in pdf.Root


def test_other_text_is_left_alone_and_nothing_to_replace_is_said():
    copy = anonymise(paper("A study of folk dance."), ["Wang Xiaoming"])
    assert copy.replaced == 0 and "A study of folk dance." in text_of(copy.data)


def test_image_only_pages_are_reported_as_unchecked():
    copy = anonymise(pdf_bytes(2), ["Wang Xiaoming"])
    assert copy.unchecked_pages == [1, 2]
