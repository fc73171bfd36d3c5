"""No dead ends: the review page's "← 返回" goes where the reader came from (a meeting, a queue) or to a list of
their own role, never to another role's page (the committee office was sent to 数据审核, a 403)."""

import re

from app.accounts.models import User
from tests.committee.committee_kit import make_experts, new_meeting, place_dossier, schedule
from tests.routing import conftest as routing
from tests.web.test_pages import HTML, cookie_login

world = routing.world      # the fixture: employer → department → HR bureau → committee, one submitted dossier


def back_of(page: str) -> str:
    found = re.search(r'<a href="([^"]*)" id="back-link">', page)
    assert found, "no back link"
    return found.group(1).replace("&amp;", "&")


async def office_with_a_meeting(client, world) -> tuple[User, str, str]:
    office = await User.find_one({"roles.role": "committee_intermediate"})
    experts = await make_experts(client, world["hr"], 1)
    accepted = await place_dossier(world, name="赵一鸣")
    meeting = await new_meeting(client, world, [e for e, _ in experts])
    await schedule(client, world, meeting["id"], [accepted.id])
    return office, meeting["id"], str(accepted.id)


async def test_the_office_returns_from_an_applicant_to_the_meeting(client, world):
    office, meeting_id, dossier_id = await office_with_a_meeting(client, world)
    await cookie_login(client, office)
    meeting_page = (await client.get(f"/committee/meetings/{meeting_id}", headers=HTML)).text
    link = re.search(r'href="(/review/' + dossier_id + r'[^"]*)"', meeting_page).group(1).replace("&amp;", "&")
    review = await client.get(link, headers=HTML)
    assert review.status_code == 200
    back = back_of(review.text)
    assert back == f"/committee/meetings/{meeting_id}"
    assert (await client.get(back, headers=HTML)).status_code == 200


async def test_without_a_hint_the_back_link_is_a_page_of_the_readers_own_role(client, world):
    office, meeting_id, dossier_id = await office_with_a_meeting(client, world)
    await cookie_login(client, office)
    review = (await client.get(f"/review/{dossier_id}", headers=HTML)).text
    assert back_of(review) == "/committee" and "返回资格审查" in review     # was /review: a 403 for the office
    assert (await client.get("/committee", headers=HTML)).status_code == 200
    # the page the browser came from, when it is this site's
    came = await client.get(f"/review/{dossier_id}", headers={**HTML, "Referer": f"http://testserver/committee/meetings/{meeting_id}"})
    assert back_of(came.text) == f"/committee/meetings/{meeting_id}"
    # another site's page, or a protocol-relative ?back=, is never followed
    for headers, query in (({"Referer": "https://evil.example/x"}, ""), ({}, "?back=//evil.example/x")):
        page = (await client.get(f"/review/{dossier_id}{query}", headers={**HTML, **headers})).text
        assert back_of(page) == "/committee"


async def test_a_unit_handler_returns_to_the_filtered_queue(client, world):
    employer = await User.find_one({"unit_id": world["employer"].id, "kind": "unit"})
    await cookie_login(client, employer)
    queue = (await client.get("/review?tab=pending&name=王", headers=HTML)).text
    link = re.search(r'href="(/review/' + world["dossier_id"] + r'\?back=[^"]*)"', queue).group(1)
    back = back_of((await client.get(link.replace("&amp;", "&"), headers=HTML)).text)
    assert back == "/review?tab=pending&name=%E7%8E%8B" or back == "/review?tab=pending&name=王"
    assert (await client.get(back, headers=HTML)).status_code == 200
