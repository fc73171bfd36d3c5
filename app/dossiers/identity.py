"""Who sees an applicant's ID number in full, where: the one rule every page, answer, form and export asks.

Full numbers go only to those whose work certifies the applicant's identity, and only where that work
needs them (the table in docs/SECURITY.md, "Personal data"):
- the applicant, everywhere (their own number; not recorded);
- the employer unit's handlers (单位经办人, 单位管理员 of the unit the applicant declares from): they check the
  person against the ID card at the first review and sign the 单位意见 that the materials are true;
- the HR bureau (人社局经办人): the 受理点 that checks qualification, decides 初定/认定 and issues certificates;
- the committee offices (高/中/初评办): they check qualification and issue the certificates;
- archivists and system administrators: in the forms and tables they file (archive packages, theirs alone,
  always carry full numbers and are recorded as exports: app.exports.archives).
There: one dossier's review (the review page, GET /api/dossiers/{id}), the certificate issuing form, the
generated forms and ZIPs of them, the tables (一览表, 花名册, …). Lists and queues show
masks to everyone but the applicant (a full number is searched for, not read off a list); experts, the
supervising departments (主管部门) and units further up see masks everywhere.

Every full number shown to someone other than the applicant is recorded as an action ("id_number", with the
purpose) of that reader's access record of the dossier for the day (app.dossiers.access)."""

from enum import StrEnum

from beanie import PydanticObjectId

from app.accounts.enums import COMMITTEE_ROLES, Role
from app.accounts.models import User
from app.accounts.validators import mask_id_number
from app.dossiers import access


class Purpose(StrEnum):
    list = "list"            # queues, lists, search results, publicity lists
    review = "review"        # one dossier read: the review page and GET /api/dossiers/{id}
    certify = "certify"      # the certificate issuing form (证书 queue, the 受理点's review page)
    form = "form"            # a generated form (docx/pdf) and ZIPs of forms
    export = "export"        # the tables (一览表, 花名册, …)


# Where a certifier's work needs the full number; lists are not among them.
WORK = frozenset({Purpose.review, Purpose.certify, Purpose.form, Purpose.export})
# Where the archive's keepers file full numbers: what they export, not what they read on screen.
FILING = frozenset({Purpose.form, Purpose.export})
EMPLOYER_ROLES = (Role.unit_handler, Role.unit_admin)
CERTIFYING_ROLES = (Role.hr_handler, *COMMITTEE_ROLES)
FILING_ROLES = (Role.archivist, Role.sysadmin)


def full_for(user: User | None, purpose: Purpose, *, applicant_id: PydanticObjectId | None,
             employer_unit_id: PydanticObjectId | None) -> bool:
    """Whether this reader sees this dossier's ID number in full here (pure: the table in docs/SECURITY.md).
    A user None is the command line (an operator's export): full where filing, as for archivists."""
    if user is None:
        return purpose in FILING
    if applicant_id is not None and user.id == applicant_id:
        return True
    if purpose not in WORK:
        return False
    if any(user.has_role(role) for role in CERTIFYING_ROLES):
        return True
    if employer_unit_id is not None and any(user.has_role(role, employer_unit_id) for role in EMPLOYER_ROLES):
        return True
    return purpose in FILING and any(user.has_role(role) for role in FILING_ROLES)


def reveals(user: User | None, purpose: Purpose, dossier, *, ip: str | None = None) -> bool:
    """Whether this reader sees this dossier's ID number in full here (a Dossier, a queue projection, or a
    row read as a dict with _id, applicant_id and declaration.employer_unit_id); a full number shown to
    someone other than the applicant is recorded on the reader's access record of the dossier for the day."""
    if isinstance(dossier, dict):       # a row as read from the database
        dossier_id, applicant_id = dossier["_id"], dossier.get("applicant_id")
        employer = (dossier.get("declaration") or {}).get("employer_unit_id")
    else:
        dossier_id, applicant_id = dossier.id, getattr(dossier, "applicant_id", None)
        employer = dossier.declaration.employer_unit_id
    if not full_for(user, purpose, applicant_id=applicant_id, employer_unit_id=employer):
        return False
    if user is not None and user.id != applicant_id:
        access.record(dossier_id=dossier_id, user_id=user.id, user_name=user.name, action="id_number",
                      detail=str(purpose), ip=ip, counted=False)
    return True


def of_dossier(user: User | None, purpose: Purpose, dossier, *, ip: str | None = None) -> str | None:
    """The dossier's ID number as this reader sees it here (`reveals`)."""
    return dossier.id_number if reveals(user, purpose, dossier, ip=ip) else mask_id_number(dossier.id_number)
