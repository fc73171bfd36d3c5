"""公示名单 (manual 003): the public, anonymous list of results under publicity and after it.

Only dossiers whose publicity has started are listed (a period set for a later day stays hidden until
then), with nothing about the person beyond name, unit and what was declared: no ID number, no phone.
Each row says how to object: the committee office's contact. Anonymous reads are counted per client
address (app.throttle) so the list cannot be scraped at speed. The read is the index on (status,
publicity.starts_on) by status only: SecantusDB plans a date range on it as a collection scan, so a
period set to start later is dropped after the read (a page may then hold fewer rows, none is skipped)."""

import hashlib
from datetime import timedelta

from bson import ObjectId
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from pydantic import BaseModel

from app import throttle
from app.accounts.models import User
from app.accounts.audit import ClientInfo
from app.catalog import batches
from app.catalog import service as catalog
from app.catalog.models import Committee
from app.committee.calendar import china_today
from app.committee.models import Meeting
from app.config import get_settings
from app.dossiers.enums import DossierStatus as S
from app.dossiers.models import Dossier
from app.errors import Conflict
from app.units.models import Unit

LISTED = [S.publicity, S.publicized, S.certified]
PAGE = 50
READS_PER_MINUTE = 60
WINDOW = timedelta(minutes=1)
# what the public row is built from: a projection, so nothing else about the person is even read
FIELDS = ("applicant_name", "batch_id", "committee_code", "declaration.employer_unit_name", "declaration.series",
          "declaration.level", "declaration.title", "declaration.specialty", "publicity.starts_on",
          "publicity.ends_on", "publicity.working_days", "status")


class ObjectionContact(BaseModel):
    office: str
    contact_name: str | None = None
    phone: str | None = None
    email: str | None = None
    address: str | None = None


class PublicResult(BaseModel):
    name: str
    unit: str
    series: str
    level: str
    title: str
    specialty: str
    batch: str
    committee: str
    starts_on: str
    ends_on: str
    working_days: int
    in_publicity: bool            # 公示中; false: 公示已结束
    objection: ObjectionContact
    objection_ref: str | None = None   # while in publicity: what an objection (app.committee.cases) names


class PublicResultsPage(BaseModel):
    items: list[PublicResult]
    page: int
    has_more: bool


def _cipher() -> Cipher:
    key = hashlib.sha256(f"objection-ref:{get_settings().secret_key}".encode()).digest()[:16]
    return Cipher(algorithms.AES(key), modes.ECB())


def objection_ref(dossier_id: ObjectId) -> str:
    """What the public list names a person by: the dossier's id in one AES block keyed by the service's
    secret, so the list never shows a dossier id (the API's key to the dossier) yet an objection can name it."""
    encryptor = _cipher().encryptor()
    return (encryptor.update(ObjectId(dossier_id).binary + bytes(4)) + encryptor.finalize()).hex()


def dossier_of_ref(ref: str) -> ObjectId | None:
    """The dossier id an objection_ref stands for, or None for anything the service did not make."""
    try:
        block = bytes.fromhex(ref)
    except ValueError:
        return None
    if len(block) != 16:
        return None
    decryptor = _cipher().decryptor()
    plain = decryptor.update(block) + decryptor.finalize()
    return ObjectId(plain[:12]) if plain[12:] == bytes(4) else None


def public_query(*, q: str | None) -> dict:
    """Published results, or everyone of one whole name (the name index; SecantusDB plans the name beside
    the status list as a collection scan, so a name's few dossiers are checked for status after the read)."""
    return {"applicant_name": q} if q else {"status": {"$in": LISTED}}


def listed(d: dict, today) -> bool:
    """Whether a dossier read by `public_query` is on the public list today."""
    return d.get("status") in LISTED and d.get("publicity") is not None and d["publicity"]["starts_on"].date() <= today


async def _names(dictionary: str, codes: set[str]) -> dict[str, str]:
    out = {}
    for code in codes:
        entry = await catalog.get_entry(dictionary, code)
        out[code] = entry.name if entry else code
    return out


async def _contacts(codes: set[str]) -> dict[str, tuple[str, ObjectionContact]]:
    """committee code → (committee name, the office's contact for objections)."""
    out = {}
    for committee in await Committee.find({"code": {"$in": sorted(codes)}}).to_list():
        office = await Unit.get(committee.office_unit_id) if committee.office_unit_id else None
        contact = ObjectionContact(office=office.name if office else committee.name,
                                   contact_name=office and office.contact_name, phone=office and office.contact_phone,
                                   email=office and office.contact_email, address=office and office.address)
        out[committee.code] = (committee.name, contact)
    return out


async def listing(*, client: ClientInfo, q: str | None = None, page: int = 1) -> PublicResultsPage:
    await throttle.take(f"public-results:{client.ip}", limit=READS_PER_MINUTE, window=WINDOW, doing="查询公示名单")
    today = china_today()
    cursor = Dossier.get_pymongo_collection().find(
        public_query(q=(q or "").strip()[:20] or None),
        {f: 1 for f in FIELDS}).sort([("status", 1), ("publicity.starts_on", -1), ("_id", 1)]) \
        .skip((page - 1) * PAGE).limit(PAGE + 1)
    found = await cursor.to_list()
    has_more = len(found) > PAGE
    found = [d for d in found[:PAGE] if listed(d, today)]
    decl = [d["declaration"] for d in found]
    series = await _names("series", {d["series"] for d in decl})
    levels = await _names("levels", {d["level"] for d in decl})
    titles = await _names("titles", {d["title"] for d in decl})
    specialties = await _names("specialties", {d["specialty"] for d in decl})
    batch_names = await batches.names(list({d["batch_id"] for d in found}))
    contacts = await _contacts({d["committee_code"] for d in found if d.get("committee_code")})
    items = []
    for d in found:
        decl, p = d["declaration"], d["publicity"]
        committee_name, contact = contacts.get(d.get("committee_code"), ("", ObjectionContact(office="")))
        items.append(PublicResult(
            name=d["applicant_name"], unit=decl["employer_unit_name"], series=series[decl["series"]],
            level=levels[decl["level"]], title=titles[decl["title"]], specialty=specialties[decl["specialty"]],
            batch=batch_names.get(d["batch_id"], ""), committee=committee_name,
            starts_on=p["starts_on"].date().isoformat(), ends_on=p["ends_on"].date().isoformat(),
            working_days=p["working_days"],
            in_publicity=(open_ := d["status"] == S.publicity and p["ends_on"].date() >= today), objection=contact,
            objection_ref=objection_ref(d["_id"]) if open_ else None))
    return PublicResultsPage(items=items, page=page, has_more=has_more)


PUBLISHED = (S.publicity, S.publicized, S.certified)


class PanelOut(BaseModel):
    meeting: str
    held_on: str
    members: list[str]             # the meeting's experts, by name
    recused: list[str]             # those of them who recused themselves from this dossier


async def panel(dossier: Dossier) -> PanelOut:
    """评审专家: hidden from every reader of the dossier until its result is published (公示), then the
    members of the meeting that decided it, by name only; the office sees its meetings on their own pages."""
    meeting = await Meeting.get(dossier.votes.meeting_id) if dossier.votes else None
    if dossier.status not in PUBLISHED or meeting is None:
        raise Conflict("评审结果公布（公示）前不公开评审专家名单", code="experts_hidden")
    people = {u.id: u.name for u in await User.find({"_id": {"$in": meeting.member_ids}}).to_list()}
    recused = meeting.recused.get(str(dossier.id), [])
    return PanelOut(meeting=meeting.name, held_on=meeting.held_on.isoformat(),
                    members=[people[i] for i in meeting.member_ids if i in people],
                    recused=[people[i] for i in recused if i in people])
