"""Helpers for the expert library's API tests: record bodies, spreadsheets, experts with accounts."""

import io
from datetime import date, timedelta

from openpyxl import Workbook

from app.clock import utcnow
from app.experts.excel import HEADERS
from app.units.enums import UnitCategory
from tests.committee.committee_kit import make_expert
from tests.factories import bearer, create_unit, resident_id


def today() -> date:
    return (utcnow() + timedelta(hours=8)).date()


def record(**overrides) -> dict:
    start = today() - timedelta(days=30)
    return {"name": "赵文华", "id_number": resident_id("19650101"), "unit_name": "山东艺术学院", "region_code": "370100",
            "series": "qzwh", "specialties": ["qzwh-s01"], "title": "研究馆员", "level": "5", "phone": "13800000000",
            "term_start": start.isoformat(), "term_end": (start + timedelta(days=3 * 365)).isoformat(), **overrides}


def sheet_row(i: int, **overrides) -> list:
    r = record(name=f"专家{i:02d}", id_number=resident_id("19700101"), **overrides)
    values = {"姓名": r["name"], "身份证号": r["id_number"], "工作单位": r["unit_name"], "地区代码": r["region_code"],
              "系列": "群众文化" if i % 2 else "qzwh", "专业": "；".join(r["specialties"]), "职称": r["title"],
              "级别": "正高级" if i % 3 else "5", "联系电话": r["phone"], "电子邮箱": "", "聘期开始": r["term_start"],
              "聘期结束": r["term_end"], "曾任单位": "济南市文化馆|2019-01-01|2022-06-30", "近亲属": f"亲属{i}|配偶|",
              "合作者": "钱明远；孙雅琴"}
    return [values[h] for h in HEADERS]


def xlsx(rows: list[list]) -> bytes:
    book = Workbook()
    book.active.append(HEADERS)
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def import_xlsx(client, headers, content: bytes):
    return await client.post("/api/expert-library/import", headers=headers,
                             files={"file": ("专家.xlsx", content, "application/octet-stream")})


async def outside_unit(world):
    """A unit off every dossier's route, where library experts hold their expert role."""
    unit, _ = await create_unit(name="山东艺术学院", parent=world["hr"], category=UnitCategory.city_affiliated,
                                region_code="370100")
    return unit


async def library_experts(client, world, n: int, *, commit: bool = True, **overrides) -> list[tuple]:
    """n experts with accounts (expert role at a unit off the route), each in the office's library, committed.
    Returns (record json, user, headers)."""
    unit = world.get("outside") or await outside_unit(world)
    world["outside"] = unit
    made = []
    for i in range(n):
        user = await make_expert(unit, name=f"库专家{i + 1}")
        r = await client.post("/api/expert-library", headers=world["as_office"],
                              json=record(name=user.name, id_number=user.id_number, **overrides))
        assert r.status_code == 201, r.text
        assert r.json()["user_id"] == str(user.id)
        if commit:
            r = await client.post(f"/api/expert-library/{r.json()['id']}/commitment", headers=world["as_office"])
            assert r.status_code == 200, r.text
        made.append((r.json(), user, await bearer(user)))
    return made
