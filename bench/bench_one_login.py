"""The cost of one login, end to end: `POST /api/auth/login` with the service's default password hashing.

The app runs in this process (httpx over ASGI, its lifespan run) on a scratch SecantusDB with one applicant.
RUNS logins one after the other, each measured for wall time and this process's CPU (every thread: the
argon2 verification runs in a worker thread), beside argon2's verification alone on the same hash; the
database commands of a login and the round trips they took (commands sent before any of them was answered
are one trip) come from a pymongo command listener.

Run: .venv/bin/python bench/bench_one_login.py [--runs 30] [--root CHECKOUT]
(`--root` measures another checkout's app with this same driver, for before and after.)"""

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

parser = argparse.ArgumentParser()
parser.add_argument("--runs", type=int, default=30)
parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent,
                    help="the checkout whose app is measured")
ARGS = parser.parse_args()
sys.path.insert(0, str(ARGS.root))

from pymongo import monitoring  # noqa: E402


class Commands(monitoring.CommandListener):
    """Commands and round trips while `on`."""

    def __init__(self):
        self.on, self.seen, self.trips, self.answered = False, [], 0, True

    def started(self, event):
        if self.on and event.command_name not in ("endSessions", "hello", "isMaster", "ismaster"):
            self.seen.append(f"{event.command_name} {event.command.get(event.command_name)}")
            self.trips += self.answered
            self.answered = False

    def succeeded(self, event):
        if self.on:
            self.answered = True

    def failed(self, event):
        self.succeeded(event)


COMMANDS = Commands()
monitoring.register(COMMANDS)

import httpx  # noqa: E402
from asgi_lifespan import LifespanManager  # noqa: E402

from app.accounts.models import User  # noqa: E402
from app.accounts import secrets  # noqa: E402
from app.config import Settings  # noqa: E402
from app.embedded import EmbeddedServer, free_port  # noqa: E402
from app.main import create_app  # noqa: E402
from tests.factories import PASSWORD, create_person  # noqa: E402


async def main() -> None:
    walls, cpus, trips, seen = [], [], [], []
    with tempfile.TemporaryDirectory(prefix="zc-bench-login-") as folder:
        server = EmbeddedServer(Path(folder) / "secantus", free_port())
        uri = server.start()
        try:
            app = create_app(Settings(mongodb_uri=uri, database="bench_login", env="test",
                                      var_dir=Path(folder) / "var"))
            async with LifespanManager(app, startup_timeout=120):
                transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 40000))
                async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
                    person = await create_person()
                    stored = (await User.get(person.id)).password_hash
                    body = {"login": person.login, "password": PASSWORD}
                    assert (await http.post("/api/auth/login", json=body)).status_code == 200   # warm-up
                    for _ in range(ARGS.runs):
                        COMMANDS.seen, COMMANDS.trips, COMMANDS.answered, COMMANDS.on = [], 0, True, True
                        cpu, wall = time.process_time(), time.perf_counter()
                        answered = await http.post("/api/auth/login", json=body)
                        walls.append(time.perf_counter() - wall)
                        cpus.append(time.process_time() - cpu)
                        COMMANDS.on = False
                        assert answered.status_code == 200, answered.text
                        trips.append(COMMANDS.trips)
                        seen = COMMANDS.seen
                    verify = []
                    for _ in range(ARGS.runs):
                        start = time.process_time()
                        assert secrets._verify(stored, PASSWORD)
                        verify.append(time.process_time() - start)
        finally:
            server.stop()
    print(ARGS.root)
    print(f"  login: wall p50 {statistics.median(walls) * 1000:.1f} ms, CPU p50 {statistics.median(cpus) * 1000:.1f} ms "
          f"(argon2 verify alone {statistics.median(verify) * 1000:.1f} ms of CPU); "
          f"{len(seen)} commands ({', '.join(seen)}); round trips p50 {statistics.median(trips):.0f} "
          f"(min {min(trips)}, max {max(trips)})")


if __name__ == "__main__":
    asyncio.run(main())
