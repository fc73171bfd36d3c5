"""The queues' 申报职称 filter: narrowed by the chosen series and level, each title name once (a pure function),
and the pages that carry the filter bar list what it gives."""

import re

from app.accounts.models import User
from app.web.queue_view import title_choices
from tests.routing import conftest as routing
from tests.web.test_pages import HTML, cookie_login

world = routing.world      # the fixture: employer → department → HR bureau → committee, one submitted dossier

ENTRIES = [("qzwh-2", "助理馆员", "2"), ("qzwh-3", "馆员", "3"), ("qzwh-3b", "馆员", "3"),
           ("qzwh-4", "副研究馆员", "4"), ("qzwh-5", "研究馆员", "5")]


class TestTitleChoices:
    def test_the_chosen_level_only_each_name_once(self):
        assert title_choices(ENTRIES, "3") == [("qzwh-3", "馆员")]

    def test_no_level_lists_every_name_of_the_series_once(self):
        assert [name for _, name in title_choices(ENTRIES, None)] == ["助理馆员", "馆员", "副研究馆员", "研究馆员"]

    def test_a_chosen_title_stays_listed_under_its_own_code(self):
        assert title_choices(ENTRIES, "3", selected="qzwh-3b") == [("qzwh-3b", "馆员")]
        assert ("qzwh-5", "研究馆员") in title_choices(ENTRIES, "3", selected="qzwh-5")

    def test_nothing_without_entries(self):
        assert title_choices([], "3") == []


def title_options(page: str) -> list[str]:
    select = page[page.index('<select id="q-title"'):]
    return re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select[:select.index("</select>")])


async def test_the_queue_lists_the_series_titles_once_and_none_before_a_series(client, world):
    employer = await User.find_one({"unit_id": world["employer"].id, "kind": "unit"})
    await cookie_login(client, employer)
    page = (await client.get("/review", headers=HTML)).text
    assert title_options(page) == [("", "请先选择职称系列")]
    page = (await client.get("/review?series=qzwh&level=3", headers=HTML)).text
    assert title_options(page) == [("", "全部"), ("qzwh-3", "馆员")]
    names = [name for _, name in title_options((await client.get("/review?series=tszl", headers=HTML)).text)]
    assert names.count("馆员") == 1 and names.count("助理馆员") == 1 and "全部" in names
    office = await User.find_one({"roles.role": "committee_intermediate"})
    await cookie_login(client, office)
    page = (await client.get("/committee?series=qzwh&level=2", headers=HTML)).text
    assert title_options(page) == [("", "全部"), ("qzwh-2", "助理馆员")]
