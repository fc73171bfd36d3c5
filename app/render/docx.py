"""docxtpl rendering with the reusable parts kept between renders.

A naive docxtpl render (load, render, save) costs ~100 ms here, and most of it is repeated work:
cleaning the template's XML for Jinja (~19 %) and compiling it (~38 %). A CompiledTemplate does both
once per template version; each render then loads a fresh document (docxtpl mutates it), runs the
compiled Jinja and saves. Compiled templates are cached by (batch, form, sha256 of the file), so an
uploaded replacement is picked up at once and an unchanged one is never recompiled.

Templates are rendered with autoescape on (a name like "A&B" must not break the XML) in a sandboxed
Jinja environment: replacement templates come from uploads, and a template should not be able to
reach Python internals through attribute access.
"""

import hashlib
import io
import os
import re
import threading
from collections import OrderedDict
from typing import Any

import anyio
from docx.opc.oxml import parse_xml
from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage
from jinja2 import Template, TemplateSyntaxError, Undefined, meta
from jinja2.sandbox import SandboxedEnvironment

from app.errors import ValidationFailed
from app.render.contexts import Picture
from app.render.watermark import add_docx_watermark

_PARAGRAPH = re.compile(r"<w:p([ >])")
_NEWLINE_PARAGRAPH = re.compile(r"\n<w:p([ >])")
_JINJA = re.compile(r"\{[{%#]")
_LISTING = re.compile(r"[\t\n\a\f]")
_WHOLE_PARAGRAPH = re.compile(r"<w:p(?: [^>]*)?>.*?</w:p>", re.DOTALL)
CACHE_SIZE = 64


def environment(undefined: type[Undefined] = Undefined) -> SandboxedEnvironment:
    return SandboxedEnvironment(autoescape=True, undefined=undefined)


class CompiledTemplate:
    """A template file parsed and compiled once: the Jinja templates of its body and its headers and
    footers (by part name), and the variables it uses."""

    def __init__(self, source: bytes, env: SandboxedEnvironment | None = None):
        self.source = source
        self.sha256 = self.digest(source)
        self.env = env or environment()
        probe = DocxTemplate(io.BytesIO(source))
        document = probe.get_docx()
        xml = {"body": probe.patch_xml(probe.get_xml())}
        for uri in (DocxTemplate.HEADER_URI, DocxTemplate.FOOTER_URI):
            for _, part in probe.get_headers_footers(uri):
                text = probe.patch_xml(probe.xml_to_string(parse_xml(part.blob)))
                if _JINJA.search(text):
                    xml[str(part.partname)] = text
        properties = [getattr(document.core_properties, p) or "" for p in ("author", "comments", "identifier",
                                                                           "language", "subject", "title")]
        self.dynamic_properties = any(_JINJA.search(p) for p in properties)
        self.variables: set[str] = set()
        self.parts: dict[str, Template] = {}
        for name, text in xml.items():
            text = _PARAGRAPH.sub(r"\n<w:p\1", text)
            self.variables |= meta.find_undeclared_variables(self.env.parse(text))
            self.parts[name] = self.env.from_string(text)

    @staticmethod
    def digest(source: bytes) -> str:
        return hashlib.sha256(source).hexdigest()

    def render(self, context: dict[str, Any], *, watermark: str | None = None) -> bytes:
        """The filled-in .docx; with watermark, the word laid across every page as Word does it."""
        rendering = _Rendering(self)
        rendering.render(rendering.place_pictures(context), self.env, autoescape=True)
        if watermark:
            add_docx_watermark(rendering.docx, watermark)
        out = io.BytesIO()
        rendering.save(out)
        return out.getvalue()


class _Rendering(DocxTemplate):
    """One render: docxtpl's own machinery (tables, listings, pictures, headers) fed with the
    compiled parts instead of re-cleaning and re-compiling the XML."""

    def __init__(self, compiled: CompiledTemplate):
        super().__init__(io.BytesIO(compiled.source))
        self.compiled = compiled

    def place_pictures(self, value: Any) -> Any:
        """Every Picture in the context, at any depth (a seal sits in its opinion box), as an InlineImage."""
        if isinstance(value, Picture):
            return InlineImage(self, io.BytesIO(value.data), width=Mm(value.width_mm),
                               height=Mm(value.height_mm) if value.height_mm else None)
        if isinstance(value, dict):
            return {key: self.place_pictures(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.place_pictures(item) for item in value]
        return value

    def _render_part(self, name: str, part, context: dict[str, Any]) -> str:
        self.current_rendering_part = part
        xml = _NEWLINE_PARAGRAPH.sub(r"<w:p\1", self.compiled.parts[name].render(context))
        xml = xml.replace("{_{", "{{").replace("}_}", "}}").replace("{_%", "{%").replace("%_}", "%}")
        return self.resolve_listing(xml)

    def resolve_listing(self, xml: str) -> str:
        """docxtpl turns tabs and line breaks inside values into Word's; it rewrites every paragraph
        to do so, which here means the few that hold such a character."""
        if not _LISTING.search(xml):
            return xml
        return _WHOLE_PARAGRAPH.sub(
            lambda m: super(_Rendering, self).resolve_listing(m.group(0)) if _LISTING.search(m.group(0))
            else m.group(0), xml)

    def build_xml(self, context, jinja_env=None):
        return self._render_part("body", self.docx._part, context)

    def build_headers_footers_xml(self, context, uri, jinja_env=None):
        for rel_key, part in self.get_headers_footers(uri):
            if str(part.partname) in self.compiled.parts:
                yield rel_key, self._render_part(str(part.partname), part, context).encode("utf-8")

    def render_properties(self, context, jinja_env=None) -> None:
        if self.compiled.dynamic_properties:
            super().render_properties(context, jinja_env)


def compile_template(source: bytes, *, undefined: type[Undefined] = Undefined) -> CompiledTemplate:
    """Parses an uploaded or shipped template; refuses what is not a .docx or not valid Jinja."""
    try:
        return CompiledTemplate(source, environment(undefined))
    except TemplateSyntaxError as exc:
        raise ValidationFailed(f"模板语法错误（第{exc.lineno}处附近）：{exc.message}", field="file",
                               code="template_syntax") from None
    except Exception:  # noqa: BLE001 - zip, XML or package errors all mean the same to the uploader
        raise ValidationFailed("文件不是有效的 Word（.docx）文档", field="file", code="template_unreadable") from None


class TemplateCache:
    """Compiled templates by (batch, form, sha256), least recently used dropped past CACHE_SIZE."""

    def __init__(self, size: int = CACHE_SIZE):
        self.size = size
        self._items: OrderedDict[tuple, CompiledTemplate] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> CompiledTemplate | None:
        with self._lock:
            compiled = self._items.get(key)
            if compiled is not None:
                self._items.move_to_end(key)
            return compiled

    def put(self, key: tuple, compiled: CompiledTemplate) -> None:
        with self._lock:
            self._items[key] = compiled
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


CACHE = TemplateCache()
# docxtpl and pypdf are CPU-bound Python: more threads than cores only queue on the GIL, and a ZIP of
# 300 forms must not take every thread of the server's pool.
THREADS = max(2, min(4, os.cpu_count() or 2))
_limiter: anyio.CapacityLimiter | None = None


async def in_thread(function, *args):
    """Runs blocking render work (docxtpl, pypdf, QR codes) off the event loop, a few at a time."""
    global _limiter
    if _limiter is None:
        _limiter = anyio.CapacityLimiter(THREADS)
    return await anyio.to_thread.run_sync(function, *args, limiter=_limiter)
