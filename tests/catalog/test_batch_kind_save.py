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


async def test_the_blind_review_rule_keeps_what_a_save_leaves_out(client):
    headers = await login(client, await create_sysadmin())
    rule = {"levels": ["2"], "criteria": [{"name": "学术水平", "max_points": 100}], "pass_mark": 70}
    r = await client.post("/api/batches", headers=headers, json=body("review", {"blind_review": rule}))
    assert r.status_code == 201, r.text
    url, etag = f"/api/batches/{r.json()['id']}", r.headers["ETag"]
    # the batch page sends the levels and the numbers, never the criteria
    r = await client.put(url, headers={**headers, "If-Match": etag},
                         json=body("review", {"blind_review": {"levels": ["2"], "reviewers": 5}}))
    assert r.status_code == 200, r.text
    blind = r.json()["rules"]["blind_review"]
    assert blind["reviewers"] == 5 and blind["pass_mark"] == 70 and blind["criteria"] == rule["criteria"]
    # a body without the rule keeps it whole
    r = await client.put(url, headers={**headers, "If-Match": r.headers["ETag"]}, json=body("review", {}))
    assert r.json()["rules"]["blind_review"]["reviewers"] == 5 and r.json()["rules"]["blind_review"]["levels"] == ["2"]
    # a pass mark above the kept criteria's full marks is refused, nothing stored
    r = await client.put(url, headers={**headers, "If-Match": r.headers["ETag"]},
                         json=body("review", {"blind_review": {"pass_mark": 120}}))
    assert (r.status_code, r.json()["field"]) == (422, "rules.blind_review"), r.text
    assert "合格分数线不能高于满分100分" in r.json()["message"]
    # ...and so is one above the stored criteria's full marks when the save leaves the criteria out
    r = await client.put(url, headers={**headers, "If-Match": (await client.get(url, headers=headers)).headers["ETag"]},
                         json=body("review", {"blind_review": {"levels": ["2"]}}))
    assert r.status_code == 200
    assert (await client.get(url, headers=headers)).json()["rules"]["blind_review"]["pass_mark"] == 70
