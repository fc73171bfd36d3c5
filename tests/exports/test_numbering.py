"""One numbering after a return: the 材料目录 PDF a reviewer prints, the bundle's file names and the review
page agree."""

import io
import re
import zipfile

from pypdf import PdfReader

from tests.exports.conftest import unzip
from tests.factories import pdf_bytes
from tests.routing.conftest import act
from tests.web.test_review_pages import page, unit_account


def catalogue_numbers(pdf: bytes) -> dict[str, int]:
    """File name → the number printed in front of it, read from the PDF's text."""
    text = "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)
    return {m[2]: int(m[1]) for m in re.finditer(r"^\s*(\d+)\s*(\S+\.(?:pdf|jpg|png))", text, re.M)}


async def test_after_a_return_and_a_new_upload_catalogue_and_bundle_number_alike(client, world, converter_pool):
    assert (await act(client, world, "as_employer", "return", opinion="请补充学位证书")).status_code == 200
    url = f"/api/dossiers/{world['dossier_id']}"
    r = await client.post(f"{url}/attachments", data={"section": "education", "row_id": "edu0000001"},
                          files={"file": ("学位证书.pdf", pdf_bytes(1), "application/pdf")},
                          headers=world["as_applicant"])
    assert r.status_code == 201, r.text
    assert (await client.post(f"{url}/submit", headers=world["as_applicant"])).status_code == 200

    zf = unzip(await client.get(f"{url}/bundle.zip?forms=false", headers=world["as_employer"]))
    in_bundle = {name.rsplit("-", 1)[-1]: int(name.split("/")[-1][:2])
                 for name in zf.namelist() if re.search(r"/\d\d-", name)}
    # added last, but its row is the education row: it follows that row's first file, before 资格证书
    assert in_bundle == {"照片.jpg": 1, "学历证书.pdf": 2, "学位证书.pdf": 3, "资格证书.pdf": 4}
    csv = zf.read(next(n for n in zf.namelist() if n.endswith("材料目录.csv"))).decode("utf-8-sig")
    assert "\n3,学历信息," in csv.replace("\r\n", "\n") and "学位证书.pdf" in csv.splitlines()[3]

    r = await client.get(f"{url}/forms/catalogue.pdf", headers=world["as_employer"])
    assert r.status_code == 200
    assert catalogue_numbers(r.content) == in_bundle
    text = "".join(PdfReader(io.BytesIO(r.content)).pages[-1].extract_text().split())
    assert "审核人（签字）" in text and "审核日期" in text
    assert all(form in "".join(PdfReader(io.BytesIO(r.content)).pages[0].extract_text().split())
               for form in ("申报表.pdf", "简介表.pdf", "材料目录.pdf"))

    text = await page(client, await unit_account(world["employer"]), f"/review/{world['dossier_id']}")
    on_page = {m[2]: int(m[1]) for m in re.finditer(r'class="file-number"[^>]*>(\d+)</span> <a [^>]*>([^<]+)</a>', text)}
    assert on_page == {name: n for name, n in in_bundle.items() if name != "照片.jpg"}    # the photo shows as such
