"""Deadline-spike benchmark: N applicants at once, each logging in, opening their dossier, saving three
sections and submitting, against a real server (uvicorn, 1 or 2 workers) on one embedded database; and
`GET /api/health` under the same concurrency as the baseline of what the server and client cost alone.

Applicants are seeded straight into the database (users with one precomputed hash of the real cost, and
complete drafts as tests/factories.complete_draft writes them) before each run; the server runs with the
service's default settings (password hashing included) except the PDF converter, which is not started.
Per step: p50/p95 latency; per run: requests/s, errors, peak RSS of each app worker and of the database,
and the database profiler's count and time of the commands the applicants' run sent.

Run: .venv/bin/python bench/bench_spike.py --applicants 20,50,100 --workers 1,2 [--port 8131]
     [--compare CHECKOUT [--rounds 2]]
(`--compare` runs another checkout's server too, beside this one's at each size, on the same database with
this same driver: before and after in one run; `--rounds`: each size again, the other code first. The CPU
seconds the database and the workers used in a run say what it cost whatever the machine's load.)"""

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

import httpx
from pymongo import MongoClient

from support import MB, ROOT, machine, write_section

from app.embedded import EmbeddedServer, free_port

DATABASE = "bench_spike"
SECTIONS = ("basic", "summary", "achievements")
STEPS = ("login", "open", *(f"save {s}" for s in SECTIONS), "submit")


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def rss_of(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            return int(next(x for x in status if x.startswith("VmRSS:")).split()[1]) * 1024
    except (FileNotFoundError, StopIteration, ProcessLookupError):
        return 0


def cpu_of(pid: int) -> float:
    """CPU seconds (user + system, every thread) the process has used: what a run cost it, whatever the
    machine's load did to the run's wall times."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return 0.0


def children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except FileNotFoundError:
        return []


def _is_worker(pid: int) -> bool:
    """uvicorn's workers are spawned processes (not its multiprocessing resource tracker)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return b"spawn_main" in f.read()
    except FileNotFoundError:
        return False


PY_SPY = Path(sys.executable).with_name("py-spy")
# Frames every sample of a server thread holds: they say nothing of where the time went.
PLUMBING = ("Thread.", "_bootstrap", "_run_code", "run_path", "<module>", "_run_module_code", "run (asyncio",
            "BaseEventLoop.", "Runner.run", "Handle._run", "Server.serve", "main (", "run (uvicorn", "Process.")


class Sampled:
    """py-spy sampling each given process (the database, the app workers) while a phase runs, off the
    processes' own path (--nonblocking); `hot` then names the functions most samples were in."""

    def __init__(self, pids: dict[str, int], folder: str):
        self.pids, self.folder, self.procs = pids, folder, {}

    def __enter__(self):
        for label, pid in self.pids.items():
            self.procs[label] = subprocess.Popen(
                [str(PY_SPY), "record", "--pid", str(pid), "--format", "raw", "--rate", "50", "--nonblocking",
                 "--output", f"{self.folder}/{label}.txt"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return self

    def __exit__(self, *exc):
        for proc in self.procs.values():
            proc.send_signal(2)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()

    def hot(self, label: str, top: int = 10) -> str:
        """The functions in most samples (inclusive), as shares of the process's busy samples."""
        counts, total = Counter(), 0
        try:
            lines = open(f"{self.folder}/{label}.txt").read().splitlines()
        except FileNotFoundError:
            return "no samples"
        for line in lines:
            stack, _, n = line.rpartition(" ")
            total += int(n)
            for name in {frame.split(" (")[0] + " (" + frame.split(" (")[1].split(":")[0] + ")"
                         for frame in stack.split(";") if " (" in frame}:
                if not any(name.startswith(p) or p in name for p in PLUMBING):
                    counts[name] += int(n)
        return (f"{total:,} samples; " + ", ".join(f"`{name}` {n / total:.0%}" for name, n in counts.most_common(top))
                if total else "no samples")


class PeakSampler:
    """Peak RSS of the uvicorn workers (the master's children, or the master when it serves alone) and of
    the database process, sampled every 100 ms while a phase runs."""

    def __init__(self, master: int, db_pid: int):
        self.master, self.db_pid = master, db_pid

    def __enter__(self):
        self.peaks: dict[int, int] = defaultdict(int)
        self.db_peak = 0
        self.workers = [p for p in children(self.master) if _is_worker(p)] or [self.master]
        self.cpu_before = (cpu_of(self.db_pid), sum(cpu_of(p) for p in self.workers))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self):
        while not self._stop.wait(0.1):
            workers = [p for p in children(self.master) if _is_worker(p)] or [self.master]
            for pid in workers:
                self.peaks[pid] = max(self.peaks[pid], rss_of(pid))
            self.db_peak = max(self.db_peak, rss_of(self.db_pid))

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.db_cpu = cpu_of(self.db_pid) - self.cpu_before[0]
        self.app_cpu = sum(cpu_of(p) for p in self.workers) - self.cpu_before[1]


async def seed(uri: str, run: str, number: int, count: int) -> list[tuple[str, str]]:
    """`count` applicants of this run with complete drafts: (login, dossier id) each."""
    sys.path.insert(0, str(ROOT))
    from tests.factories import PASSWORD, complete_draft, resident_id

    from app import db
    from app.accounts.enums import AccountKind, Role
    from app.accounts.models import RoleGrant, User
    from app.accounts.secrets import hash_password
    from app.catalog.models import Batch
    from app.config import Settings
    from app.documents import document_models
    from app.units.models import Unit

    await db.open_database(Settings(mongodb_uri=uri, database=DATABASE, env="dev"), document_models())
    try:
        employer = await Unit.find_one({"name": "济南市群众艺术馆"})
        batch = await Batch.find_one({})
        password_hash = await hash_password(PASSWORD)          # the service's default cost, computed once
        made = []
        for n in range(count):
            user = User(login=f"{run}a{n}", login_key=f"{run}a{n}", kind=AccountKind.person, name=f"申报人{n}",
                        id_type="resident", id_number=resident_id(), phone=f"13{number % 10}{n:08d}",
                        email=f"{run}{n}@example.cn", password_hash=password_hash,
                        roles=[RoleGrant(role=Role.applicant)])
            await user.insert()
            made.append((user.login, await complete_draft(user, batch, employer)))
        return made
    finally:
        await db.close_database()


async def world(uri: str) -> None:
    """Units, paths, a committee and an open batch, as the tests' routing world has them."""
    sys.path.insert(0, str(ROOT))
    from tests.factories import create_batch, create_committee, create_path, create_unit

    from app import db
    from app.catalog import service as catalog
    from app.config import Settings
    from app.documents import document_models
    from app.units.enums import UnitCategory

    await db.open_database(Settings(mongodb_uri=uri, database=DATABASE, env="dev"), document_models())
    try:
        await catalog.load_dictionaries()
        hr, _ = await create_unit(name="济南市人力资源和社会保障局", category=UnitCategory.city_hr_bureau,
                                  region_code="370100", nature="01")
        department, _ = await create_unit(name="济南市文化和旅游局", parent=hr, category=UnitCategory.city_department,
                                          region_code="370100")
        employer, _ = await create_unit(name="济南市群众艺术馆", parent=department,
                                        category=UnitCategory.city_affiliated, region_code="370100")
        committee = await create_committee(office_unit=hr)
        await create_path(unit=employer, target=department)
        await create_path(unit=department, target=hr)
        await create_path(unit=hr, committee=committee)
        await create_batch()
    finally:
        await db.close_database()


async def applicant(client: httpx.AsyncClient, login: str, dossier_id: str, id_number_sections: dict,
                    times: dict, errors: Counter) -> None:
    from tests.factories import PASSWORD

    async def step(name: str, call) -> httpx.Response | None:
        began = time.perf_counter()
        try:
            response = await call()
        except httpx.HTTPError as exc:
            errors[f"{name}: {type(exc).__name__}"] += 1
            return None
        times[name].append(time.perf_counter() - began)
        if response.status_code >= 400:
            errors[f"{name}: {response.status_code} {response.json().get('code', '')}"] += 1
            return None
        return response

    r = await step("login", lambda: client.post("/api/auth/login", json={"login": login, "password": PASSWORD}))
    if r is None:
        return
    auth = {"Authorization": f"Bearer {r.json()['token']}"}
    url = f"/api/dossiers/{dossier_id}"
    r = await step("open", lambda: client.get(url, headers=auth))
    if r is None:
        return
    etag = r.headers["ETag"]
    for section in SECTIONS:
        body = id_number_sections[section]
        r = await step(f"save {section}", lambda: client.put(f"{url}/sections/{section}", json=body,
                                                             headers={**auth, "If-Match": etag}))
        if r is None:
            return
        etag = r.headers["ETag"]
    await step("submit", lambda: client.post(f"{url}/submit", headers=auth))


async def health(client: httpx.AsyncClient, times: dict, errors: Counter, repeat: int) -> None:
    for _ in range(repeat):
        began = time.perf_counter()
        try:
            response = await client.get("/api/health")
        except httpx.HTTPError as exc:
            errors[f"health: {type(exc).__name__}"] += 1
            continue
        times["health"].append(time.perf_counter() - began)
        if response.status_code != 200:
            errors[f"health: {response.status_code}"] += 1


def limits(n: int) -> httpx.Limits:
    return httpx.Limits(max_connections=n, max_keepalive_connections=n)


async def drive(base: str, applicants: list[tuple[str, str]], id_numbers: dict) -> tuple[dict, Counter, float, int]:
    from tests.factories import complete_sections

    times, errors = defaultdict(list), Counter()
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits(len(applicants))) as client:
        began = time.perf_counter()
        await asyncio.gather(*(applicant(client, login, dossier_id, complete_sections(id_numbers[login]), times, errors)
                               for login, dossier_id in applicants))
        seconds = time.perf_counter() - began
    return times, errors, seconds, sum(len(v) for v in times.values()) + sum(errors.values())


async def drive_health(base: str, n: int) -> tuple[dict, Counter, float, int]:
    times, errors = defaultdict(list), Counter()
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits(n)) as client:
        began = time.perf_counter()
        await asyncio.gather(*(health(client, times, errors, 6) for _ in range(n)))
        seconds = time.perf_counter() - began
    return times, errors, seconds, len(times["health"]) + sum(errors.values())


def start_server(uri: str, workers: int, port: int, root: Path = ROOT) -> subprocess.Popen:
    env = {**os.environ, "MONGODB_URI": uri, "ZC_DATABASE": DATABASE, "ZC_ENV": "dev",
           "ZC_CONVERTER_AUTOSTART": "false", "ZC_VAR_DIR": tempfile.mkdtemp(prefix="zc-spike-var-")}
    for name in ("ZC_PASSWORD_HASH_TIME_COST", "ZC_PASSWORD_HASH_MEMORY_KIB"):
        env.pop(name, None)                     # the service's own cost, not a test-sized one
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1", "--port",
                               str(port), "--workers", str(workers), "--log-level", "warning"], cwd=root, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2).status_code == 200:
                if workers == 1 or len([p for p in children(server.pid) if _is_worker(p)]) >= workers:
                    return server
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    server.kill()
    raise RuntimeError("the server did not answer within 90 s")


def stop_server(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()


def profile_summary(database) -> list[tuple[str, int, float]]:
    """(command on collection, count, total ms) from the profiler, most time first."""
    totals: dict[str, list] = defaultdict(lambda: [0, 0.0])
    for entry in database["system.profile"].find({}, {"op": 1, "ns": 1, "millis": 1, "command": 1}):
        op = entry.get("op") or "?"
        if op == "command":
            op = next(iter(entry.get("command") or {"command": 1}))
        key = f"{op} {str(entry.get('ns', '')).split('.', 1)[-1]}"
        totals[key][0] += 1
        totals[key][1] += entry.get("millis") or 0
    return sorted(((k, c, ms) for k, (c, ms) in totals.items()), key=lambda x: -x[2])


def once(lines, profiles, samples, uri, database, server_db, app, code, workers, n, port, sample, db_profile,
         folder, turn=0) -> None:
    """One timed run of `n` applicants against the server `app`, its row in `lines` (and its profiles)."""
    run_name = f"{code or ''}w{workers}n{n}r{turn}"
    said = f"{code}, " if code else ""
    applicants = asyncio.run(seed(uri, run_name, len(lines), n))
    id_numbers = {u["login"]: u["id_number"] for u in
                  database.users.find({"login": {"$in": [a[0] for a in applicants]}})}
    base = f"http://127.0.0.1:{port}"
    h_times, h_errors, h_seconds, h_requests = asyncio.run(drive_health(base, n))
    workers_now = [p for p in children(app.pid) if _is_worker(p)] or [app.pid]
    sampled = Sampled({"database": server_db._process.pid,
                       **{f"worker {i + 1}": pid for i, pid in enumerate(workers_now)}}
                      if sample else {}, folder)
    with PeakSampler(app.pid, server_db._process.pid) as peaks, sampled:
        times, errors, seconds, requests = asyncio.run(drive(base, applicants, id_numbers))
    for label in sampled.pids:
        samples.append(f"- {said}{workers} worker(s), {n} applicants, {label}: {sampled.hot(label)}")
        print(samples[-1], flush=True)
    row = ([code] if code else []) + [f"{workers}", f"{n}"]
    row += [f"{percentile(times[s], .5):.2f} / {percentile(times[s], .95):.2f}" for s in STEPS]
    health_rate = h_requests / h_seconds
    rate = requests / seconds
    worker_peaks = ", ".join(f"{p / MB:.0f}" for p in sorted(peaks.peaks.values(), reverse=True))
    row += [f"{rate:.1f}", f"{percentile(h_times['health'], .5):.3f} / "
            f"{percentile(h_times['health'], .95):.3f}", f"{health_rate:.0f}",
            f"{sum(errors.values())}" + (f" ({'; '.join(f'{k} ×{v}' for k, v in errors.items())})"
                                         if errors else ""),
            worker_peaks, f"{peaks.db_peak / MB:.0f}"]
    row.append(f"{peaks.db_cpu:.1f} / {peaks.app_cpu:.1f}")
    health_p95 = percentile(h_times["health"], .95)
    row.append(" / ".join(f"{percentile(times[s], .95) / health_p95:.1f}" for s in
                          ("login", "open", max((f"save {x}" for x in SECTIONS),
                                                key=lambda s: percentile(times[s], .95)), "submit")))
    lines.append("| " + " | ".join(row) + " |")
    print(lines[-1], flush=True)
    if not db_profile:
        return
    # The database's profiler in a run of its own: it writes every command into a capped
    # collection, which took 44 % of the database's time in a timed run (py-spy).
    again = asyncio.run(seed(uri, f"{run_name}p", len(lines) + 500, n))
    id_numbers = {u["login"]: u["id_number"] for u in
                  database.users.find({"login": {"$in": [a[0] for a in again]}})}
    database.command("profile", 0)
    database["system.profile"].drop()
    database.command("profile", 2)
    asyncio.run(drive(base, again, id_numbers))
    database.command("profile", 0)
    profile = profile_summary(database)
    per_request = sum(c for _, c, _ in profile) / max(1, len(applicants))
    profiles.append(f"- {said}{workers} worker(s), {n} applicants: {per_request:.1f} database commands "
                    f"per applicant's run; most time in "
                    + ", ".join(f"`{k}` ×{c} ({ms / 1000:.1f} s)" for k, c, ms in profile[:6]))
    print(profiles[-1], flush=True)


def run(sizes: list[int], workers_list: list[int], port: int, sample: bool, db_profile: bool, publish: bool,
        compare: Path | None = None, rounds: int = 1) -> None:
    lines, profiles, samples = [], [], []
    # (label, checkout): another checkout's server first at each size, then this one's, on the same database
    codes = [("before", compare), ("this", ROOT)] if compare else [("this", ROOT)]
    with tempfile.TemporaryDirectory(prefix="zc-bench-spike-") as folder:
        server_db = EmbeddedServer(Path(folder) / "secantus", free_port(), log_path=Path(folder) / "secantusd.log")
        uri = server_db.start()
        try:
            database = MongoClient(uri)[DATABASE]
            asyncio.run(world(uri))
            for workers in workers_list:
                for n in sizes:
                    for turn in range(rounds):
                        for code, root in (codes if turn % 2 == 0 else codes[::-1]):    # each first in turn
                            app = start_server(uri, workers, port, root)
                            try:
                                once(lines, profiles, samples, uri, database, server_db, app,
                                     code if compare else None, workers, n, port, sample, db_profile, folder, turn)
                            finally:
                                stop_server(app)
        finally:
            server_db.stop()


    if not publish:
        return
    header = " | ".join(f"{s} p50 / p95 (s)" for s in STEPS)
    profiles_text = ("Where the database time went (its profiler, level 2, in a run of its own after the timed one, "
                     "as the profiler costs the database much of its time: command and collection, count, total "
                     "time):\n\n" + "\n".join(profiles) + "\n") if profiles else ""
    sampled_text = ("Where each process spent its busy time (py-spy, 50 samples/s, the functions most samples were "
                    "in, inclusive):\n\n" + "\n".join(samples) + "\n") if samples else ""
    write_section("Deadline spike", f"""
`bench/bench_spike.py --applicants {",".join(map(str, sizes))} --workers {",".join(map(str, workers_list))}`:
N applicants at once, each logging in, opening their dossier, saving three sections (basic, summary,
achievements, with If-Match) and submitting, against uvicorn with 1 or 2 workers on one embedded SecantusDB
(the service's default settings, password hashing at its default cost; the PDF converter not started).
Applicants and complete drafts are seeded straight into the database before each run. `/api/health` under
the same concurrency (each client 6 requests in a row) is the baseline of what server and client cost alone.
Requests/s count every request of the applicants' run; worker peak RSS is each app worker's (MiB).

| {"code | " if compare else ""}workers | applicants | {header} | requests/s | health p50 / p95 (s) | health requests/s | errors | worker peak RSS (MiB) | database peak RSS (MiB) | CPU s: database / app workers | p95 ÷ health p95: login / open / slowest save / submit |
|{"---|" if compare else ""}---:|---:|{"---|" * len(STEPS)}---:|---|---:|---|---|---:|---|---|
{chr(10).join(lines)}

{"".join(t + chr(10) for t in (profiles_text, sampled_text) if t)}
Machine: {machine()}.

Aims (issue 11): save and submit p95 under 1 s at 50, login p95 under 2 s at 50, 0 errors, app worker peak
under 500 MiB at 100.
""")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--applicants", default="20,50,100")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--port", type=int, default=8131)
    parser.add_argument("--py-spy", action="store_true", help="sample the database and the workers with py-spy")
    parser.add_argument("--db-profile", action="store_true",
                        help="after each timed run, one more with the database's profiler: its commands and times")
    parser.add_argument("--print-only", action="store_true", help="print the figures, leave docs/BENCHMARKS.md")
    parser.add_argument("--compare", type=Path, help="another checkout whose server runs beside this one's")
    parser.add_argument("--rounds", type=int, default=1, help="runs of each size (with --compare, each code first in turn)")
    args = parser.parse_args()
    run([int(x) for x in args.applicants.split(",")], [int(x) for x in args.workers.split(",")], args.port,
        args.py_spy, args.db_profile, not args.print_only, args.compare, args.rounds)
