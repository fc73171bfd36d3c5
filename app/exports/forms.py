"""The generated forms a bundle or an archive carries (申报表, 材料目录) and the plain catalogue used when
they cannot be made.

The forms come from app.render.service.form_pdf through the warm LibreOffice pool (with its own
timeouts). A bundle must not fail because of them: when the module or the converter is missing, the
dossier gets a CSV catalogue instead and the manifest says why. Once the converter is found missing,
unavailable or too slow the export stops asking, so a 500-dossier bundle does not wait 500 timeouts."""

import csv
import io

from app.clock import local_text
from app.dossiers.models import Dossier

FORMS = (("application", "申报表"), ("catalogue", "材料目录"))
CATALOGUE_HEADER = ["序号", "分节", "包内文件", "原文件名", "页数", "大小（字节）", "SHA-256", "上传时间"]


class FormMaker:
    """Makes the forms of each dossier of one export, remembering when the converter is unavailable."""

    def __init__(self, wanted: bool = True):
        self.unavailable: str | None = None if wanted else "本次导出未要求生成申报表与材料目录"

    async def make(self, dossier: Dossier) -> tuple[list[tuple[str, bytes]], str | None]:
        """[(file name, PDF bytes)] and, when something is missing, a note for the manifest."""
        if self.unavailable:
            return [], self.unavailable
        try:
            from app.render import convert, service as render
        except ImportError as exc:
            self.unavailable = f"表单生成模块不可用（{exc}），以 CSV 材料目录代替"
            return [], self.unavailable
        made: list[tuple[str, bytes]] = []
        for form, label in FORMS:
            try:
                pdf = (await render.form_pdf(dossier, form)).content
            except (convert.ConverterUnavailable, convert.ConversionTimeout) as exc:
                self.unavailable = f"{exc.message}：其余申报不再生成表单，以 CSV 材料目录代替"
                return made, self.unavailable
            except Exception as exc:    # this dossier's form failed; the bundle goes on without it
                return made, f"{label}生成失败：{getattr(exc, 'message', exc)}"
            made.append((f"{label}.pdf", pdf))
        return made, None

def catalogue_csv(rows: list[dict]) -> bytes:
    """材料目录 as CSV (UTF-8 with BOM so Excel opens the Chinese correctly)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CATALOGUE_HEADER)
    for n, row in enumerate(rows, 1):
        writer.writerow([n, row["section"], row["path"], row["filename"], row["pages"], row["size"], row["sha256"],
                         local_text(row["uploaded_at"]) if row.get("uploaded_at") else ""])
    return out.getvalue().encode("utf-8-sig")
