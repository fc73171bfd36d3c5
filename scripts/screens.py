"""Screenshots of the main pages at a desktop's width (1366 px) and a phone's (375 px), for docs/screens/.

Runs against a server with the demo data (`./scripts/serve.sh --port 8000`, the default address here):
張三 (zhangsan) gets a filled and submitted dossier in the demo's 中级 batch if he has none, so the applicant's
pages and the unit's review queue have something to show. Each picture is what the screen shows (not the
whole page), quantised to a 256-colour PNG with Pillow so that the folder stays small.

    .venv/bin/python scripts/screens.py [--base-url http://127.0.0.1:8000] [--out docs/screens]
"""

import argparse
import asyncio
import io
import sys
from pathlib import Path

import httpx
from PIL import Image
from playwright.async_api import async_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.accounts.validators import birth_date_from_resident_id, gender_from_resident_id  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--lang=zh-CN"]
WIDTHS = {"desktop": (1366, 860), "phone": (375, 760)}
PASSWORD = "Demo@2026"


def pdf_bytes() -> bytes:
    from pypdf import PdfWriter

    writer, out = PdfWriter(), io.BytesIO()
    writer.add_blank_page(width=595, height=842)
    writer.write(out)
    return out.getvalue()


def photo_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (390, 567), (196, 214, 232)).save(out, "JPEG")
    return out.getvalue()


def sections(id_number: str) -> dict:
    return {
        "basic": {"gender": gender_from_resident_id(id_number),
                  "birth_date": birth_date_from_resident_id(id_number).isoformat(), "ethnicity": "01",
                  "politics": "01", "phone": "13805310001", "work_start": "2007-07", "profession_start": "2007-07"},
        "education": {"rows": [
            {"id": "edu0000001", "start": "2003-09", "end": "2007-07", "school": "山东艺术学院", "major": "舞蹈学",
             "education_level": "21", "degree": "bachelor", "study_mode": "fulltime", "full_time": True,
             "highest": True, "qualifying": True, "verification_code": "A1B2C3D4E5F6G7"}]},
        "current_title": {"title_name": "助理馆员", "level": "2", "obtained_on": "2013-12-20",
                          "approving_body": "济南市人力资源和社会保障局", "hired": True, "hired_on": "2014-01-01"},
        "assessments": {"rows": [{"id": f"asm00000{y}", "year": y, "grade": "excellent" if y % 2 else "pass",
                                  "appraising_unit": "济南市群众艺术馆"} for y in range(2021, 2026)]},
        "work_history": {"rows": [
            {"id": "wrk0000001", "start": "2007-07", "end": "2015-06", "unit": "济南市历下区文化馆", "post": "舞蹈辅导"},
            {"id": "wrk0000002", "start": "2015-07", "end": None, "unit": "济南市群众艺术馆", "post": "舞蹈辅导"}]},
        "achievements": {"rows": [
            {"id": "ach0000001", "name": "济南市社区广场舞创编与推广", "category": "promotion", "level": "municipal",
             "rank": "1/3", "achieved_on": "2023-10"}]},
        "summary": {"text": "任现职以来，长期从事群众舞蹈辅导与创编工作，组织社区培训百余场，创编广场舞十余支。"},
    }


async def demo_dossier(base_url: str) -> str:
    """張三's dossier in the demo's 中级 batch: made, filled and submitted through the API unless it exists."""
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:
        r = await http.post("/api/auth/login", json={"login": "zhangsan", "password": PASSWORD})
        r.raise_for_status()
        auth = {"Authorization": f"Bearer {r.json()['token']}"}
        mine = (await http.get("/api/dossiers", headers=auth)).json()
        mine = mine.get("items", mine) if isinstance(mine, dict) else mine
        if mine:
            return mine[0]["id"]
        batch = next(b for b in (await http.get("/api/batches", headers=auth)).json() if "中级" in b["name"])
        units = (await http.get("/api/units", params={"q": "群众艺术"}, headers=auth)).json()
        unit = (units.get("items", units) if isinstance(units, dict) else units)[0]
        r = await http.post("/api/dossiers", headers=auth, json={
            "batch_id": batch["id"], "commitment_agreed": True, "level": "3", "series": "qzwh", "title": "qzwh-3",
            "specialty": "qzwh-s01", "mode": "normal", "employer_unit_id": unit["id"], "is_actual_unit": True,
            "entrusted_review": False, "unit_rank": "1/3"})
        r.raise_for_status()
        dossier = r.json()["id"]
        url = f"/api/dossiers/{dossier}"
        etag = (await http.get(url, headers=auth)).headers["ETag"]
        person = (await http.get("/api/me", headers=auth)).json()
        for name, body in sections(r.json().get("id_number") or person["id_number"]).items():
            r = await http.put(f"{url}/sections/{name}", json=body, headers={**auth, "If-Match": etag})
            r.raise_for_status()
            etag = r.headers["ETag"]
        for section, row_id, file in (("basic", "photo", ("照片.jpg", photo_bytes(), "image/jpeg")),
                                      ("education", "edu0000001", ("学历证书.pdf", pdf_bytes(), "application/pdf")),
                                      ("current_title", None, ("资格证书.pdf", pdf_bytes(), "application/pdf"))):
            data = {"section": section, **({"row_id": row_id} if row_id else {})}
            (await http.post(f"{url}/attachments", data=data, files={"file": file}, headers=auth)).raise_for_status()
        r = await http.post(f"{url}/submit", headers=auth)
        if r.status_code != 200:
            print(f"not submitted ({r.json().get('message')}): the reviewers' pages show an empty queue")
        return dossier


def pages(dossier: str) -> list[tuple[str, str | None, str]]:
    """(file name, login or None, address) of each main page."""
    return [
        ("01-login", None, "/login"),
        ("02-applicant-home", "zhangsan", "/"),
        ("03-batches", "zhangsan", "/batches"),
        ("04-my-dossiers", "zhangsan", "/dossiers"),
        ("05-dossier", "zhangsan", f"/dossiers/{dossier}"),
        ("06-section-education", "zhangsan", f"/dossiers/{dossier}/sections/education"),
        ("07-section-work-history", "zhangsan", f"/dossiers/{dossier}/sections/work_history"),
        ("08-track", "zhangsan", f"/dossiers/{dossier}/track"),
        ("09-unit-queue", "jnqyg", "/review"),
        ("10-unit-review", "jnqyg", f"/review/{dossier}"),
        ("11-committee-office", "pingban", "/committee"),
        ("12-expert", "zhuanjia1", "/expert"),
        ("13-admin-batches", "admin", "/admin/batches"),
        ("14-unit-home", "jnqyg", "/"),
        ("15-admin-committees", "admin", "/admin/committees"),
        ("16-admin-audit", "admin", "/admin/audit"),
    ]


def save_small(png: bytes, path: Path) -> int:
    """The screenshot as a 256-colour PNG (a tenth of the size for these flat pages); answers its bytes."""
    image = Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    image.save(path, "PNG", optimize=True)
    return path.stat().st_size


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screens")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    dossier = await demo_dossier(args.base_url)
    total = 0
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        for kind, (width, height) in WIDTHS.items():
            contexts = {}
            for name, login, address in pages(dossier):
                if login not in contexts:
                    context = await browser.new_context(base_url=args.base_url, locale="zh-CN",
                                                        viewport={"width": width, "height": height})
                    page = await context.new_page()
                    if login:
                        await page.goto("/login")
                        await page.fill("#f-login", login)
                        await page.fill("#f-password", "Admin@2026" if login == "admin" else PASSWORD)
                        await page.get_by_role("button", name="登录", exact=True).click()
                        await page.wait_for_url(lambda url: "/login" not in url)
                    contexts[login] = page
                page = contexts[login]
                await page.goto(address)
                await page.wait_for_load_state("networkidle")
                total += save_small(await page.screenshot(), args.out / f"{name}-{kind}.png")
            for page in contexts.values():
                await page.context.close()
        await browser.close()
    print(f"{len(pages(dossier)) * len(WIDTHS)} screenshots, {total / 1e6:.1f} MB, in {args.out}")


if __name__ == "__main__":
    asyncio.run(main())
