"""Display names made harmless, and the Content-Disposition that carries them."""

from urllib.parse import unquote

import pytest

from app.files.models import FileKind
from app.files.names import MAX_NAME_BYTES, content_disposition, safe_filename, safe_name

PDF, JPEG = FileKind.pdf, FileKind.jpeg


@pytest.mark.parametrize("name, kind, expected", [
    ("../../etc/passwd", PDF, "passwd.pdf"),
    ("C:\\fakepath\\营业执照.pdf", PDF, "营业执照.pdf"),
    ("..\\..\\windows\\system.ini", PDF, "system.pdf"),
    ("a\x00b\x1fc\r\n.pdf", PDF, "abc.pdf"),
    ("报告\u202efdp.exe", PDF, "报告fdp.pdf"),            # a right-to-left override hiding ".exe"
    ("CON", PDF, "_CON.pdf"),
    ("con.pdf", PDF, "_con.pdf"),
    ("LPT1.txt", PDF, "_LPT1.pdf"),
    (".htaccess", PDF, "htaccess.pdf"),
    ("...", PDF, "未命名.pdf"),
    ("", PDF, "未命名.pdf"),
    (None, JPEG, "未命名.jpg"),
    ("  营业 执照\u3000 副本 .PDF ", PDF, "营业 执照 副本.pdf"),
    ('a<b>c:"d|e?f*.pdf', PDF, "a_b_c__d_e_f_.pdf"),
    ("报告.exe", PDF, "报告.pdf"),
    ("v1.2", PDF, "v1.2.pdf"),
    ("照片.JPEG", JPEG, "照片.jpeg"),
    ("照片.png", JPEG, "照片.jpg"),
])
def test_safe_filename(name, kind, expected):
    assert safe_filename(name, kind) == expected


@pytest.mark.parametrize("text, expected", [
    ("单位/姓名:1234", "单位_姓名_1234"),          # a ZIP folder name cannot open a folder of its own
    ("..\\王小明", "_王小明"),
    ("王小明\x00\x1f-申报表 ", "王小明-申报表"),
    ("aux", "_aux"),
    (" . ", "未命名"),
    (None, "未命名"),
])
def test_safe_name_is_the_rule_for_every_generated_name(text, expected):
    assert safe_name(text) == expected


def test_safe_name_keeps_within_its_bytes_on_a_character_boundary():
    assert safe_name("学历证书" * 10, max_bytes=60) == "学历证书" * 5
    assert safe_name("x", max_bytes=60, fallback="?") == "x" and safe_name("", fallback="?") == "?"


@pytest.mark.parametrize("name", ["长" * 300 + ".pdf", "a" * 1000 + ".pdf", "长" * 300])
def test_long_names_are_cut_on_a_character_boundary(name):
    safe = safe_filename(name, PDF)
    assert len(safe.encode()) <= MAX_NAME_BYTES
    assert safe.endswith(".pdf") and safe[0] in "长a" and "\ufffd" not in safe


class TestContentDisposition:
    def test_chinese_name_gets_an_ascii_fallback_and_an_rfc5987_name(self):
        header = content_disposition("营业执照 2024.pdf", inline=False)
        assert header == ("attachment; filename=\"2024.pdf\"; "
                          "filename*=UTF-8''%E8%90%A5%E4%B8%9A%E6%89%A7%E7%85%A7%202024.pdf")
        assert unquote(header.split("UTF-8''")[1]) == "营业执照 2024.pdf"

    def test_all_chinese_name_falls_back_to_file(self):
        assert content_disposition("营业执照.pdf", inline=True).startswith('inline; filename="file.pdf"; ')

    def test_quotes_and_line_breaks_cannot_escape_the_header(self):
        header = content_disposition('x"; evil=1\r\nSet-Cookie: a.pdf', inline=False)
        assert "\r" not in header and "\n" not in header
        assert header.startswith('attachment; filename="x; evil=1Set-Cookie: a.pdf"; filename*=')
