"""GET /api/inbox, POST /api/inbox/{id}/read, POST /api/inbox/read-all: own messages only."""

from app.clock import advance
from app.notifications import service
from app.notifications.models import InboxMessage
from tests.factories import create_person, login


async def three_messages(person) -> None:
    for n in range(1, 4):
        await service.notify(user_id=person.id, title=f"消息{n}", body=f"第{n}条", sms=False)
        advance(1)


class TestListInbox:
    async def test_anonymous(self, client):
        r = await client.get("/api/inbox")
        assert r.status_code == 401 and r.json()["code"] == "not_authenticated"

    async def test_newest_first_with_pages_and_unread_count(self, client):
        person = await create_person()
        await three_messages(person)
        await service.notify(user_id=(await create_person()).id, title="别人的", body="x", sms=False)
        headers = await login(client, person)
        r = await client.get("/api/inbox", params={"page": 1, "size": 2}, headers=headers)
        assert r.status_code == 200, r.text
        body = r.json()
        assert [m["title"] for m in body["items"]] == ["消息3", "消息2"]
        assert (body["total"], body["unread"]) == (3, 3)
        r = await client.get("/api/inbox", params={"page": 2, "size": 2}, headers=headers)
        assert [m["title"] for m in r.json()["items"]] == ["消息1"]

    async def test_bad_paging(self, client):
        headers = await login(client, await create_person())
        r = await client.get("/api/inbox", params={"size": 0}, headers=headers)
        assert r.status_code == 422 and r.json()["field"] == "size" and r.json()["code"] == "invalid"


class TestMarkRead:
    async def test_read_one_then_unread_filter(self, client):
        person = await create_person()
        await three_messages(person)
        headers = await login(client, person)
        first = (await client.get("/api/inbox", headers=headers)).json()["items"][-1]
        r = await client.post(f"/api/inbox/{first['id']}/read", headers=headers)
        assert r.status_code == 200 and r.json()["read_at"] is not None
        read_at = r.json()["read_at"]
        advance(60)
        again = await client.post(f"/api/inbox/{first['id']}/read", headers=headers)
        assert again.json()["read_at"] == read_at           # reading twice keeps the first time
        r = await client.get("/api/inbox", params={"unread": True}, headers=headers)
        assert [m["title"] for m in r.json()["items"]] == ["消息3", "消息2"]
        assert (r.json()["total"], r.json()["unread"]) == (2, 2)

    async def test_read_all(self, client):
        person, other = await create_person(), await create_person()
        await three_messages(person)
        await service.notify(user_id=other.id, title="别人的", body="x", sms=False)
        headers = await login(client, person)
        r = await client.post("/api/inbox/read-all", headers=headers)
        assert r.status_code == 200 and r.json() == {"marked": 3, "unread": 0}
        assert (await client.get("/api/inbox", headers=headers)).json()["unread"] == 0
        assert await InboxMessage.find({"user_id": other.id, "read_at": None}).count() == 1

    async def test_another_users_message_is_not_found(self, client):
        owner, other = await create_person(), await create_person()
        await service.notify(user_id=owner.id, title="私信", body="x", sms=False)
        message = await InboxMessage.find_one({"user_id": owner.id})
        r = await client.post(f"/api/inbox/{message.id}/read", headers=await login(client, other))
        assert r.status_code == 404 and r.json()["code"] == "not_found"
        assert (await InboxMessage.get(message.id)).read_at is None

    async def test_anonymous_and_bad_id(self, client):
        assert (await client.post("/api/inbox/read-all")).status_code == 401
        headers = await login(client, await create_person())
        r = await client.post("/api/inbox/not-an-id/read", headers=headers)
        assert r.status_code == 422 and r.json()["field"] == "message_id"
