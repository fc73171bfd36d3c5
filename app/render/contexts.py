"""Pure context builders: what a dossier shows on each form, as the dict its .docx template renders.

No database and no I/O here: names of dictionary codes, the photo, the batch's texts and the route's
units with their seal scans are looked up once beforehand (service.lookups) and passed in, so a builder is a plain function of its inputs that
tests call directly, and a ZIP of many forms looks names up in one query instead of one per field.

Every key a builder returns is always present, with "" rather than None for what is unknown (Jinja
would print "None"), so a template never meets an undefined variable, and the set of keys is what an
uploaded replacement template is checked against (templates.known_variables).
"""

import io
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

import qrcode

from app.accounts.enums import COMMITTEE_ROLES
from app.accounts.validators import mask_id_number
from app.clock import CHINA
from app.committee.blind_form import PUBLISHED, summary
from app.committee.tally import vote_line
from app.dossiers import derived
from app.dossiers import sections as S
from app.dossiers.enums import EDITABLE
from app.render.watermark import is_official
from app.units.enums import HR_BUREAU_CATEGORIES
from app.dossiers.numbering import numbered

FORMS = {"application": "申报表", "brief": "简介表", "catalogue": "材料目录", "entrustment": "评审委托函",
         "certificate": "证书"}
# The forms a bundle carries for each dossier, in this order; the catalogue lists them before the files.
BUNDLE_FORMS = ("application", "brief", "catalogue")
NOT_BUNDLED = ("entrustment", "certificate", "catalogue")      # not the declaration's; the catalogue goes last


def bundle_forms(batch_forms: list[str] | None) -> tuple[str, ...]:
    """The forms a bundle or an archive carries for a batch's forms (its rules.forms): its own, in its order,
    then the 材料目录 that lists them (an 初定 batch: 初定表, 材料目录); a batch unknown carries BUNDLE_FORMS."""
    if batch_forms is None:
        return BUNDLE_FORMS
    return (*(form for form in batch_forms if form not in NOT_BUNDLED), "catalogue")
BRIEF_ROWS = 8                 # achievements and papers listed on the brief; the rest are counted
BRIEF_SUMMARY_CHARS = 600
PHOTO_MM = (33, 48)            # 大一寸
SEAL_MM = 38                   # a round official seal, a little under its 42 mm on paper

# The field of a row that says which row an attachment proves, for the catalogue.
ROW_CAPTION = {"education": "school", "previous_titles": "title_name", "qualifications": "name", "admin_posts": "post", "assessments": "year", "training": "course",
               "work_history": "unit", "achievements": "name", "papers": "title", "exams": "name", "awards": "name",
               "societies": "organization", "other": "description"}
# The actions a node or the committee office decides with, as the box prints a bare click.
OPINION_ACTIONS = {"pass": "审核通过", "report": "同意上报", "accept": "资格审查通过", "return": "退回修改",
                   "reject": "审核不通过", "void": "流程作废"}
# A node's verdict on the dossier; 上报 only sends on what a pass decided.
VERDICTS = frozenset({"pass", "return", "reject", "void"})
COMMITTEE_BOX = "评审委员会意见"
SEAL_MM = 36                   # an official seal is 40-42 mm across; printed a little smaller in the box
BLANK_DATE = "    年    月    日"
CERTIFICATE_BASIS = {"review": "评审通过", "initial": "初定", "recognition": "认定"}    # 经…{basis}，具备…资格


@dataclass(frozen=True)
class Picture:
    """An image for the renderer to place: docxtpl's InlineImage needs the template being rendered,
    which a pure builder does not have, so the builder says what and how big."""
    data: bytes
    width_mm: float
    height_mm: float | None = None


@dataclass
class FormSource:
    """The part of a dossier the forms show: the working copy while the applicant may edit it, else
    the latest snapshot (what reviewers saw and signed off)."""
    applicant_name: str
    id_number: str
    year: int
    declaration: Any
    sections: dict[str, Any]
    attachments: list[Any]
    trail: list[Any] = field(default_factory=list)
    route: list[Any] = field(default_factory=list)
    votes: Any = None
    certificate: Any = None
    official: bool = False         # past 受理: seals are printed (watermark.is_official)
    masked: bool = False           # the reader may not see the full ID number (app.dossiers.identity)
    blind_line: str = ""           # 代表作送审's average and pass count, printed once the result is published

    @property
    def id_shown(self) -> str:
        """The ID number the form prints: masked for a reader the rule keeps it from; gender and birth date
        are still the full number's."""
        return mask_id_number(self.id_number) if self.masked else self.id_number

    @classmethod
    def of(cls, dossier, *, masked: bool = False) -> "FormSource":
        state = dossier
        if dossier.status not in EDITABLE and dossier.snapshots:
            state = dossier.snapshots[-1]
        return cls(applicant_name=dossier.applicant_name, id_number=dossier.id_number, year=dossier.year,
                   declaration=state.declaration, sections=state.sections, attachments=list(state.attachments),
                   trail=list(dossier.trail), route=list(dossier.route), votes=getattr(dossier, "votes", None),
                   certificate=getattr(dossier, "certificate", None), official=is_official(dossier.status),
                   masked=masked, blind_line=blind_line(dossier))


def blind_line(dossier) -> str:
    """The blind review's line for the committee's box: only once the result is published, since a form is the same
    file for every reader and the applicant and units read the scores only from then on."""
    found = summary(getattr(dossier, "blind_reviews", None)) if dossier.status in PUBLISHED else None
    return found["line"] if found and found["scored"] else ""


@dataclass(frozen=True)
class NodeUnit:
    """What a box needs to know about a unit on the route: its category and supervisors (for the box's
    title) and its seal scan, if it uploaded an image of one."""
    category: str | None = None
    ancestors: tuple = ()
    seal: bytes | None = None
    nature: str | None = None             # unit_natures code (the employer's 单位性质)
    region_code: str | None = None        # regions code (its 所在地)


@dataclass
class Lookups:
    names: dict[tuple[str, str], str]     # (dictionary, code) → name
    batch_name: str = ""
    committee_name: str = ""
    commitment_text: str = ""
    photo: bytes | None = None
    units: dict[Any, NodeUnit] = field(default_factory=dict)     # the employer and the route's units, by id
    issuing_seal: bytes | None = None     # the issuing unit's seal image, for an official certificate only
    public_base_url: str = "http://127.0.0.1:8000"
    bundle_forms: tuple[str, ...] = BUNDLE_FORMS     # what the 材料目录 lists first: the batch's forms
    today: date = field(default_factory=lambda: datetime.now(CHINA).date())

    def name(self, dictionary: str, code: Any) -> str:
        if code in (None, ""):
            return ""
        return self.names.get((dictionary, str(code)), str(code))


def codes_in(source: FormSource) -> set[tuple[str, str]]:
    """Every (dictionary, code) the builders will name, so they can be fetched in one query."""
    d = source.declaration
    wanted = {("series", d.series), ("levels", d.level), ("titles", d.title), ("specialties", d.specialty),
              ("declaration_modes", d.mode), ("exceptional_bases", d.exceptional_basis or "")}
    s = source.sections
    basic = s.get("basic") or {}
    wanted |= {("ethnicities", basic.get("ethnicity")), ("politics", basic.get("politics"))}
    wanted.add(("levels", (s.get("current_title") or {}).get("level")))
    wanted |= {("levels", row.get("level")) for row in _rows(s, "previous_titles")}
    wanted.add(("levels", (s.get("original_certificate") or {}).get("level")))      # 认定
    languages = s.get("languages") or {}
    wanted |= {("language_levels", languages.get("language_level")),
               ("computer_levels", languages.get("computer_level"))}
    for section, fields in (("education", {"education_level": "education_levels", "degree": "degrees",
                                           "study_mode": "study_modes"}),
                            ("assessments", {"grade": "assessment_grades"}), ("training", {"kind": "training_kinds"}),
                            ("achievements", {"category": "achievement_categories", "level": "achievement_levels"}),
                            ("papers", {"kind": "publication_kinds"})):
        for row in _rows(s, section):
            wanted |= {(dictionary, row.get(key)) for key, dictionary in fields.items()}
    return {(dictionary, str(code)) for dictionary, code in wanted if code not in (None, "")}


# --- formatting ---

def _text(value: Any) -> str:
    return "" if value is None else str(value)


def month(value: str | None) -> str:
    """2015-09 → 2015.09"""
    return value.replace("-", ".") if value else ""


def period(start: str | None, end: str | None) -> str:
    return f"{month(start)}—{month(end) if end else '至今'}"


def chinese_date(value: date | datetime | str | None) -> str:
    if not value:
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    elif isinstance(value, datetime):
        value = value.astimezone(CHINA).date()
    return f"{value.year}年{value.month}月{value.day}日"


def _rows(sections: dict, name: str) -> list[dict]:
    return list((sections.get(name) or {}).get("rows", []))


# --- the parts forms share ---

def identity(source: FormSource) -> tuple[str, str]:
    """Gender and birth date (as 1985-03-15): the ID number's for a resident ID, else as typed in the basic
    section (and as typed by a dossier saved before they were derived, where the ID number says nothing)."""
    identity = derived.identity_from_id(source.id_number)
    if identity is not None:
        return identity[0], identity[1].isoformat()
    basic = source.sections.get("basic") or {}
    return _text(basic.get("gender")), _text(basic.get("birth_date"))


def _common(source: FormSource, lk: Lookups) -> dict[str, Any]:
    d = source.declaration
    gender, birth = identity(source)
    return {
        "name": source.applicant_name, "gender": gender,
        "birth_date": month(birth[:7]), "id_number": source.id_shown,
        "ethnicity": lk.name("ethnicities", (source.sections.get("basic") or {}).get("ethnicity")),
        "unit_name": d.actual_unit_name or d.employer_unit_name, "employer_unit_name": d.employer_unit_name,
        "series_name": lk.name("series", d.series), "level_name": lk.name("levels", d.level),
        "title_name": lk.name("titles", d.title), "specialty_name": lk.name("specialties", d.specialty),
        "mode_name": lk.name("declaration_modes", d.mode), "committee_name": lk.committee_name,
        "batch_name": lk.batch_name, "year": source.year, "printed_on": chinese_date(lk.today),
    }


def _years(value: int | None) -> str:
    return "" if value is None else f"{value}年"


def _basic(source: FormSource, lk: Lookups) -> dict[str, str]:
    b = source.sections.get("basic") or {}
    years, _ = derived.profession_years(b, _rows(source.sections, "work_history"), year=source.year)
    return {"profession_years": _years(years),"ethnicity": lk.name("ethnicities", b.get("ethnicity")), "politics": lk.name("politics", b.get("politics")),
            "native_place": _text(b.get("native_place")), "phone": _text(b.get("phone")),
            "email": _text(b.get("email")), "work_start": month(b.get("work_start")),
            "profession_start": month(b.get("profession_start")), "current_post": _text(b.get("current_post")),
            "address": _text(b.get("address"))}


def _current_title(source: FormSource, lk: Lookups) -> dict[str, str]:
    t = source.sections.get("current_title") or {}
    return {"title_name": _text(t.get("title_name")), "level": lk.name("levels", t.get("level")),
            "obtained_on": chinese_date(t.get("obtained_on")), "approving_body": _text(t.get("approving_body")),
            "certificate_number": _text(t.get("certificate_number")), "obtained_by": _text(t.get("obtained_by")),
            "hired": "是" if t.get("hired", True) else "否", "hired_on": chinese_date(t.get("hired_on")),
            "hired_post": _text(t.get("hired_post")), "hired_years": _years(derived.hired_years(t, year=source.year)[0])}


def _languages(source: FormSource, lk: Lookups) -> dict[str, str]:
    g = source.sections.get("languages") or {}
    return {"language_level": lk.name("language_levels", g.get("language_level")),
            "language_certificate": _text(g.get("language_certificate")),
            "computer_level": lk.name("computer_levels", g.get("computer_level")),
            "computer_certificate": _text(g.get("computer_certificate")),
            "exempt_reason": _text(g.get("exempt_reason"))}


def _education(rows: list[dict], lk: Lookups) -> list[dict]:
    return [{"period": period(r.get("start"), r.get("end")), "school": _text(r.get("school")),
             "major": _text(r.get("major")), "education_level": lk.name("education_levels", r.get("education_level")),
             "degree": lk.name("degrees", r.get("degree")), "study_mode": lk.name("study_modes", r.get("study_mode")),
             "full_time": "是" if r.get("full_time") else "否", "highest": "是" if r.get("highest") else "",
             "qualifying": "是" if r.get("qualifying") else "", "verification_code": _text(r.get("verification_code")),
             "flags": "、".join(label for key, label in EDUCATION_FLAGS if r.get(key))}
            for r in rows]


EDUCATION_FLAGS = (("full_time", "全日制"), ("qualifying", "评审依据"), ("highest", "本专业最高"))


def _achievements(rows: list[dict], lk: Lookups) -> list[dict]:
    return [{"index": i, "name": _text(r.get("name")), "category": lk.name("achievement_categories", r.get("category")),
             "level": lk.name("achievement_levels", r.get("level")), "role": _text(r.get("role")),
             "rank": _text(r.get("rank")), "approving_authority": _text(r.get("approving_authority")),
             "achieved_on": month(r.get("achieved_on")), "award": _text(r.get("award")),
             "description": _text(r.get("description"))}
            for i, r in enumerate(rows, 1)]


def _sections(source: FormSource, lk: Lookups) -> dict[str, list[dict]]:
    s = source.sections
    return {
        "education": _education(_rows(s, "education"), lk),
        "admin_posts": [{"period": period(r.get("start"), r.get("end")), "post": _text(r.get("post")),
                         "unit": _text(r.get("unit"))} for r in _rows(s, "admin_posts")],
        "assessments": [{"year": _text(r.get("year")), "grade": lk.name("assessment_grades", r.get("grade")),
                         "post": _text(r.get("post")), "appraising_unit": _text(r.get("appraising_unit"))}
                        for r in sorted(_rows(s, "assessments"), key=lambda r: r.get("year") or 0)],
        "training": [{"period": period(r.get("start"), r.get("end")), "kind": lk.name("training_kinds", r.get("kind")),
                      "course": _text(r.get("course")), "organizer": _text(r.get("organizer")),
                      "hours": _text(r.get("hours"))} for r in _rows(s, "training")],
        "work_history": [{"period": period(r.get("start"), r.get("end")), "unit": _text(r.get("unit")),
                          "department": _text(r.get("department")), "post": _text(r.get("post")),
                          "place": "-".join(_text(r.get(k)) for k in ("unit", "department", "post") if r.get(k)),
                          "technical_work": _text(r.get("technical_work")), "position": _text(r.get("position")),
                          "duties": _text(r.get("duties"))}
                         for r in sorted(_rows(s, "work_history"), key=lambda r: r.get("start") or "")],
        "achievements": _achievements(_rows(s, "achievements"), lk),
        "previous_titles": [{"title_name": _text(r.get("title_name")), "series": _text(r.get("series")),
                             "level": lk.name("levels", r.get("level")), "obtained_on": chinese_date(r.get("obtained_on")),
                             "approving_body": _text(r.get("approving_body")),
                             "certificate_number": _text(r.get("certificate_number")),
                             "hired_on": chinese_date(r.get("hired_on")), "hired_post": _text(r.get("hired_post"))}
                            for r in _rows(s, "previous_titles")],
        "qualifications": [{"name": _text(r.get("name")), "number": _text(r.get("number")),
                            "obtained_on": chinese_date(r.get("obtained_on")), "issuer": _text(r.get("issuer"))}
                           for r in _rows(s, "qualifications")],
        "papers": [{"index": i, "kind": lk.name("publication_kinds", r.get("kind")), "title": _text(r.get("title")),
                    "publication": _text(r.get("publication")), "issue": _text(r.get("issue")),
                    "published_on": month(r.get("published_on")), "rank": _text(r.get("rank")),
                    "indexed_in": _text(r.get("indexed_in"))} for i, r in enumerate(_rows(s, "papers"), 1)],
        "exams": [{"name": _text(r.get("name")), "taken_on": month(r.get("taken_on")), "score": _text(r.get("score")),
                   "result": _text(r.get("result"))} for r in _rows(s, "exams")],
        "awards": [{"kind": "惩处" if r.get("kind") == "sanction" else "奖励", "name": _text(r.get("name")),
                    "awarded_on": month(r.get("awarded_on")), "issuer": _text(r.get("issuer")),
                    "level": _text(r.get("level"))} for r in _rows(s, "awards")],
        "societies": [{"period": period(r.get("start"), r.get("end")), "organization": _text(r.get("organization")),
                       "post": _text(r.get("post"))} for r in _rows(s, "societies")],
    }


def _split_achievements(source: FormSource, lk: Lookups) -> dict[str, list[dict]]:
    """任职前 / 任职后 achievements, split by the date of the current title (each list numbered from 1)."""
    obtained = (source.sections.get("current_title") or {}).get("obtained_on")
    before, after = derived.split_by_title(_rows(source.sections, "achievements"), obtained)
    return {"achievements_before": _achievements(before, lk), "achievements_after": _achievements(after, lk)}


def _declaration(source: FormSource, lk: Lookups) -> dict[str, str]:
    d = source.declaration
    employer = lk.units.get(d.employer_unit_id)
    actual = d.actual_unit_name if not d.is_actual_unit and d.actual_unit_name else ""
    return {"mode": lk.name("declaration_modes", d.mode),
            "exceptional_basis": lk.name("exceptional_bases", d.exceptional_basis),
            "entrusted": "是" if d.entrusted_review else "否", "unit_rank": _text(d.unit_rank),
            "actual_unit": _text(d.actual_unit_name), "agency_unit": _text(d.agency_unit_name),
            "civil_servant": "是" if d.is_civil_servant else "否",
            # 人事代理单位 and 实际工作单位 are printed when either differs from the unit declared through
            "units_differ": bool(actual and actual != d.employer_unit_name or d.agency_unit_name),
            "working_unit": actual or d.employer_unit_name,
            "unit_nature": lk.name("unit_natures", employer.nature) if employer else "",
            "unit_location": lk.name("regions", employer.region_code) if employer else "",
            "specialty_unlisted": "是" if getattr(d, "specialty_unlisted", False) else ""}


def _technical(source: FormSource) -> dict[str, str]:
    t = source.sections.get("technical_summary") or {}
    return {key: _text(t.get(key)) for key in S.TechnicalSummary.model_fields}


def _photo(lk: Lookups) -> Picture | None:
    return Picture(lk.photo, *PHOTO_MM) if lk.photo else None


def node_decision(entries: list) -> Any:
    """A node's own decision among its entries of the current round: its latest verdict (审核通过, 退回,
    不通过, 作废). A pass is what the reviewer typed on the review page for this box, so a later 上报
    (often from the batch bar, with its own stock words) speaks for the node only when the pass said
    nothing, neither opinion nor signature."""
    verdicts = [i for i, e in enumerate(entries) if e.action in VERDICTS]
    if not verdicts:
        reports = [e for e in entries if e.action == "report"]
        return reports[-1] if reports else None
    verdict = entries[verdicts[-1]]
    if verdict.action == "pass" and not (verdict.opinion or verdict.signer):
        worded = [e for e in entries[verdicts[-1] + 1:] if e.action == "report" and (e.opinion or e.signer)]
        if worded:
            return worded[-1]
    return verdict


def _node_title(index: int, unit_id, entries: list, source: FormSource, lk: Lookups) -> str:
    """用人单位 first; then the HR bureaus (人社部门); a unit above the employer in its own tree is its
    主管部门, any other (the series' industry authority) its 行业主管部门. A unit no longer known (a
    restored archive) is named by the role its reviewers acted in."""
    if index == 0:
        return "用人单位意见"
    unit = lk.units.get(unit_id)
    employer = lk.units.get(source.declaration.employer_unit_id)
    if unit is None:
        hr = any(e.role == "hr_handler" for e in entries)
        return "人力资源社会保障部门意见" if hr else "主管部门意见"
    if unit.category in HR_BUREAU_CATEGORIES:
        return "人力资源社会保障部门意见"
    if employer is not None and unit_id not in employer.ancestors:
        return "行业主管部门意见"
    return "主管部门意见"


def _box(title: str, unit_name: str, entry, *, seal: bytes | None = None, vote: str = "") -> dict[str, Any]:
    """One box: the decision's words (or what the click means), its signer and date, and the seal image
    or the （盖章） placeholder."""
    if entry is None:
        return {"title": title, "unit_name": unit_name, "opinion": "", "signer": "", "signed_on": BLANK_DATE,
                "action": "", "seal": None, "vote": vote}
    return {"title": title, "unit_name": unit_name or entry.unit_name or "",
            "opinion": entry.opinion or OPINION_ACTIONS[entry.action], "signer": entry.signer or "",
            "signed_on": chinese_date(entry.detail.get("signed_on") or entry.at),
            "action": OPINION_ACTIONS[entry.action], "seal": Picture(seal, SEAL_MM) if seal else None, "vote": vote}


def opinion_boxes(source: FormSource, lk: Lookups) -> list[dict[str, Any]]:
    """One box per node of the dossier's recorded route, in order (the employer alone before it is
    submitted), then the committee's. Only entries after the last submission count (earlier ones
    belong to a round that was sent back). A unit's seal is printed once it has decided, and only on
    the official version."""
    last_submit = max((i for i, e in enumerate(source.trail) if e.action == "submit"), default=-1)
    current = [e for e in source.trail[last_submit + 1:] if e.action in OPINION_ACTIONS]
    d = source.declaration
    route = [(n.unit_id, n.unit_name) for n in source.route] or [(d.employer_unit_id, d.employer_unit_name)]
    boxes = []
    for index, (unit_id, unit_name) in enumerate(route):
        entries = [e for e in current if e.unit_id == unit_id and e.role not in COMMITTEE_ROLES]
        decision = node_decision(entries)
        unit = lk.units.get(unit_id)
        seal = unit.seal if unit and decision is not None and source.official else None
        boxes.append(_box(_node_title(index, unit_id, entries, source, lk), unit_name, decision, seal=seal))
    office = [e for e in current if e.role in COMMITTEE_ROLES]
    boxes.append(_box(COMMITTEE_BOX, lk.committee_name, office[-1] if office else None,
                      vote="；".join(filter(None, (vote_line(source.votes), source.blind_line)))))
    return boxes


def legacy_opinions(boxes: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The four fixed boxes templates uploaded before the route-long list still name (opinions.employer
    …): the first box of each kind."""
    kinds = {"用人单位意见": "employer", "主管部门意见": "department", "行业主管部门意见": "department",
             "人力资源社会保障部门意见": "hr_bureau", COMMITTEE_BOX: "committee"}
    found: dict[str, dict[str, Any]] = {}
    for box in boxes:
        found.setdefault(kinds[box["title"]], box)
    return {kind: found.get(kind) or _box(title, "", None)
            for kind, title in (("employer", "用人单位意见"), ("department", "主管部门意见"),
                                ("hr_bureau", "人力资源社会保障部门意见"), ("committee", COMMITTEE_BOX))}


# --- the forms ---

def application(source: FormSource, lk: Lookups) -> dict[str, Any]:
    summary = (source.sections.get("summary") or {}).get("text", "")
    rows = _sections(source, lk)
    boxes = opinion_boxes(source, lk)
    return {
        **_common(source, lk), **rows, **_split_achievements(source, lk), "photo": _photo(lk),
        "basic": _basic(source, lk), "current_title": _current_title(source, lk), "languages": _languages(source, lk),
        "declaration": _declaration(source, lk),
        "training_hours": sum(int(r["hours"] or 0) for r in rows["training"]),
        "summary": summary, "commitment_text": lk.commitment_text,
        "boxes": boxes, "opinions": legacy_opinions(boxes), "vote_result": vote_line(source.votes),
        "blind_review": source.blind_line,
    }


def brief(source: FormSource, lk: Lookups) -> dict[str, Any]:
    rows = _sections(source, lk)
    education = rows["education"]
    highest = next((e for e in education if e["highest"]), education[-1] if education else None)
    summary = (source.sections.get("summary") or {}).get("text", "")
    if len(summary) > BRIEF_SUMMARY_CHARS:
        summary = summary[:BRIEF_SUMMARY_CHARS] + "……（全文见申报表）"
    return {
        **_common(source, lk), "photo": _photo(lk), "basic": _basic(source, lk),
        "current_title": _current_title(source, lk), "languages": _languages(source, lk),
        "declaration": _declaration(source, lk),
        "highest_education": highest or {key: "" for key in _education([{}], lk)[0]},
        "qualifying_education": next((e for e in education if e["qualifying"]), None)
        or {key: "" for key in _education([{}], lk)[0]},
        "previous_titles": rows["previous_titles"], "qualifications": rows["qualifications"],
        "technical": _technical(source), "has_technical": bool(source.sections.get("technical_summary")),
        "work_history": rows["work_history"], "awards": rows["awards"][:BRIEF_ROWS],
        "achievements": rows["achievements"][:BRIEF_ROWS],
        "achievements_more": max(0, len(rows["achievements"]) - BRIEF_ROWS),
        "papers": rows["papers"][:BRIEF_ROWS], "papers_more": max(0, len(rows["papers"]) - BRIEF_ROWS),
        "assessments_text": "；".join(f"{a['year']}年{a['grade']}" for a in rows["assessments"]),
        "summary": summary,
    }


def checker(source: FormSource) -> dict[str, str]:
    """Who checked the materials: the committee office's qualification check (受理) of this submission,
    when it has passed; otherwise blanks to sign by hand."""
    last_submit = max((i for i, e in enumerate(source.trail) if e.action == "submit"), default=-1)
    accepted = [e for e in source.trail[last_submit + 1:] if e.action == "accept"]
    if not accepted:
        return {"name": "", "checked_on": BLANK_DATE}
    entry = accepted[-1]
    return {"name": entry.signer or entry.actor_name,
            "checked_on": chinese_date(entry.detail.get("signed_on") or entry.at)}


def catalogue(source: FormSource, lk: Lookups) -> dict[str, Any]:
    """The forms the bundle carries, then every file numbered as the bundle names them (by section, row and
    position: app.dossiers.numbering), grouped by section, and the checker's line."""
    captions = {(name, r.get("id")): _text(r.get(key)) for name, key in ROW_CAPTION.items()
                for r in _rows(source.sections, name)}
    groups: list[dict[str, Any]] = []
    for item in numbered(source.sections, source.attachments):
        ref = item.ref
        if not groups or groups[-1]["section"] != ref.section:
            groups.append({"section": ref.section, "label": item.label, "files": [], "pages": 0})
        note = S.OWN_FILES.get(ref.row_id or "") if ref.section == "basic" else None
        note = note or captions.get((ref.section, ref.row_id), "")
        if item.row and note:
            note = f"第{item.row}项：{note}"
        groups[-1]["files"].append({"index": item.number, "name": ref.file.filename, "pages": ref.file.pages,
                                    "kind": "PDF" if str(ref.file.kind) == "pdf" else "图片", "note": note})
        groups[-1]["pages"] += ref.file.pages
    forms = [{"index": f"表{i}", "name": f"{FORMS[form]}.pdf", "label": FORMS[form]}
             for i, form in enumerate(lk.bundle_forms, 1)]
    return {**_common(source, lk), "forms": forms, "groups": groups,
            "total_files": sum(len(g["files"]) for g in groups), "total_pages": sum(g["pages"] for g in groups),
            "checker": checker(source)}


def entrustment(source: FormSource, lk: Lookups) -> dict[str, Any]:
    return {**_common(source, lk), "current_title": _current_title(source, lk), "letter_date": chinese_date(lk.today)}


def certificate(source: FormSource, lk: Lookups) -> dict[str, Any]:
    """Only called for a certified dossier (the service refuses the others); titles come from the
    certificate itself, which froze them when it was issued."""
    c = source.certificate
    query = urlencode({"number": c.number, "code": c.verification_code})
    url = f"{lk.public_base_url.rstrip('/')}/verify?{query}"
    common = _common(source, lk)
    return {
        "name": c.holder_name, "gender": common["gender"], "birth_date": common["birth_date"],
        "id_number": source.id_shown, "photo": _photo(lk), "unit_name": common["unit_name"],
        "series_name": common["series_name"], "level_name": common["level_name"], "title_name": c.title_name,
        "specialty_name": c.specialty_name, "committee_name": c.committee_name, "certificate_number": c.number,
        "basis": CERTIFICATE_BASIS.get(getattr(c, "kind", "review"), CERTIFICATE_BASIS["review"]),
        "document_number": c.document_number, "issued_on": chinese_date(c.issued_on), "issuing_body": c.issuing_body,
        "verification_code": c.verification_code, "verify_url": url, "qr_code": Picture(qr_png(url), 28, 28),
        "seal": Picture(lk.issuing_seal, SEAL_MM) if lk.issuing_seal else "",
        # 补发: a reissued certificate says so beside its title, with the date and the number it replaces.
        "reissue_mark": "（补发）" if c.reissued_on else "",
        "reissue_note": f"本证书于{chinese_date(c.reissued_on)}补发，原证书（编号{c.replaces}）作废。"
        if c.reissued_on else "",
    }


def qr_png(text: str) -> bytes:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=8, border=2)
    code.add_data(text)
    out = io.BytesIO()
    code.make_image().save(out)
    return out.getvalue()


BUILDERS = {"application": application, "brief": brief, "catalogue": catalogue, "entrustment": entrustment,
            "certificate": certificate}


def build(form: str, source: FormSource, lookups: Lookups) -> dict[str, Any]:
    return BUILDERS[form](source, lookups)


from app.render import kind_contexts  # noqa: E402,F401  registers the 初定 and 认定 forms in FORMS and BUILDERS
