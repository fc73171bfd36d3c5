"""The 申报表 PDF as units and the committee print it: a five-node route built straight into the
database, each node passing with its own words and reporting with the batch bar's stock ones, then
the PDF's text and images read back; and the vote line of a meeting with a recusal, the same on the
form, the meeting page, the applicant's inbox message and track page, and the publicity list."""

import io
from datetime import date

import pytest
from bson import ObjectId
from pypdf import PdfReader

from app.accounts.models import User
from app.committee.tally import vote_line
from app.dossiers.models import Dossier
from app.notifications.models import InboxMessage
from app.render import service as render
from app.routing import service as routing
from app.routing.machine import Action
from app.units.enums import UnitCategory
from tests.committee.committee_kit import make_expert, new_meeting, place_dossier, present_and_open, schedule, vote
from tests.factories import (attach_seal, create_batch, create_committee, create_hr_bureau, create_path, create_person,
                             create_unit, grant, login, pdf_bytes, png_bytes, submitted_dossier)
from tests.render.conftest import move_along
from tests.render.test_pdf import text_of
from tests.routing.conftest import world  # noqa: F401 - the fixture
from tests.web.test_review_pages import office_account, page

pytestmark = pytest.mark.usefixtures("converter_pool")

# Distinct pixel sizes tell each unit's seal apart among the PDF's images.
SEAL_SIZES = [(301, 300), (303, 300), (305, 300), (307, 300), (309, 300)]


@pytest.fixture
async def five_nodes():
    """用人单位 → 主管部门 → 行业主管部门 → 县人社局 → 市人社局 → the committee, every unit with a seal
    scan, and a complete dossier submitted to the employer."""
    city_hr, city_hr_account = await create_hr_bureau(region_code="370100", category=UnitCategory.city_hr_bureau)
    county_hr, county_hr_account = await create_hr_bureau(region_code="370112", parent=city_hr)
    supervisor, supervisor_account = await create_unit(name="历城区文化和旅游局", parent=county_hr,
                                                       category=UnitCategory.county_department, region_code="370112")
    industry, industry_account = await create_unit(name="济南市文化和旅游局", parent=city_hr,
                                                   category=UnitCategory.city_department, region_code="370100")
    employer, employer_account = await create_unit(name="历城区文化馆", parent=supervisor,
                                                   category=UnitCategory.county_affiliated, region_code="370112")
    chain = [(employer, employer_account), (supervisor, supervisor_account), (industry, industry_account),
             (county_hr, county_hr_account), (city_hr, city_hr_account)]
    committee = await create_committee(office_unit=city_hr)
    office = await create_person(name="评办经办")
    await grant(office, "committee_intermediate", city_hr)
    for (lower, _), (upper, _) in zip(chain, chain[1:]):
        await create_path(unit=lower, target=upper)
    await create_path(unit=city_hr, committee=committee)
    for (unit, _), size in zip(chain, SEAL_SIZES):
        await attach_seal(unit, png_bytes(size))
    applicant = await create_person(name="王小明")
    dossier_id = ObjectId(await submitted_dossier(applicant, await create_batch(), employer))
    return {"chain": chain, "office": office, "dossier_id": dossier_id}


def opinion(unit) -> str:
    return f"经{unit.name}审核，材料真实，同意推荐。"


async def review_up(world) -> None:
    """Each node passes on the review page with its words, signature and date, then reports with the
    batch bar carrying 同意上报 / 审核人."""
    for index, (unit, account) in enumerate(world["chain"]):
        dossier = await Dossier.get(world["dossier_id"])
        await routing.apply(dossier=dossier, acting=await routing.acting_as(account, dossier), actor=account,
                            action=Action.pass_, opinion=opinion(unit), signer=f"负责人{index + 1}",
                            signed_on=date(2026, 11, 3 + 2 * index))
        reported = await routing.batch(actor=account, action=Action.report, ids=[world["dossier_id"]], confirm=True,
                                       opinion="同意上报", signer="审核人")
        assert reported.done == 1, reported.failed


def images_of(pdf: bytes) -> list[tuple[int, int]]:
    return [image.image.size for p in PdfReader(io.BytesIO(pdf)).pages for image in p.images]


async def test_five_node_route_prints_each_nodes_own_decision_in_order_and_seals_only_when_official(five_nodes):
    await review_up(five_nodes)
    dossier = await Dossier.get(five_nodes["dossier_id"])
    assert dossier.status == "at_committee" and len(dossier.route) == 5

    preview = await render.form_pdf(dossier, "application")
    assert not preview.official
    preview_text = text_of(preview.content)
    assert "预览版" in preview_text and preview_text.count("（盖章）") == 6        # five units and the committee
    assert not set(SEAL_SIZES) & set(images_of(preview.content))

    office = await User.get(five_nodes["office"].id)       # with the role granted after it was made
    await routing.apply(dossier=dossier, acting=await routing.acting_as(office, dossier), actor=office,
                        action=Action.accept, opinion="资格审查通过。", signer="赵主任", signed_on=date(2026, 11, 20))
    official = await render.form_pdf(await Dossier.get(five_nodes["dossier_id"]), "application")
    assert official.official
    text = text_of(official.content)
    boxes = text[text.index("十七、审核意见"):]
    titles = ["用人单位意见", "主管部门意见", "行业主管部门意见", "人力资源社会保障部门意见", "人力资源社会保障部门意见",
              "评审委员会意见"]
    at = 0
    for index, ((unit, _), title) in enumerate(zip(five_nodes["chain"], titles)):
        for expected in (title, opinion(unit), f"负责人签字：负责人{index + 1}", unit.name, f"2026年11月{3 + 2 * index}日"):
            found = boxes.find(expected, at)
            assert found >= at, (index, expected, boxes[at:at + 200])
            at = found + len(expected)
    assert boxes.find("评审委员会意见", at) > 0 and "资格审查通过。" in boxes[at:] and "赵主任" in boxes[at:]
    assert "同意上报" not in text and "审核人" not in text                 # the batch bar's words are not a decision
    assert text.count("（盖章）") == 1                                      # the committee's box keeps its placeholder
    assert "预览版" not in text
    assert set(SEAL_SIZES) <= set(images_of(official.content))


async def test_a_seal_scanned_as_pdf_or_none_at_all_keeps_the_placeholder(client, world):
    """employer: a PDF scan (cannot be placed); department: an image; HR bureau: no scan."""
    await attach_seal(world["employer"], pdf_bytes(), "公章.pdf")
    await attach_seal(world["department"], png_bytes(SEAL_SIZES[0]))
    dossier = await move_along(client, world, accept=True)
    pdf = (await render.form_pdf(dossier, "application")).content
    text = text_of(pdf)
    boxes = text[text.index("十七、审核意见"):]
    assert boxes.count("（盖章）") == 3                       # the employer, the HR bureau and the committee
    assert f"{world['employer'].name}（盖章）" in boxes and f"{world['hr'].name}（盖章）" in boxes
    assert f"{world['department'].name}（盖章）" not in boxes
    assert SEAL_SIZES[0] in images_of(pdf)


async def test_vote_line_is_the_same_on_the_form_the_meeting_page_and_the_inbox(client, world):
    """Three experts attend, one works at the applicant's employer and is recused: 应到 2, 实到 2."""
    dossier = await place_dossier(world, status="accepted")
    outsider_unit, _ = await create_unit(name="山东省艺术研究院")
    experts = [await make_expert(outsider_unit, "专家甲"), await make_expert(outsider_unit, "专家乙"),
               await make_expert(world["employer"], "专家丙")]
    meeting = await new_meeting(client, world, experts)
    await schedule(client, world, meeting["id"], [dossier.id])
    await present_and_open(client, world, meeting["id"], experts)
    for expert in experts[:2]:
        r = await vote(client, await login(client, expert), meeting["id"], dossier.id, "yes")
        assert r.status_code == 201, r.text
    r = await client.post(f"/api/meetings/{meeting['id']}/close", headers=world["as_office"])
    assert r.status_code == 200, r.text

    decided = await Dossier.get(dossier.id)
    line = vote_line(decided.votes)
    assert line.startswith("评委3人，回避1人，应到2人，实到2人；同意2票，不同意0票，弃权0票；") and line.endswith("表决结果：通过")
    form = await render.form_pdf(decided, "application")
    assert line in text_of(form.content)
    assert "应到3人" not in text_of(form.content)
    assert line in await page(client, await office_account(), f"/committee/meetings/{meeting['id']}")
    message = await InboxMessage.find_one({"user_id": decided.applicant_id, "title": "评审结果：评审通过"})
    assert message is not None and line in message.body
    applicant = await User.get(decided.applicant_id)
    assert line in await page(client, applicant, f"/dossiers/{dossier.id}/track")
    r = await client.post("/api/publicity/publish", json={"ids": [str(dossier.id)], "confirm": True},
                          headers=world["as_office"])
    assert r.status_code == 200 and r.json()["done"] == 1, r.text
    r = await client.get("/api/publicity", params={"unit_id": str(world["employer"].id)}, headers=world["as_employer"])
    assert [row["vote_line"] for row in r.json()] == [line]
    assert line in await page(client, await User.find_one({"unit_id": world["employer"].id, "kind": "unit"}),
                              f"/publicity?unit_id={world['employer'].id}")
