"""Several app processes, one database: two uvicorn processes on their own ports serve the test session's
database, and what one of them starts the other finishes (a captcha, a session, a login throttle, a
replaced form template). Nothing a request depends on may live in one process's memory.

One pair of processes serves the whole module (a start costs seconds); the data comes from the test
session's fixtures, written to the same database the pair reads.
"""

import asyncio
import contextlib
import hmac
import itertools
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from bson import ObjectId

from app.accounts.captcha import ALPHABET, LENGTH
from app.accounts.models import Captcha, Session
from app.config import get_settings
from app.embedded import free_port
from app.render import templates
from tests.factories import PASSWORD, create_person, create_sysadmin, login, solved_captcha
from tests.render.test_forms_api import url, with_text_replaced
from tests.render.test_templates import text_of
from tests.routing.conftest import world  # noqa: F401 - the routing tests' world: a submitted dossier

pytestmark = pytest.mark.workers


def _healthy(address: str) -> bool:
    try:
        return httpx.get(f"{address}/api/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture(scope="module")
def pair(app):
    """Two app processes as `serve --workers 2` runs them, each on its own port so a test can choose, on the
    environment of this session (its database server and database, ZC_ENV=test: no LibreOffice pool)."""
    written = sys.modules["tests.conftest"]._written       # the session's conftest, not a second copy of it
    processes, addresses = [], []
    for _ in range(2):
        port = free_port()
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1", "--port", str(port)],
            env=dict(os.environ), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        addresses.append(f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 120
        while not all(_healthy(a) for a in addresses):
            assert all(p.poll() is None for p in processes), "an app process exited at start-up"
            assert time.monotonic() < deadline, "the app processes did not come up"
            time.sleep(0.3)
        # Their start-up wrote too (the dictionaries' committees): the first test's clean-up empties it all.
        written.written = written.EVERY
        yield addresses
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)
        # They wrote to the database behind the session's back: the next test's clean-up empties it all.
        written.written = written.EVERY


@pytest.fixture
async def http():
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


def read_captcha(answer_hash: str) -> str:
    """The answer a person reads off the picture, found here from its stored keyed hash (24⁴ tries)."""
    key, wanted = get_settings().secret_key.encode(), bytes.fromhex(answer_hash)
    for letters in itertools.product(ALPHABET, repeat=LENGTH):
        answer = "".join(letters)
        if hmac.digest(key, answer.encode(), "sha256") == wanted:
            return answer
    raise AssertionError("no answer matches the stored captcha")


async def test_a_captcha_issued_by_one_is_answered_at_the_other(pair, http):
    one, other = pair
    user = await create_person()
    r = await http.post(f"{other}/api/auth/login", json={"login": user.login, "password": "Wrong1!xx"})
    assert r.status_code == 401 and r.json()["captcha_required"] is True
    issued = (await http.get(f"{one}/api/auth/captcha")).json()["captcha_id"]
    answer = read_captcha((await Captcha.get(ObjectId(issued))).answer_hash)
    r = await http.post(f"{other}/api/auth/login", json={"login": user.login, "password": PASSWORD,
                                                         "captcha_id": issued, "captcha_answer": answer})
    assert r.status_code == 200, r.text
    assert await Captcha.get(ObjectId(issued)) is None           # used up by the other: good for one try only


async def test_a_session_made_at_one_works_at_the_other_until_logout_at_either(pair, http):
    one, other = pair
    user = await create_person()
    r = await http.post(f"{one}/api/auth/login", json={"login": user.login, "password": PASSWORD})
    assert r.status_code == 200, r.text
    bearer = {"Authorization": f"Bearer {r.json()['token']}"}
    me = await http.get(f"{other}/api/me", headers=bearer)
    assert me.status_code == 200 and me.json()["login"] == user.login
    assert (await http.post(f"{one}/api/auth/logout", headers=bearer)).status_code == 204
    r = await http.get(f"{other}/api/me", headers=bearer)
    assert r.status_code == 401 and r.json()["code"] == "session_invalid"
    assert await Session.find({"user_id": user.id}).count() == 0


async def test_the_login_throttle_counts_failures_at_both(pair, http):
    """Five wrong passwords, alternately at each process, the last four with a captcha: one count, one lock."""
    one, other = pair
    user = await create_person()
    answers = []
    for attempt, address in zip(range(5), itertools.cycle(pair)):
        captcha = await solved_captcha() if attempt else {}
        r = await http.post(f"{address}/api/auth/login",
                            json={"login": user.login, "password": "Wrong1!xx", **captcha})
        answers.append((r.status_code, r.json().get("attempts_left")))
    assert answers == [(401, 4), (401, 3), (401, 2), (401, 1), (423, None)]
    for address in (one, other):
        r = await http.post(f"{address}/api/auth/login", json={"login": user.login, "password": PASSWORD})
        assert r.status_code == 423 and r.json()["code"] == "account_locked"


async def test_a_template_replaced_at_one_is_used_by_the_other(pair, http, client, world):
    """The other process renders the form first (its compiled-template cache warm with the default), then
    the replacement uploaded at one is what it renders next, and the default again after a reset there."""
    one, other = pair
    form = f"{other}{url(world, 'brief')}"
    default_title = "申报专业技术资格人员情况简介表"
    assert default_title in text_of((await http.get(form, headers=world["as_employer"])).content)
    admin = await login(client, await create_sysadmin())
    good = with_text_replaced(templates.default_source("brief")[0], default_title.encode(),
                              "济南市职称评审人员简介表（{{ batch_name }}）".encode())
    templates_at = f"/api/batches/{world['batch'].id}/templates/brief"
    r = await http.put(f"{one}{templates_at}", headers=admin, files={"file": ("brief.docx", good)})
    assert r.status_code == 200, r.text
    replaced = await asyncio.gather(http.get(form, headers=world["as_employer"]),
                                    http.get(f"{other}{templates_at}.docx", headers=admin))
    assert "济南市职称评审人员简介表（测试批次" in text_of(replaced[0].content) and replaced[1].content == good
    assert (await http.delete(f"{one}{templates_at}", headers=admin)).status_code == 204
    assert default_title in text_of((await http.get(form, headers=world["as_employer"])).content)


def _children(pid: int) -> list[tuple[int, str]]:
    """(pid, command line) of the processes whose parent is `pid`, from /proc."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                parent = int(stat.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                command = cmdline.read().replace(b"\0", b" ").decode(errors="replace")
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        if parent == pid:
            found.append((int(entry), command))
    return found


def test_serve_with_two_workers_starts_the_embedded_database_once(tmp_path):
    """`python -m app serve --workers 2` on the embedded default: one database process, two app workers
    that answer on the one port, and all of them gone after SIGTERM."""
    from app.embedded import EmbeddedServer, answers

    db_port, http_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("MONGODB_URI", "ZC_DATABASE")}
    env.update(ZC_ENV="dev", ZC_VAR_DIR=str(tmp_path), ZC_EMBEDDED_PORT=str(db_port), ZC_DATABASE="zc_workers",
               ZC_CONVERTER_AUTOSTART="false")
    serve = subprocess.Popen([sys.executable, "-m", "app", "serve", "--no-seed", "--workers", "2",
                              "--port", str(http_port)], env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    database = EmbeddedServer(tmp_path / "secantus", db_port)
    databases, workers = [], []
    try:
        deadline = time.monotonic() + 120
        while not (len(workers) == 2 and _healthy(f"http://127.0.0.1:{http_port}")):
            assert serve.poll() is None and time.monotonic() < deadline, "serve --workers 2 did not come up"
            time.sleep(0.3)
            children = _children(serve.pid)
            databases = [pid for pid, command in children if "secantusd" in command]
            workers = [pid for pid, command in children if "multiprocessing.spawn" in command]
        assert len(databases) == 1 and answers(database.uri)
        assert not [c for pid in workers for c in _children(pid) if "secantusd" in c[1]], "a worker started a database"
        serve.terminate()
        serve.wait(timeout=60)
        assert not answers(database.uri)
        assert not [pid for pid in (*databases, *workers) if os.path.exists(f"/proc/{pid}")]
    finally:
        if serve.poll() is None:           # a failed assertion: stop it the graceful way, its database with it
            serve.terminate()
            try:
                serve.wait(timeout=60)
            except subprocess.TimeoutExpired:
                serve.kill()
        for pid in databases:                 # still this test's database (its folder), if serve left it behind
            with contextlib.suppress(OSError):
                if str(tmp_path) in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace"):
                    os.kill(pid, signal.SIGKILL)
