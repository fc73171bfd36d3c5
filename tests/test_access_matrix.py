"""Every /api route of the OpenAPI document × every party: out of scope is 404 (401 anonymous; 403 only
where the route is a role gate), and no response carries a dossier the party may not read.

One table entry per route (a route without one fails by name). The world is built once, straight into
the database (tests/access_world.py); the whole matrix runs in one test that reports every failure at
once (the conftest empties the database before each test, so a module-scoped world would not survive).
Per route the refused parties go first, so an allowed party's write cannot mask a refusal.

Adding a route is one line in MATRIX, e.g.
    "GET /api/me/invitations": logged_in(),
    "GET /api/units/{unit_id}/invitations": Route(allowed=frozenset({"employer", "admin"}),
                                                  gate=frozenset({"department", "hr_bureau"})),
Path parameters are filled by name from World.ids (unit_id is the applicant's employer, dossier_id the
dossier every dossier route is tried on); a name the world does not know gets an id nothing has. A write
needs a body that passes validation, or every party gets 422 before the scope check is reached.

403 is expected only from role gates: the administrator-only routes (admin_only), the committee-office
lists (/api/committees, /api/experts), creating a dossier (applicants only), archive exports (archivists),
a unit's administration inside the unit's read scope (department and HR bureau above the employer), the
office-only meeting operations for the invited expert and the administrator, and an applicant acting on
their own dossier."""

import io
import json
import zipfile
from dataclasses import dataclass, field

from bson import ObjectId

from app.accounts.models import User
from app.clock import utcnow

from tests import access_world
from tests.access_world import ANON, PARTIES
from tests.factories import pdf_bytes, resident_id

USERS = frozenset(PARTIES) - {ANON}
EVERYONE = frozenset(PARTIES)
DOSSIER_READERS = frozenset({"applicant", "employer", "department", "hr_bureau", "office", "expert", "admin"})
UNIT_READERS = frozenset({"employer", "department", "hr_bureau", "admin"})      # unit E and its subordinates
OFFICE = frozenset({"office"})
# A 404 with one of these codes is a scope refusal; an allowed party must never get one. (staff_not_found
# is not among them: the second allowed caller of DELETE .../staff/{user_id} finds the member gone.)
SCOPE_CODES = {"case_not_found", "expert_not_found", "dossier_not_found", "unit_not_found", "meeting_not_found", "committee_not_found", "path_not_found",
               "application_not_found", "not_found"}


@dataclass(frozen=True)
class Route:
    """allowed: parties that pass the scope check; gate: parties a role gate refuses with 403; everyone
    else logged in gets 404. params maps a path parameter to a world id when its name is not enough."""
    allowed: frozenset
    gate: frozenset = frozenset()
    params: dict = field(default_factory=dict)
    query: dict | None = None
    json: object = None
    data: dict | None = None
    files: dict | None = None
    headers: dict | None = None
    fresh_session: bool = False        # the call ends the session it uses (logout)


def public(**kw) -> Route:
    return Route(allowed=EVERYONE, **kw)


def logged_in(**kw) -> Route:
    """Every user reaches it; what they see is cut to their scope (checked by the leak scan)."""
    return Route(allowed=USERS, **kw)


def admin_only(**kw) -> Route:
    return Route(allowed=frozenset({"admin"}), gate=USERS - {"admin"}, **kw)


def readers(**kw) -> Route:
    return Route(allowed=DOSSIER_READERS, **kw)


def owner(**kw) -> Route:
    return Route(allowed=frozenset({"applicant"}), **kw)


def ids(w) -> list[str]:
    return [w["dossier_id"]]


PDF = {"file": ("证明.pdf", pdf_bytes(1), "application/pdf")}
JUNK = {"file": ("x.txt", b"not a document", "text/plain")}
DECLARATION = lambda w: {"level": "3", "series": "qzwh", "title": "qzwh-3", "specialty": "qzwh-s01",  # noqa: E731
                         "mode": "normal", "employer_unit_id": w["unit_id"]}
UNIT_INFO = {"name": "济南市群艺馆（矩阵）", "credit_code": "91370102MA0000001X", "nature": "05",
             "region_code": "370100", "legal_representative": "赵法人", "contact_name": "钱联系",
             "contact_phone": "13600000001"}
GATE_COMMITTEE = USERS - {"office", "other_office", "admin"}
KEEPERS = frozenset({"office", "other_office", "admin"})
GATE_BLIND = USERS - {"office", "other_office"}       # 代表作送审 is the committee offices' work
REVIEWER = frozenset({"other_expert"})                 # holds the world's blind-review assignment
EXPERT_RECORD = {"name": "矩阵新专家", "id_number": resident_id("19620202"), "unit_name": "矩阵大学", "region_code": "370100",
                 "series": "qzwh", "specialties": ["qzwh-s01"], "title": "研究馆员", "level": "5", "phone": "13800000000",
                 "term_start": "2026-01-01", "term_end": "2028-12-31"}
# Statistics: every holder of a unit, region or committee read key. The applicant is among them by the time
# these routes run: it accepted unit X's 经办人 invitation earlier in the matrix (and counts X's dossiers only).
STATS = frozenset({"applicant", "employer", "unrelated_unit", "department", "hr_bureau", "office", "other_office",
                   "admin"})

# route key "METHOD /path" → who may pass its scope. Values that depend on the world are lambdas of its ids.
MATRIX: dict[str, Route] = {
    # accounts
    "POST /api/auth/register": public(json={}),
    "GET /api/auth/captcha": public(),
    "POST /api/auth/login": public(json={}),
    "POST /api/auth/logout": logged_in(fresh_session=True),
    "GET /api/me": logged_in(),
    "PATCH /api/me": logged_in(json={}),
    "POST /api/auth/password": logged_in(json={}),
    "POST /api/auth/recovery/code": public(json={}),
    "POST /api/auth/recovery/reset": public(json={}),
    "POST /api/auth/recovery/login-name": public(json={}),
    "POST /api/users/{user_id}/unlock": Route(allowed=frozenset({"employer", "admin"})),
    "GET /api/audit": admin_only(),
    # units
    "POST /api/units": public(json={}),
    "GET /api/units": public(query={"q": "济南"}),
    "GET /api/units/tree": logged_in(),
    "GET /api/units/{unit_id}": Route(allowed=UNIT_READERS),
    "PUT /api/units/{unit_id}": Route(allowed=frozenset({"employer", "admin"}),
                                      gate=frozenset({"department", "hr_bureau"}), json=UNIT_INFO),
    "POST /api/units/{unit_id}/children": Route(
        allowed=frozenset({"employer", "admin"}), gate=frozenset({"department", "hr_bureau"}),
        json={**UNIT_INFO, "name": "矩阵下级单位", "category": "city_state_enterprise", "login": "matrixchild"}),
    "POST /api/units/{unit_id}/permission-application": Route(allowed=frozenset({"employer", "admin"}),
                                                              gate=frozenset({"department", "hr_bureau"})),
    "GET /api/permission-applications": logged_in(),
    "POST /api/permission-applications/{application_id}/decision": Route(
        allowed=frozenset({"hr_bureau", "admin"}), json={"approve": False, "reason": "矩阵"}),
    "PUT /api/units/{unit_id}/documents/{kind}": Route(allowed=frozenset({"employer", "admin"}),
                                                       gate=frozenset({"department", "hr_bureau"}),
                                                       params={"kind": "licence"}, files=JUNK),
    "GET /api/units/{unit_id}/documents/{kind}": Route(allowed=UNIT_READERS, params={"kind": "licence"}),
    # personnel: a unit's people are its own; its figures are read above it, its quotas set there
    "GET /api/units/{unit_id}/personnel": Route(allowed=frozenset({"employer", "admin"})),
    "POST /api/units/{unit_id}/personnel": Route(allowed=frozenset({"employer", "admin"}),
                                                 json={"name": "矩阵新员工", "id_number": resident_id("19800202")}),
    "GET /api/units/{unit_id}/personnel/template.xlsx": Route(allowed=frozenset({"employer", "admin"})),
    "GET /api/units/{unit_id}/personnel/export.xlsx": Route(allowed=frozenset({"employer", "admin"})),
    "POST /api/units/{unit_id}/personnel/import": Route(allowed=frozenset({"employer", "admin"}), files=JUNK),
    "POST /api/units/{unit_id}/personnel/import/preview": Route(allowed=frozenset({"employer", "admin"}), files=JUNK),
    "PATCH /api/personnel/{record_id}": Route(allowed=frozenset({"employer", "admin"}), json={"version": 0}),
    "GET /api/personnel/{record_id}": Route(allowed=frozenset({"employer", "admin"})),
    "POST /api/personnel/{record_id}/status": Route(allowed=frozenset({"employer", "admin"}),
                                                    json={"status": "retired", "on": "2026-01-05"}),
    "POST /api/personnel/{record_id}/appointments": Route(
        allowed=frozenset({"employer", "admin"}),
        json={"level": "intermediate", "starts_on": "2026-01-02", "document_number": "矩阵聘〔2026〕1号"}),
    "POST /api/personnel/{record_id}/appointments/end": Route(allowed=frozenset({"employer", "admin"}),
                                                              json={"ends_on": "2026-01-03"}),
    "GET /api/units/{unit_id}/post-ratios": Route(allowed=UNIT_READERS),
    "PUT /api/units/{unit_id}/post-quotas/{year}": Route(allowed=frozenset({"department", "hr_bureau", "admin"}),
                                                         gate=frozenset({"employer"}), params={"year": "2026"},
                                                         json={"counts": {"intermediate": 3}}),
    "GET /api/post-ratios": logged_in(),
    "GET /api/units/{unit_id}/staff": Route(allowed=frozenset({"employer", "admin"}),
                                            gate=frozenset({"department", "hr_bureau"})),
    "POST /api/units/{unit_id}/staff": Route(allowed=frozenset({"employer", "admin"}),
                                             gate=frozenset({"department", "hr_bureau"}),
                                             json={"id_number": resident_id("19900101")}),
    "POST /api/units/{unit_id}/sub-accounts": Route(
        allowed=frozenset({"employer", "admin"}), gate=frozenset({"department", "hr_bureau"}),
        json={"accounts": [{"name": "矩阵子账号", "id_number": resident_id("19900307")}]}),
    "PATCH /api/units/{unit_id}/staff/{user_id}": Route(allowed=frozenset({"employer", "admin"}),
                                                        gate=frozenset({"department", "hr_bureau"}),
                                                        json={"enabled": True}),
    "DELETE /api/units/{unit_id}/staff/{user_id}": Route(allowed=frozenset({"employer", "admin"}),
                                                         gate=frozenset({"department", "hr_bureau"}),
                                                         params={"user_id": "spare_user_id"}),
    "POST /api/units/{unit_id}/staff/{user_id}/reset-password": Route(allowed=frozenset({"employer", "admin"}),
                                                                      gate=frozenset({"department", "hr_bureau"})),
    "POST /api/units/{unit_id}/staff/{user_id}/roles": Route(allowed=frozenset({"employer", "admin"}),
                                                             gate=frozenset({"department", "hr_bureau"}),
                                                             json={"role": "unit_handler"}),
    "DELETE /api/units/{unit_id}/staff/{user_id}/roles/{role}": Route(
        allowed=frozenset({"employer", "admin"}), gate=frozenset({"department", "hr_bureau"}),
        params={"role": "archivist"}),
    "GET /api/units/{unit_id}/invitations": Route(allowed=frozenset({"employer", "admin"}),
                                                  gate=frozenset({"department", "hr_bureau"})),
    "DELETE /api/units/{unit_id}/invitations/{invitation_id}": Route(
        allowed=frozenset({"employer", "admin"}), gate=frozenset({"department", "hr_bureau"}),
        params={"invitation_id": "cancel_invitation_id"}),
    "GET /api/me/invitations": logged_in(),
    "POST /api/me/invitations/{invitation_id}/accept": owner(params={"invitation_id": "accept_invitation_id"}),
    "POST /api/me/invitations/{invitation_id}/decline": owner(params={"invitation_id": "decline_invitation_id"}),
    "PUT /api/units/{unit_id}/supervisor": Route(allowed=frozenset({"employer", "hr_bureau", "admin"}),
                                                 gate=frozenset({"department"}),
                                                 json=lambda w: {"parent_id": w["parent_id"]}),
    # catalog and batches
    "GET /api/catalog/export": admin_only(),
    "POST /api/catalog/import": admin_only(files=JUNK),
    "GET /api/catalog": admin_only(),
    "PUT /api/catalog/{dictionary}/{code}": admin_only(params={"dictionary": "zz_matrix", "code": "x"}, json={}),
    "GET /api/catalog/{dictionary}": public(params={"dictionary": "series"}),
    "GET /api/batches": public(),
    "POST /api/batches": admin_only(json={}),
    "GET /api/batches/{batch_id}": public(),
    "PUT /api/batches/{batch_id}": admin_only(json={}),
    "POST /api/batches/{batch_id}/notice-attachments": admin_only(files=JUNK),
    "DELETE /api/batches/{batch_id}/notice-attachments/{file_id}": admin_only(),
    "GET /api/batches/{batch_id}/notice-attachments/{file_id}": public(),
    "GET /api/batches/{batch_id}/templates": admin_only(),
    "GET /api/batches/{batch_id}/templates/{form}.docx": admin_only(params={"form": "application"}),
    "PUT /api/batches/{batch_id}/templates/{form}": admin_only(params={"form": "application"}, files=JUNK),
    "DELETE /api/batches/{batch_id}/templates/{form}": admin_only(params={"form": "application"}),
    # dossiers
    "GET /api/dossiers": logged_in(),
    "POST /api/dossiers": Route(allowed=frozenset({"applicant", "other_applicant", "expert", "other_expert"}),
                                gate=USERS - {"applicant", "other_applicant", "expert", "other_expert"},
                                json=lambda w: {**DECLARATION(w), "batch_id": w["batch_id"],
                                                "commitment_agreed": True}),
    "POST /api/dossiers/entries": Route(allowed=frozenset({"employer"}),       # 录入申报: the unit's own handlers
                                        json=lambda w: {**DECLARATION(w), "batch_id": w["batch_id"],
                                                        "commitment_agreed": True, "user_id": w["user_id"]}),
    "GET /api/dossiers/entries": Route(allowed=frozenset({"employer"}), query=lambda w: {"unit_id": w["unit_id"]}),
    "GET /api/dossiers/{dossier_id}": readers(),
    "PUT /api/dossiers/{dossier_id}/declaration": owner(json=DECLARATION, headers={"If-Match": '"1"'}),
    "PUT /api/dossiers/{dossier_id}/representative-works": owner(json={"attachment_ids": ["att0000001"]},
                                                                 headers={"If-Match": '"1"'}),
    "GET /api/dossiers/{dossier_id}/sections/{section}": readers(params={"section": "basic"}),
    "PUT /api/dossiers/{dossier_id}/sections/{section}": owner(params={"section": "summary"}, json={"text": "矩阵"},
                                                               headers={"If-Match": '"1"'}),
    "GET /api/dossiers/{dossier_id}/completeness": readers(),
    "POST /api/dossiers/{dossier_id}/submit": owner(),
    "POST /api/dossiers/{dossier_id}/withdraw": owner(),
    "GET /api/dossiers/{dossier_id}/changes": readers(),
    "POST /api/dossiers/{dossier_id}/attachments": owner(data={"section": "current_title"}, files=PDF),
    "GET /api/dossiers/{dossier_id}/attachments/{attachment_id}": readers(),
    "PUT /api/dossiers/{dossier_id}/attachments/{attachment_id}": owner(files=PDF),
    "DELETE /api/dossiers/{dossier_id}/attachments/{attachment_id}": owner(),
    "GET /api/dossiers/{dossier_id}/certificate": readers(),
    "GET /api/dossiers/{dossier_id}/forms/{form}.{fmt}": readers(params={"form": "application", "fmt": "docx"}),
    "POST /api/forms/batch": readers(json=lambda w: {"ids": ids(w), "form": "application", "format": "docx"}),
    "GET /api/dossiers/{dossier_id}/bundle.zip": readers(query={"forms": "false"}),
    "GET /api/dossiers/{dossier_id}/archive.zip": admin_only(),      # archivists only (a role gate first)
    # review
    "POST /api/dossiers/{dossier_id}/actions": Route(allowed=DOSSIER_READERS - {"applicant"},
                                                     gate=frozenset({"applicant"}), json={"action": "pass"}),
    "GET /api/dossiers/{dossier_id}/available-actions": readers(),
    # the applicant's requests and the reviewers' own steps
    "DELETE /api/dossiers/{dossier_id}": owner(),
    "POST /api/dossiers/{dossier_id}/edit-request": owner(json={"reason": "矩阵"}),
    "POST /api/dossiers/{dossier_id}/edit-request/decision": Route(allowed=DOSSIER_READERS - {"applicant"},
                                                                   gate=frozenset({"applicant"}), json={"grant": True}),
    "POST /api/dossiers/{dossier_id}/education-requests": owner(json={
        "row_id": "edu0000001", "reason": "矩阵", "row": {"start": "2004-09", "end": "2008-07", "school": "矩阵大学",
                                                          "major": "舞蹈学", "education_level": "21",
                                                          "study_mode": "fulltime"}}),
    "POST /api/dossiers/{dossier_id}/education-requests/{request_id}/decision": Route(
        allowed=DOSSIER_READERS - {"applicant"}, gate=frozenset({"applicant"}), params={"request_id": "req000000001"},
        json={"approve": True}),
    "POST /api/dossiers/{dossier_id}/step-attachments": Route(allowed=DOSSIER_READERS - {"applicant"},
                                                              gate=frozenset({"applicant"}),
                                                              data={"kind": "recommendation"}, files=PDF),
    "GET /api/dossiers/{dossier_id}/step-attachments": readers(),
    "PUT /api/dossiers/{dossier_id}/opinion-draft": Route(allowed=DOSSIER_READERS - {"applicant"},
                                                          gate=frozenset({"applicant"}), json={"opinion": "矩阵"}),
    "GET /api/dossiers/{dossier_id}/opinion-draft": readers(),
    "GET /api/dossiers/{dossier_id}/trail": readers(),
    "GET /api/dossiers/{dossier_id}/readers": admin_only(),
    "GET /api/dossiers/{dossier_id}/flow": readers(),
    "GET /api/review/queue": logged_in(query={"view": "all"}),
    "POST /api/review/batch": logged_in(json=lambda w: {"action": "pass", "ids": ids(w), "confirm": False}),
    "POST /api/paths": Route(allowed=frozenset({"employer", "admin"}), gate=frozenset({"department", "hr_bureau"}),
                             json=lambda w: {"unit_id": w["unit_id"], "series": "qzwh", "level": "3",
                                             "target_unit_id": w["parent_id"]}),
    "GET /api/paths": Route(allowed=UNIT_READERS, query=lambda w: {"unit_id": w["unit_id"]}),
    "POST /api/paths/{path_id}/decision": Route(allowed=frozenset({"department", "admin"}), json={"approve": True}),
    "GET /api/paths/graph": logged_in(query={"series": "qzwh", "level": "3"}),
    # notifications
    "GET /api/inbox": logged_in(),
    "POST /api/inbox/read-all": logged_in(),
    "POST /api/inbox/{message_id}/read": owner(),
    "GET /api/announcements": public(),
    "POST /api/announcements": admin_only(json={"title": "矩阵", "body": "正文", "kind": "notice"}),
    "GET /api/announcements/{announcement_id}": public(),
    "PUT /api/announcements/{announcement_id}": admin_only(json={"title": "矩阵", "body": "正文", "kind": "notice"}),
    "DELETE /api/announcements/{announcement_id}": admin_only(),
    # committee
    "GET /api/committees": Route(allowed=frozenset({"office", "other_office", "admin"}), gate=GATE_COMMITTEE),
    "PUT /api/committees/{code}": admin_only(params={"code": "committee_code"}, json={}),
    "GET /api/experts": Route(allowed=frozenset({"office", "other_office", "admin"}), gate=GATE_COMMITTEE),
    "POST /api/meetings": Route(allowed=OFFICE, json=lambda w: {
        "committee_code": w["committee_code"], "name": "矩阵新会", "held_on": "2026-12-10", "location": "三楼"}),
    "GET /api/meetings": logged_in(),
    "GET /api/meetings/{meeting_id}": Route(allowed=frozenset({"office", "expert", "admin"})),
    "PUT /api/meetings/{meeting_id}/members": Route(allowed=OFFICE, gate=frozenset({"expert", "admin"}),
                                                    json=lambda w: {"member_ids": [w["expert_id"]]}),
    "PUT /api/meetings/{meeting_id}/present": Route(allowed=OFFICE, gate=frozenset({"expert", "admin"}),
                                                    json={"present_ids": []}),
    "POST /api/meetings/{meeting_id}/dossiers": Route(allowed=OFFICE, gate=frozenset({"expert", "admin"}),
                                                      json=lambda w: {"ids": ids(w), "confirm": False}),
    "DELETE /api/meetings/{meeting_id}/dossiers/{dossier_id}": Route(allowed=OFFICE,
                                                                     gate=frozenset({"expert", "admin"})),
    "POST /api/meetings/{meeting_id}/open": Route(allowed=OFFICE, gate=frozenset({"expert", "admin"})),
    "POST /api/meetings/{meeting_id}/votes": Route(allowed=frozenset({"office", "expert"}),
                                                   json=lambda w: {"dossier_id": w["dossier_id"], "choice": "yes"}),
    "POST /api/meetings/{meeting_id}/close": Route(allowed=OFFICE, gate=frozenset({"expert", "admin"})),
    # the expert library and draws (the library's records: its office and the administrator; nobody else sees them)
    "GET /api/expert-library": Route(allowed=KEEPERS, gate=GATE_COMMITTEE),
    "POST /api/expert-library": Route(allowed=KEEPERS, gate=GATE_COMMITTEE, json=lambda w: EXPERT_RECORD),
    "GET /api/expert-library/template.xlsx": Route(allowed=KEEPERS, gate=GATE_COMMITTEE),
    "GET /api/expert-library/export.xlsx": Route(allowed=KEEPERS, gate=GATE_COMMITTEE),
    "POST /api/expert-library/import": Route(allowed=KEEPERS, gate=GATE_COMMITTEE, files=JUNK),
    "GET /api/expert-library/{expert_id}": Route(allowed=frozenset({"office", "admin"}), gate=GATE_COMMITTEE,
                                                 params={"expert_id": "expert_record_id"}),
    "PUT /api/expert-library/{expert_id}": Route(allowed=frozenset({"office", "admin"}), gate=GATE_COMMITTEE,
                                                 params={"expert_id": "expert_record_id"}, query={"version": 0},
                                                 json=lambda w: EXPERT_RECORD),
    "POST /api/expert-library/{expert_id}/commitment": Route(allowed=frozenset({"office", "admin"}),
                                                             params={"expert_id": "expert_record_id"}),
    "GET /api/expert-rules": Route(allowed=KEEPERS, gate=GATE_COMMITTEE),
    "PUT /api/expert-rules": admin_only(json={"minimums": {"senior": 25}}),
    "GET /api/expert-rosters/{code}": Route(allowed=frozenset({"office", "admin"}), params={"code": "committee_code"}),
    "PUT /api/expert-rosters/{code}": Route(allowed=frozenset({"office", "admin"}), params={"code": "committee_code"},
                                            json={"expert_ids": []}),
    "POST /api/meetings/{meeting_id}/draw": Route(allowed=OFFICE, gate=frozenset({"expert", "admin"}),
                                                  json={"series": "qzwh", "members": 3}),
    "GET /api/meetings/{meeting_id}/draw": Route(allowed=OFFICE, gate=frozenset({"expert", "admin"})),
    "POST /api/meetings/{meeting_id}/draw/replay": Route(allowed=OFFICE, gate=frozenset({"expert", "admin"})),
    "POST /api/meetings/{meeting_id}/draw/swap": Route(allowed=OFFICE, gate=frozenset({"expert", "admin"}),
                                                       json=lambda w: {"out_id": w["expert_record_id"], "reason": "矩阵"}),
    # 代表作送审: the office (a role gate for everyone else), the round's readers, and the reviewer (other_expert,
    # outside dossier A's scope) through their assignment alone
    "GET /api/blind-reviews": Route(allowed=frozenset({"office", "other_office"}), gate=GATE_BLIND),
    "POST /api/dossiers/{dossier_id}/blind-review": Route(allowed=OFFICE, gate=GATE_BLIND),
    "GET /api/dossiers/{dossier_id}/blind-review": Route(allowed=frozenset({"office", "expert", "admin"})),
    "PUT /api/dossiers/{dossier_id}/blind-review/works/{work_id}": Route(allowed=OFFICE, gate=GATE_BLIND, files=PDF),
    "GET /api/dossiers/{dossier_id}/blind-review/works/{work_id}": Route(allowed=OFFICE, gate=GATE_BLIND),
    "POST /api/dossiers/{dossier_id}/blind-review/send": Route(allowed=OFFICE, gate=GATE_BLIND, json={}),
    "POST /api/dossiers/{dossier_id}/blind-review/supplement": Route(allowed=OFFICE, gate=GATE_BLIND, json={}),
    "GET /api/blind-assignments": logged_in(),
    "GET /api/blind-assignments/{assignment_id}": Route(allowed=REVIEWER),
    "GET /api/blind-assignments/{assignment_id}/works/{work_id}": Route(allowed=REVIEWER),
    "POST /api/blind-assignments/{assignment_id}/score": Route(allowed=REVIEWER,
                                                               json={"points": [70], "opinion": "矩阵评审意见"}),
    "POST /api/blind-assignments/{assignment_id}/conflict": Route(allowed=REVIEWER, json={"reason": "矩阵回避"}),
    # publicity and certificates
    "POST /api/publicity/publish": logged_in(json=lambda w: {"ids": ids(w), "confirm": False}),
    "GET /api/publicity": Route(allowed=OFFICE, query=lambda w: {"committee_code": w["committee_code"]}),
    "POST /api/publicity/{dossier_id}/opinion": readers(data={"opinion": "no_objection"}),
    "POST /api/publicity/opinions/batch": logged_in(json=lambda w: {"ids": ids(w), "confirm": False}),
    "POST /api/publicity/{dossier_id}/review": readers(json={"result": "pass"}),
    "POST /api/publicity/reviews/batch": logged_in(json=lambda w: {"ids": ids(w), "confirm": False}),
    "POST /api/publicity/submit": Route(allowed=frozenset({"employer"}),
                                        gate=frozenset({"department", "hr_bureau", "admin"}),
                                        json=lambda w: {"unit_id": w["unit_id"], "confirm": False}),
    "POST /api/publicity/close": logged_in(json=lambda w: {"ids": ids(w), "confirm": False}),
    "POST /api/publicity/{dossier_id}/close": Route(allowed=DOSSIER_READERS - {"applicant"},
                                                    gate=frozenset({"applicant"})),
    "GET /api/publicity/{dossier_id}/proofs/{file_id}": readers(),
    "POST /api/certificates": logged_in(json=lambda w: {"ids": ids(w), "document_number": "矩阵〔2026〕1号",
                                                        "issued_on": "2026-12-20", "confirm": False}),
    # 初定 / 认定: the 受理点's decision and certificates (app.committee.acceptance_router)
    "POST /api/dossiers/{dossier_id}/acceptance-decision": Route(allowed=DOSSIER_READERS - {"applicant"},
                                                                 gate=frozenset({"applicant"}), json={"approve": True}),
    "POST /api/acceptance/certificates": logged_in(json=lambda w: {"ids": ids(w), "document_number": "矩阵〔2026〕2号",
                                                                   "issued_on": "2026-12-20", "confirm": False}),
    "GET /api/certificates/verify": public(query={"number": "2026X00001", "code": "ABCDEFGH"}),
    "POST /api/certificates/verify-file": public(files=JUNK),
    "GET /api/public/results": public(),
    "GET /api/dossiers/{dossier_id}/panel": readers(),
    "POST /api/dossiers/{dossier_id}/certificate/revocation": readers(json={"reason": "矩阵"}),
    # 补证: the holder applies from their own dossier; the office of the certificate's committee answers
    "GET /api/certificates/mine": logged_in(),
    "POST /api/dossiers/{dossier_id}/reissue-requests": owner(data={"reason": "lost", "statement": "矩阵"},
                                                               files={"proof": PDF["file"]}),
    "GET /api/dossiers/{dossier_id}/reissue-requests": readers(),
    "GET /api/reissue-requests": Route(allowed=frozenset({"office", "other_office", "admin"}), gate=GATE_COMMITTEE),
    "POST /api/dossiers/{dossier_id}/reissue-requests/{request_id}/decision": Route(
        allowed=DOSSIER_READERS - {"applicant"}, gate=frozenset({"applicant"}), params={"request_id": "req000000001"},
        json={"approve": True}),
    "GET /api/dossiers/{dossier_id}/reissue-requests/{request_id}/proof": readers(params={"request_id": "req000000001"}),
    # cases: the public's objection (a captcha first: 422 for everyone here) and lookup (no such case: a 404 that
    # is not a scope refusal); 投诉 by any reader of the dossier; the office's list; a case the applicant lodged
    "POST /api/public/objections": public(data={"ref": "0" * 32, "name": "矩阵", "contact": "13900001111",
                                                "facts": "矩阵异议：事实与理由十个字以上"}),
    "GET /api/public/cases": public(query={"number": "YY2026000001", "contact": "13900001111"}),
    "POST /api/dossiers/{dossier_id}/cases": readers(data={"kind": "complaint", "facts": "矩阵投诉：事实与理由十个字以上"}),
    "GET /api/cases": Route(allowed=frozenset({"office", "other_office", "admin"}), gate=GATE_COMMITTEE),
    "GET /api/cases/mine": logged_in(),
    "GET /api/cases/{case_id}": Route(allowed=frozenset({"office", "admin", "applicant"})),
    "GET /api/cases/{case_id}/proof": Route(allowed=frozenset({"office", "admin", "applicant"})),
    "POST /api/cases/{case_id}/handle": Route(allowed=frozenset({"office", "admin"}), gate=frozenset({"applicant"}),
                                              json={"note": "矩阵办理"}),
    "POST /api/cases/{case_id}/answer": Route(allowed=frozenset({"office", "admin"}), gate=frozenset({"applicant"}),
                                              json={"answer": "矩阵答复"}),
    "POST /api/cases/{case_id}/close": Route(allowed=frozenset({"office", "admin"}), gate=frozenset({"applicant"}),
                                             json={"note": "矩阵办结"}),
    # exports
    "GET /api/exports/{table}/columns": logged_in(params={"table": "overview"}),
    "GET /api/exports/{table}.xlsx": logged_in(params={"table": "overview"}),
    "GET /api/bundles.zip": logged_in(query={"forms": "false"}),
    "GET /api/archives.zip": admin_only(query=lambda w: {"batch_id": w["batch_id"], "forms": "false"}),
    "GET /api/health": public(),
    # statistics: applicants without a unit role and experts are gated
    "GET /api/statistics/scopes": Route(allowed=STATS, gate=USERS - STATS),
    "GET /api/statistics/figures": Route(allowed=STATS, gate=USERS - STATS, query={"by": "unit"}),
    "GET /api/statistics/nodes": Route(allowed=STATS, gate=USERS - STATS),
    "GET /api/statistics/structure": Route(allowed=STATS, gate=USERS - STATS),
    "GET /api/statistics.xlsx": Route(allowed=STATS, gate=USERS - STATS),
}


def api_routes(app) -> list[str]:
    return [f"{method.upper()} {path}" for path, operations in app.openapi()["paths"].items()
            if path.startswith("/api/") for method in operations]


def _texts(content: bytes, depth: int = 0) -> list[str]:
    """The body as text, and the text of every member when it is a ZIP (xlsx, docx and bundles too)."""
    texts = [content.decode("utf-8", "ignore")]
    if content[:2] == b"PK" and depth < 2:
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                for name in archive.namelist():
                    texts.append(name)
                    texts += _texts(archive.read(name), depth + 1)
        except zipfile.BadZipFile:
            pass
    return texts


def leaks(response, foreign: list[str]) -> list[str]:
    texts = _texts(response.content) + [f"{k}: {v}" for k, v in response.headers.items()]
    try:
        texts.append(json.dumps(response.json(), ensure_ascii=False))
    except ValueError:
        pass
    return [s for s in foreign if any(s in t for t in texts)]


def _resolve(value, world_ids):
    return value(world_ids) if callable(value) else value


def _path(template: str, route: Route, world_ids: dict) -> str:
    """Fills {name} from route.params (a world id's key, or a literal), else the world id of that name,
    else an id nothing has (a new route's own records are then simply not there for anyone)."""
    path = template
    while "{" in path:
        name = path[path.index("{") + 1:path.index("}")]
        value = route.params.get(name)
        value = world_ids.get(value, value) if value is not None else world_ids.get(name, str(ObjectId()))
        path = path.replace("{" + name + "}", value, 1)
    return path


def _code(response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("code") if isinstance(body, dict) else None


def verdict(route: Route, party: str, response) -> str | None:
    """What is wrong with this answer for this party, or None."""
    status, code = response.status_code, _code(response)
    if status >= 500:
        return f"server error {status}"
    if party in route.allowed:
        if status in (401, 403) or (status == 404 and code in SCOPE_CODES):
            return f"allowed party refused: {status} {code}"
        return None
    expected = 401 if party == ANON else 403 if party in route.gate else 404
    return None if status == expected else f"expected {expected}, got {status} {code}"


def order(route: Route) -> list[str]:
    """Refused parties first: an allowed party's write must not change what a refused one finds."""
    return sorted(PARTIES, key=lambda p: p in route.allowed)


async def run_matrix(client, world, routes: list[str], table: dict[str, Route] | None = None
                     ) -> tuple[list[str], int]:
    from app.accounts import service as accounts_service
    from app.accounts.audit import ClientInfo

    failures, requests = [], 0
    for key in routes:
        route = (MATRIX if table is None else table)[key]
        method, template = key.split(" ", 1)
        for party in order(route):
            headers = dict(route.headers or {})
            if party != ANON:
                token = world.tokens[party]
                if route.fresh_session:
                    _, token = await accounts_service.open_session(user=world.users[party],
                                                                   client=ClientInfo(ip="203.0.113.7"))
                headers["Authorization"] = f"Bearer {token}"
            kwargs = {"headers": headers, "params": _resolve(route.query, world.ids)}
            body = _resolve(route.json, world.ids)
            if body is not None:
                kwargs["json"] = body
            if route.data is not None or route.files is not None:
                kwargs["data"] = route.data or {}
                kwargs["files"] = {k: (n, c, t) for k, (n, c, t) in (route.files or {}).items()} or None
            response = await client.request(method, _path(template, route, world.ids), **kwargs)
            requests += 1
            problem = verdict(route, party, response)
            if problem:
                failures.append(f"{key} as {party}: {problem}")
            if found := leaks(response, world.foreign(party)):
                failures.append(f"{key} as {party}: body carries another party's data {found}")
    return failures, requests


def test_every_route_has_an_entry(app):
    missing = [key for key in api_routes(app) if key not in MATRIX]
    stale = [key for key in MATRIX if key not in api_routes(app)]
    assert not missing, "routes without an access-matrix entry (add one line to MATRIX): " + ", ".join(missing)
    assert not stale, "matrix entries for routes that no longer exist: " + ", ".join(stale)


async def test_access_matrix(app, client):
    world = await access_world.build()
    routes = [key for key in api_routes(app) if key in MATRIX]
    failures, requests = await run_matrix(client, world, routes)
    print(f"access matrix: {len(routes)} routes × {len(PARTIES)} parties, {requests} requests")
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(failures)


async def test_every_queue_view_and_its_export_stay_in_scope(app, client):
    """The review queue's views (被退回 sent_back and the 受理点's 待发证 to_certify among them) through the queue
    and the table export, as every party: nobody refused who may list, nothing out of the party's scope shown."""
    from typing import get_args

    from app.routing.queues import View

    from app.dossiers import writes
    from app.dossiers.models import Dossier

    world = await access_world.build()
    b = (await Dossier.find_one({"applicant_name": access_world.NAME_B})).id
    h = (await User.find_one({"_id": world.users["hr_bureau"].id})).unit_id
    entry = {"at": utcnow(), "action": "return", "actor_id": ObjectId(), "actor_name": "人社局经办", "role": "hr_handler",
             "unit_id": h, "unit_name": "济南市人社局（矩阵）", "from_status": "submitted", "to_status": "submitted",
             "opinion": "请补充", "signer": None, "detail": {}}
    # Dossier B returned to U from H above (U's 被退回), then B granted at H as a 受理点 (H's 待发证).
    states = {"sent_back": ("unrelated_unit", {"$push": {"trail": entry}, "$set": {"returned_by": [h]}}),
              "to_certify": ("hr_bureau", {"$set": {"status": "approved", "current_unit_id": h}})}
    failures, requests = [], 0
    for state, (holder, change) in states.items():
        await Dossier.get_pymongo_collection().update_one({"_id": b}, change)
        writes.forget(b)
        await writes.refresh(b)
        for view in get_args(View):
            table = {"GET /api/review/queue": logged_in(query={"view": view}),
                     "GET /api/exports/{table}.xlsx": logged_in(params={"table": "overview"}, query={"view": view})}
            found, made = await run_matrix(client, world, list(table), table)
            failures += [f"{state}, view {view}: {failure}" for failure in found]
            requests += made
        listed = await client.get("/api/review/queue", params={"view": state},
                                  headers={"Authorization": f"Bearer {world.tokens[holder]}"})
        assert [d["id"] for d in listed.json()["items"]] == [str(b)], (state, listed.text)
    assert requests == 2 * 2 * len(get_args(View)) * len(PARTIES)
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(failures)


def test_verdict_names_each_kind_of_failure():
    import httpx

    route = Route(allowed=frozenset({"applicant"}), gate=frozenset({"admin"}))
    answer = lambda status, code=None: httpx.Response(status, json={"code": code})  # noqa: E731
    assert verdict(route, "applicant", answer(200)) is None
    assert verdict(route, "applicant", answer(404, "dossier_not_found")) == \
        "allowed party refused: 404 dossier_not_found"
    assert verdict(route, "applicant", answer(404, "file_not_found")) is None     # in scope, no such file
    assert verdict(route, "expert", answer(200)) == "expected 404, got 200 None"
    assert verdict(route, "expert", answer(403, "forbidden")) == "expected 404, got 403 forbidden"
    assert verdict(route, "admin", answer(403, "forbidden")) is None
    assert verdict(route, ANON, answer(404)) == "expected 401, got 404 None"
    assert verdict(route, "expert", answer(500)) == "server error 500"
    body = httpx.Response(200, content=_zip({"名单.xml": f"<c>{access_world.NAME_B}</c>"}))
    assert leaks(body, [access_world.NAME_B, "absent"]) == [access_world.NAME_B]


def _zip(members: dict[str, str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return out.getvalue()
