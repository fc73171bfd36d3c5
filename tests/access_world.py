"""The world the access matrix runs in, written straight into the database (no HTTP, no workflow).

Units: province HR bureau P ← city HR bureau H ← department D ← employer E, and an unrelated private
enterprise U under H. Committee C1 (office at H) and C2 (office at P). Paths E → D → H → C1.

Dossier A (applicant A at E) went E → D → H and was reported to C1, which scheduled it in meeting M
(expert X1 invited, meeting voting). Dossier B (applicant B at U) was submitted to U and never went
further. Every party holds a session made here, so the matrix logs nobody in."""

from dataclasses import dataclass, field
from datetime import timedelta

from beanie import PydanticObjectId

from app.accounts import service as accounts_service
from app.accounts.audit import ClientInfo
from app.accounts.enums import AccountKind, Role
from app.accounts.models import RoleGrant, User
from app.clock import utcnow
from app.dossiers import writes
from app.dossiers.models import (AttachmentRef, BlindCriterionCopy, BlindReviews, BlindScore, BlindWork, Commitment,
                                 Declaration, Dossier, RouteNode, Snapshot)
from app.files import service as files
from app.notifications.models import Announcement, InboxMessage
from app.personnel.models import PersonnelRecord, TitleHeld
from app.committee.case_models import Case
from app.committee.models import BlindAssignment, Meeting
from app.experts.models import Expert
from app.units.enums import ApplicationStatus, UnitCategory
from app.units import invitations
from app.units.models import AutoCheck, PermissionApplication, StaffInvitation
from tests.factories import (complete_sections, create_batch, create_committee, create_path, create_person,
                             create_unit, pdf_bytes, resident_id)

# Who calls: the party names the matrix's table uses.
ANON = "anonymous"
PARTIES = (ANON, "applicant", "other_applicant", "employer", "unrelated_unit", "department", "hr_bureau",
           "office", "other_office", "expert", "other_expert", "admin")

SNAPSHOT_FIELDS = {"name", "credit_code", "region_code", "category", "nature", "industry",
                   "legal_representative", "contact_name", "contact_phone", "address"}

# Names and numbers that must never reach a party outside the dossier's scope.
NAME_A, NAME_B = "欧阳申甲", "司马申乙"
NAME_X = "慕容库专"          # an expert library record of C1's office: its office and the administrator only


@dataclass
class World:
    tokens: dict[str, str]                       # party → bearer token
    ids: dict[str, str]                          # what path parameters and bodies are filled from
    secrets: dict[str, list[str]]                # dossier key → strings that identify it
    readers: dict[str, frozenset[str]]           # dossier key → parties that may read it
    users: dict[str, User] = field(default_factory=dict)

    def foreign(self, party: str) -> list[str]:
        """The strings of every dossier this party may not read."""
        return [s for key, strings in self.secrets.items() if party not in self.readers[key] for s in strings]


async def _bytes(data: bytes):
    yield data


async def _attachment(dossier_id: PydanticObjectId, applicant: User) -> AttachmentRef:
    stored = await files.store_upload(_bytes(pdf_bytes(1)), allowed={"pdf"}, max_bytes=1 << 20, field="file",
                                      metadata={"owner": "dossier", "dossier_id": dossier_id},
                                      filename="资格证书.pdf")
    return AttachmentRef(id="att0000001", section="current_title", file=stored, uploaded_by=applicant.id)


async def _dossier(applicant: User, batch, employer, route: list, **fields) -> Dossier:
    sections = complete_sections(applicant.id_number)
    declaration = Declaration(level="3", series="qzwh", title="qzwh-3", specialty="qzwh-s01", mode="normal",
                              employer_unit_id=employer.id, employer_unit_name=employer.name)
    dossier = Dossier(applicant_id=applicant.id, applicant_name=applicant.name, id_number=applicant.id_number,
                      batch_id=batch.id, year=batch.year, declaration=declaration, sections=sections,
                      commitment=Commitment(agreed_at=utcnow(), text_sha256="0" * 64), reviewer_acted=True,
                      route=[RouteNode(unit_id=u.id, unit_name=u.name) for u in route],
                      route_unit_ids=[u.id for u in route], submitted_at=utcnow(), **fields)
    dossier.id = PydanticObjectId()
    dossier.attachments = [await _attachment(dossier.id, applicant)]
    dossier.snapshots = [Snapshot(number=1, taken_at=utcnow(), version=1, declaration=declaration,
                                  sections=sections, attachments=dossier.attachments)]
    await dossier.insert()
    return dossier


async def build() -> World:
    p, p_account = await create_unit(name="山东省人社厅（矩阵）", category=UnitCategory.province_hr_bureau,
                                     region_code="370000", nature="01")
    h, h_account = await create_unit(name="济南市人社局（矩阵）", parent=p, category=UnitCategory.city_hr_bureau,
                                     region_code="370100", nature="01")
    d, d_account = await create_unit(name="济南市文旅局（矩阵）", parent=h, category=UnitCategory.city_department,
                                     region_code="370100")
    e, e_account = await create_unit(name="济南市群艺馆（矩阵）", parent=d, category=UnitCategory.city_affiliated,
                                     region_code="370100")
    u, u_account = await create_unit(name="济南某私营公司（矩阵）", parent=h,
                                     category=UnitCategory.city_private_enterprise, region_code="370100")
    c1 = await create_committee(office_unit=h)
    await create_committee(office_unit=p, code="370000-qzwh-senior", name="山东省群众文化系列高级评委会",
                                levels=["4", "5"], region_code="370000", tier="senior")
    await create_path(unit=e, target=d)
    await create_path(unit=d, target=h)
    await create_path(unit=h, committee=c1)

    applicant_a = await create_person(name=NAME_A)
    applicant_b = await create_person(name=NAME_B)
    office = await create_person(name="评办甲", roles=[RoleGrant(role=Role.committee_intermediate, unit_id=h.id)])
    other_office = await create_person(name="评办乙", roles=[RoleGrant(role=Role.committee_senior, unit_id=p.id)])
    expert_roles = [RoleGrant(role=Role.applicant), RoleGrant(role=Role.expert, unit_id=p.id)]
    expert = await create_person(name="专家甲", roles=list(expert_roles))
    other_expert = await create_person(name="专家乙", roles=list(expert_roles))
    admin = await create_person(name="管理员", roles=[RoleGrant(role=Role.sysadmin)])
    staff = [await create_person(name=f"经办{i}",
                                 roles=[RoleGrant(role=Role.unit_handler, unit_id=e.id)]) for i in (1, 2)]
    for member in staff:
        await User.get_pymongo_collection().update_one({"_id": member.id}, {"$set": {"unit_id": e.id, "kind": AccountKind.sub}})

    batch = await create_batch(open_now=False)
    meeting_id = PydanticObjectId()
    dossier_a = await _dossier(applicant_a, batch, e, [e, d, h], status="scheduled", current_unit_id=h.id,
                               committee_code=c1.code, reported_by=[e.id, d.id, h.id], meeting_id=meeting_id)
    # Written raw so the same world also runs on code that does not know the field yet.
    await Dossier.get_pymongo_collection().update_one({"_id": dossier_a.id}, {"$set": {"reported_to": [c1.code]}})
    writes.forget(dossier_a.id)     # changed without moving the version: the app's remembered copy is out of date
    dossier_b = await _dossier(applicant_b, batch, u, [u], status="submitted", current_unit_id=u.id)
    await writes.refresh(dossier_a.id, dossier_b.id)
    await Meeting(id=meeting_id, committee_code=c1.code, name="矩阵评审会", held_on=utcnow().date(), location="三楼",
                  member_ids=[expert.id], dossier_ids=[dossier_a.id], status="voting", created_by=office.id).insert()
    library_expert = Expert(keeper_unit_id=h.id, name=NAME_X, id_number=resident_id("19600101"), unit_name="矩阵艺术学院",
                            region_code="370100", series="qzwh", specialties=["qzwh-s01"], title="研究馆员", level="5",
                            phone="13800000000", term_start=utcnow().date(), term_end=utcnow().date().replace(year=utcnow().year + 2))
    await library_expert.insert()
    assignment_id = await _blind_round(dossier_a, library_expert, reviewer=other_expert, office=office, committee=c1)
    message = InboxMessage(user_id=applicant_a.id, title="申报已上报", body=f"{NAME_A}的申报已上报评委会",
                           dossier_id=dossier_a.id)
    await message.insert()
    announcement = Announcement(title="矩阵公告", body="公告正文", kind="notice", created_by=admin.id)
    await announcement.insert()
    application = PermissionApplication(unit_id=e.id, reviewer_unit_id=h.id, unit_snapshot=e.model_dump(include=SNAPSHOT_FIELDS), auto_check=AutoCheck(passed=True),
                                        status=ApplicationStatus.approved, submitted_by=e_account.id)
    await application.insert()

    # Invitations are written through the service (their key is a keyed digest): one from E to a number
    # nobody holds (listed and cancelled by E), and two from a unit X with no dossiers to applicant A
    # (accepting gives A a role at X only, so A's reads elsewhere stay as they were).
    client = ClientInfo(ip="203.0.113.7", user_agent="matrix")
    x, x_account = await create_unit(name="矩阵邀请单位", parent=h, region_code="370102")
    await invitations.invite(actor=e_account, unit=e, id_number=resident_id("19850505"), role=None, client=client)
    for role in (Role.unit_handler, Role.archivist):
        await invitations.invite(actor=x_account, unit=x, id_number=applicant_a.id_number, role=role, client=client)
    invited = {(i.unit_id, i.role): str(i.id) for i in await StaffInvitation.find_all().to_list()}

    users = {"applicant": applicant_a, "other_applicant": applicant_b, "employer": e_account,
             "unrelated_unit": u_account, "department": d_account, "hr_bureau": h_account, "office": office,
             "other_office": other_office, "expert": expert, "other_expert": other_expert, "admin": admin}
    tokens = {party: (await accounts_service.open_session(user=user, client=client))[1]
              for party, user in users.items()}
    ids = {"dossier_id": str(dossier_a.id), "attachment_id": "att0000001", "meeting_id": str(meeting_id),
           "unit_id": str(e.id), "parent_id": str(d.id), "user_id": str(staff[0].id), "spare_user_id": str(staff[1].id),
           "batch_id": str(batch.id), "message_id": str(message.id), "announcement_id": str(announcement.id),
           "application_id": str(application.id), "path_id": str((await _path_of(e.id)).id),
           "committee_code": c1.code, "expert_id": str(expert.id), "expert_record_id": str(library_expert.id), "file_id": str(PydanticObjectId()),
           "applicant_id_number": applicant_a.id_number, "accept_invitation_id": invited[x.id, Role.unit_handler],
           "decline_invitation_id": invited[x.id, Role.archivist],
           "cancel_invitation_id": next(v for (unit_id, _), v in invited.items() if unit_id == e.id)}
    secrets = {"A": [NAME_A, applicant_a.id_number, str(dossier_a.id)],
               "B": [NAME_B, applicant_b.id_number, str(dossier_b.id)],
               "X": [NAME_X, library_expert.id_number]}
    readers = {"A": frozenset({"applicant", "employer", "department", "hr_bureau", "office", "expert", "admin"}),
               "B": frozenset({"other_applicant", "unrelated_unit", "hr_bureau", "admin"}),
               "X": frozenset({"office", "admin"})}
    case = Case(number="TS2026999999", once_key="TS2026999999", kind="complaint", dossier_id=dossier_a.id, committee_code=c1.code,
                applicant_name=NAME_A, lodger_id=applicant_a.id, lodger_name=NAME_A, lodger_contact="13900001111",
                facts="矩阵投诉：资格审查未一次性告知", due_at=utcnow() + timedelta(days=30))
    await case.insert()
    ids["case_id"] = str(case.id)
    record = PersonnelRecord(unit_id=e.id, name="矩阵员工", id_number=resident_id("19800101"),
                             titles=[TitleHeld(level="3", title_name="馆员")], title_level="intermediate")
    await record.insert()
    ids["record_id"] = str(record.id)
    ids["assignment_id"], ids["work_id"] = str(assignment_id), "1"
    return World(tokens=tokens, ids=ids, secrets=secrets, readers=readers, users=users)


async def _blind_round(dossier: Dossier, expert: Expert, *, reviewer: User, office: User, committee) -> PydanticObjectId:
    """代表作送审 of dossier A, sent to the other expert (not in meeting M, so not a reader of A) under library
    record X: the reviewer reaches the round only through the assignment, and its answers must name neither A
    nor X."""
    from datetime import timedelta

    copy = await files.store_upload(_bytes(pdf_bytes(1)), allowed={"pdf"}, max_bytes=1 << 20, field="file",
                                    metadata={"owner": "blind_review", "dossier_id": dossier.id}, filename="代表作1.pdf")
    assignment_id, due = PydanticObjectId(), utcnow() + timedelta(days=14)
    round_ = BlindReviews(code="MS2026-MATRIX", status="sent", criteria=[BlindCriterionCopy(name="水平", max_points=100)],
                          pass_mark=60, reviewers=1, works=[BlindWork(id="1", attachment_id="att0000001", anonymised=copy)],
                          started_by=office.id, sent_at=utcnow(), due_at=due,
                          reviews=[BlindScore(assignment_id=str(assignment_id), label="评审专家1", expert_id=expert.id,
                                              user_id=reviewer.id)])
    current = await Dossier.get(dossier.id)
    await writes.write(dossier.id, {"$set": {"blind_reviews": writes.to_bson(round_)}}, expected_version=current.version)
    await BlindAssignment(id=assignment_id, dossier_id=dossier.id, committee_code=committee.code, code=round_.code,
                          label="评审专家1", user_id=reviewer.id, expert_id=expert.id, due_at=due).insert()
    return assignment_id


async def _path_of(unit_id):
    from app.routing.models import Path

    return await Path.find_one({"unit_id": unit_id})
