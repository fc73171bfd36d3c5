"""One real database server and one app per test session (SecantusDB, or MONGODB_URI), emptied before
each test that uses them. A test uses the database when it is a coroutine or asks for the app (directly or
through client, world, ...); the other tests (the state machine, rules, validators) touch no database."""

import inspect
import os
import shutil
import sys
import tempfile
import uuid
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from pymongo import monitoring



def _scratch_folder() -> str | None:
    """A RAM filesystem for the session's database and var/ when there is room: every write is journaled
    (w majority, j true), and on a disk each of those waits for it (~9 ms against ~3.5 ms a write, measured).
    The kill -9 durability test keeps its own database on disk (tests/test_faults.py)."""
    ram = Path("/dev/shm")
    try:
        return str(ram) if ram.is_dir() and os.access(ram, os.W_OK) and shutil.disk_usage(ram).free > 2**30 else None
    except OSError:
        return None


_STORAGE = Path(tempfile.mkdtemp(prefix="zc-test-", dir=_scratch_folder()))
os.environ["ZC_ENV"] = "test"
os.environ["ZC_VAR_DIR"] = str(_STORAGE)
os.environ["ZC_DATABASE"] = f"zc_test_{uuid.uuid4().hex[:8]}"
os.environ.setdefault("ZC_SECRET_KEY", "test-secret")
os.environ.setdefault("ZC_PASSWORD_HASH_TIME_COST", "1")      # argon2 at a test-sized cost
os.environ.setdefault("ZC_PASSWORD_HASH_MEMORY_KIB", "8192")

_server = None


class _StrayDossierWrites(monitoring.CommandListener):
    """Every write of a dossier made by app code must come through app/dossiers/writes.py (the one write
    path: version, row and trail in step). Listens to the client's commands and records the app file
    that wrote the dossiers collection any other way; tests may write dossiers directly to set up."""
    APP = str(Path(__file__).resolve().parent.parent / "app") + os.sep
    WRITE_PATH = APP + os.path.join("dossiers", "writes.py")

    def __init__(self):
        self.strays: list[str] = []

    def started(self, event):
        name = event.command_name
        if name not in ("insert", "update", "findAndModify", "delete") or event.command.get(name) != "dossiers":
            return
        frame = sys._getframe()
        while frame is not None:        # innermost first: the awaiting coroutines are on the stack
            filename = frame.f_code.co_filename
            if filename == self.WRITE_PATH:
                return
            if filename.startswith(self.APP):
                self.strays.append(f"{name} from {filename}:{frame.f_lineno}")
                return
            frame = frame.f_back

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


class _WrittenCollections(monitoring.CommandListener):
    """The collections written since the last clean-up, so that emptying the database costs a command per
    collection a test wrote rather than one per collection there is. A command that is neither a known
    read nor a plain write (an aggregation with $out, a drop, a bulkWrite...) marks every collection."""
    EVERY = None
    WRITES = ("insert", "update", "delete", "findAndModify", "drop")
    READS = frozenset({"find", "getMore", "count", "distinct", "listCollections", "listIndexes", "createIndexes",
                       "killCursors", "endSessions", "hello", "isMaster", "ismaster", "ping", "buildInfo",
                       "commitTransaction", "abortTransaction", "dbStats", "collStats", "saslStart",
                       "saslContinue", "explain", "profile"})

    def __init__(self):
        self.written: set[str] | None = self.EVERY      # the app's start-up writes before any test runs

    def started(self, event):
        name = event.command_name
        if self.written is self.EVERY or event.database_name != os.environ["ZC_DATABASE"]:
            return
        if name in self.WRITES:
            self.written.add(event.command[name])
        elif name == "aggregate" and not any("$out" in stage or "$merge" in stage
                                             for stage in event.command.get("pipeline", [])):
            return
        elif name not in self.READS:
            self.written = self.EVERY

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


_stray_writes = _StrayDossierWrites()
_written = _WrittenCollections()
monitoring.register(_stray_writes)
monitoring.register(_written)

import httpx  # noqa: E402
from asgi_lifespan import LifespanManager  # noqa: E402

from app import clock, db  # noqa: E402
from app.config import get_settings  # noqa: E402

get_settings.cache_clear()


def pytest_configure(config):
    """Starts the session's SecantusDB (unless MONGODB_URI names a server): in each pytest-xdist worker, each
    with its own server, database and var/, and none in the process that only hands the tests out."""
    global _server
    config.addinivalue_line("markers", "http_world: the routing `world` built over HTTP, as a user builds it")
    dispatching = config.getoption("numprocesses", None) and not hasattr(config, "workerinput")
    if os.environ.get("MONGODB_URI") or dispatching:
        return
    from app.embedded import EmbeddedServer, free_port

    # No background TTL sweep: the tests move the service's clock, and a session made on a clock months back
    # would be swept mid-test (as test_cases' review window once was); tests/accounts/test_expiry.py prunes
    # explicitly. Against MongoDB (MONGODB_URI) its TTL monitor still runs.
    _server = EmbeddedServer(_STORAGE / "secantus", free_port(), log_path=_STORAGE / "secantusd.log", ttl_sweep=False)
    os.environ["MONGODB_URI"] = _server.start()
    get_settings.cache_clear()


def pytest_sessionfinish(session, exitstatus):
    if _server:
        _server.stop()
    shutil.rmtree(_STORAGE, ignore_errors=True)


@pytest.fixture(scope="session")
async def app():
    from app.main import create_app

    application = create_app(get_settings())
    async with LifespanManager(application, startup_timeout=60):
        yield application
    await _drop_database()


async def _drop_database():
    from pymongo import AsyncMongoClient

    client = AsyncMongoClient(os.environ["MONGODB_URI"])
    await client.drop_database(os.environ["ZC_DATABASE"])
    await client.close()


KEEP = {"dictionaries"}
_shared: set[str] = set()       # the collections of a world that the tests of a module share (shared_world)


@pytest.fixture(autouse=True)
def _database_when_used(request):
    """Empties the database before a test that uses it (and checks it after); a pure test pays nothing.
    Autouse, so the clean-up runs before any other fixture of the test writes."""
    if inspect.iscoroutinefunction(request.function) or "app" in request.fixturenames:
        request.getfixturevalue("clean_database")


@pytest.fixture
async def clean_database(app):
    """Every test starts from the dictionaries alone, on the real clock, and ends with every dossier's
    row in step with it and every dossier written through the one write path (a writer that bypassed
    app.dossiers.writes fails the test that made it)."""
    from app.dossiers import access

    await _empty_written()
    clock.reset()
    _stray_writes.strays.clear()
    _forget_copies()
    yield
    clock.reset()
    await access.stop()         # the test's access records land in its own database, not the next one's
    if _shared:
        written = _written.written
        assert written is not _written.EVERY and not written & _shared, \
            f"a test of a shared world wrote to it: {'an untracked command' if written is None else written & _shared}"
    await _assert_rows_in_step()
    await _assert_copies_in_step()
    assert not _stray_writes.strays, f"dossier writes outside app.dossiers.writes: {_stray_writes.strays}"


async def _empty_written():
    """Empties the collections written since the last clean-up, except those of a shared world."""
    database = db.current().db
    written = _written.written
    names = await database.list_collection_names() if written is _written.EVERY else sorted(written)
    for name in names:
        if name not in KEEP and name not in _shared and not name.startswith("system."):
            await database[name].delete_many({})
    _written.written = set()


@asynccontextmanager
async def shared_world(build):
    """A world built once for tests that only read it (a module- or class-scoped fixture): built on an
    emptied database, the collections it wrote are spared by each test's clean-up (a test that writes one
    of them fails), and emptied again by the first clean-up after the last of those tests."""
    await _empty_written()
    clock.reset()
    _forget_copies()
    world = await build()
    kept = _written.written
    assert kept is not _written.EVERY and not kept & _shared, "a shared world is built with plain writes, alone"
    _shared.update(kept)
    _written.written = set()
    try:
        yield world
    finally:
        _shared.difference_update(kept)
        if _written.written is not _written.EVERY:
            _written.written |= kept


def _forget_copies():
    """The copies the app keeps per process (remembered dossiers, recent batches and dictionary codes)
    describe the database the last test left."""
    from app.catalog import batches
    from app.catalog import service as catalog
    from app.dossiers import writes

    writes.forget()
    batches.forget_recent()
    catalog.forget_codes()


async def _assert_copies_in_step():
    """A dossier the app remembers at the version stored is the stored document itself: the write path
    computes the document after a write rather than reading it back, and this holds it to the database."""
    import bson

    from app.dossiers import writes
    from app.dossiers.models import Dossier

    collection = Dossier.get_pymongo_collection()
    for dossier_id, raw in list(writes._remembered.items()):
        copy = bson.decode(raw, codec_options=collection.codec_options)
        stored = await collection.find_one({"_id": dossier_id})
        if stored is not None and stored["version"] == copy["version"]:
            assert copy == stored, f"dossier {dossier_id}: the remembered copy differs from the stored one"


async def _assert_rows_in_step():
    from app.dossiers.models import Dossier
    from app.dossiers.rows import MOVING, DossierRow, QueueEntry, entry_of, row_of

    held = {r.pop("_id"): r async for r in DossierRow.get_pymongo_collection().find({})}
    entries = {e.pop("_id"): e async for e in QueueEntry.get_pymongo_collection().find({})}
    async for dossier in Dossier.get_pymongo_collection().find({}):
        row, expected = held.pop(dossier["_id"], None), row_of(dossier)
        assert entries.pop(dossier["_id"], None) == entry_of(expected), f"dossier {dossier['_id']}: its queue entry is stale"
        if row is not None and not expected["queue_keys"]:    # in no queue: its version and time may lag (rows.moved)
            assert row["version"] <= dossier["version"], f"dossier {dossier['_id']}: its row is newer"
            row, expected = ({k: v for k, v in r.items() if k not in MOVING} for r in (row, expected))
        assert row == expected, f"dossier {dossier['_id']}: its row is stale"
    assert not held, f"rows without a dossier: {list(held)}"
    assert not entries, f"queue entries without a dossier: {list(entries)}"
    await _assert_counts_in_step()


async def _assert_counts_in_step():
    """The queue counts per key and hour are those of the queue entries stored (app.dossiers.queue_counts), the
    statistics' counters the sum of the rows (app.dossiers.counts)."""
    from app.dossiers import counts
    from app.dossiers.queue_counts import QueueCount, summed
    from app.dossiers.rows import QueueEntry

    expected = {key: {field.removeprefix("h."): n for field, n in fields.items()} for key, fields in
                summed([e async for e in QueueEntry.get_pymongo_collection().find({})]).items()}
    stored = {c["_id"]: {label: n for label, n in c.get("h", {}).items() if n}
              async for c in QueueCount.get_pymongo_collection().find({})}
    assert {k: v for k, v in stored.items() if v} == expected, "the queue counts differ from the queue entries"
    assert await counts.stored() == await counts.expected(), "the statistics' counters differ from the rows' sum"


@pytest.fixture(scope="session")
async def _warm_pool(app):
    """ONE warm LibreOffice pool (two workers) for every test of the session that wants real forms:
    LibreOffice takes seconds to start, so each test reuses it. Skipped where LibreOffice is absent."""
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice is not installed")
    from app.render import convert

    await convert.stop()                      # the unstarted one the app made at start-up
    pool = convert.LocalPool(get_settings().model_copy(update={"converter_workers": 2}))
    convert.install(pool)
    pool.start()
    assert await pool.wait_ready(180), [w.error for w in pool.workers]
    yield pool
    await pool.stop()
    convert.install(None)


@pytest.fixture
def converter_pool(_warm_pool):
    """The session's warm pool, made the service's converter again for this test: another app started
    meanwhile (a live server, the faults' app) installs its own at start-up and none at shutdown."""
    from app.render import convert

    convert.install(_warm_pool)
    return _warm_pool


@pytest.fixture(scope="session")
async def _live_session(app):
    from tests.web.browser import live_session

    async with live_session(app) as live:
        yield live


@pytest.fixture
def live(_live_session):
    """The session's app served by uvicorn and the session's Chromium (tests/web/browser.py); a browser
    test asks for it and opens its pages with chromium_page / chromium_people."""
    return _live_session


@pytest.fixture
async def client(app):
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http

