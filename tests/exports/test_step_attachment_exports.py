"""流程附件 in what the exports hand out: the archive package keeps them among its attachments (labelled 流程附件),
the bundle in the applicant's 流程附件/ folder (tests/routing/test_requests.py)."""

from tests.exports.conftest import archivist, finish, unzip  # noqa: F401  (archivist is a fixture)
from tests.factories import pdf_bytes


async def test_the_archive_package_keeps_the_step_attachments(client, world, archivist):  # noqa: F811
    r = await client.post(f"/api/dossiers/{world['dossier_id']}/step-attachments", data={"kind": "unit_opinion"},
                          files={"file": ("单位意见.pdf", pdf_bytes(2), "application/pdf")}, headers=world["as_employer"])
    assert r.status_code == 201, r.text
    await finish(world)
    names = unzip(await client.get(f"/api/dossiers/{world['dossier_id']}/archive.zip?forms=false",
                                   headers=archivist)).namelist()
    assert [n for n in names if "/data/attachments/" in n and "流程附件" in n and n.endswith("单位意见.pdf")], names
