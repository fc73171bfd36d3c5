"""The rules of a dossier: checked when a section is saved (field-level errors) and again, all together,
as the completeness view that submission requires."""

from datetime import date
from typing import Any

from pydantic import BaseModel

from app.catalog import service as catalog
from app.catalog.models import Batch
from app.dossiers import derived, plausibility
from app.dossiers import sections as S
from app.dossiers.models import Dossier
from app.catalog.batches import commitment_digest
from app.errors import Conflict, NotFound, ValidationFailed

# Fields whose values are dictionary codes: (section, field) → dictionary.
DICTIONARY_FIELDS: dict[tuple[str, str], str] = {
    ("basic", "ethnicity"): "ethnicities", ("basic", "politics"): "politics",
    ("education", "education_level"): "education_levels", ("education", "degree"): "degrees",
    ("education", "study_mode"): "study_modes", ("current_title", "level"): "levels",
    ("assessments", "grade"): "assessment_grades", ("languages", "language_level"): "language_levels",
    ("languages", "computer_level"): "computer_levels", ("training", "kind"): "training_kinds",
    ("achievements", "category"): "achievement_categories", ("achievements", "level"): "achievement_levels",
    ("papers", "kind"): "publication_kinds", ("previous_titles", "level"): "levels",
    ("original_certificate", "level"): "levels",
}


def _rows(parsed: Any) -> list[BaseModel]:
    return list(getattr(parsed, "rows", []))


async def _check_dictionary_codes(name: str, parsed: Any) -> None:
    records = _rows(parsed) if S.SECTIONS[name].row else [parsed]
    for (section, field), dictionary in DICTIONARY_FIELDS.items():
        if section != name:
            continue
        for index, record in enumerate(records):
            value = getattr(record, field)
            if value and not await catalog.is_code(dictionary, value):
                where = f"rows.{index}.{field}" if S.SECTIONS[name].row else field
                raise ValidationFailed("不是有效的选项", field=where, code="unknown_choice")


def _check_carried_education(rows: list[S.Education], stored: list[dict]) -> None:
    """Rows carried from an earlier submitted dossier stay exactly as they were."""
    given = {row.id: row for row in rows}
    for old in stored:
        if not old.get("carried"):
            continue
        row = given.get(old["id"])
        if row is None:
            raise ValidationFailed("往年申报使用的学历信息不能删除", field="rows", code="carried_education")
        if row.model_dump(mode="json") != S.Education.model_validate(old).model_dump(mode="json"):
            raise ValidationFailed("往年申报使用的学历信息不能修改", field=f"rows.{rows.index(row)}",
                                   code="carried_education")
    stored_ids = {old["id"] for old in stored}
    for index, row in enumerate(rows):
        if row.carried and row.id not in stored_ids:
            raise ValidationFailed("不能自行标记沿用的学历", field=f"rows.{index}.carried", code="carried_education")


def require_in_batch(name: str, *, dossier: Dossier, batch: Batch) -> None:
    """A section outside the batch's kind is not there (404); with a guide to read first, nothing else is
    saved before it is acknowledged."""
    if name not in batch.rules.sections:
        raise NotFound(f"本批次（{batch.name}）的申报不包含“{S.section_label(name)}”", field="section",
                       code="section_not_found")
    if name != "guide" and "guide" in batch.rules.sections and not dossier.sections.get("guide"):
        raise Conflict("请先阅读并确认初定指南，再填写申报材料", field="guide", code="guide_not_read")


async def check_section(name: str, parsed: Any, *, dossier: Dossier, batch: Batch, today: date) -> None:
    """Raises ValidationFailed naming the field (rows.N.field for list sections)."""
    spec = S.SECTIONS[name]
    if spec.row:
        rows = _rows(parsed)
        limit = min(spec.max_rows, batch.rules.list_limits.get(name, spec.max_rows))
        if len(rows) > limit:
            raise ValidationFailed(f"{spec.label}最多填写{limit}项", field="rows", code="too_many_rows")
        ids = [row.id for row in rows]
        if len(ids) != len(set(ids)):
            raise ValidationFailed("行编号重复", field="rows", code="duplicate_row_id")
    await _check_dictionary_codes(name, parsed)
    if name == "education":
        _check_carried_education(parsed.rows, dossier.sections.get("education", {}).get("rows", []))
        for index, field, message in S.education_problems(parsed.rows):
            raise ValidationFailed(message, field=f"rows.{index}.{field}", code="education_rule")
    elif name == "work_history":
        for index, message in S.work_history_problems(parsed.rows, today=today):
            raise ValidationFailed(message, field=f"rows.{index}.start", code="work_history_gap")
    elif name == "assessments":
        years = [row.year for row in parsed.rows]
        for index, year in enumerate(years):
            if years.index(year) != index:
                raise ValidationFailed(f"{year}年度考核重复", field=f"rows.{index}.year", code="duplicate_year")
    elif name == "summary":
        for message in S.summary_problems(parsed.text, limit=batch.rules.summary_max_chars,
                                          applicant_name=dossier.applicant_name):
            raise ValidationFailed(message, field="text", code="summary_rule")
    elif name == "basic":
        for field, code, message in derived.identity_problems(parsed, dossier.id_number):
            raise ValidationFailed(message, field=field, code=code)
    elif name == "current_title" and parsed.hired_years is not None:
        if not parsed.hired or parsed.hired_on is None:
            raise ValidationFailed("未聘任或未填聘任时间的，不填聘任年限", field="hired_years", code="hired_years_rule")
        span = derived.hired_span_years(parsed.hired_on, year=batch.year)
        if parsed.hired_years > span:
            raise ValidationFailed(f"聘任年限不能超过自聘任时间至{batch.year}年底的{span}年", field="hired_years",
                                   code="hired_years_rule")
    elif name == "previous_titles":
        for index, row in enumerate(parsed.rows):
            if row.hired_on and row.hired_on < row.obtained_on:
                raise ValidationFailed("聘任时间不能早于取得资格时间", field=f"rows.{index}.hired_on",
                                       code="hired_before_title")
    elif name == "guide" and parsed.guide_sha256 != commitment_digest(batch.rules.guide_text):
        raise Conflict("指南内容已更新，请重新阅读后确认", field="guide_sha256", code="guide_changed")
    elif name in batch.rules.text_limits:
        for message in S.text_problems(parsed.text, label=spec.label, limit=batch.rules.text_limits[name]):
            raise ValidationFailed(message, field="text", code="text_too_long")
    sections = {**dossier.sections, name: parsed.model_dump(mode="json")}
    for finding in plausibility.for_section(name, sections, birth=birth_month(dossier, sections), today=today):
        if finding.severity == plausibility.ERROR:
            raise ValidationFailed(finding.message, field=finding.field, code=finding.code)


def birth_month(dossier: Dossier, sections: dict[str, Any] | None = None) -> str | None:
    """YYYY-MM the applicant was born: the resident ID number's, else the basic section's."""
    identity = derived.identity_from_id(dossier.id_number)
    return plausibility.birth_month(dossier.sections if sections is None else sections,
                                    identity[1] if identity else None)


def flags(dossier: Any, *, id_number: str, today: date) -> list[plausibility.Finding]:
    """What a reviewer should look at twice in these sections (a snapshot's or the dossier's): every
    plausibility finding, errors first (an older snapshot may hold what a save now refuses)."""
    identity = derived.identity_from_id(id_number)
    found = plausibility.findings(dossier.sections, today=today,
                                  birth=plausibility.birth_month(dossier.sections, identity[1] if identity else None))
    return sorted(found, key=lambda f: f.severity != plausibility.ERROR)


class SectionStatus(BaseModel):
    section: str
    label: str
    required: bool
    filled: bool
    missing: list[str]
    warnings: list[str] = []       # unusual but possible (plausibility): shown to the applicant, flagged to reviewers


def _filled(dossier: Dossier, name: str) -> bool:
    value = dossier.sections.get(name)
    if S.SECTIONS[name].row:
        return bool(value and value.get("rows"))
    return bool(value)


def completeness(dossier: Dossier, batch: Batch, *, today: date) -> list[SectionStatus]:
    """Per part of the dossier, what is still missing before it can be submitted."""
    rules = batch.rules
    report: list[SectionStatus] = []
    found = plausibility.findings(dossier.sections, birth=birth_month(dossier), today=today)

    declaration_missing = []
    if dossier.declaration.entrusted_review and not dossier.attachments_of("declaration"):
        declaration_missing.append("选择委托评审的，须上传委托评审证明材料")
    report.append(SectionStatus(section="declaration", label=S.section_label("declaration"), required=True,
                                filled=True, missing=declaration_missing))
    commitment_missing = []
    if rules.commitment_upload_required and not dossier.attachments_of("commitment"):
        commitment_missing.append("须上传本人签字的诚信承诺书")
    report.append(SectionStatus(section="commitment", label=S.section_label("commitment"), required=True,
                                filled=True, missing=commitment_missing))

    for name in rules.sections:          # the batch's kind decides which sections there are
        spec = S.SECTIONS[name]
        required = name in rules.required_sections
        filled = _filled(dossier, name)
        missing: list[str] = []
        if required and not filled:
            missing.append(f"请填写{spec.label}")
        warnings: list[str] = []
        if filled:
            missing += _section_gaps(dossier, batch, name, today=today)
            missing += [f.message for f in found if f.section == name and f.severity == plausibility.ERROR]
            warnings = [f.message for f in found if f.section == name and f.severity == plausibility.WARNING]
        if name == "basic" and rules.photo_required and not dossier.attachments_of("basic", "photo"):
            missing.append("请上传大一寸照片")
        if name == "basic" and rules.id_card_required:
            missing += [f"请上传身份证{side}扫描件" for row_id, side in S.ID_CARD_SIDES.items()
                        if not dossier.attachments_of("basic", row_id)]
        report.append(SectionStatus(section=name, label=spec.label, required=required, filled=filled,
                                    missing=missing, warnings=warnings))
    return report


def _section_gaps(dossier: Dossier, batch: Batch, name: str, *, today: date) -> list[str]:
    spec = S.SECTIONS[name]
    value = dossier.sections[name]
    gaps: list[str] = []
    rule = batch.rules.attachment_rule(name)
    if spec.row:
        rows = [spec.row.model_validate(row) for row in value["rows"]]
        if rule.required:
            for number, row in enumerate(rows, start=1):
                if not dossier.attachments_of(name, row.id):
                    gaps.append(f"第{number}项缺少证明材料")
        if name == "education":
            gaps += [message for _, _, message in S.education_problems(rows)]
            gaps += [problem for problem in [S.highest_education_problem(rows)] if problem]
        elif name == "work_history":
            gaps += [message for _, message in S.work_history_problems(rows, today=today)]
        elif name == "assessments" and batch.rules.assessment_years:
            have = {row.year for row in rows}
            wanted = range(batch.year - batch.rules.assessment_years, batch.year)
            gaps += [f"缺少{year}年度考核" for year in wanted if year not in have]
    else:
        if rule.required and name != "basic" and not dossier.attachments_of(name):
            gaps.append("缺少证明材料")
        if name == "summary":
            gaps += S.summary_problems(value["text"], limit=batch.rules.summary_max_chars,
                                       applicant_name=dossier.applicant_name)
        elif name in batch.rules.text_limits:
            gaps += S.text_problems(value["text"], label=spec.label, limit=batch.rules.text_limits[name])
        elif name == "guide" and value.get("guide_sha256") != commitment_digest(batch.rules.guide_text):
            gaps.append("指南内容已更新，请重新阅读后确认")
    return gaps


def missing_items(report: list[SectionStatus]) -> list[dict]:
    return [{"section": s.section, "label": s.label, "missing": s.missing} for s in report if s.missing]


def warning_items(report: list[SectionStatus]) -> list[dict]:
    """The plausibility warnings of a completeness report, one per finding: what the applicant is asked to check
    (they never block a submission; the errors are among `missing`)."""
    return [{"section": s.section, "label": s.label, "message": text} for s in report for text in s.warnings]
