"""The 预览版 (preview) watermark: forms printed before the committee's qualification check passes are
for checking only (003 §2.4.1.2.13: the official version comes once the pre-check has passed).

PDFs get a translucent diagonal stamp on every page with pypdf. The stamp is a page LibreOffice made
from templates_docx/watermark.docx, so its CJK glyphs come from the same embedded font as the form and
the word stays extractable text (a reader can search it, a test can find it). .docx downloads get the
watermark Word itself uses (a VML text shape in every header), so the file opened in Word or WPS shows
it too, and the administrator's template needs nothing for it.
"""

import io
from xml.sax.saxutils import quoteattr

from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import parse_xml
from pypdf import PdfReader, PdfWriter, Transformation
from pypdf.generic import ContentStream, DictionaryObject, FloatObject, NameObject

from app.dossiers.enums import DossierStatus as S

PREVIEW_TEXT = "预览版"
# Past the qualification check (受理): the forms are official from here on.
OFFICIAL_STATUSES = frozenset({S.accepted, S.scheduled, S.approved, S.not_approved, S.publicity, S.publicized,
                               S.certified})
OPACITY = 0.22
ANGLE = 45


def is_official(status: str) -> bool:
    return status in OFFICIAL_STATUSES


# --- .docx: Word's own watermark shape ---

_STYLE = ("position:absolute;margin-left:0;margin-top:0;width:420pt;height:140pt;rotation:315;z-index:-251657216;"
          "mso-position-horizontal:center;mso-position-horizontal-relative:margin;mso-position-vertical:center;"
          "mso-position-vertical-relative:margin")
_SHAPE = """<w:p xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"
 xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office"
 xmlns:w10="urn:schemas-microsoft-com:office:word">
<w:pPr><w:pStyle w:val="Header"/></w:pPr><w:r><w:rPr><w:noProof/></w:rPr><w:pict>
<v:shapetype id="_x0000_t136" coordsize="21600,21600" o:spt="136" adj="10800" path="m@7,l@8,m@5,21600l@6,21600e">
<v:formulas><v:f eqn="sum #0 0 10800"/><v:f eqn="prod #0 2 1"/><v:f eqn="sum 21600 0 @1"/><v:f eqn="sum 0 0 @2"/>
<v:f eqn="sum 21600 0 @3"/><v:f eqn="if @0 @3 0"/><v:f eqn="if @0 21600 @1"/><v:f eqn="if @0 0 @2"/>
<v:f eqn="if @0 @4 21600"/><v:f eqn="mid @5 @6"/><v:f eqn="mid @8 @5"/><v:f eqn="mid @7 @8"/><v:f eqn="mid @6 @7"/>
<v:f eqn="sum @6 0 @5"/></v:formulas>
<v:path textpathok="t" o:connecttype="custom" o:connectlocs="@9,0;@10,10800;@11,21600;@12,10800"
 o:connectangles="270,180,90,0"/>
<v:textpath on="t" fitshape="t"/><v:handles><v:h position="#0,bottomRight" xrange="6629,14971"/></v:handles>
<o:lock v:ext="edit" text="t" shapetype="t"/></v:shapetype>
<v:shape id="ZCWaterMark{n}" o:spid="_x0000_s20{n:02d}" type="#_x0000_t136" o:allowincell="f" fillcolor="#a0a0a0"
 stroked="f" style="{style}">
<v:fill opacity=".4"/><v:textpath style="font-family:&quot;黑体&quot;;font-size:1pt" string={text}/>
<w10:wrap anchorx="margin" anchory="margin"/></v:shape></w:pict></w:r></w:p>"""


def add_docx_watermark(document, text: str = PREVIEW_TEXT) -> None:
    """Puts the shape into every header part (default, first-page and even-page ones alike), creating
    the first section's header when the template has none; later sections without their own inherit it."""
    if document.sections[0].header.is_linked_to_previous:
        document.sections[0].header.is_linked_to_previous = False
    headers = [rel.target_part for rel in document.part.rels.values() if rel.reltype == RT.HEADER]
    for number, part in enumerate(headers, 1):
        part.element.append(parse_xml(_SHAPE.format(n=number, style=_STYLE, text=quoteattr(text))))


# --- PDF: a translucent diagonal stamp ---

def prepare_stamp(stamp_pdf: bytes) -> bytes:
    """The stamp page made translucent once (an ExtGState with fill and stroke alpha around its
    content), so stamping a form is a plain merge."""
    reader = PdfReader(io.BytesIO(stamp_pdf))
    writer = PdfWriter()
    page = writer.add_page(reader.pages[0])
    resources = page[NameObject("/Resources")]
    states = resources.get(NameObject("/ExtGState"))
    states = states.get_object() if states is not None else DictionaryObject()
    states[NameObject("/ZCTranslucent")] = DictionaryObject({
        NameObject("/Type"): NameObject("/ExtGState"), NameObject("/ca"): FloatObject(OPACITY),
        NameObject("/CA"): FloatObject(OPACITY)})
    resources[NameObject("/ExtGState")] = states
    content = ContentStream(None, writer)
    content.set_data(b"q /ZCTranslucent gs\n" + page.get_contents().get_data() + b"\nQ")
    page.replace_contents(content)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def stamp_pdf(pdf: bytes, stamp: bytes) -> bytes:
    """Lays the prepared stamp across the middle of every page, turned 45°."""
    stamp_page = PdfReader(io.BytesIO(stamp)).pages[0]
    box = stamp_page.mediabox
    stamp_x, stamp_y = float(box.left + box.right) / 2, float(box.bottom + box.top) / 2
    writer = PdfWriter(clone_from=io.BytesIO(pdf))
    for page in writer.pages:
        target = page.mediabox
        centre_x, centre_y = float(target.left + target.right) / 2, float(target.bottom + target.top) / 2
        scale = min(1.0, float(target.width) / float(box.width), float(target.height) / float(box.height))
        move = (Transformation().translate(-stamp_x, -stamp_y).scale(scale, scale).rotate(ANGLE)
                .translate(centre_x, centre_y))
        page.merge_transformed_page(stamp_page, move, over=True)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
