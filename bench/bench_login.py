"""The cost of one login's password check: the former argon2 cost and OWASP's minimum, through the reference
implementation (argon2-cffi, which the service used before) and through libsodium (what it uses now), side by side
in the same run; and the memory and time of a burst of logins with and without the process's bound on hashes.

    .venv/bin/python bench/bench_login.py        # writes the "Login" section of docs/BENCHMARKS.md
"""

import asyncio
import multiprocessing
import os
import statistics
import time

import support  # noqa: F401  (puts the project on the path)
from support import MB, PeakRss, machine, write_section

PASSWORD = "Passw0rd!x"
FORMER, OWASP = (65536, 3, 4), (19456, 2, 1)          # memory KiB, passes, lanes
ROWS = {"former cost (64 MiB × 3 passes × 4 lanes), argon2-cffi": ("reference", FORMER),
        "OWASP minimum (19 MiB × 2 × 1), argon2-cffi (before)": ("reference", OWASP),
        "OWASP minimum (19 MiB × 2 × 1), libsodium (the service)": ("service", OWASP)}
RUNS = 15
BURST = 20


def configure(concurrency: int) -> None:
    from app.config import get_settings

    os.environ.update(ZC_PASSWORD_HASH_MEMORY_KIB=str(OWASP[0]), ZC_PASSWORD_HASH_TIME_COST=str(OWASP[1]),
                      ZC_PASSWORD_HASH_CONCURRENCY=str(concurrency))
    get_settings.cache_clear()


def implementation(name: str, cost: tuple[int, int, int]):
    """(hash, verify) of one implementation at one cost."""
    if name == "reference":
        from argon2 import PasswordHasher

        hasher = PasswordHasher(memory_cost=cost[0], time_cost=cost[1], parallelism=cost[2])
        return hasher.hash, hasher.verify
    from app.accounts import secrets

    assert cost == OWASP, "the service makes one-lane hashes at its configured cost"
    configure(concurrency=1)
    return secrets._hash, secrets._verify


def fresh(function, *args):
    """Runs a measurement in a new interpreter: the allocator keeps freed argon2 blocks resident, so an
    earlier measurement would hide the memory of the next."""
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(function, args)


def one_login(name: str, cost: tuple[int, int, int]) -> dict:
    """Resident memory one verify adds while it runs (measured first, in a fresh process), then the medians of
    a verify (every login) and of a hash (a registration, a new password or an upgrade): wall and CPU time."""
    hash_, verify = implementation(name, cost)
    made = hash_(PASSWORD)
    with PeakRss() as memory:
        verify(made, PASSWORD)
    times = {"verify": [], "hash": [], "verify_cpu": []}
    for _ in range(RUNS):
        start, cpu = time.perf_counter(), time.process_time()
        assert verify(made, PASSWORD)
        times["verify"].append(time.perf_counter() - start)
        times["verify_cpu"].append(time.process_time() - cpu)
        start = time.perf_counter()
        hash_(PASSWORD)
        times["hash"].append(time.perf_counter() - start)
    return {**{key: statistics.median(values) for key, values in times.items()}, "memory": memory.peak - memory.before}


def burst(name: str, concurrency: int) -> dict:
    return asyncio.run(_burst(name, concurrency))


async def _burst(name: str, concurrency: int) -> dict:
    """BURST logins' password checks started at once, as a deadline's last hour sends them, through the
    service's bound (a worker thread each, `concurrency` at a time)."""
    from app.accounts import secrets

    hash_, verify = implementation(name, OWASP)
    made = hash_(PASSWORD)
    configure(concurrency=concurrency)
    with PeakRss() as memory:
        start, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(secrets._bounded(verify, made, PASSWORD) for _ in range(BURST)))
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"seconds": seconds, "cpu": cpu, "memory": memory.peak - memory.before}


def main() -> None:
    single = {label: fresh(one_login, name, cost) for label, (name, cost) in ROWS.items()}
    bursts = [("argon2-cffi, no bound", "reference", BURST), ("argon2-cffi, bound 2 (before)", "reference", 2),
              ("libsodium, no bound", "service", BURST), ("libsodium, bound 2 (the service)", "service", 2)]
    measured = [(label, fresh(burst, name, bound)) for label, name, bound in bursts]
    lines = ["`bench/bench_login.py`: argon2id in one process, no database; the reference implementation "
             "(argon2-cffi) and libsodium (PyNaCl) at the same cost in the same run.",
             f"Machine: {machine()}.", "",
             f"One login (median of {RUNS}; a login verifies, a registration or an upgrade hashes):", "",
             "| cost, implementation | verify (wall) | verify (CPU) | hash (wall) | memory added while it runs |",
             "|---|---:|---:|---:|---:|"]
    for label, figures in single.items():
        lines.append(f"| {label} | {figures['verify'] * 1000:.1f} ms | {figures['verify_cpu'] * 1000:.1f} ms | "
                     f"{figures['hash'] * 1000:.1f} ms | {figures['memory'] / MB:.0f} MiB |")
    former, before, now = single.values()
    lines += ["", f"OWASP's minimum is {former['verify'] / before['verify']:.1f}× cheaper in time than the former "
              f"cost and {65536 / 19456:.1f}× in memory per login; libsodium verifies it in "
              f"{now['verify_cpu'] / before['verify_cpu']:.2f}× the CPU of argon2-cffi.", "",
              f"{BURST} logins' checks at once (wall time until the last is answered, CPU of the process, peak "
              "resident memory above the process's before):", "",
              "| | wall time | CPU | peak memory added |", "|---|---:|---:|---:|"]
    for label, figures in measured:
        lines.append(f"| {label} | {figures['seconds']:.2f} s | {figures['cpu']:.2f} s | "
                     f"{figures['memory'] / MB:.0f} MiB |")
    lines += ["", "Each measurement runs in a fresh interpreter. With the bound, the memory stays at two hashes' "
              "worth whatever the number of logins waiting, and the burst is no slower: two cores run two "
              "hashes at a time either way, and more threads only contend for the cores and the memory bus."]
    write_section("Login", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
