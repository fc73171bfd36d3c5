"""Short-lived records leave the database by themselves (TTL indexes), and the captcha picture is drawn off
the event loop."""

import threading
from datetime import timedelta

import pytest
from pymongo.errors import OperationFailure

from app import db
from app.accounts import captcha
from app.accounts.models import Captcha, LoginFailure, RecoveryCode, Session
from app.clock import utcnow

EXPIRING = [(Captcha, "expires_at"), (Session, "idle_expires_at"), (Session, "absolute_expires_at"),
            (RecoveryCode, "expires_at"), (LoginFailure, "expires_at")]


@pytest.mark.parametrize(("model", "field"), EXPIRING, ids=[f"{m.__name__}.{f}" for m, f in EXPIRING])
async def test_each_expiring_record_has_a_ttl_index(model, field):
    indexes = await model.get_pymongo_collection().index_information()
    assert [i.get("expireAfterSeconds") for i in indexes.values() if i["key"] == [(field, 1)]] == [0]


async def test_the_database_removes_expired_records():
    """SecantusDB sweeps every 60 s like mongod (not in the tests: conftest); its admin command runs a sweep now
    (skipped on MongoDB)."""
    now = utcnow()
    past, future = now - timedelta(minutes=1), now + timedelta(hours=1)
    for model, field in EXPIRING:
        collection = model.get_pymongo_collection()
        base = {"idle_expires_at": future, "absolute_expires_at": future, "expires_at": future}
        await collection.insert_many([{**base, "state": f"{state}-{field}", "token_hash": f"{field}-{state}",
                                       "login_key": f"{field}-{state}", **({field: past} if state == "old" else {})}
                                      for state in ("old", "fresh")])
    try:
        await db.current().client.admin.command("secantusAdmin.pruneTtl")
    except OperationFailure:
        pytest.skip("only SecantusDB sweeps on demand")
    for model, field in EXPIRING:
        states = [d["state"] async for d in model.get_pymongo_collection().find({"state": {"$regex": f"-{field}$"}})]
        assert states == [f"fresh-{field}"], model.__name__


async def test_captcha_is_drawn_in_a_worker_thread(client, monkeypatch):
    drawn_on = []
    real = captcha.draw

    def recording(text: str) -> bytes:
        drawn_on.append(threading.get_ident())
        return real(text)

    monkeypatch.setattr(captcha, "draw", recording)
    r = await client.get("/api/auth/captcha")
    assert r.status_code == 200 and r.json()["image"].startswith("data:image/png;base64,")
    assert drawn_on and drawn_on[0] != threading.get_ident()     # not the thread running the event loop
