"""How each dossier section is shown and edited on its page: labels, input kinds and dictionaries.

The section schemas (app.dossiers.sections) decide what is valid; this module only says how a field looks.
Whether a field is required is read from the schema, so the red * cannot drift from the API.
"""

from dataclasses import dataclass
from typing import Any

from app.dossiers import derived
from app.dossiers import sections as S
from app.dossiers.rules import DICTIONARY_FIELDS
from app.web import choices

# Inputs by kind: text, textarea, date, month, number, select, bool, tel, email.
FIXED_OPTIONS: dict[str, list[tuple[str, str]]] = {
    "gender": [("男", "男"), ("女", "女")],
    "obtained_by": [("评审", "评审"), ("考试", "考试"), ("认定", "认定"), ("初定", "初定")],
    "exam_result": [("合格", "合格"), ("不合格", "不合格"), ("通过", "通过"), ("未通过", "未通过")],
    "origin": list(S.ORIGIN_LABELS.items()),
}


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: str = "text"
    options: str | None = None          # a dictionary name, or a key of FIXED_OPTIONS
    hint: str | None = None
    wide: bool = False                  # spans the whole row of the form grid
    column: bool = False                # shown as a column of the rows table
    blank: str | None = None            # shown for an empty value (e.g. 至今 for an open end)
    required: bool | None = None        # None: as the schema says

    @property
    def input_type(self) -> str:
        return {"date": "date", "month": "month", "number": "number", "tel": "tel", "email": "email"}.get(
            self.kind, "text")


@dataclass(frozen=True)
class SectionForm:
    name: str
    fields: tuple[Field, ...]
    intro: str | None = None
    attachments_hint: str | None = None


START = Field("start", "开始年月", "month", column=True)
END = Field("end", "结束年月", "month", column=True, blank="至今", hint="仍在继续的不填")

FORMS: dict[str, SectionForm] = {form.name: form for form in (
    SectionForm("basic", (
        Field("gender", "性别", "select", "gender", hint="身份证号码为居民身份证的，由证件号码自动生成"),
        Field("birth_date", "出生日期", "date", hint="身份证号码为居民身份证的，由证件号码自动生成"),
        Field("ethnicity", "民族", "select", "ethnicities"),
        Field("politics", "政治面貌", "select", "politics"),
        Field("native_place", "籍贯"),
        Field("phone", "手机号码", "tel"),
        Field("email", "电子邮箱", "email"),
        Field("work_start", "参加工作时间", "month"),
        Field("profession_start", "从事专业技术工作时间", "month"),
        Field("profession_years", "专业工作年限", "number",
              hint="按工作经历中填写了“从事专业技术工作”的各段自动计算（扣除间断，算至申报年度年底）；无法计算时填写"),
        Field("current_post", "现岗位/职务"),
        Field("address", "通讯地址", wide=True),
    ), intro="姓名与证件号码取自账号信息，性别和出生日期由身份证号码生成。照片须为近期免冠大一寸证件照（JPG 或 PNG）；"
             "身份证正反面扫描件可为图片或 PDF。"),
    SectionForm("education", (
        Field("start", "入学年月", "month", column=True),
        Field("end", "毕业年月", "month", column=True, required=True),
        Field("school", "毕业院校", column=True),
        Field("major", "所学专业", column=True),
        Field("education_level", "学历", "select", "education_levels", column=True),
        Field("degree", "学位", "select", "degrees", column=True),
        Field("study_mode", "学习形式", "select", "study_modes"),
        Field("verification_code", "学信网在线验证码", hint="2001年以后取得的国内学历必填"),
        Field("full_time", "全日制学历", "bool"),
        Field("highest", "本专业最高学历", "bool", hint="全部学历中标记一项即可，可先保存其他学历，提交前检查"),
        Field("qualifying", "评审依据学历", "bool"),
        Field("domestic", "国内学历", "bool"),
    ), attachments_hint="每项学历须上传毕业证书、学位证书等证明材料。"),
    SectionForm("current_title", (
        Field("title_name", "现专业技术资格名称"),
        Field("level", "资格级别", "select", "levels"),
        Field("obtained_on", "取得资格时间", "date"),
        Field("approving_body", "审批单位"),
        Field("certificate_number", "证书编号"),
        Field("obtained_by", "取得方式", "select", "obtained_by"),
        Field("hired", "已聘任", "bool"),
        Field("hired_on", "聘任时间", "date"),
        Field("hired_post", "聘任岗位"),
        Field("hired_years", "聘任年限", "number",
              hint="连续聘任的不填，按聘任时间自动计算至申报年度年底；聘任中间有间断的填写累计年限"),
    ), attachments_hint="请上传资格证书及聘任文件。现职称通过改系列取得的，请在“改系列前专业技术资格”中填写原资格。"),
    SectionForm("previous_titles", (
        Field("title_name", "资格名称", column=True),
        Field("series", "原职称系列", column=True),
        Field("level", "资格级别", "select", "levels", column=True),
        Field("obtained_on", "取得资格时间", "date", column=True),
        Field("approving_body", "审批单位"),
        Field("certificate_number", "证书编号"),
        Field("hired_on", "聘任时间", "date"),
        Field("hired_post", "聘任岗位"),
    ), intro="现专业技术资格通过改系列评审取得的，填写改系列前取得的专业技术资格及聘任情况，可填写多项。",
        attachments_hint="请上传原资格证书及聘任文件。"),
    SectionForm("qualifications", (
        Field("name", "从业资格名称", column=True, wide=True),
        Field("number", "证书编号", column=True),
        Field("obtained_on", "取得时间", "date", column=True),
        Field("issuer", "发证机关", column=True),
    ), intro="填写取得的执业资格、职业资格等从业资格。", attachments_hint="请上传从业资格证书。"),
    SectionForm("admin_posts", (
        START, END,
        Field("post", "行政职务", column=True),
        Field("unit", "任职单位", column=True),
    )),
    SectionForm("assessments", (
        Field("year", "考核年度", "number", column=True),
        Field("grade", "考核等次", "select", "assessment_grades", column=True),
        Field("post", "岗位", column=True),
        Field("appraising_unit", "考核单位", column=True),
    ), intro="请逐年填写任现职以来的年度考核结果。"),
    SectionForm("languages", (
        Field("language_level", "外语水平", "select", "language_levels"),
        Field("language_certificate", "外语证书"),
        Field("computer_level", "计算机水平", "select", "computer_levels"),
        Field("computer_certificate", "计算机证书"),
        Field("exempt_reason", "免试理由", "textarea", wide=True),
    )),
    SectionForm("training", (
        START, END,
        Field("kind", "类别", "select", "training_kinds", column=True),
        Field("course", "课程或项目", column=True),
        Field("organizer", "主办单位", column=True),
        Field("hours", "学时", "number", column=True),
    )),
    SectionForm("work_history", (
        START, END,
        Field("unit", "工作单位", column=True),
        Field("department", "部门", column=True),
        Field("post", "岗位", column=True),
        Field("technical_work", "从事专业技术工作", column=True,
              hint="从事专业技术工作的各段填写，用于计算专业工作年限；非专业技术工作不填"),
        Field("position", "所任职务"),
        Field("duties", "主要工作内容", "textarea", wide=True),
    ), intro="工作经历须连续、无空档；只有最近一段经历的结束年月可以不填（表示至今）。"),
    SectionForm("achievements", (
        Field("name", "成果名称", column=True, wide=True),
        Field("category", "成果类别", "select", "achievement_categories", column=True),
        Field("level", "成果级别", "select", "achievement_levels", column=True),
        Field("rank", "排名", hint="位次/人数，如 2/3", column=True),
        Field("achieved_on", "完成时间", "month", column=True),
        Field("role", "本人作用"),
        Field("approving_authority", "批准或鉴定单位"),
        Field("award", "获奖励、专利及效益情况", "textarea", wide=True),
        Field("description", "成果简介", "textarea", wide=True),
    ), intro="填写有代表性的业绩成果。完成时间早于取得现专业技术资格时间的列为任职前业绩，其余列为任职后（任现职以来）业绩，"
             "申报表分别列出。"),
    SectionForm("papers", (
        Field("title", "题目", column=True, wide=True),
        Field("kind", "类别", "select", "publication_kinds", column=True),
        Field("publication", "刊物或出版社", column=True),
        Field("published_on", "发表或出版时间", "month", column=True),
        Field("rank", "排名", hint="位次/人数，如 1/2", column=True),
        Field("issue", "期号、刊号或 ISBN"),
        Field("indexed_in", "收录情况"),
    )),
    SectionForm("exams", (
        Field("name", "考试名称", column=True),
        Field("taken_on", "考试时间", "month", column=True),
        Field("score", "成绩", column=True),
        Field("result", "考试结果", "select", "exam_result", column=True),
    )),
    SectionForm("awards", (
        Field("kind", "奖惩类别", "select", "award_kinds", column=True),
        Field("name", "奖惩名称", column=True, wide=True),
        Field("awarded_on", "时间", "month", column=True),
        Field("issuer", "授予或作出单位", column=True),
        Field("level", "级别", column=True),
    )),
    SectionForm("societies", (
        START, END,
        Field("organization", "学术团体或兼职单位", column=True),
        Field("post", "职务", column=True),
    )),
    SectionForm("summary", (
        Field("text", "工作总结", "textarea", wide=True),
    ), intro="概述任现职以来的主要工作和业绩。工作总结中不得出现本人姓名。"),
    SectionForm("technical_summary", (
        Field("experience", "一、主要技术工作经历", "textarea", wide=True),
        Field("projects", "二、参加的技术项目或其它具体技术工作", "textarea", wide=True),
        Field("contribution", "三、在技术项目中发挥的作用、解决的技术难题", "textarea", wide=True),
        Field("results", "四、取得的成果与效益", "textarea", wide=True),
        Field("writings", "五、发表或撰写论文（专题技术报告）的情况", "textarea", wide=True),
    ), intro="简介表的技术工作总结，分六部分填写，每部分不超过1000字；第六部分为专业技术工作总结附件，在下方上传。",
        attachments_hint="六、上传专业技术工作总结附件。"),
    SectionForm("other", (
        Field("description", "材料说明", column=True, wide=True),
    ), intro="其他需要提交的证明材料，每项写明说明后上传。"),
    # 初定 and 认定 (app.catalog.kinds)
    SectionForm("guide", (), intro="请认真阅读初定指南，确认后方可填写申报材料。"),
    SectionForm("probation", (
        START, END,
        Field("unit", "见习单位", column=True),
        Field("post", "见习岗位", column=True),
        Field("appraisal", "见习期考核结果", column=True),
        Field("work", "见习工作内容", "textarea", wide=True),
    ), intro="逐项填写见习期的工作情况。"),
    SectionForm("main_achievements", (
        Field("text", "主要工作成绩", "textarea", wide=True),
    ), intro="概述见习期（或现岗位）的主要工作成绩，400字以内。"),
    SectionForm("work_summary", (
        Field("text", "技术工作小结", "textarea", wide=True),
    ), intro="包括思想政治表现、业务工作能力、业绩成果等，800字以内。"),
    SectionForm("original_certificate", (
        Field("origin", "取得方式", "select", "origin"),
        Field("origin_place", "原发证地区或国家"),
        Field("series_name", "系列"),
        Field("level", "级别", "select", "levels"),
        Field("title_name", "资格名称"),
        Field("issuing_body", "发证机关"),
        Field("certificate_number", "证书编号"),
        Field("issued_on", "发证日期", "date"),
    ), intro="外省（市）取得、从其他系统调入或境外取得的专业技术资格，按原证书如实填写。",
        attachments_hint="请上传原专业技术资格证书的扫描件。"),
)}

# Row fields the applicant never types.
HIDDEN_ROW_FIELDS = {"id", "carried"}

KIND_NAMES = {"pdf": "PDF", "jpeg": "JPG", "png": "PNG", "gif": "GIF"}
KIND_ACCEPT = {"pdf": ".pdf,application/pdf", "jpeg": ".jpg,.jpeg,image/jpeg", "png": ".png,image/png",
               "gif": ".gif,image/gif"}


def readonly_values(section: str, id_number: str) -> dict[str, str]:
    """Fields the dossier derives instead of asking: gender and birth date of a resident ID holder, shown
    read-only (the save takes them from the ID number)."""
    identity = derived.identity_from_id(id_number) if section == "basic" else None
    return {"gender": identity[0], "birth_date": identity[1].isoformat()} if identity else {}


def computed_notes(section: str, sections: dict, *, year: int) -> dict[str, str]:
    """What the years fields come to from the dossier as it stands, beside the input for an entered figure."""
    if section == "basic":
        rows = (sections.get("work_history") or {}).get("rows", [])
        value, how = derived.profession_years(sections.get("basic") or {}, rows, year=year)
    elif section == "current_title":
        value, how = derived.hired_years(sections.get("current_title") or {}, year=year)
    else:
        return {}
    field = "profession_years" if section == "basic" else "hired_years"
    if how == "computed":
        return {field: f"按现有信息自动计算：{value}年"}
    return {field: f"按填写：{value}年"} if how == "entered" else {}


def model_of(section: str):
    spec = S.SECTIONS[section]
    return spec.row or spec.single


def is_required(section: str, f: Field) -> bool:
    if f.required is not None:
        return f.required
    if f.kind == "bool":
        return False
    return model_of(section).model_fields[f.name].is_required()


def bool_defaults(section: str) -> dict[str, bool]:
    """Checkboxes of a new record start as the schema's defaults (e.g. 国内学历, 已聘任)."""
    fields = model_of(section).model_fields
    return {f.name: bool(fields[f.name].default) for f in FORMS[section].fields if f.kind == "bool"}


def dictionary_of(section: str, f: Field) -> str | None:
    return DICTIONARY_FIELDS.get((section, f.name)) or f.options


async def option_lists(section: str) -> dict[str, list[tuple[str, str]]]:
    """The choices of every select of the section, by field name."""
    found: dict[str, list[tuple[str, str]]] = {}
    for f in FORMS[section].fields:
        if f.kind != "select":
            continue
        source = dictionary_of(section, f)
        found[f.name] = FIXED_OPTIONS[source] if source in FIXED_OPTIONS else await choices.options(source)
    return found


def shown(f: Field, value: Any, options: dict[str, list[tuple[str, str]]]) -> str:
    """A stored value as the applicant reads it."""
    if f.kind == "bool":
        return "是" if value else "否"
    if value is None or value == "":
        return f.blank or "—"
    if f.kind == "select":
        return dict(options.get(f.name, [])).get(str(value), str(value))
    return str(value)


def accept(kinds: list[str]) -> str:
    return ",".join(KIND_ACCEPT[k] for k in kinds if k in KIND_ACCEPT)


def kinds_text(kinds: list[str]) -> str:
    return "、".join(KIND_NAMES.get(k, k) for k in kinds)


def size_text(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.1f} MB".replace(".0 MB", " MB")
    return f"{max(1, round(size / 1024))} KB"
