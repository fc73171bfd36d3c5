"""The 申报表's review boxes and the vote line, as pure functions of a dossier's trail, route and tally
(no database): one box per recorded node in order, each node's own decision, seals only on the
official version once the node has decided, and one wording of the tally."""

from datetime import datetime, timezone

from bson import ObjectId

from app.committee.tally import short_line, vote_line
from app.dossiers.models import Declaration, RouteNode, TrailEntry, VoteSummary
from app.render import contexts
from app.render.contexts import FormSource, Lookups, NodeUnit

EMPLOYER, SUPERVISOR, INDUSTRY, COUNTY_HR, CITY_HR, OFFICE = (ObjectId() for _ in range(6))
NAMES = {EMPLOYER: "历城区文化馆", SUPERVISOR: "历城区文化和旅游局", INDUSTRY: "济南市文化和旅游局",
         COUNTY_HR: "历城区人力资源和社会保障局", CITY_HR: "济南市人力资源和社会保障局"}
ROLES = {EMPLOYER: "unit_handler", SUPERVISOR: "dept_handler", INDUSTRY: "dept_handler", COUNTY_HR: "hr_handler",
         CITY_HR: "hr_handler"}
SEALS = {unit_id: f"seal-{i}".encode() for i, unit_id in enumerate(NAMES)}
UNITS = {EMPLOYER: NodeUnit("county_affiliated", (CITY_HR, COUNTY_HR, SUPERVISOR), SEALS[EMPLOYER]),
         SUPERVISOR: NodeUnit("county_department", (CITY_HR, COUNTY_HR), SEALS[SUPERVISOR]),
         INDUSTRY: NodeUnit("city_department", (CITY_HR,), SEALS[INDUSTRY]),
         COUNTY_HR: NodeUnit("county_hr_bureau", (CITY_HR,), SEALS[COUNTY_HR]),
         CITY_HR: NodeUnit("city_hr_bureau", (), SEALS[CITY_HR])}
TALLY = VoteSummary(meeting_id=ObjectId(), members=3, eligible=2, present=2, yes=2, no=0, abstain=0, recused=1,
                    not_voted=0, quorum_required=2, pass_required=2, passed=True, rule="到会≥2/3，同意≥到会2/3")


def entry(action, unit_id=None, opinion=None, signer=None, day=1, role=None):
    return TrailEntry(action=action, actor_id=ObjectId(), actor_name="经办人",
                      role=role or ROLES.get(unit_id, "applicant"), unit_id=unit_id, unit_name=NAMES.get(unit_id),
                      from_status="submitted", to_status="passed", opinion=opinion, signer=signer,
                      at=datetime(2026, 11, day, 2, tzinfo=timezone.utc), detail={"signed_on": f"2026-11-{day:02d}"})


def source(trail, route=tuple(NAMES), *, official=True, votes=None) -> FormSource:
    declaration = Declaration(level="3", series="qzwh", title="qzwh-3", specialty="qzwh-s01", mode="normal",
                              employer_unit_id=EMPLOYER, employer_unit_name=NAMES[EMPLOYER])
    return FormSource(applicant_name="王小明", id_number="", year=2026, declaration=declaration, sections={},
                      attachments=[], trail=[entry("submit"), *trail],
                      route=[RouteNode(unit_id=u, unit_name=NAMES[u]) for u in route], votes=votes, official=official)


def passed_and_batch_reported(unit_id, day):
    """The issue's story: words and a signature on the review page, then the batch bar's stock words."""
    return [entry("pass", unit_id, f"{NAMES[unit_id]}审核意见", f"签字人{day}", day),
            entry("report", unit_id, "同意上报", "审核人", day + 1)]


def boxes(src, lk=None):
    return contexts.opinion_boxes(src, lk or Lookups(names={}, committee_name="评委会", units=UNITS))


def five_nodes(**kwargs):
    trail = [e for i, u in enumerate(NAMES) for e in passed_and_batch_reported(u, 3 + 2 * i)]
    trail.append(entry("accept", CITY_HR, "资格审查通过。", "赵主任", 20, role="committee_intermediate"))
    return source(trail, **kwargs)


def test_five_nodes_give_five_boxes_in_route_order_then_the_committee():
    found = boxes(five_nodes(votes=TALLY))
    assert [b["title"] for b in found] == ["用人单位意见", "主管部门意见", "行业主管部门意见", "人力资源社会保障部门意见",
                                           "人力资源社会保障部门意见", "评审委员会意见"]
    assert [b["unit_name"] for b in found] == [*NAMES.values(), "评委会"]
    for i, (unit_id, box) in enumerate(zip(NAMES, found)):
        assert (box["opinion"], box["signer"], box["signed_on"]) == (
            f"{NAMES[unit_id]}审核意见", f"签字人{3 + 2 * i}", f"2026年11月{3 + 2 * i}日")
    committee = found[-1]
    assert (committee["opinion"], committee["signer"], committee["vote"]) == ("资格审查通过。", "赵主任", vote_line(TALLY))
    assert all(b["vote"] == "" for b in found[:-1])


def test_the_pass_typed_on_the_review_page_beats_a_later_batch_report():
    found = boxes(source(passed_and_batch_reported(EMPLOYER, 3), route=[EMPLOYER]))
    assert (found[0]["opinion"], found[0]["signer"], found[0]["signed_on"]) == ("历城区文化馆审核意见", "签字人3",
                                                                                "2026年11月3日")
    assert "同意上报" not in str(found) and "审核人" not in str(found)


def test_a_bare_pass_lets_the_worded_report_speak_and_a_bare_both_prints_the_click():
    worded = boxes(source([entry("pass", EMPLOYER, day=3), entry("report", EMPLOYER, "同意推荐", "张馆长", 4)],
                          route=[EMPLOYER]))[0]
    assert (worded["opinion"], worded["signer"], worded["signed_on"]) == ("同意推荐", "张馆长", "2026年11月4日")
    bare = boxes(source([entry("pass", EMPLOYER, day=3), entry("report", EMPLOYER, day=4)], route=[EMPLOYER]))[0]
    assert (bare["opinion"], bare["signer"], bare["signed_on"]) == ("审核通过", "", "2026年11月3日")


def test_a_node_sent_back_to_decides_again_and_earlier_rounds_do_not_count():
    trail = [*passed_and_batch_reported(EMPLOYER, 3),
             entry("return", SUPERVISOR, "请补充业绩证明", "李局长", 5),
             entry("pass", EMPLOYER, "已补充，同意推荐", "张馆长", 6), entry("report", EMPLOYER, day=6)]
    found = boxes(source(trail, route=[EMPLOYER, SUPERVISOR]))
    assert (found[0]["opinion"], found[0]["signed_on"]) == ("已补充，同意推荐", "2026年11月6日")
    assert found[1]["opinion"] == "请补充业绩证明"          # the supervisor's latest decision, until it decides again
    resubmitted = source([*trail, entry("submit", day=9)], route=[EMPLOYER])
    (employer, committee) = boxes(resubmitted)
    assert employer["opinion"] == "" and employer["signed_on"].strip() == "年    月    日" and employer["seal"] is None


def test_seals_only_on_the_official_version_and_only_for_nodes_that_decided():
    trail = [*passed_and_batch_reported(EMPLOYER, 3), *passed_and_batch_reported(SUPERVISOR, 5)]
    official = boxes(source(trail))
    assert [b["seal"].data if b["seal"] else None for b in official] == [
        SEALS[EMPLOYER], SEALS[SUPERVISOR], None, None, None, None]
    assert official[0]["seal"].width_mm == contexts.SEAL_MM
    assert all(b["seal"] is None for b in boxes(source(trail, official=False)))
    without_scans = Lookups(names={}, units={u: NodeUnit(n.category, n.ancestors) for u, n in UNITS.items()})
    assert all(b["seal"] is None for b in boxes(source(trail), without_scans))


def test_units_no_longer_known_are_titled_by_the_role_their_reviewers_acted_in():
    trail = [*passed_and_batch_reported(EMPLOYER, 3), *passed_and_batch_reported(INDUSTRY, 5),
             *passed_and_batch_reported(CITY_HR, 7)]
    found = boxes(source(trail, route=[EMPLOYER, INDUSTRY, CITY_HR]), Lookups(names={}))
    assert [b["title"] for b in found] == ["用人单位意见", "主管部门意见", "人力资源社会保障部门意见", "评审委员会意见"]
    assert all(b["seal"] is None for b in found)


def test_a_draft_prints_the_employer_box_and_the_committee():
    draft = source([], route=[])
    draft.trail = []
    assert [b["title"] for b in boxes(draft)] == ["用人单位意见", "评审委员会意见"]


def test_templates_of_the_four_fixed_boxes_still_find_theirs():
    context = contexts.application(five_nodes(votes=TALLY), Lookups(names={}, committee_name="评委会", units=UNITS))
    legacy = context["opinions"]
    assert legacy["employer"]["opinion"] == "历城区文化馆审核意见"
    assert legacy["department"]["unit_name"] == NAMES[SUPERVISOR]
    assert legacy["hr_bureau"]["unit_name"] == NAMES[COUNTY_HR]
    assert legacy["committee"]["vote"] == context["vote_result"] == vote_line(TALLY)


def test_the_vote_line_counts_recused_members_out_of_those_expected():
    line = vote_line(TALLY)
    assert line == ("评委3人，回避1人，应到2人，实到2人；同意2票，不同意0票，弃权0票；"
                    "表决规则：到会≥2/3，同意≥到会2/3；表决结果：通过")
    assert vote_line(TALLY.model_dump(mode="json")) == line           # a meeting's stored result row
    missing = TALLY.model_copy(update={"yes": 1, "not_voted": 1, "passed": False})
    assert vote_line(missing).endswith("弃权0票，未投票1人；表决规则：到会≥2/3，同意≥到会2/3；表决结果：未通过")
    assert vote_line(None) == ""
    short = TALLY.model_copy(update={"present": 1, "quorum_required": 2})
    assert short_line(short) == "回避1人，应到2人，实到1人，不足2人（到会≥2/3，同意≥到会2/3）"
