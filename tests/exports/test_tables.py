"""GET /api/exports/{table}.xlsx and /columns: headers, frozen row, real dates, masking, column choice, scope."""

from datetime import datetime

from bson import ObjectId

from app.dossiers import access
from app.dossiers import rows as dossier_rows
from app.dossiers.models import DossierAccess
from app.exports import columns as C
from app.exports import tables
from app.exports.models import ExportEvent
from tests.exports.conftest import finish, up_to_committee, workbook
from tests.factories import create_sysadmin, create_unit, login


def rows(sheet) -> list[list]:
    return [list(r) for r in sheet.iter_rows(values_only=True)]


class TestColumns:
    def test_every_column_shows_a_fact_the_rows_hold(self):
        assert {c.source for c in C.ALL.values()} - {"seq"} <= set(dossier_rows.FACTS)
        assert all(set(t.default) <= set(t.allowed) <= set(C.ALL) for t in C.TABLES.values())

    async def test_anonymous_is_401(self, client):
        assert (await client.get("/api/exports/roster/columns")).status_code == 401
        assert (await client.get("/api/exports/roster.xlsx")).status_code == 401

    async def test_lists_keys_and_chinese_headers(self, client, world):
        r = await client.get("/api/exports/results/columns", headers=world["as_employer"])
        assert r.status_code == 200
        columns = {c["key"]: c for c in r.json()}
        assert columns["name"]["header"] == "姓名" and columns["name"]["default"] is True
        assert columns["opinion_employer"]["header"] == "用人单位意见"
        assert columns["yes"]["header"] == "同意"

    async def test_unknown_table_is_404_and_unknown_column_422(self, client, world):
        r = await client.get("/api/exports/salaries.xlsx", headers=world["as_employer"])
        assert r.status_code == 404 and r.json()["code"] == "table_not_found"
        r = await client.get("/api/exports/roster.xlsx?columns=name,salary", headers=world["as_employer"])
        assert r.status_code == 422 and r.json()["field"] == "columns" and "salary" in r.json()["message"]


class TestOverview:
    async def test_the_employers_pending_queue(self, client, world):
        r = await client.get("/api/exports/overview.xlsx?view=pending", headers=world["as_employer"])
        assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
        assert "filename*=UTF-8''%E4%B8%80%E8%A7%88%E8%A1%A8" in r.headers["content-disposition"]   # 一览表
        sheet = workbook(r)
        header, *body = rows(sheet)
        assert header[:5] == ["序号", "姓名", "性别", "出生日期", "身份证号"]
        assert sheet.freeze_panes == "A2"
        assert len(body) == 1
        row = dict(zip(header, body[0]))
        assert row["序号"] == 1 and row["姓名"] == "王小明" and row["工作单位"] == "济南市群众艺术馆"
        assert row["申报级别"] == "中级" and row["职称系列"] == "群众文化" and row["状态"] == "待审核"
        assert row["身份证号"] == world["applicant"].id_number     # the employer certifies its staff's identity
        birth = sheet.cell(row=2, column=header.index("出生日期") + 1)
        assert isinstance(birth.value, datetime) and birth.value.date().isoformat() == "1985-03-15"
        assert birth.number_format == "yyyy-mm-dd"
        submitted = sheet.cell(row=2, column=header.index("提交时间") + 1)
        assert isinstance(submitted.value, datetime) and submitted.number_format == "yyyy-mm-dd hh:mm"
        event = await ExportEvent.find_one({"kind": "overview"})
        assert event.rows == 1 and event.selection == {"view": "pending"} and event.revealed_ids

    async def test_a_selection_over_the_limit_is_refused_not_cut_short(self, client, world, monkeypatch):
        monkeypatch.setattr(tables, "MAX_ROWS", 0)
        r = await client.get("/api/exports/overview.xlsx?view=pending", headers=world["as_employer"])
        assert r.status_code == 422 and r.json()["code"] == "selection_too_large" and r.json()["limit"] == 0
        assert "缩小筛选范围" in r.json()["message"] and await ExportEvent.find_one({"kind": "overview"}) is None
        monkeypatch.setattr(tables, "MAX_ROWS", 1)
        r = await client.get("/api/exports/overview.xlsx?view=pending", headers=world["as_employer"])
        assert r.status_code == 200 and len(rows(workbook(r))) == 2

    async def test_a_long_export_writes_its_access_records_as_it_goes(self, client, world, monkeypatch):
        monkeypatch.setattr(tables, "ACCESS_BACKLOG", 0)
        r = await client.get("/api/exports/overview.xlsx?view=pending", headers=world["as_employer"])
        assert r.status_code == 200 and access.waiting() == 0
        record = await DossierAccess.get_pymongo_collection().find_one({"dossier_id": ObjectId(world["dossier_id"])})
        assert {"action": "id_number", "detail": "export"} in record["actions"]

    async def test_chosen_columns_in_the_order_given(self, client, world):
        r = await client.get("/api/exports/roster.xlsx?columns=id_number,name&columns=current_title_on",
                             headers=world["as_employer"])
        header, body = rows(workbook(r))
        assert header == ["身份证号", "姓名", "取得资格时间"]
        assert body[1] == "王小明" and isinstance(body[2], datetime)

    async def test_sysadmin_sees_whole_id_numbers(self, client, world):
        admin = await login(client, await create_sysadmin())
        header, body = rows(workbook(await client.get("/api/exports/roster.xlsx?columns=name,id_number",
                                                      headers=admin)))
        assert body == ["王小明", world["applicant"].id_number]

    async def test_another_unit_gets_no_rows(self, client, world):
        _, account = await create_unit(name="另一家单位")
        other = await login(client, account)
        for query in ("view=pending", "", f"batch_id={world['batch'].id}"):
            sheet = workbook(await client.get(f"/api/exports/overview.xlsx?{query}", headers=other))
            assert rows(sheet)[0][1] == "姓名" and sheet.max_row == 1

    async def test_filters_narrow_the_scope(self, client, world):
        sheet = workbook(await client.get("/api/exports/overview.xlsx?level=5", headers=world["as_employer"]))
        assert sheet.max_row == 1
        sheet = workbook(await client.get(f"/api/exports/overview.xlsx?batch_id={world['batch'].id}&level=3",
                                          headers=world["as_employer"]))
        assert sheet.max_row == 2


class TestResults:
    async def test_votes_and_every_stages_opinion(self, client, world):
        await up_to_committee(client, world)
        await finish(world)
        sheet = workbook(await client.get("/api/exports/results.xlsx?view=committee", headers=world["as_office"]))
        header, body = rows(sheet)
        row = dict(zip(header, body))
        assert (row["应到人数"], row["实到人数"], row["同意"], row["不同意"], row["弃权"]) == (9, 8, 7, 1, 0)
        assert row["评审结果"] == "通过" and row["证书编号"] == "2026ZC00001"
        assert row["用人单位意见"].startswith("济南市群众艺术馆通过：as_employer同意推荐（张主任，")
        assert "济南市文化和旅游局通过：as_department同意推荐" in row["各级审核意见"]
        assert "济南市人力资源和社会保障局通过：as_hr同意推荐" in row["各级审核意见"]
        assert "资格审查通过" in row["评委会办事机构意见"]
        cell = sheet.cell(row=2, column=header.index("各级审核意见") + 1)
        assert cell.alignment.wrap_text
