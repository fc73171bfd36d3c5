"""Every acknowledged write survives a kill -9 of the database; meanwhile every request is a fast 503 in the
error contract, and the service recovers by itself when the database is back.

The database here is its own `secantusd-py` process (not the session's server) on its own data folder, so
it can be killed and restarted on the same folder and port; the app runs in-process against it.
"""

import asyncio
import os
import shutil
import signal
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager

from app import db
from app.documents import document_models
from app.config import Settings, get_settings
from app.embedded import EmbeddedServer, free_port
from app.render import convert
from tests.factories import create_batch, create_person, create_unit, declaration_payload, login

WRITERS = 8
ROUNDS = 3                     # kill -9, restart, check: three times
ACKS_PER_ROUND = 24            # acknowledged saves (all writers together) after which the database is killed
QUIET_ROUNDS = 2               # then: one save, kill -9 at once, restart, check
TIMEOUT = 2.0                  # the app's database timeout in this test


def test_the_client_writes_journaled_to_a_majority(app):
    """The session's client (what every write inherits): w majority, j true."""
    assert db.current().client.write_concern.document == {"w": "majority", "j": True}
    options = db.client_options(get_settings())
    assert options["w"] == "majority" and options["journal"] is True
    assert options["serverSelectionTimeoutMS"] == 3000      # the 3 s default, not the driver's 30 s


async def test_every_write_of_a_request_asks_for_the_journal(client):
    """What reaches the server (its profiler records each command): every write a dossier's creation and a
    section save send carries {w: majority, j: true}."""
    database = db.current().db
    await database.command("profile", 2)
    try:
        w = await writer_setup(client, 0)
        r = await client.put(w["url"], json={"text": text_of(1)}, headers={**w["headers"], "If-Match": w["etag"]})
        assert r.status_code == 200, r.text
    finally:
        await database.command("profile", 0)
    writes = [p["command"] async for p in database["system.profile"].find(
        {"op": {"$in": ["insert", "update", "remove", "findAndModify"]}})]
    await database.drop_collection("system.profile")
    assert len(writes) >= 3     # the session, the dossier and its row, the save
    for command in writes:
        assert command.get("writeConcern") == {"w": "majority", "j": True}, command


class KillableDatabase:
    """A SecantusDB process of this test's own; `kill()` is SIGKILL to its whole process group."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.port = free_port()
        self.server: EmbeddedServer | None = None

    def start(self) -> str:
        self.server = EmbeddedServer(self.folder / "data", self.port, log_path=self.folder / "secantusd.log")
        return self.server.start()

    def kill(self) -> None:
        process = self.server._process
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        self.server._process = None

    def stop(self) -> None:
        if self.server:
            self.server.stop()


@pytest.fixture
async def killable():
    folder = Path(tempfile.mkdtemp(prefix="zc-faults-"))
    database = KillableDatabase(folder)
    try:
        yield database
    finally:
        database.stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
async def faulty_app(app, killable):
    """The app against the killable database; the session's database and converter are bound again afterwards."""
    from app.main import create_app

    uri = killable.start()
    settings = Settings(mongodb_uri=uri, database=f"zc_faults_{uuid.uuid4().hex[:8]}",
                        database_timeout_seconds=TIMEOUT, env="test", secret_key="test-secret",
                        password_hash_time_cost=1, password_hash_memory_kib=8192)
    previous, converter = db.current(), convert.current()
    application = create_app(settings)
    try:
        async with LifespanManager(application, startup_timeout=60, shutdown_timeout=30):
            yield application
    finally:
        await previous.close()
        await db.open_database(get_settings(), document_models())
        convert.install(converter)            # the session's converter (a warm pool, if one was started)


async def writer_setup(client, n: int) -> dict:
    person = await create_person()
    unit, _ = await create_unit(region_code="370100")
    batch = await create_batch()
    headers = await login(client, person)
    r = await client.post("/api/dossiers", json=declaration_payload(batch, unit), headers=headers)
    assert r.status_code == 201, r.text
    return {"n": n, "headers": headers, "url": f"/api/dossiers/{r.json()['id']}/sections/summary",
            "etag": r.headers["ETag"], "acked": 0}


def text_of(k: int) -> str:
    return f"任现职以来工作总结，第{k}次保存。"


def number_in(text: str) -> int:
    return int(text.removeprefix("任现职以来工作总结，第").removesuffix("次保存。"))


async def save_until_killed(client, writers: list[dict], killable: KillableDatabase, acks_before_kill: int
                            ) -> list[tuple[int, float, dict]]:
    """Every writer saves its summary again and again; right after the `acks_before_kill`-th acknowledgement
    (all writers together) the database is killed. Each writer stops at its first refused save, whose
    answer (status, seconds, body) is returned."""
    acks = 0
    failures: list[tuple[int, float, dict]] = []
    start = asyncio.Event()

    async def write(w: dict) -> None:
        nonlocal acks
        await start.wait()
        while True:
            k = w["acked"] + 1
            began = time.monotonic()
            r = await client.put(w["url"], json={"text": text_of(k)}, headers={**w["headers"], "If-Match": w["etag"]})
            if r.status_code != 200:
                failures.append((r.status_code, time.monotonic() - began, r.json()))
                w["in_flight"] = k                  # this save may or may not have landed
                return
            w["acked"], w["etag"] = k, r.headers["ETag"]
            acks += 1
            if acks == acks_before_kill:
                killable.kill()                     # right after an acknowledgement, before anything else runs

    tasks = [asyncio.create_task(write(w)) for w in writers]
    start.set()
    await asyncio.wait_for(asyncio.gather(*tasks), 120)
    assert acks >= acks_before_kill
    return failures


async def restart_and_wait(client, killable: KillableDatabase) -> None:
    """The database back on the same folder and port; the service recovers by itself (same client, no
    restart of the app) within 30 s."""
    killable.start()
    deadline = time.monotonic() + 30
    while (await client.get("/api/health")).status_code != 200:
        assert time.monotonic() < deadline, "the service did not recover within 30 s"
        await asyncio.sleep(0.2)


async def test_acknowledged_writes_survive_kills_and_the_service_recovers(faulty_app, killable):
    transport = httpx.ASGITransport(app=faulty_app, client=("203.0.113.9", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", timeout=30) as client:
        writers = [await writer_setup(client, n) for n in range(WRITERS)]
        lost, acknowledged = [], 0
        for round_ in range(ROUNDS):
            before = sum(w["acked"] for w in writers)
            failures = await save_until_killed(client, writers, killable, ACKS_PER_ROUND)
            acknowledged += sum(w["acked"] for w in writers) - before

            # Down: every request answers 503 in the contract, within the timeout (not the driver's 30 s).
            for method, url, headers in (("GET", "/api/dossiers", writers[0]["headers"]), ("GET", "/api/batches", {}),
                                         ("POST", "/api/auth/login", {})):
                began = time.monotonic()
                r = await client.request(method, url, headers=headers,
                                         json={"login": "x", "password": "y"} if method == "POST" else None)
                failures.append((r.status_code, time.monotonic() - began, r.json()))
                assert r.headers.get("retry-after") == "5"
            assert len(failures) == WRITERS + 3
            for status, seconds, body in failures:
                assert status == 503, body
                assert body["code"] == "database_unavailable" and body["field"] is None and body["request_id"]
                assert seconds < TIMEOUT + 1, f"a request took {seconds:.1f} s while the database was down"
            if round_ == 0:
                page = await client.get("/dossiers", headers={**writers[0]["headers"], "Accept": "text/html"})
                assert page.status_code == 503 and "出错了" in page.text and "数据库暂时不可用" in page.text
                health = await client.get("/api/health")
                assert health.status_code == 503 and health.json()["status"] == "unavailable"
                assert health.json()["dependencies"]["database"] == "down"

            await restart_and_wait(client, killable)

            for w in writers:
                r = await client.get(w["url"], headers=w["headers"])
                assert r.status_code == 200, r.text
                stored = number_in(r.json()["data"]["text"])
                if stored < w["acked"]:
                    lost.append((round_, w["n"], w["acked"], stored))
                # The last acknowledged save, or the one refused at the kill (it may have landed): either is
                # fine, and the writer goes on from what is stored.
                assert stored in (w["acked"], w["in_flight"]), (w, stored)
                w["acked"], w["etag"] = stored, r.headers["ETag"]
        assert acknowledged >= ROUNDS * ACKS_PER_ROUND
        assert lost == [], f"acknowledged saves lost after kill -9: {lost} of {acknowledged}"

        # Quiet: one save, acknowledged, then the kill at once (no other write pushes its journal out).
        w = writers[0]
        for _ in range(QUIET_ROUNDS):
            k = w["acked"] + 1
            r = await client.put(w["url"], json={"text": text_of(k)}, headers={**w["headers"], "If-Match": w["etag"]})
            assert r.status_code == 200, r.text
            killable.kill()
            await restart_and_wait(client, killable)
            r = await client.get(w["url"], headers=w["headers"])
            assert number_in(r.json()["data"]["text"]) == k, "a save acknowledged just before kill -9 was lost"
            w["acked"], w["etag"] = k, r.headers["ETag"]
