"""Round trips and latency of the applicant's and the reviewer's steps.

The app runs in this process (httpx over ASGI, its lifespan run) on a scratch SecantusDB. First one
applicant's steps are counted with a pymongo command listener (the session's look-up included); then
CLIENTS applicants at once each open their dossier, save three sections (If-Match) and submit, and the
employer's account opens and passes each submitted dossier, CLIENTS at a time; p50/p95 per step.

Run: .venv/bin/python bench/bench_round_trips.py [--clients 20] [--rounds 2] [--root CHECKOUT]
`--root` measures another checkout's app with this same driver, so before and after are measured alike;
the figures go into docs/BENCHMARKS.md (Round trips) by hand, beside the other checkout's."""

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("ZC_PASSWORD_HASH_TIME_COST", "1")      # sessions are opened directly: no login here
os.environ.setdefault("ZC_PASSWORD_HASH_MEMORY_KIB", "8192")

parser = argparse.ArgumentParser()
parser.add_argument("--clients", type=int, default=20)
parser.add_argument("--rounds", type=int, default=2)
parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent,
                    help="the checkout whose app is measured")
ARGS = parser.parse_args()
sys.path.insert(0, str(ARGS.root))

from pymongo import monitoring  # noqa: E402


class Commands(monitoring.CommandListener):
    def __init__(self):
        self.on, self.seen = False, []

    def started(self, event):
        if self.on and event.command_name not in ("endSessions", "hello", "isMaster", "ismaster"):
            self.seen.append(f"{event.command_name} {event.command.get(event.command_name)}")

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


COMMANDS = Commands()
monitoring.register(COMMANDS)

import httpx  # noqa: E402
from asgi_lifespan import LifespanManager  # noqa: E402

from app.config import Settings  # noqa: E402
from app.embedded import EmbeddedServer, free_port  # noqa: E402
from app.main import create_app  # noqa: E402
from app.units.enums import UnitCategory  # noqa: E402
from tests.factories import (bearer, complete_draft, complete_sections, create_batch, create_path,  # noqa: E402
                             create_person, create_unit)


async def world(clients: int) -> tuple[list[dict], dict]:
    hr, _ = await create_unit(category=UnitCategory.city_hr_bureau, region_code="370100", nature="01")
    department, _ = await create_unit(parent=hr, category=UnitCategory.city_department, region_code="370100")
    employer, account = await create_unit(parent=department, category=UnitCategory.city_affiliated,
                                          region_code="370100")
    await create_path(unit=employer, target=department)
    batch = await create_batch()
    applicants = []
    for _ in range(clients):
        person = await create_person()
        dossier_id = await complete_draft(person, batch, employer)
        applicants.append({"url": f"/api/dossiers/{dossier_id}", "headers": await bearer(person),
                           "basic": complete_sections(person.id_number)["basic"]})
    return applicants, await bearer(account)


async def timed(samples: dict, step: str, request):
    start = time.perf_counter()
    response = await request
    samples.setdefault(step, []).append(time.perf_counter() - start)
    assert response.status_code == 200, (step, response.status_code, response.text)
    return response


def with_etag(headers: dict, response) -> dict:
    return {**headers, "If-Match": response.headers["ETag"]}


async def applicant_steps(http, one: dict, samples: dict) -> None:
    opened = await timed(samples, "open", http.get(one["url"], headers=one["headers"]))
    saved = opened
    for section, body in (("summary", {"text": "任现职以来从事群众舞蹈辅导。"}), ("basic", one["basic"]),
                          ("summary", {"text": "任现职以来从事群众舞蹈辅导与创编。"})):
        saved = await timed(samples, "save", http.put(f"{one['url']}/sections/{section}", json=body,
                                                      headers=with_etag(one["headers"], saved)))
    await timed(samples, "submit", http.post(f"{one['url']}/submit", headers=with_etag(one["headers"], saved)))


async def reviewer_steps(http, one: dict, reviewer: dict, samples: dict) -> None:
    await timed(samples, "reviewer open", http.get(one["url"], headers=reviewer))
    await timed(samples, "pass", http.post(f"{one['url']}/actions", json={"action": "pass", "opinion": "同意"},
                                           headers=reviewer))


async def counted(step_runner) -> list[str]:
    COMMANDS.seen, COMMANDS.on = [], True
    try:
        await step_runner
    finally:
        COMMANDS.on = False
    return COMMANDS.seen


async def count_steps(http, one: dict, reviewer: dict) -> dict[str, list[str]]:
    """One applicant's steps, one at a time, with warm per-process copies (a first request reads the batch)."""
    counts = {}
    opened = await http.get(one["url"], headers=one["headers"])          # warms what a process keeps
    counts["open"] = await counted(http.get(one["url"], headers=one["headers"]))
    saved = opened
    for section, body in (("summary", {"text": "第一次。"}), ("basic", one["basic"]), ("basic", one["basic"])):
        response = None

        async def save():
            nonlocal response
            response = await http.put(f"{one['url']}/sections/{section}", json=body, headers=with_etag(one["headers"], saved))
        counts["save"] = await counted(save())
        saved = response
    counts["submit"] = await counted(http.post(f"{one['url']}/submit", headers=with_etag(one["headers"], saved)))
    counts["reviewer open"] = await counted(http.get(one["url"], headers=reviewer))
    counts["pass"] = await counted(http.post(f"{one['url']}/actions", json={"action": "pass", "opinion": "同意"},
                                             headers=reviewer))
    return counts


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]


async def main() -> None:
    with tempfile.TemporaryDirectory(prefix="zc-bench-trips-") as folder:
        server = EmbeddedServer(Path(folder) / "secantus", free_port())
        uri = server.start()
        try:
            app = create_app(Settings(mongodb_uri=uri, database="bench_trips", env="test",
                                      var_dir=Path(folder) / "var"))
            async with LifespanManager(app, startup_timeout=120):
                transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 40000))
                async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
                    samples: dict[str, list[float]] = {}
                    applicants, reviewer = await world(1)
                    counts = await count_steps(http, applicants[0], reviewer)
                    for _ in range(ARGS.rounds):
                        applicants, reviewer = await world(ARGS.clients)
                        await asyncio.gather(*(applicant_steps(http, one, samples) for one in applicants))
                        await asyncio.gather(*(reviewer_steps(http, one, reviewer, samples) for one in applicants))
        finally:
            server.stop()
    print(ARGS.root)
    for step, seen in counts.items():
        print(f"  {step}: {len(seen)} round trips: {', '.join(seen)}")
    for step, values in samples.items():
        print(f"  {step}: n={len(values)} p50 {statistics.median(values) * 1000:.0f} ms "
              f"p95 {percentile(values, 0.95) * 1000:.0f} ms")


if __name__ == "__main__":
    asyncio.run(main())
