"""The shipped templates against their context builders: every variable a template uses is provided,
and each renders the demo dossier with every section and every review node (no database, no PDF)."""

import io
import zipfile

import pytest
from docx import Document
from docxtpl import DocxTemplate

from app.render import contexts, demo, templates
from app.render import docx as docx_render
from app.render.contexts import FormSource

FORMS = list(contexts.FORMS)


def default(form: str) -> bytes:
    return (templates.DEFAULT_DIR / f"{form}.docx").read_bytes()


def text_of(docx: bytes) -> str:
    """All text of the body, the tables and the headers, without whitespace."""
    document = Document(io.BytesIO(docx))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
        parts += [c.text for row in table.rows for cell in row.cells for t in cell.tables
                  for r in t.rows for c in r.cells]
    parts += [p.text for s in document.sections for p in s.header.paragraphs]
    return "".join("".join(parts).split())


def sparse_source() -> FormSource:
    """A dossier with nothing filled in yet but its declaration (and a certificate, for that form)."""
    full = demo.demo_source()
    return FormSource(applicant_name="李四", id_number="", year=2026, declaration=full.declaration,
                      sections={}, attachments=[], certificate=full.certificate)


@pytest.mark.parametrize("form", FORMS)
def test_every_variable_the_template_uses_is_provided(form):
    used = DocxTemplate(io.BytesIO(default(form))).get_undeclared_template_variables(docx_render.environment())
    provided = set(contexts.build(form, demo.demo_source(), demo.demo_lookups()))
    assert used, f"{form}.docx uses no variables?"
    assert used <= provided, f"{form}.docx uses {sorted(used - provided)} which the builder does not provide"


@pytest.mark.parametrize("form", FORMS)
def test_builders_give_every_key_even_for_an_empty_dossier(form):
    full = contexts.build(form, demo.demo_source(), demo.demo_lookups())
    empty = contexts.build(form, sparse_source(), contexts.Lookups(names={}))
    assert set(full) == set(empty)
    assert None not in [v for k, v in empty.items() if k != "photo"]      # Jinja would print "None"
    # and the empty dossier renders too
    assert docx_render.compile_template(default(form)).render(empty)


def test_application_form_shows_every_section_and_every_node():
    rendered = docx_render.compile_template(default("application")).render(
        contexts.build("application", demo.demo_source(), demo.demo_lookups()))
    text = text_of(rendered)
    for expected in ("王小明", "馆员", "群众文化", "舞蹈", "汉族", "中共党员", "山东艺术学院", "大学本科", "学士",
                     "历下区文化馆", "2015.07—至今", "舞蹈辅导部副主任", "2021", "优秀", "群众文化专业能力提升培训（第4期）",
                     "合计96学时", "济南市社区广场舞创编与推广", "主创（1/3）", "新时代社区广场舞的组织与引导",
                     "全国专业技术人员职称外语", "济南市群众文化先进个人", "济南市舞蹈家协会", "任现职以来", "本人郑重承诺",
                     "经审核，该同志材料真实，同意推荐。", "张馆长", "2026年11月3日", "同意上报。", "李处长",
                     "符合申报条件，同意。", "王科长", "资格审查通过。", "赵主任", "同意7票"):
        assert expected in text, expected
    media = [n for n in zipfile.ZipFile(io.BytesIO(rendered)).namelist() if n.startswith("word/media/")]
    assert len(media) == 2                                  # the photo and the employer's seal


def test_values_are_escaped():
    source = demo.demo_source()
    source.applicant_name = "A&B <王>"
    compiled = docx_render.compile_template(default("brief"))
    rendered = compiled.render(contexts.build("brief", source, demo.demo_lookups()))
    assert "A&B<王>" in text_of(rendered)


def test_docx_preview_carries_words_watermark_and_official_does_not():
    compiled = docx_render.compile_template(default("catalogue"))
    context = contexts.build("catalogue", demo.demo_source(), demo.demo_lookups())

    def headers(docx: bytes) -> str:
        archive = zipfile.ZipFile(io.BytesIO(docx))
        return "".join(archive.read(n).decode() for n in archive.namelist() if n.startswith("word/header"))

    assert 'string="预览版"' in headers(compiled.render(context, watermark="预览版"))
    assert "预览版" not in headers(compiled.render(context))


def test_catalogue_lists_every_attachment_by_section_with_pages():
    context = contexts.build("catalogue", demo.demo_source(), demo.demo_lookups())
    assert [g["label"] for g in context["groups"]] == ["诚信承诺书", "基本信息", "学历信息", "现专业技术资格及聘任",
                                                        "专业技术工作业绩", "论文著作"]
    assert (context["total_files"], context["total_pages"]) == (7, 15)
    text = text_of(docx_render.compile_template(default("catalogue")).render(context))
    assert "推广项目验收意见.pdf" in text and "专业技术工作业绩（2份，5页）" in text and "15" in text


def test_certificate_carries_its_numbers_and_a_qr_code():
    context = contexts.build("certificate", demo.demo_source(), demo.demo_lookups())
    assert context["verify_url"] == ("http://127.0.0.1:8000/verify?number=2026370100QZWHZ00001&code=K7M2Q9XA")
    assert context["qr_code"].data.startswith(b"\x89PNG")
    rendered = docx_render.compile_template(default("certificate")).render(context)
    text = text_of(rendered)
    for expected in ("2026370100QZWHZ00001", "济人社职字〔2026〕12号", "K7M2Q9XA", "2026年12月30日", "济南市人力资源和社会保障局"):
        assert expected in text, expected
    media = [n for n in zipfile.ZipFile(io.BytesIO(rendered)).namelist() if n.startswith("word/media/")]
    assert len(media) == 2                                  # the photo and the QR code


def test_cached_render_reuses_the_compiled_template():
    cache = docx_render.TemplateCache(size=2)
    compiled = docx_render.compile_template(default("brief"))
    cache.put(("b", "brief", compiled.sha256), compiled)
    assert cache.get(("b", "brief", compiled.sha256)) is compiled
    for n in range(2):
        cache.put((n,), compiled)
    assert cache.get(("b", "brief", compiled.sha256)) is None          # least recently used goes first
