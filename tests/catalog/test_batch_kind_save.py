"""Saving a batch (as the batch page does: no sections, forms or route in the body) keeps its custom kind
rules while the kind is unchanged; a changed kind takes the new kind's defaults."""

from datetime import timedelta

from app.catalog.kinds import KIND_DEFAULTS
from app.clock import utcnow

from tests.factories import create_sysadmin, login

CUSTOM_SECTIONS = ["guide", "basic", "education", "probation", "main_achievements", "work_summary"]   # no 其他


def body(kind: str, rules: dict) -> dict:
    now = utcnow()
    return {"year": now.year, "name": "2026年度群众文化系列初定", "kind": kind, "series": ["qzwh"],
            "levels": ["2"], "region_code": "370100", "opens_at": (now - timedelta(days=1)).isoformat(),
            "closes_at": (now + timedelta(days=30)).isoformat(), "rules": rules}


async def test_a_save_keeps_the_stored_sections_and_forms_of_an_unchanged_kind(client):
    headers = await login(client, await create_sysadmin())
    r = await client.post("/api/batches", headers=headers, json=body("initial", {
        "sections": CUSTOM_SECTIONS, "forms": ["initial", "certificate"]}))
    assert r.status_code == 201, r.text
    url, etag = f"/api/batches/{r.json()['id']}", r.headers["ETag"]
    # The page's save: only the rules it shows (required sections, limits, uploads).
    page_rules = {"required_sections": ["guide", "basic", "education"], "summary_max_chars": 900}
    r = await client.put(url, headers={**headers, "If-Match": etag}, json=body("initial", page_rules))
    assert r.status_code == 200, r.text
    rules = (await client.get(url, headers=headers)).json()["rules"]
    assert rules["sections"] == CUSTOM_SECTIONS and rules["forms"] == ["initial", "certificate"]
    assert rules["required_sections"] == ["guide", "basic", "education"] and rules["summary_max_chars"] == 900
    # A required section outside the kept sections is refused, nothing stored.
    r = await client.put(url, headers={**headers, "If-Match": r.headers["ETag"]},
                         json=body("initial", {"required_sections": ["guide", "other"]}))
    assert (r.status_code, r.json()["field"]) == (422, "rules.required_sections"), r.text
    # A changed kind takes the new kind's defaults.
    etag = (await client.get(url, headers=headers)).headers["ETag"]
    r = await client.put(url, headers={**headers, "If-Match": etag},
                         json=body("recognition", {"required_sections": ["basic"]}))
    assert r.status_code == 200, r.text
    assert r.json()["rules"]["sections"] == KIND_DEFAULTS["recognition"]["sections"]
    assert r.json()["rules"]["forms"] == KIND_DEFAULTS["recognition"]["forms"]
