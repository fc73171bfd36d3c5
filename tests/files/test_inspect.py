"""Content checks and re-encoding, without the database."""

import io
import warnings

import pytest
from PIL import Image

from app.errors import ValidationFailed
from app.files.inspect import ID_PHOTO_SIZE, MAX_PIXELS, inspect_upload, sniff
from app.files.models import FileKind
from tests.files import samples

ALL = {"pdf", "jpeg", "png", "gif"}


def check(data: bytes, *, allowed=ALL, photo: bool = False):
    return inspect_upload(io.BytesIO(data), allowed=allowed, field="licence", photo=photo)


def refusal(data: bytes, **kwargs) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        check(data, **kwargs)
    assert caught.value.status == 422 and caught.value.field == "licence"
    return caught.value


@pytest.mark.parametrize("data, kind", [
    (samples.pdf(), FileKind.pdf), (samples.jpeg(), FileKind.jpeg), (samples.png(), FileKind.png),
    (samples.animated_gif(), FileKind.gif), (samples.exe(), None), (samples.html(), None),
    (samples.zip_archive(), None), (b"", None),
])
def test_sniff_goes_by_the_first_bytes_only(data, kind):
    assert sniff(data[:16]) is kind


class TestWrongType:
    @pytest.mark.parametrize("data", [samples.exe(), samples.html(), samples.zip_archive(), b"  %PDF-1.7\n"],
                             ids=["exe", "html", "zip", "pdf-after-junk"])
    def test_refused_whatever_it_claims_to_be(self, data):
        error = refusal(data)
        assert error.code == "file_type_not_allowed"
        assert error.message == "文件类型不符合要求，只能上传 PDF、JPG、PNG、GIF 文件"

    def test_a_real_kind_outside_the_allowed_set(self):
        error = refusal(samples.png(), allowed={"pdf"})
        assert (error.code, error.message) == ("file_type_not_allowed", "文件类型不符合要求，只能上传 PDF 文件")

    def test_a_photo_is_never_a_pdf(self):
        assert refusal(samples.pdf(), photo=True).code == "file_type_not_allowed"


class TestPdf:
    def test_pages_are_counted_and_the_bytes_kept(self):
        found = check(samples.pdf(3))
        assert (found.kind, found.pages, found.data) == (FileKind.pdf, 3, None)

    @pytest.mark.parametrize("cut", [0.5, 0.95])
    def test_truncated(self, cut):
        data = samples.pdf(3)
        assert refusal(data[: int(len(data) * cut)]).code == "pdf_broken"

    def test_header_only(self):
        assert refusal(b"%PDF-1.7\n%%EOF\n").code == "pdf_broken"

    def test_no_pages(self):
        data = samples.pdf(2).replace(b"/Type /Pages", b"/Type /Xages")
        assert refusal(data).code == "pdf_broken"

    @pytest.mark.parametrize("password", ["", "secret"], ids=["opens-without-password", "needs-password"])
    def test_encrypted(self, password):
        error = refusal(samples.encrypted_pdf(password))
        assert (error.code, error.message) == ("pdf_encrypted", "PDF 文件已加密，请上传未加密的文件")


class TestImages:
    def test_jpeg_loses_exif_and_is_turned_upright(self):
        found = check(samples.jpeg((400, 300), orientation=6, gps=True))
        assert found.kind is FileKind.jpeg and found.pages == 1
        with Image.open(io.BytesIO(found.data)) as im:
            assert im.format == "JPEG" and im.size == (300, 400)
            assert not im.getexif() and "exif" not in im.info
            red, blue = im.getpixel((150, 20)), im.getpixel((150, 380))
        assert red[0] > 200 > red[2] and blue[2] > 200 > blue[0]   # the left (red) half went to the top

    def test_png_stays_png_without_text_or_trailing_bytes(self):
        from PIL.PngImagePlugin import PngInfo

        info = PngInfo()
        info.add_text("Comment", "<?php system($_GET['c']); ?>")
        found = check(samples.png(pnginfo=info) + b"<?php echo 1; ?>")
        assert found.kind is FileKind.png
        assert b"php" not in found.data
        with Image.open(io.BytesIO(found.data)) as im:
            assert im.format == "PNG" and im.size == (400, 300) and "Comment" not in im.info

    def test_gif_becomes_a_png_of_its_first_frame(self):
        found = check(samples.animated_gif())
        assert (found.kind, found.pages) == (FileKind.png, 1)
        with Image.open(io.BytesIO(found.data)) as im:
            assert im.format == "PNG" and im.size == (60, 40) and getattr(im, "n_frames", 1) == 1

    @pytest.mark.parametrize("damage", ["truncated", "scan-scrambled", "header-zeroed"])
    def test_corrupted_jpeg(self, damage):
        data = samples.jpeg(noise=True)
        middle = len(data) // 2
        data = {"truncated": data[:middle],
                "scan-scrambled": data[:middle] + bytes(range(256)) * 4 + data[middle + 1024:],
                "header-zeroed": data[:3] + b"\x00" * 60 + data[63:]}[damage]
        assert refusal(data).code == "image_broken"

    def test_png_with_a_bad_checksum(self):
        data = bytearray(samples.png())
        data[data.index(b"IDAT") + 10] ^= 0xFF   # the pixel data no longer matches its CRC
        assert refusal(bytes(data)).code == "image_broken"


class TestDecompressionBombs:
    @pytest.mark.parametrize("size", [(8000, 7000), (20000, 20000)], ids=["over-our-limit", "over-pillow-error"])
    def test_refused_from_the_header(self, size):
        data = samples.bomb_png(*size)
        assert len(data) < 2000
        error = refusal(data)
        assert error.code == "image_too_large" and "5000 万像素" in error.message

    # Between 1× and 2× Pillow's MAX_IMAGE_PIXELS it only warns: refused whether warnings are errors or not.
    @pytest.mark.parametrize("action", ["ignore", "error"])
    def test_the_band_where_pillow_only_warns(self, action):
        assert MAX_PIXELS < Image.MAX_IMAGE_PIXELS < 10000 * 10000 < 2 * Image.MAX_IMAGE_PIXELS
        with warnings.catch_warnings():
            warnings.simplefilter(action, Image.DecompressionBombWarning)
            assert refusal(samples.bomb_png(10000, 10000)).code == "image_too_large"


class TestIdPhoto:
    @pytest.mark.parametrize("data", [
        samples.jpeg((3000, 2000), orientation=6, gps=True), samples.jpeg((200, 150)),
        samples.png(samples.two_colour((900, 900), "RGBA")),
    ], ids=["big-rotated-jpeg", "small-jpeg", "png-with-alpha"])
    def test_exact_size_jpeg_without_metadata(self, data):
        found = check(data, allowed={"jpeg", "png"}, photo=True)
        assert found.kind is FileKind.jpeg
        with Image.open(io.BytesIO(found.data)) as im:
            assert im.format == "JPEG" and im.size == ID_PHOTO_SIZE == (390, 567) and im.mode == "RGB"
            assert round(im.info["dpi"][0]) == 300 and not im.getexif()

    def test_cover_crop_keeps_the_centre(self):
        wide = samples.two_colour((1200, 400))           # red left, blue right: the centre is the seam
        found = check(samples.png(wide), allowed={"png"}, photo=True)
        with Image.open(io.BytesIO(found.data)) as im:
            left, right = im.getpixel((20, 280)), im.getpixel((370, 280))
        assert left[0] > 200 and right[2] > 200

    def test_transparency_becomes_white(self):
        clear = Image.new("RGBA", (400, 600), (0, 0, 0, 0))
        found = check(samples.png(clear), allowed={"png"}, photo=True)
        with Image.open(io.BytesIO(found.data)) as im:
            assert min(im.getpixel((195, 283))) > 245
