"""One real database server per test session (SecantusDB, or MONGODB_URI), emptied before each test."""

import os
import sys
import tempfile
import uuid
from pathlib import Path

import pytest
from pymongo import monitoring

_STORAGE = Path(tempfile.mkdtemp(prefix="zc-test-"))
os.environ["ZC_ENV"] = "test"
os.environ["ZC_VAR_DIR"] = str(_STORAGE)
os.environ["ZC_DATABASE"] = f"zc_test_{uuid.uuid4().hex[:8]}"
os.environ.setdefault("ZC_SECRET_KEY", "test-secret")
os.environ.setdefault("ZC_PASSWORD_HASH_TIME_COST", "1")      # argon2 at a test-sized cost
os.environ.setdefault("ZC_PASSWORD_HASH_MEMORY_KIB", "8192")

_server = None
if not os.environ.get("MONGODB_URI"):
    from app.embedded import EmbeddedServer, free_port

    _server = EmbeddedServer(_STORAGE / "secantus", free_port(), log_path=_STORAGE / "secantusd.log")
    os.environ["MONGODB_URI"] = _server.start()


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


_stray_writes = _StrayDossierWrites()
monitoring.register(_stray_writes)

import httpx  # noqa: E402
from asgi_lifespan import LifespanManager  # noqa: E402

from app import clock, db  # noqa: E402
from app.config import get_settings  # noqa: E402

get_settings.cache_clear()


def pytest_sessionfinish(session, exitstatus):
    if _server:
        _server.stop()


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


@pytest.fixture(autouse=True)
async def clean_database(app):
    """Every test starts from the dictionaries alone, on the real clock, and ends with every dossier's
    row in step with it and every dossier written through the one write path (a writer that bypassed
    app.dossiers.writes fails the test that made it)."""
    database = db.current().db
    for name in await database.list_collection_names():
        if name not in KEEP and not name.startswith("system."):
            await database[name].delete_many({})
    clock.reset()
    _stray_writes.strays.clear()
    yield
    clock.reset()
    await _assert_rows_in_step()
    assert not _stray_writes.strays, f"dossier writes outside app.dossiers.writes: {_stray_writes.strays}"


async def _assert_rows_in_step():
    from app.dossiers.models import Dossier
    from app.dossiers.rows import DossierRow, row_of

    held = {r.pop("_id"): r async for r in DossierRow.get_pymongo_collection().find({})}
    async for dossier in Dossier.get_pymongo_collection().find({}):
        assert held.pop(dossier["_id"], None) == row_of(dossier), f"dossier {dossier['_id']}: its row is stale"
    assert not held, f"rows without a dossier: {list(held)}"


@pytest.fixture
async def client(app):
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http
