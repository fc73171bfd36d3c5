"""Writes the default form templates into templates_docx/: real .docx files an administrator opens in
Word, edits, and uploads per batch. Run `python scripts/make_templates.py` after changing a layout
here; the generated files are committed (they are what the service reads), this script keeps them
reproducible. The variables are those of app/render/contexts.py (tests/render checks they match).
"""

import sys
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from docx_kit import (FANGSONG, HEI, double_border, grid_table, header_footer, loop_rows,  # noqa: E402
                      new_document, page_break, para, row, slim, vmerge)

OUT = Path(__file__).resolve().parent.parent / "templates_docx"
TEXT_MM = 174          # A4 portrait less 18 mm margins


def application():
    doc = new_document(title="专业技术资格评审表")
    header_footer(doc, "{{ name }}　专业技术资格评审表")
    para(doc, "{{ batch_name }}", size=12, align="right", after=60)
    para(doc, "专业技术资格评审表", size=26, font=HEI, bold=True, align="center", after=12)
    para(doc, "（{{ series_name }}系列）", size=16, align="center", after=90)
    cover = grid_table(doc, [36, 110], borders=False)
    for label, value in (("姓　　名", "name"), ("工作单位", "unit_name"), ("申报系列", "series_name"),
                         ("申报资格", "title_name"), ("申报专业", "specialty_name"), ("申报方式", "mode_name"),
                         ("评审委员会", "committee_name"), ("填表日期", "printed_on")):
        row(cover, [(label, 1, "right"), (f"{{{{ {value} }}}}", 1, "left")], height_mm=12, size=14)
    page_break(doc)

    para(doc, "一、基本情况", size=12, font=HEI, after=4)
    t = grid_table(doc, [22, 27, 18, 25, 22, 25, 35])
    row(t, ["姓名", "{{ name }}", "性别", "{{ gender }}", "出生年月", "{{ birth_date }}", '{{ photo or "（照片）" }}'],
        height_mm=12.5, size=9)
    row(t, ["民族", "{{ basic.ethnicity }}", "政治面貌", "{{ basic.politics }}", "籍贯", "{{ basic.native_place }}", ""],
        height_mm=12.5, size=9)
    row(t, ["身份证号", ("{{ id_number }}", 3), "联系电话", "{{ basic.phone }}", ""], height_mm=12.5, size=9)
    row(t, ["参加工作时间", "{{ basic.work_start }}", "从事专业技术工作时间", "{{ basic.profession_start }}", "通讯地址",
            "{{ basic.address }}", ""], height_mm=12.5, size=9)
    vmerge(t, 6, 0, 3)
    row(t, ["工作单位", ("{{ unit_name }}", 3), "单位推荐排序", ("{{ declaration.unit_rank }}", 2)], height_mm=9, size=9)
    row(t, [("{%tr if declaration.units_differ %}", 7)])
    row(t, ["申报单位", "{{ employer_unit_name }}", "实际工作单位", "{{ declaration.working_unit }}", "人事代理单位",
            ("{{ declaration.agency_unit }}", 2)], height_mm=9, size=9)
    row(t, [("{%tr endif %}", 7)])
    row(t, ["单位性质", "{{ declaration.unit_nature }}", "单位所在地", "{{ declaration.unit_location }}", "是否公务员",
            ("{{ declaration.civil_servant }}", 2)], height_mm=9, size=9)
    row(t, ["专业工作年限", "{{ basic.profession_years }}", "聘任年限", "{{ current_title.hired_years }}", "现岗位职务",
            ("{{ basic.current_post }}", 2)], height_mm=9, size=9)
    row(t, ["现专业技术资格", "{{ current_title.title_name }}（{{ current_title.level }}）", "取得时间",
            "{{ current_title.obtained_on }}", "审批机关", ("{{ current_title.approving_body }}", 2)], height_mm=9, size=9)
    row(t, ["资格证书编号", "{{ current_title.certificate_number }}", "是否聘任", "{{ current_title.hired }}", "聘任时间",
            ("{{ current_title.hired_on }}　{{ current_title.hired_post }}", 2)], height_mm=9, size=9)
    row(t, ["申报资格", "{{ title_name }}", "申报专业", "{{ specialty_name }}", "申报方式",
            ("{{ declaration.mode }}", 2)], height_mm=9, size=9)
    row(t, ["破格情况", ("{{ declaration.exceptional_basis }}", 3), "委托评审", ("{{ declaration.entrusted }}", 2)],
        height_mm=9, size=9)
    row(t, ["外语水平", "{{ languages.language_level }}\n{{ languages.language_certificate }}", "计算机水平",
            "{{ languages.computer_level }}\n{{ languages.computer_certificate }}", "免试理由",
            ("{{ languages.exempt_reason }}", 2)], height_mm=9, size=9)

    def listing(title, widths, heads, loop, cells, empty="无"):
        para(doc, title, size=12, font=HEI, before=10, after=4, keep_with_next=True)
        table = grid_table(doc, widths)
        row(table, heads, header=True, height_mm=8, size=9)
        loop_rows(table, loop, cells, empty=empty, size=9)

    listing("二、学历教育", [24, 30, 24, 16, 12, 18, 26, 24],
            ["起止年月", "毕业院校", "所学专业", "学历", "学位", "学习形式", "学信网验证码", "学历类别"],
            "e in education", ["{{ e.period }}", "{{ e.school }}", "{{ e.major }}", "{{ e.education_level }}",
                               "{{ e.degree }}", "{{ e.study_mode }}", "{{ e.verification_code }}", "{{ e.flags }}"])
    listing("三、改系列前专业技术资格", [34, 20, 16, 28, 38, 38], ["资格名称", "原系列", "级别", "取得时间", "审批机关", "聘任时间及岗位"],
            "p in previous_titles", ["{{ p.title_name }}", "{{ p.series }}", "{{ p.level }}", "{{ p.obtained_on }}",
                                     "{{ p.approving_body }}", "{{ p.hired_on }}　{{ p.hired_post }}"])
    listing("四、从业资格", [56, 40, 30, 48], ["资格名称", "证书编号", "取得时间", "发证机关"], "q in qualifications",
            ["{{ q.name }}", "{{ q.number }}", "{{ q.obtained_on }}", "{{ q.issuer }}"])
    listing("五、工作经历", [26, 50, 34, 24, 40], ["起止年月", "单位-部门-岗位", "从事专业技术工作", "所任职务", "主要工作内容"],
            "w in work_history", ["{{ w.period }}", ("{{ w.place }}", 1, "left"), "{{ w.technical_work }}",
                                  "{{ w.position }}", ("{{ w.duties }}", 1, "left")])
    listing("六、行政职务", [40, 80, 54], ["起止年月", "任职单位", "行政职务"], "a in admin_posts",
            ["{{ a.period }}", "{{ a.unit }}", "{{ a.post }}"])
    listing("七、年度考核", [24, 30, 50, 70], ["年度", "考核等次", "岗位", "考核单位"], "a in assessments",
            ["{{ a.year }}", "{{ a.grade }}", "{{ a.post }}", "{{ a.appraising_unit }}"])
    listing("八、继续教育（合计{{ training_hours }}学时）", [32, 22, 60, 44, 16], ["起止年月", "类别", "课程（内容）", "主办单位", "学时"],
            "c in training", ["{{ c.period }}", "{{ c.kind }}", ("{{ c.course }}", 1, "left"), "{{ c.organizer }}",
                              "{{ c.hours }}"])
    for number, title, loop in (("九", "任职前主要专业技术工作业绩", "a in achievements_before"),
                                ("十", "任现职以来（任职后）主要专业技术工作业绩", "a in achievements_after")):
        listing(f"{number}、{title}", [10, 46, 18, 18, 22, 18, 42],
                ["序号", "项目（成果）名称", "类别", "级别", "本人作用（排名）", "时间", "获奖、专利及效益情况"], loop,
                ["{{ a.index }}", ("{{ a.name }}", 1, "left"), "{{ a.category }}", "{{ a.level }}",
                 "{{ a.role }}（{{ a.rank }}）", "{{ a.achieved_on }}", ("{{ a.award }}", 1, "left")])
    listing("十一、论文著作", [10, 52, 14, 34, 24, 16, 24], ["序号", "题目", "类别", "刊物（出版社）", "期号/ISBN", "排名", "发表时间"],
            "p in papers", ["{{ p.index }}", ("{{ p.title }}", 1, "left"), "{{ p.kind }}", "{{ p.publication }}",
                            "{{ p.issue }}", "{{ p.rank }}", "{{ p.published_on }}"])
    listing("十二、考试成绩", [80, 34, 30, 30], ["考试名称", "考试时间", "成绩", "结果"], "x in exams",
            ["{{ x.name }}", "{{ x.taken_on }}", "{{ x.score }}", "{{ x.result }}"])
    listing("十三、奖惩情况", [16, 70, 24, 44, 20], ["类别", "名称", "时间", "授予单位", "级别"], "a in awards",
            ["{{ a.kind }}", ("{{ a.name }}", 1, "left"), "{{ a.awarded_on }}", "{{ a.issuer }}", "{{ a.level }}"])
    listing("十四、学术团体及社会兼职", [40, 90, 44], ["起止年月", "学术团体（社会组织）", "职务"], "s in societies",
            ["{{ s.period }}", "{{ s.organization }}", "{{ s.post }}"])

    para(doc, "十五、任现职以来工作总结", size=12, font=HEI, before=10, after=4, keep_with_next=True)
    summary = grid_table(doc, [TEXT_MM])
    row(summary, [("{{ summary }}", 1, "left")], height_mm=90, valign="top")
    para(doc, "十六、诚信承诺", size=12, font=HEI, before=10, after=4, keep_with_next=True)
    pledge = grid_table(doc, [TEXT_MM])
    row(pledge, [("{{ commitment_text }}\n\n承诺人（签字）：　　　　　　　　　　　年　　月　　日", 1, "left")], height_mm=40)

    page_break(doc)
    para(doc, "十七、审核意见", size=12, font=HEI, after=4)
    boxes = grid_table(doc, [30, 144])        # one row per node of the dossier's route, then the committee
    row(boxes, [("{%tr for b in boxes %}", 2)])
    cells = row(boxes, ["{{ b.title }}", ("{{ b.opinion }}\n{%p if b.vote %}\n{{ b.vote }}\n{%p endif %}", 1, "left")],
                height_mm=52, valign="top")
    for text in ("负责人签字：{{ b.signer }}", '{{ b.unit_name }}{{ b.seal or "（盖章）" }}', "{{ b.signed_on }}"):
        para(cells[1], text, align="right", before=6)
    row(boxes, [("{%tr endfor %}", 2)])
    save(doc, "application")


def brief():
    doc = new_document(title="申报专业技术资格人员情况简介表", margins_mm=(15, 16, 15, 16))
    header_footer(doc, None)
    para(doc, "申报专业技术资格人员情况简介表", size=18, font=HEI, bold=True, align="center", after=6)
    para(doc, "申报系列：{{ series_name }}　　申报资格：{{ title_name }}　　专业：{{ specialty_name }}", align="center", after=6)
    t = grid_table(doc, [26, 34, 20, 32, 26, 40])
    row(t, ["姓名", "{{ name }}", "性别", "{{ gender }}", "出生年月", "{{ birth_date }}"], height_mm=8)
    row(t, ["工作单位", ("{{ unit_name }}", 3), "政治面貌", "{{ basic.politics }}"], height_mm=8)
    row(t, [("{%tr if declaration.units_differ %}", 6)])
    row(t, ["申报单位", "{{ employer_unit_name }}", "人事代理单位", ("{{ declaration.agency_unit }}", 3, "left")], height_mm=8)
    row(t, [("{%tr endif %}", 6)])
    row(t, ["单位性质", "{{ declaration.unit_nature }}", "单位所在地", "{{ declaration.unit_location }}", "是否公务员",
            "{{ declaration.civil_servant }}"], height_mm=8)
    row(t, ["现专业技术资格", "{{ current_title.title_name }}", "取得时间", "{{ current_title.obtained_on }}",
            "参加工作时间", "{{ basic.work_start }}"], height_mm=8)
    row(t, ["聘任时间", "{{ current_title.hired_on }}", "聘任年限", "{{ current_title.hired_years }}",
            "专业工作年限", "{{ basic.profession_years }}"], height_mm=8)
    row(t, [("{%tr for p in previous_titles %}", 6)])
    row(t, ["改系列前资格", "{{ p.title_name }}（{{ p.series }}）", "取得时间", "{{ p.obtained_on }}", "聘任时间",
            "{{ p.hired_on }}"], height_mm=8)
    row(t, [("{%tr endfor %}", 6)])
    row(t, ["最高学历", "{{ highest_education.education_level }}　{{ highest_education.degree }}", "毕业院校",
            "{{ highest_education.school }}", "所学专业", "{{ highest_education.major }}"], height_mm=8)
    row(t, ["评审依据学历", "{{ qualifying_education.education_level }}　{{ qualifying_education.degree }}", "毕业院校",
            "{{ qualifying_education.school }}", "全日制", "{{ qualifying_education.full_time }}"], height_mm=8)
    row(t, ["从业资格", ("{%p for q in qualifications %}\n{{ q.name }}（{{ q.number }}，{{ q.issuer }}，{{ q.obtained_on }}）"
                     "\n{%p endfor %}", 5, "left")], height_mm=8)
    row(t, ["年度考核", ("{{ assessments_text }}", 5, "left")], height_mm=8)
    row(t, ["外语、计算机", ("{{ languages.language_level }} {{ languages.language_certificate }}；"
                         "{{ languages.computer_level }} {{ languages.computer_certificate }}", 5, "left")], height_mm=8)

    def block(label, loop, line, more=None):
        cell = row(t, [label, ("", 5, "left")], height_mm=24)[1]
        cell.paragraphs[0].add_run(f"{{%p for {loop} %}}")
        for text in (line, "{%p endfor %}") + ((more,) if more else ()):
            cell.add_paragraph().add_run(text)

    block("工作经历", "w in work_history", "{{ w.period }}　{{ w.place }}　{{ w.technical_work }}　{{ w.position }}")
    block("主要业绩", "a in achievements", "{{ a.index }}. {{ a.name }}（{{ a.category }}，{{ a.level }}，排名{{ a.rank }}）",
          "{% if achievements_more %}另有{{ achievements_more }}项，详见申报表。{% endif %}")
    block("论文著作", "p in papers", "{{ p.index }}. {{ p.title }}，{{ p.publication }}，{{ p.issue }}（排名{{ p.rank }}）",
          "{% if papers_more %}另有{{ papers_more }}篇，详见申报表。{% endif %}")
    block("奖励情况", "a in awards", "{{ a.awarded_on }}　{{ a.name }}（{{ a.issuer }}）")
    row(t, [("{%tr if has_technical %}", 6)])
    parts = (("主要技术工作经历", "experience"), ("参加的技术项目或其它具体技术工作", "projects"),
             ("在技术项目中发挥的作用、解决的技术难题", "contribution"), ("取得的成果与效益", "results"),
             ("发表或撰写论文（专题技术报告）的情况", "writings"))     # the sixth part is the attached summary
    row(t, ["技术工作总结", ("\n".join(f"{n}. {label}：{{{{ technical.{key} }}}}" for n, (label, key)
                                      in enumerate(parts, 1)), 5, "left")], height_mm=60)
    row(t, [("{%tr else %}", 6)])
    row(t, ["工作总结（摘要）", ("{{ summary }}", 5, "left")], height_mm=60)
    row(t, [("{%tr endif %}", 6)])
    save(doc, "brief")


def catalogue():
    doc = new_document(title="申报材料目录")
    header_footer(doc, "{{ name }}　申报材料目录")
    para(doc, "申报材料目录", size=20, font=HEI, bold=True, align="center", after=8)
    para(doc, "姓名：{{ name }}　　工作单位：{{ unit_name }}　　申报资格：{{ title_name }}（{{ specialty_name }}）", after=6)
    t = grid_table(doc, [14, 76, 16, 16, 52])
    row(t, ["序号", "材料名称", "类型", "页数", "说明"], header=True, height_mm=8)
    row(t, [("申报表格（系统生成）", 5, "left")], height_mm=7)
    row(t, [("{%tr for form in forms %}", 5)])
    row(t, ["{{ form.index }}", ("{{ form.name }}", 1, "left"), "PDF", "", ("系统生成", 1, "left")], height_mm=7)
    row(t, [("{%tr endfor %}", 5)])
    row(t, [("{%tr for group in groups %}", 5)])
    row(t, [("{{ group.label }}（{{ group.files|length }}份，{{ group.pages }}页）", 5, "left")], height_mm=7)
    row(t, [("{%tr for item in group.files %}", 5)])
    row(t, ["{{ item.index }}", ("{{ item.name }}", 1, "left"), "{{ item.kind }}", "{{ item.pages }}",
            ("{{ item.note }}", 1, "left")], height_mm=7)
    row(t, [("{%tr endfor %}", 5)])
    row(t, [("{%tr endfor %}", 5)])
    row(t, ["合计", ("{{ total_files }}份", 2), "{{ total_pages }}", ""], height_mm=8)
    para(doc, "注：序号与附件包内文件名前的编号一致；页数为上传文件的页数，图片按1页计。", size=9, before=6)
    para(doc, "审核人（签字）：{{ checker.name or \"＿＿＿＿＿＿＿＿\" }}　　　　审核日期：{{ checker.checked_on }}",
         size=12, before=24)
    save(doc, "catalogue")


def entrustment():
    doc = new_document(title="职称评审委托函", margins_mm=(37, 26, 35, 28), body_font=FANGSONG, body_pt=16)
    para(doc, "职称评审委托函", size=22, font=HEI, align="center", after=24)
    para(doc, "{{ committee_name }}：", line=1.5)
    para(doc, "兹有我单位{{ name }}同志（身份证号：{{ id_number }}），现从事{{ specialty_name }}专业技术工作，"
              "现任{{ current_title.title_name }}，拟申报{{ series_name }}系列{{ title_name }}（{{ level_name }}）"
              "专业技术资格。因我单位无相应评审权限，经研究，特委托贵评委会对其进行专业技术资格评审，"
              "评审结果我单位予以认可。", first_indent_chars=2, line=1.5)
    para(doc, "申报人员基本情况附后。", first_indent_chars=2, line=1.5)
    para(doc, "特此函告。", first_indent_chars=2, line=1.5, after=30)
    para(doc, "{{ employer_unit_name }}（盖章）", align="right", line=1.5)
    para(doc, "{{ letter_date }}", align="right", line=1.5, after=24)
    page_break(doc)
    para(doc, "附：申报人员基本情况", font=HEI, after=8)
    t = grid_table(doc, [26, 52, 26, 52])
    for cells in (["姓名", "{{ name }}", "性别", "{{ gender }}"], ["出生年月", "{{ birth_date }}", "身份证号", "{{ id_number }}"],
                  ["工作单位", ("{{ employer_unit_name }}", 3)],
                  ["现专业技术资格", "{{ current_title.title_name }}", "取得时间", "{{ current_title.obtained_on }}"],
                  ["申报系列", "{{ series_name }}", "申报资格", "{{ title_name }}"],
                  ["申报专业", "{{ specialty_name }}", "申报批次", "{{ batch_name }}"]):
        row(t, cells, height_mm=12, size=12)
    save(doc, "entrustment")


def certificate():
    doc = new_document(title="专业技术资格证书", landscape=True, margins_mm=(15, 15, 15, 15), body_pt=14)
    frame = grid_table(doc, [267], borders=False)
    double_border(frame)
    cell = row(frame, [""], height_mm=178, exact=True)[0]
    para(cell, "专业技术资格证书{{ reissue_mark }}", size=36, font=HEI, bold=True, align="center", before=10, after=12)
    fields = [("姓　　名", "name"), ("性　　别", "gender"), ("出生年月", "birth_date"), ("工作单位", "unit_name"),
              ("专　　业", "specialty_name"), ("资格名称", "title_name"), ("评审委员会", "committee_name"),
              ("证书编号", "certificate_number"), ("发文字号", "document_number"), ("发证日期", "issued_on")]
    lines = "\n".join(f"{label}：{{{{ {key} }}}}" for label, key in fields)
    inner = grid_table(cell, [66, 136, 60], borders=False)
    row(inner, ['{{ photo or "（照片）" }}', (lines, 1, "left"),
                "{{ qr_code }}\n扫码核验\n验证码：{{ verification_code }}"], height_mm=84)
    # Below: the statement and check address beside the issuing unit's seal (an image on the official
    # version), its name and the date.
    bottom = grid_table(cell, [150, 42, 70], borders=False)
    row(bottom, [("经{{ committee_name }}{{ basis }}，具备{{ title_name }}专业技术资格。{{ reissue_note }}\n"
                  "核验地址：{{ verify_url }}", 1, "left"),
                 '{{ seal or "（印章）" }}', "{{ issuing_body }}\n{{ issued_on }}"], size=10)
    save(doc, "certificate")


def _kind_head(doc, title: str) -> None:
    """The top of the 初定 and 认定 forms: title, the declared title and the applicant's basic data."""
    header_footer(doc, "{{ name }}　" + title)
    para(doc, "{{ batch_name }}", size=10.5, align="right", after=6)
    para(doc, title, size=20, font=HEI, bold=True, align="center", after=6)
    para(doc, "系列：{{ series_name }}　　拟{{ kind_name }}资格：{{ title_name }}　　专业：{{ specialty_name }}",
         align="center", after=8)
    t = grid_table(doc, [22, 30, 18, 26, 22, 24, 32])
    row(t, ["姓名", "{{ name }}", "性别", "{{ gender }}", "出生年月", "{{ birth_date }}", '{{ photo or "（照片）" }}'],
        height_mm=11, size=9)
    row(t, ["民族", "{{ basic.ethnicity }}", "政治面貌", "{{ basic.politics }}", "联系电话", "{{ basic.phone }}", ""],
        height_mm=11, size=9)
    row(t, ["身份证号", ("{{ id_number }}", 3), "参加工作时间", "{{ basic.work_start }}", ""], height_mm=11, size=9)
    row(t, ["工作单位", ("{{ unit_name }}", 5), ""], height_mm=11, size=9)
    vmerge(t, 6, 0, 3)
    row(t, ["最高学历", "{{ highest_education.education_level }}", "毕业院校", ("{{ highest_education.school }}", 2),
            "所学专业", "{{ highest_education.major }}"], height_mm=9, size=9)
    row(t, ["毕业时间", ("{{ highest_education.period }}", 2), "学位", "{{ highest_education.degree }}", "学习形式",
            "{{ highest_education.study_mode }}"], height_mm=9, size=9)


def _kind_boxes(doc, heading: str) -> None:
    """The route's units' opinions, then the 受理点's decision (no committee)."""
    para(doc, heading, size=12, font=HEI, before=10, after=4, keep_with_next=True)
    boxes = grid_table(doc, [30, 144])
    row(boxes, [("{%tr for b in boxes %}", 2)])
    cells = row(boxes, ["{{ b.title }}", ("{{ b.opinion }}", 1, "left")], height_mm=30, valign="top")
    for text in ("负责人签字：{{ b.signer }}", '{{ b.unit_name }}{{ b.seal or "（盖章）" }}', "{{ b.signed_on }}"):
        para(cells[1], text, align="right", before=4)
    row(boxes, [("{%tr endfor %}", 2)])
    cells = row(boxes, ["受理点审核意见", ("{{ decision.result }}　{{ decision.opinion }}", 1, "left")],
                height_mm=36, valign="top")
    for text in ("负责人签字：{{ decision.signer }}", "{{ decision.unit_name }}（盖章）", "{{ decision.signed_on }}"):
        para(cells[1], text, align="right", before=4)


def initial():
    """初定技术资格呈报表 (003 §2.4.1.1, 004 初定表): 见习期工作情况, 主要工作成绩, 技术工作小结."""
    doc = new_document(title="初定技术资格呈报表")
    _kind_head(doc, "初定技术资格呈报表")
    para(doc, "一、见习期工作情况", size=12, font=HEI, before=10, after=4, keep_with_next=True)
    t = grid_table(doc, [30, 42, 30, 52, 20])
    row(t, ["起止年月", "见习单位", "岗位", "见习工作内容", "考核结果"], header=True, height_mm=8, size=9)
    loop_rows(t, "p in probation", ["{{ p.period }}", "{{ p.unit }}", "{{ p.post }}", ("{{ p.work }}", 1, "left"),
                                    "{{ p.appraisal }}"], empty="无", size=9)
    para(doc, "二、主要工作成绩（400字以内）", size=12, font=HEI, before=10, after=4, keep_with_next=True)
    achievements = grid_table(doc, [TEXT_MM])
    row(achievements, [("{{ main_achievements }}", 1, "left")], height_mm=45, valign="top")
    para(doc, "三、技术工作小结（800字以内）", size=12, font=HEI, before=10, after=4, keep_with_next=True)
    summary = grid_table(doc, [TEXT_MM])
    row(summary, [("{{ work_summary }}", 1, "left")], height_mm=80, valign="top")
    _kind_boxes(doc, "四、审核意见")
    save(doc, "initial")


def recognition():
    """认定表 (004): the title obtained elsewhere, as its certificate says, and the 受理点's decision."""
    doc = new_document(title="专业技术资格认定表")
    _kind_head(doc, "专业技术资格认定表")
    para(doc, "一、原专业技术资格", size=12, font=HEI, before=10, after=4, keep_with_next=True)
    t = grid_table(doc, [30, 57, 30, 57])
    for cells in (["取得方式", "{{ original.origin }}", "原发证地区", "{{ original.origin_place }}"],
                  ["系列", "{{ original.series_name }}", "级别", "{{ original.level }}"],
                  ["资格名称", "{{ original.title_name }}", "发证机关", "{{ original.issuing_body }}"],
                  ["证书编号", "{{ original.certificate_number }}", "发证日期", "{{ original.issued_on }}"]):
        row(t, cells, height_mm=10, size=9)
    para(doc, "二、工作经历", size=12, font=HEI, before=10, after=4, keep_with_next=True)
    work = grid_table(doc, [32, 50, 32, 60])
    row(work, ["起止年月", "工作单位", "岗位（职务）", "主要工作内容"], header=True, height_mm=8, size=9)
    loop_rows(work, "w in work_history", ["{{ w.period }}", "{{ w.unit }}", "{{ w.post }}",
                                          ("{{ w.duties }}", 1, "left")], empty="无", size=9)
    _kind_boxes(doc, "三、审核意见")
    save(doc, "recognition")


def watermark():
    """The 预览版 stamp: one big grey word in the middle of an A4 page; converted to PDF once and laid
    diagonally over every page of a preview (app/render/watermark.py)."""
    doc = new_document(title="预览版水印", margins_mm=(118, 20, 20, 20))
    para(doc, "预览版", size=110, font=HEI, bold=True, align="center", color="808080")
    save(doc, "watermark")


def save(doc, name: str) -> None:
    """Saves without the bulk python-docx ships, with fixed zip timestamps: python-docx stamps each
    entry with the current time, so without them the same layout would give new bytes (and a new
    template hash) on every run."""
    slim(doc)
    path = OUT / f"{name}.docx"
    doc.save(path)
    with zipfile.ZipFile(path) as source:
        entries = [(info.filename, source.read(info)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in entries:
            target.writestr(zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0)), data,
                            compress_type=zipfile.ZIP_DEFLATED)


if __name__ == "__main__":
    OUT.mkdir(exist_ok=True)
    for make in (application, brief, catalogue, entrustment, certificate, watermark, initial, recognition):
        make()
        print("wrote", OUT / f"{make.__name__}.docx")
