"""notify and notify_transition: the inbox message is always stored, the gateway echoes it, and a failing
gateway does not get in the way."""

from datetime import timedelta

import pytest
from beanie import PydanticObjectId

from app.clock import local_text, utcnow
from app.dossiers import writes
from app.dossiers.models import Dossier, RouteNode, TrailEntry
from app.messaging import service as messaging
from app.messaging.models import OutboxMessage
from app.notifications import service
from app.notifications.models import InboxMessage
from app.catalog.models import Committee
from tests.factories import create_batch, create_person, create_unit, declaration_payload


@pytest.fixture
async def dossier():
    person = await create_person(name="李文华")
    unit, _ = await create_unit(name="济南市群众艺术馆")
    batch = await create_batch()
    dossier = await Dossier(applicant_id=person.id, applicant_name=person.name, id_number=person.id_number,
                         batch_id=batch.id, year=batch.year, status="returned",
                         declaration={**declaration_payload(batch, unit), "employer_unit_name": unit.name},
                         commitment={"agreed_at": utcnow(), "text_sha256": "0" * 64}).insert()
    await writes.refresh(dossier.id)
    return dossier


def trail_entry(action: str, from_status: str, to_status: str, **fields) -> TrailEntry:
    return TrailEntry(action=action, actor_id=PydanticObjectId(), actor_name="张审核", role="unit_handler",
                      unit_name="济南市群众艺术馆", from_status=from_status, to_status=to_status, **fields)


class TestNotify:
    async def test_inbox_and_one_message_per_channel(self):
        person = await create_person()
        await service.notify(user_id=person.id, title="测试通知", body="正文", link="/dossiers/x/track")
        stored = await InboxMessage.find({"user_id": person.id}).to_list()
        assert [(m.title, m.body, m.link, m.category, m.read_at) for m in stored] == [
            ("测试通知", "正文", "/dossiers/x/track", "dossier", None)]
        sent = await OutboxMessage.find({"user_id": person.id}).to_list()
        assert sorted((m.channel, m.to) for m in sent) == [("email", person.email), ("sms", person.phone)]
        assert all("测试通知" in m.subject and m.body == "正文" for m in sent)

    async def test_without_sms_only_the_inbox(self):
        person = await create_person()
        await service.notify(user_id=person.id, title="站内", body="只在站内", category="system", sms=False)
        assert await InboxMessage.find({"user_id": person.id}).count() == 1
        assert await OutboxMessage.find({}).count() == 0

    async def test_without_email_only_sms(self):
        person = await create_person(email=None)
        await service.notify(user_id=person.id, title="通知", body="正文")
        assert [m.channel for m in await OutboxMessage.find({}).to_list()] == ["sms"]

    async def test_a_failing_gateway_still_stores_the_inbox_message(self, monkeypatch):
        async def broken(self, **kwargs):
            raise ConnectionError("短信网关不可用")

        monkeypatch.setattr(messaging.OutboxGateway, "send", broken)
        person = await create_person()
        await service.notify(user_id=person.id, title="退回", body="请修改")
        assert await InboxMessage.find({"user_id": person.id}).count() == 1
        assert await OutboxMessage.find({}).count() == 0


class TestNotifyTransition:
    async def test_return_tells_the_reason_and_deadline(self, dossier):
        deadline = utcnow() + timedelta(days=3)
        entry = trail_entry("return", "submitted", "returned", opinion="学历证书扫描件不清晰",
                            detail={"correction_deadline": deadline.isoformat()})
        await service.notify_transition(dossier, entry)
        [message] = await InboxMessage.find({"user_id": dossier.applicant_id}).to_list()
        assert message.title == "申报材料被退回修改"
        assert "学历证书扫描件不清晰" in message.body and "济南市群众艺术馆" in message.body
        assert "李文华" in message.body and local_text(deadline) in message.body
        assert message.link == f"/dossiers/{dossier.id}/track" and message.dossier_id == dossier.id
        [sms] = await OutboxMessage.find({"channel": "sms", "user_id": dossier.applicant_id}).to_list()
        assert "学历证书扫描件不清晰" in sms.body

    async def test_read_sends_nothing(self, dossier):
        await service.notify_transition(dossier, trail_entry("read", "submitted", "submitted"))
        assert await InboxMessage.find({}).count() == 0
        assert await OutboxMessage.find({}).count() == 0

    @pytest.mark.parametrize("action, from_status, to_status, words", [
        ("pass", "submitted", "passed", "审核通过"),
        ("reject", "submitted", "rejected", "未通过"),
        ("void", "submitted", "voided", "作废"),
        ("accept", "at_committee", "accepted", "受理"),
        ("report", "passed", "submitted", "上报至上级审核单位"),
        ("decide", "scheduled", "approved", "评审通过"),
        ("decide", "scheduled", "not_approved", "评审未通过"),
        ("publish", "approved", "publicity", "公示"),
        ("certify", "publicized", "certified", "证书"),
    ])
    async def test_each_step_the_applicant_hears_about(self, dossier, action, from_status, to_status, words):
        await service.notify_transition(dossier, trail_entry(action, from_status, to_status))
        [message] = await InboxMessage.find({"user_id": dossier.applicant_id}).to_list()
        assert words in message.title + message.body
        assert await OutboxMessage.find({"channel": "sms"}).count() == 1

    async def test_report_names_the_unit_it_reached(self, dossier):
        dossier.route = [RouteNode(unit_id=dossier.declaration.employer_unit_id, unit_name="济南市群众艺术馆"),
                         RouteNode(unit_id=PydanticObjectId(), unit_name="济南市文化和旅游局")]
        await service.notify_transition(dossier, trail_entry("report", "passed", "submitted"))
        [message] = await InboxMessage.find({}).to_list()
        assert "上报至济南市文化和旅游局" in message.body

    async def test_report_to_the_committee_names_it(self, dossier):
        await Committee(code="370100-qzwh-intermediate", name="济南市群众文化中级评委会", series=["qzwh"],
                        levels=["3"], region_code="370100", tier="intermediate").insert()
        dossier.committee_code = "370100-qzwh-intermediate"
        await service.notify_transition(dossier, trail_entry("report", "passed", "at_committee"))
        [message] = await InboxMessage.find({}).to_list()
        assert "上报至济南市群众文化中级评委会" in message.body
