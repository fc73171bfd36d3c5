"""Building blocks for scripts/make_templates.py: python-docx with the details Chinese government forms
and LibreOffice need and python-docx does not do by itself.

- Fonts are given per script: Latin text in Times New Roman, East Asian text in 宋体/仿宋/黑体 (which
  app/render/fonts.conf maps to Noto CJK SC for LibreOffice), and the East Asian language is zh-CN, or
  full-width punctuation is laid out Japanese-style.
- Tables carry a fixed layout and their tblGrid column widths: LibreOffice ignores per-cell widths.
- Jinja tags are written as single runs, so docxtpl never has to stitch a tag split across runs.
"""

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_ROW_HEIGHT_RULE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm, Pt, RGBColor

SONG, FANGSONG, HEI = "宋体", "仿宋", "黑体"
ALIGN = {"left": WD_ALIGN_PARAGRAPH.LEFT, "center": WD_ALIGN_PARAGRAPH.CENTER,
         "right": WD_ALIGN_PARAGRAPH.RIGHT, "justify": WD_ALIGN_PARAGRAPH.JUSTIFY}


def _fonts(rpr, east_asia: str) -> None:
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(attr), "Times New Roman")
    fonts.set(qn("w:eastAsia"), east_asia)


def new_document(*, title: str, landscape: bool = False, margins_mm=(20, 18, 20, 18),
                 body_font: str = SONG, body_pt: float = 10.5) -> Document:
    """A4 with the body font for both scripts and zh-CN as the East Asian language, everywhere."""
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = (Mm(297), Mm(210)) if landscape else (Mm(210), Mm(297))
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.top_margin, section.right_margin, section.bottom_margin, section.left_margin = (
        Mm(m) for m in margins_mm)
    section.header_distance = section.footer_distance = Mm(10)
    styles = doc.styles.element
    defaults = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _fonts(defaults, body_font)
    lang = defaults.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        defaults.append(lang)
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
    normal = doc.styles["Normal"]
    normal.font.size = Pt(body_pt)
    _fonts(normal.element.get_or_add_rPr(), body_font)
    normal.paragraph_format.space_after = Pt(0)
    normal.paragraph_format.space_before = Pt(0)
    normal.paragraph_format.line_spacing = 1.15
    for name in ("Header", "Footer"):
        _fonts(doc.styles[name].element.get_or_add_rPr(), SONG)
        doc.styles[name].font.size = Pt(9)
    settings = doc.settings.element
    theme = settings.find(qn("w:themeFontLang"))
    if theme is None:
        theme = OxmlElement("w:themeFontLang")
        settings.append(theme)
    theme.set(qn("w:val"), "en-US")
    theme.set(qn("w:eastAsia"), "zh-CN")
    doc.core_properties.title = title
    doc.core_properties.author = "职称申报评审服务"
    doc.core_properties.language = "zh-CN"
    return doc


def para(container, text: str = "", *, size: float | None = None, bold: bool = False, font: str | None = None,
         align: str = "left", before: float = 0, after: float = 0, first_indent_chars: int = 0,
         line: float | None = None, color: str | None = None, keep_with_next: bool = False):
    """One paragraph holding `text` as ONE run (Jinja tags stay whole)."""
    paragraph = container.add_paragraph()
    fmt = paragraph.paragraph_format
    fmt.alignment = ALIGN[align]
    fmt.space_before, fmt.space_after = Pt(before), Pt(after)
    fmt.keep_with_next = keep_with_next
    if line:
        fmt.line_spacing = line
    if first_indent_chars:   # Word reads the characters, LibreOffice the twips
        ind = fmt.element.get_or_add_pPr().get_or_add_ind()
        ind.set(qn("w:firstLineChars"), str(first_indent_chars * 100))
        ind.set(qn("w:firstLine"), str(int(first_indent_chars * (size or body_size(container)) * 20)))
    if text:
        run = paragraph.add_run(text)
        run.bold = bold
        if size:
            run.font.size = Pt(size)
        if font:
            _fonts(run._element.get_or_add_rPr(), font)
        if color:
            run.font.color.rgb = RGBColor.from_string(color)
    return paragraph


def body_size(container) -> float:
    return container.part.document.styles["Normal"].font.size.pt


def page_break(doc) -> None:
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


def grid_table(container, widths_mm: list[float], *, borders: bool = True):
    """An empty fixed-layout table (in the document or in a cell) whose grid has exactly these column widths."""
    table = container.add_table(rows=0, cols=len(widths_mm))
    if borders:
        table.style = "Table Grid"
    table.autofit = False
    tbl_pr = table._tbl.tblPr
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    tbl_pr.append(layout)
    width = tbl_pr.find(qn("w:tblW"))
    if width is None:
        width = OxmlElement("w:tblW")
        tbl_pr.append(width)
    width.set(qn("w:type"), "dxa")
    width.set(qn("w:w"), str(sum(int(Mm(w).twips) for w in widths_mm)))
    table.alignment = 1   # centred
    for column, w in zip(table._tbl.tblGrid.findall(qn("w:gridCol")), widths_mm):
        column.set(qn("w:w"), str(int(Mm(w).twips)))
    table.widths_mm = widths_mm
    return table


def row(table, cells: list, *, height_mm: float | None = None, exact: bool = False, size: float | None = None,
        header: bool = False, valign: str = "center"):
    """Adds a row. Each cell is text, or (text, span), or (text, span, align); text with \\n makes
    several paragraphs. Returns the row's cells after merging, one per spec."""
    new = table.add_row()
    if height_mm:
        new.height = Mm(height_mm)
        new.height_rule = WD_ROW_HEIGHT_RULE.EXACTLY if exact else WD_ROW_HEIGHT_RULE.AT_LEAST
    if header:
        tr_pr = new._tr.get_or_add_trPr()
        tr_pr.append(OxmlElement("w:tblHeader"))
    for cell, w in zip(new.cells, table.widths_mm):
        cell.width = Mm(w)
    merged, column = [], 0
    for spec in cells:
        text, span, align = (spec, 1, "center") if isinstance(spec, str) else (*spec, "center")[:3]
        cell = new.cells[column]
        if span > 1:
            cell = cell.merge(new.cells[column + span - 1])
        column += span
        fill(cell, text, align=align, size=size, bold=header, valign=valign)
        merged.append(cell)
    return merged


def fill(cell, text: str, *, align: str = "center", size: float | None = None, bold: bool = False,
         valign: str = "center") -> None:
    cell.vertical_alignment = getattr(WD_CELL_VERTICAL_ALIGNMENT, valign.upper())
    lines = text.split("\n") if text else [""]
    first = cell.paragraphs[0]
    for extra in cell.paragraphs[1:]:
        extra._element.getparent().remove(extra._element)
    for index, line in enumerate(lines):
        paragraph = first if index == 0 else cell.add_paragraph()
        paragraph.paragraph_format.alignment = ALIGN[align]
        if line:
            run = paragraph.add_run(line)
            run.bold = bold
            if size:
                run.font.size = Pt(size)


def loop_rows(table, loop: str, cells: list, *, empty: str | None = None, size: float | None = None,
              height_mm: float = 7) -> None:
    """docxtpl row loop: `{%tr for … %}` / the repeated row / `{%tr endfor %}`, and, when the list is
    empty, one row saying so (a printed form never shows a bare header)."""
    name = loop.split(" in ", 1)[1].strip()
    span = len(table.widths_mm)
    row(table, [(f"{{%tr for {loop} %}}", span)])
    row(table, cells, size=size, height_mm=height_mm)
    row(table, [("{%tr endfor %}", span)])
    if empty:
        row(table, [(f"{{%tr if not {name} %}}", span)])
        row(table, [(empty, span)], size=size, height_mm=height_mm)
        row(table, [("{%tr endif %}", span)])


def vmerge(table, column: int, first_row: int, last_row: int):
    return table.cell(first_row, column).merge(table.cell(last_row, column))


def header_footer(doc, header_text: str | None, *, page_numbers: bool = True) -> None:
    """A header line, and 第 N 页 共 M 页 from Word fields in the footer."""
    section = doc.sections[0]
    if header_text:
        paragraph = section.header.paragraphs[0]
        paragraph.paragraph_format.alignment = ALIGN["right"]
        paragraph.add_run(header_text)
    if page_numbers:
        paragraph = section.footer.paragraphs[0]
        paragraph.paragraph_format.alignment = ALIGN["center"]
        for piece in ("第 ", "PAGE", " 页 共 ", "NUMPAGES", " 页"):
            if piece.isupper():
                paragraph._p.append(parse_xml(
                    f'<w:fldSimple {nsdecls("w")} w:instr=" {piece} "><w:r><w:t>1</w:t></w:r></w:fldSimple>'))
            else:
                paragraph.add_run(piece)


def double_border(table) -> None:
    borders = parse_xml(f'<w:tblBorders {nsdecls("w")}>' + "".join(
        f'<w:{side} w:val="double" w:sz="12" w:space="0" w:color="8B0000"/>'
        for side in ("top", "left", "bottom", "right")) + "</w:tblBorders>")
    table._tbl.tblPr.append(borders)


_DROPPED_PARTS = ("stylesWithEffects", "customXml", "thumbnail")


def slim(doc) -> None:
    """python-docx's blank document carries ~800 KB of styles (100 table styles, a Word 2010 copy of
    them all), a thumbnail of a blank page and a bibliography part. Every render loads and saves
    them, so the templates keep only the styles they use (with what those are based on or linked to)."""
    for rels in (doc.part.rels, doc.part.package.rels):
        for key, rel in list(rels.items()):
            if rel.reltype.rsplit("/", 1)[-1] in _DROPPED_PARTS:
                del rels[key]
    styles = doc.styles.element
    used = {s.get(qn("w:styleId")) for s in styles.findall(qn("w:style")) if s.get(qn("w:default")) == "1"}
    parts = [doc.element] + [rel.target_part.element for rel in doc.part.rels.values()
                             if rel.reltype.rsplit("/", 1)[-1] in ("header", "footer")]
    for element in parts:
        for tag in ("w:pStyle", "w:rStyle", "w:tblStyle", "w:numStyle"):
            used |= {node.get(qn("w:val")) for node in element.iter(qn(tag))}
    by_id = {s.get(qn("w:styleId")): s for s in styles.findall(qn("w:style"))}
    pending = list(used)
    while pending:
        style = by_id.get(pending.pop())
        for tag in ("w:basedOn", "w:link", "w:next"):
            node = style.find(qn(tag)) if style is not None else None
            if node is not None and node.get(qn("w:val")) not in used:
                used.add(node.get(qn("w:val")))
                pending.append(node.get(qn("w:val")))
    for style_id, style in by_id.items():
        if style_id not in used:
            styles.remove(style)
    latent = styles.find(qn("w:latentStyles"))
    if latent is not None:
        styles.remove(latent)
