"""The hand-over metadata of an archive package (电子档案移交与接收办法): the records made from the dossier and
its trail (审核记录, 评审会纪要, 公示记录), the 文件目录 XML listing each document with its title, date, author
body (责任者), page count and hash, the 说明文件, and the bag's bag-info.txt fields."""

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from app.clock import CHINA, local_text
from app.dossiers.enums import ACTION_LABELS, STATUS_LABELS, DossierStatus
from app.dossiers.models import Dossier
from app.exports.archive_checks import pdf_pages

CATALOGUE = "文件目录.xml"
README = "说明文件.txt"
TRAIL = "records/审核记录.json"
MINUTES = "records/评审会纪要.json"
PUBLICITY = "records/公示记录.json"
DOCUMENT = "dossier.json"
PACKAGE = "package.json"
BATCH = "batch.json"
# The generated forms an archive may carry, as PDF/A-2b: its batch's (app.render.contexts.bundle_forms), the
# certificate once issued. The labels are app.render.contexts.FORMS's (verify and import need no renderer).
FORMS = (("application", "申报表"), ("brief", "简介表"), ("initial", "初定技术资格呈报表"), ("recognition", "认定表"),
         ("catalogue", "材料目录"), ("certificate", "证书"))
REVIEW_FORMS = ("application", "brief", "catalogue")        # a batch unknown (an archive made without one)


@dataclass(frozen=True)
class Names:
    """What the metadata names besides the dossier's own fields: its committee, batch, title and specialty
    (the declaration holds dictionary codes)."""
    committee: str
    batch: str
    title: str
    specialty: str


@dataclass
class Item:
    """One document of the package as the 文件目录 lists it."""
    path: str          # inside data/
    title: str
    when: date | datetime | None
    author: str
    kind: str          # 表单 | 附件 | 记录 | 数据
    fmt: str = ""
    pages: int = 1
    size: int = 0
    sha256: str = ""


def expected_forms(status: str, certificate: Any, forms: tuple[str, ...] = REVIEW_FORMS) -> list[str]:
    """The forms a complete package of a dossier in this status holds (file names under forms/): its
    batch's bundle forms, and the certificate once issued."""
    labels = dict(FORMS)
    wanted = [labels[form] for form in forms]
    if status == DossierStatus.certified and certificate is not None:
        wanted.append("证书")
    return [f"{label}.pdf" for label in wanted]


def committee_name(dossier: Dossier, found: str | None) -> str:
    if found:
        return found
    if dossier.certificate is not None:
        return dossier.certificate.committee_name
    return dossier.committee_code or (dossier.reported_to[-1] if dossier.reported_to else "")


def trail_record(dossier: Dossier) -> list[dict[str, Any]]:
    """The whole review trail with the labels people read."""
    rows = []
    for n, entry in enumerate(dossier.trail, 1):
        row = entry.model_dump(mode="json")
        rows.append({"序号": n, "时间": local_text(entry.at), "操作": ACTION_LABELS.get(entry.action, entry.action),
                     "办理人": entry.actor_name, "单位": entry.unit_name or "", "意见": entry.opinion or "",
                     "签字人": entry.signer or "",
                     "状态": f"{STATUS_LABELS.get(entry.from_status, entry.from_status)} → "
                           f"{STATUS_LABELS.get(entry.to_status, entry.to_status)}",
                     "原始记录": row})
    return rows


def publicity_record(dossier: Dossier, proofs: dict[str, str]) -> dict[str, Any] | None:
    """公示: the dates, the employer's opinion and each review up the route, with the package path of a proof."""
    if dossier.publicity is None:
        return None
    record = dossier.publicity.model_dump(mode="json")
    for opinion in [record.get("opinion"), *record.get("rejected", [])]:
        if opinion and opinion.get("proof"):
            opinion["proof"]["package_path"] = proofs.get(str(opinion["proof"]["file_id"]), "")
    entries = [e.model_dump(mode="json") for e in dossier.trail if e.action.startswith("publicity")
               or e.to_status in (DossierStatus.publicity, DossierStatus.publicized)]
    return {"公示": record, "相关审核记录": entries}


def items_for(dossier: Dossier, files: list[dict], pages: dict[str, int], committee: str,
              meeting_day: date | None, made_at: datetime) -> list[Item]:
    """Every payload file but the catalogue itself, titled, dated and attributed from the dossier."""
    publicity_unit = (dossier.publicity.opinion.unit_name if dossier.publicity and dossier.publicity.opinion
                      else committee)
    last = dossier.trail[-1].at if dossier.trail else dossier.updated_at
    items = []
    for f in files:
        path, name = f["path"], f["path"].rsplit("/", 1)[-1]
        source = f.get("source")
        if source == "form" or path.startswith("forms/"):
            label = name.rsplit(".", 1)[0]
            when = (dossier.certificate.issued_on if label == "证书" and dossier.certificate
                    else dossier.submitted_at)
            author = {"证书": dossier.certificate.issuing_body if dossier.certificate else committee,
                      "申报表": dossier.applicant_name,
                      "简介表": dossier.applicant_name}.get(label, dossier.declaration.employer_unit_name)
            item = Item(path, f"{dossier.applicant_name}{label}", when, author, "表单",
                        "PDF/A-2b" if path.endswith(".pdf") else "CSV")
        elif source == "attachment":
            uploaded = (f.get("gridfs") or {}).get("uploadDate")
            author = publicity_unit if f.get("section") == "公示意见证明" else dossier.applicant_name
            item = Item(path, f"{f.get('section', '')}：{(f.get('gridfs') or {}).get('filename') or name}",
                        uploaded, author, "附件", name.rsplit(".", 1)[-1].upper())
        elif path == TRAIL:
            item = Item(path, "审核记录（全过程）", last, committee, "记录", "JSON")
        elif path == MINUTES:
            item = Item(path, "评审会纪要（到会、回避、表决）", meeting_day or last, committee, "记录", "JSON")
        elif path == PUBLICITY:
            published = dossier.publicity.published_at if dossier.publicity else last
            item = Item(path, "公示记录", published, committee, "记录", "JSON")
        elif path == DOCUMENT:
            item = Item(path, "申报数据（完整文档）", dossier.updated_at, committee, "数据", "JSON")
        elif path == BATCH:
            item = Item(path, "申报批次（规则、时间与承诺书）", made_at, committee, "数据", "JSON")
        elif path == PACKAGE:
            item = Item(path, "归档包文件清单（恢复用）", made_at, committee, "数据", "JSON")
        else:
            item = Item(path, name, made_at, committee, "说明", name.rsplit(".", 1)[-1].upper())
        item.pages, item.size, item.sha256 = pages.get(path, 1), f["size"], f["sha256"]
        items.append(item)
    return items


def _day(when: date | datetime | None) -> str:
    if when is None:
        return ""
    if isinstance(when, datetime):
        return when.astimezone(CHINA).date().isoformat()
    return when.isoformat()


def catalogue_xml(dossier: Dossier, items: list[Item], *, names: Names, made_at: datetime, made_by: str) -> bytes:
    """文件目录: the dossier (案卷) and each document with title, date, author body, page count and hash."""
    root = ElementTree.Element("文件目录", {"版本": "1", "生成时间": made_at.astimezone(CHINA).isoformat(),
                                          "生成人": made_by})
    volume = ElementTree.SubElement(root, "案卷")
    for tag, value in (("档号", str(dossier.id)), ("题名", f"{dossier.applicant_name}职称申报材料"),
                       ("申报人", dossier.applicant_name), ("身份证号后四位", (dossier.id_number or "")[-4:]),
                       ("年度", str(dossier.year)), ("申报批次", names.batch),
                       ("申报单位", dossier.declaration.employer_unit_name), ("评委会", names.committee),
                       ("申报职称", names.title), ("专业", names.specialty),
                       ("办结状态", STATUS_LABELS.get(dossier.status, dossier.status)),
                       ("证书编号", dossier.certificate.number if dossier.certificate else ""),
                       ("文件数", str(len(items))), ("总页数", str(sum(i.pages for i in items)))):
        ElementTree.SubElement(volume, tag).text = value
    for n, item in enumerate(items, 1):
        entry = ElementTree.SubElement(root, "文件", {"序号": str(n)})
        for tag, value in (("题名", item.title), ("日期", _day(item.when)), ("责任者", item.author),
                           ("类别", item.kind), ("格式", item.fmt), ("页数", str(item.pages)),
                           ("大小", str(item.size)), ("路径", f"data/{item.path}"),
                           ("哈希算法", "SHA-256"), ("哈希值", item.sha256)):
            ElementTree.SubElement(entry, tag).text = value
    ElementTree.indent(root)
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def readme(dossier: Dossier, items: list[Item], *, names: Names, made_at: datetime, made_by: str,
           notes: list[str]) -> bytes:
    """说明文件: what is handed over, how it is packed and how to check it."""
    lines = [
        "电子档案移交说明文件",
        "",
        f"案卷：{dossier.applicant_name}职称申报材料（档号 {dossier.id}）",
        f"申报：{names.title}（{names.specialty}），"
        f"申报单位 {dossier.declaration.employer_unit_name}，批次 {names.batch}，年度 {dossier.year}",
        f"评委会：{names.committee}；办结状态：{STATUS_LABELS.get(dossier.status, dossier.status)}"
        + (f"；证书编号 {dossier.certificate.number}" if dossier.certificate else ""),
        f"移交内容：文件 {len(items)} 个，共 {sum(i.pages for i in items)} 页，"
        f"{sum(i.size for i in items)} 字节；逐件目录见 {CATALOGUE}。",
        "",
        "封装：BagIt 1.0（RFC 8493）包，ZIP 序列化（包内一个顶层文件夹，文件夹名即包名），"
        "manifest-sha256.txt 记录 data/ 下每个文件的 SHA-256，tagmanifest-sha256.txt 记录各标签文件的 SHA-256，"
        "bag-info.txt 记录申报的标识。",
        "表单（forms/）为 PDF/A-2b，字体全部嵌入；附件（attachments/）为申报人上传的原件；"
        "records/ 为审核记录、评审会纪要（到会、回避、表决）与公示记录；dossier.json 为完整申报数据，"
        "batch.json 为申报批次，package.json 为恢复导入所需的文件清单。",
        "检测：python -m app archive verify 包名.zip 依 GB/T 18894、DA/T 70 进行真实性、完整性、可用性、"
        "安全性四性检测；python -m app archive import 包名.zip 检测通过后恢复到数据库。",
        "",
        f"生成时间：{local_text(made_at)}；生成人：{made_by}",
    ]
    if notes:
        lines += ["", "说明：", *(f"- {note}" for note in notes)]
    return ("\n".join(lines) + "\n").encode("utf-8")


def bag_info(dossier: Dossier, *, names: Names, made_by: str, fmt: str, forms_note: str | None) -> dict[str, str]:
    """bag-info.txt: the dossier's identifiers (bagit adds Bagging-Date, Payload-Oxum and its agent)."""
    info = {"Source-Organization": names.committee or dossier.declaration.employer_unit_name,
            "Contact-Name": made_by,
            "External-Identifier": str(dossier.id),
            "External-Description": f"{dossier.applicant_name}职称申报材料：{names.title}"
                                    f"（{names.specialty}），{dossier.declaration.employer_unit_name}",
            "Bag-Group-Identifier": str(dossier.batch_id),
            "Zhicheng-Format": fmt,
            "Zhicheng-Dossier-Id": str(dossier.id),
            "Zhicheng-Applicant": dossier.applicant_name,
            "Zhicheng-Id-Number-Tail": (dossier.id_number or "")[-4:],
            "Zhicheng-Batch": names.batch,
            "Zhicheng-Year": str(dossier.year),
            "Zhicheng-Status": str(dossier.status),
            "Zhicheng-Forms": "PDF/A-2b" if forms_note is None else f"omitted: {forms_note}"}
    if dossier.certificate is not None:
        info["Zhicheng-Certificate-Number"] = dossier.certificate.number
    return info


def page_counts(data: Path, files: list[dict]) -> dict[str, int]:
    """Pages of each PDF (read from the file), 1 for anything else."""
    counts = {}
    for f in files:
        if f["path"].lower().endswith(".pdf"):
            try:
                counts[f["path"]] = pdf_pages(data / f["path"])
            except Exception:  # noqa: BLE001 - a broken PDF counts one page; the usability check names it
                counts[f["path"]] = 1
    return counts
