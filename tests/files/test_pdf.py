"""PDF checks without the database: active content refused however it is written, clean documents kept."""

import io
import shutil
import zlib

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.actions import JavaScript

from app.errors import ValidationFailed
from app.files import pdf
from app.files.pdf import ACTIVE, check_pdf
from tests.files import samples


def refusal(data: bytes) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        check_pdf(io.BytesIO(data), field="file")
    assert caught.value.status == 422 and caught.value.field == "file"
    return caught.value


class TestActiveContent:
    @pytest.mark.parametrize("hide", [False, True], ids=["plain", "hex-escaped"])
    @pytest.mark.parametrize("packed", [False, True], ids=["loose", "in-object-stream"])
    @pytest.mark.parametrize("variant", samples.ACTIVE_PDFS)
    def test_refused_however_written(self, variant, packed, hide):
        name, parts = samples.ACTIVE_PDFS[variant]
        data = samples.active_pdf(parts, packed=packed, hide=hide)
        if hide:
            assert b"/" + name.encode() + b" " not in data
        if packed:   # compressed: the catalog and the objects it leads to are not readable in the file
            assert b"/Catalog" not in data
        error = refusal(data)
        assert error.code == "pdf_active_content"
        assert ACTIVE[name] in error.message and "为安全起见不予接收" in error.message

    def test_the_samples_are_valid_pdfs_otherwise(self):
        """What is refused above is refused for its content: without it, the same file is accepted."""
        for packed in (False, True):
            assert check_pdf(io.BytesIO(samples.raw_pdf(packed=packed)), field="file") == 1
            reader = PdfReader(io.BytesIO(samples.active_pdf(samples.ACTIVE_PDFS["open-action-js"][1], packed=packed, hide=True)))
            assert reader.trailer["/Root"]["/OpenAction"]["/S"] == "/JavaScript"

    def test_pypdf_written_javascript_and_attachment(self):
        for add in (lambda w: w.add_open_action(JavaScript("app.alert(1);")),
                    lambda w: w.add_attachment("a.exe", b"MZ")):
            writer = PdfWriter()
            writer.add_blank_page(595, 842)
            add(writer)
            out = io.BytesIO()
            writer.write(out)
            assert refusal(out.getvalue()).code == "pdf_active_content"

    @pytest.mark.parametrize("hide", [False, True], ids=["plain", "hex-escaped"])
    def test_an_unreferenced_object_is_seen_by_the_lexical_pass(self, hide):
        """No viewer reaches object 9 through the tables today, but a repairing one may: it is refused."""
        hidden = samples.obfuscated(b"<< /S /JavaScript /JS (app.alert(1)) >>") if hide else b"<< /JS (app.alert(1)) >>"
        data = samples.raw_pdf().replace(b"startxref", b"9 0 obj %s endobj\nstartxref" % hidden)
        assert "/JavaScript" not in str(PdfReader(io.BytesIO(data)).trailer["/Root"])
        assert refusal(data).code == "pdf_active_content"

    def test_an_object_hidden_from_the_lexical_pass_is_seen_by_the_structural_one(self):
        """The lexer skips `stream` … `endstream` as data; the object between them is found through the xref."""
        data = samples.raw_pdf(b"/OpenAction 5 0 R", b"", b"<< /Tricks /stream >> stream",
                               b"<< /S /JavaScript /JS (app.alert(1)) >>", b"(x) endstream")
        lexer = pdf._Lexer(data, "file")
        lexer.check()                   # the lexical pass alone misses it …
        assert lexer.found is None
        assert refusal(data).code == "pdf_active_content"   # … the structural pass does not

    @pytest.mark.parametrize("catalog", [b"/OpenAction [3 0 R /Fit]", b"/OpenAction << /S /GoTo /D [3 0 R /XYZ null null 0] >>"],
                             ids=["destination", "goto-action"])
    def test_opening_at_a_page_is_no_active_content(self, catalog):
        assert check_pdf(io.BytesIO(samples.raw_pdf(catalog)), field="file") == 1

    def test_names_inside_strings_and_comments_are_text(self):
        data = samples.raw_pdf(b"/Title (about /JavaScript and \\) /JS) /Lang (zh) % /Launch\n")
        assert check_pdf(io.BytesIO(data), field="file") == 1


class TestObjectStreams:
    def test_bomb_is_refused_before_anything_decodes_it(self):
        """16 MB of blanks compress to ~16 KB; pypdf alone would inflate up to 75 MB of them."""
        data = samples.raw_pdf(b"/Pad 4 0 R", b"", b"(" + b" " * (pdf.MAX_INFLATED + 1) + b")", packed=True)
        assert len(data) < 100_000
        error = refusal(data)
        assert (error.code, error.message) == \
            ("pdf_bomb", "PDF 文件中的压缩数据解压后过大（单个超过 16 MB 或合计超过 64 MB），疑似压缩炸弹，不予接收")

    def test_many_streams_under_the_cap_add_up_to_a_bomb(self):
        """Five object streams of 15 MB each (unreferenced: every one is inflated all the same) pass 64 MB together."""
        content = b"1 0 (" + b" " * (15 * 1024 * 1024) + b")"
        packed = zlib.compress(content)
        streams = b"".join(b"%d 0 obj\n<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length %d >>\nstream\n%s"
                           b"\nendstream\nendobj\n" % (20 + i, len(packed), packed) for i in range(5))
        data = samples.raw_pdf().replace(b"startxref", streams + b"startxref")
        assert len(data) < 200_000
        assert refusal(data).code == "pdf_bomb"
        four = samples.raw_pdf().replace(b"startxref", streams[: len(streams) * 4 // 5] + b"startxref")
        assert check_pdf(io.BytesIO(four), field="file") == 1   # 60 MB: under both caps

    def test_just_under_the_cap_is_fine(self):
        data = samples.raw_pdf(b"/Pad 4 0 R", b"", b"(" + b" " * (pdf.MAX_INFLATED - 1000) + b")", packed=True)
        assert check_pdf(io.BytesIO(data), field="file") == 1

    @pytest.mark.parametrize("stream_dict", [b"/DecodeParms << /Predictor 12 /Columns 4 >>",
                                             b"/Filter /ASCIIHexDecode", b"/Filter [/FlateDecode /FlateDecode]"],
                             ids=["predictor", "second-filter", "double-flate"])
    def test_an_encoding_the_check_cannot_follow_is_refused(self, stream_dict):
        error = refusal(samples.raw_pdf(packed=True, stream_dict=stream_dict))
        assert (error.code, error.message) == ("pdf_broken", "PDF 文件已损坏或不完整，其压缩对象的编码方式无法检查")

    def test_damaged_compressed_data(self):
        data = samples.raw_pdf(b"/Lang (zh)", packed=True)
        start = data.index(b"stream\n") + 7
        damaged = data[:start + 2] + bytes(b ^ 0x5A for b in data[start + 2:start + 12]) + data[start + 12:]
        assert refusal(damaged).code == "pdf_broken"


class TestEncryptedAndBroken:
    @pytest.mark.parametrize("password", ["", "secret"])
    def test_encrypted(self, password):
        error = refusal(samples.encrypted_pdf(password))
        assert (error.code, error.message) == ("pdf_encrypted", "PDF 文件已加密，请上传未加密的文件")

    @pytest.mark.parametrize("data, detail", [
        (samples.pdf(2).replace(b"%%EOF", b"%%EOX"), "缺少文件结束标记（%%EOF）"),
        (b"%PDF-1.7\n%%EOF\n", "无法打开"),
        (samples.raw_pdf(b"/Title (never closed"), "无法打开"),
        (samples.raw_pdf().replace(b"endstream", b"endstrea"), "无法打开"),
    ], ids=["no-eof", "header-only", "open-string", "no-endstream"])
    def test_broken(self, data, detail):
        error = refusal(data)
        assert (error.code, error.message) == ("pdf_broken", f"PDF 文件已损坏或不完整，{detail}")


class TestExtraData:
    @pytest.mark.parametrize("tail", [samples.html(), samples.zip_archive(), samples.exe(), b"x"],
                             ids=["html", "zip", "exe", "one-byte"])
    def test_anything_after_the_end_is_refused(self, tail):
        error = refusal(samples.pdf(1) + tail)
        assert error.code == "pdf_extra_data" and "其他数据" in error.message

    def test_a_zip_hidden_before_the_end(self):
        """A ZIP reader looks for its end record from the end of the file, past the PDF's %%EOF."""
        data = samples.pdf(1)
        assert refusal(data.replace(b"startxref", samples.zip_archive() + b"\nstartxref")).code == "pdf_extra_data"

    def test_whitespace_after_the_end_is_fine(self):
        assert check_pdf(io.BytesIO(samples.pdf(2) + b"\r\n\x00 \n"), field="file") == 2


class TestCleanPdfs:
    @pytest.mark.parametrize("data, pages", [
        (samples.pdf(3), 3), (samples.pdf(1, padding=2 * 1024 * 1024), 1), (samples.raw_pdf(packed=True), 1),
        (samples.raw_pdf(b"/Lang (zh-CN)", packed=True, zipped=False), 1),
        (samples.raw_pdf(b"/Outlines << /Count 0 >>"), 1),
    ], ids=["pypdf", "big-binary-stream", "object-stream", "plain-object-stream", "outline"])
    def test_kept(self, data, pages):
        assert check_pdf(io.BytesIO(data), field="file") == pages

    def test_a_file_on_disk_is_read_through_a_memory_map(self, tmp_path):
        path = tmp_path / "a.pdf"
        path.write_bytes(samples.pdf(2, padding=1024 * 1024))
        with path.open("rb") as fh:
            assert check_pdf(fh, field="file") == 2

    @pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
    def test_libreoffice_export(self, tmp_path):
        data = samples.libreoffice_pdf(tmp_path)
        assert b"/OpenAction" in data          # a destination: the document opens at its first page
        assert check_pdf(io.BytesIO(data), field="file") == 1
