"""The cost of one login's password check, former argon2 cost against OWASP's minimum, and the memory of a
burst of logins with and without the process's bound on hashes at once.

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
COSTS = {"former (64 MiB × 3 passes × 4 lanes)": (65536, 3, 4), "OWASP minimum (19 MiB × 2 × 1)": (19456, 2, 1)}
RUNS = 7
BURST = 20


def configure(memory_kib: int, time_cost: int, parallelism: int, concurrency: int) -> None:
    from app.config import get_settings

    os.environ.update(ZC_PASSWORD_HASH_MEMORY_KIB=str(memory_kib), ZC_PASSWORD_HASH_TIME_COST=str(time_cost),
                      ZC_PASSWORD_HASH_PARALLELISM=str(parallelism), ZC_PASSWORD_HASH_CONCURRENCY=str(concurrency))
    get_settings.cache_clear()


def hashed(cost: tuple[int, int, int]) -> str:
    from app.accounts import secrets

    configure(*cost, concurrency=1)
    return secrets._hash(PASSWORD)


def fresh(function, *args):
    """Runs a measurement in a new interpreter: the allocator keeps freed argon2 blocks resident, so an
    earlier measurement would hide the memory of the next."""
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(function, args)


def one_login(cost: tuple[int, int, int], made: str) -> dict:
    """Resident memory one verify adds while it runs (measured first, in a fresh process), then the median
    wall time of a verify (every login) and of a hash (a registration, a new password or an upgrade)."""
    from app.accounts import secrets

    configure(*cost, concurrency=1)
    with PeakRss() as memory:
        secrets._verify(made, PASSWORD)
    verify, hash_ = [], []
    for _ in range(RUNS):
        start = time.perf_counter()
        assert secrets._verify(made, PASSWORD)
        verify.append(time.perf_counter() - start)
        start = time.perf_counter()
        secrets._hash(PASSWORD)
        hash_.append(time.perf_counter() - start)
    return {"verify": statistics.median(verify), "hash": statistics.median(hash_),
            "memory": memory.peak - memory.before}


def burst(cost: tuple[int, int, int], made: str, concurrency: int) -> dict:
    return asyncio.run(_burst(cost, made, concurrency))


async def _burst(cost: tuple[int, int, int], made: str, concurrency: int) -> dict:
    """BURST logins' password checks started at once, as a deadline's last hour sends them."""
    from app.accounts import secrets

    configure(*cost, concurrency=concurrency)
    with PeakRss() as memory:
        start = time.perf_counter()
        await asyncio.gather(*(secrets.verify_password(made, PASSWORD) for _ in range(BURST)))
        seconds = time.perf_counter() - start
    return {"seconds": seconds, "memory": memory.peak - memory.before}


def main() -> None:
    made = {cost: hashed(cost) for cost in COSTS.values()}
    single = {name: fresh(one_login, cost, made[cost]) for name, cost in COSTS.items()}
    former, owasp = COSTS.values()
    bursts = [("former cost, no bound (as before)", former, BURST), ("OWASP minimum, no bound", owasp, BURST),
              ("OWASP minimum, bound 2 (the default)", owasp, 2)]
    measured = [(label, fresh(burst, cost, made[cost], bound)) for label, cost, bound in bursts]
    lines = ["`bench/bench_login.py`: argon2id through app/accounts/secrets.py, in one process, no database.",
             f"Machine: {machine()}.", "",
             "One login (median of 7; a login verifies, a registration or an upgrade hashes):", "",
             "| cost | verify | hash | memory added while it runs |", "|---|---:|---:|---:|"]
    for name, figures in single.items():
        lines.append(f"| {name} | {figures['verify'] * 1000:.0f} ms | {figures['hash'] * 1000:.0f} ms | "
                     f"{figures['memory'] / MB:.0f} MiB |")
    old, new = single.values()
    lines += ["", f"The new cost is {old['verify'] / new['verify']:.1f}× cheaper in time and "
              f"{65536 / 19456:.1f}× in memory per login.", "",
              f"{BURST} logins' checks at once (wall time until the last is answered; peak resident memory above "
              "the process's before):", "", "| | wall time | peak memory added |", "|---|---:|---:|"]
    for label, figures in measured:
        lines.append(f"| {label} | {figures['seconds']:.2f} s | {figures['memory'] / MB:.0f} MiB |")
    lines += ["", "Each measurement runs in a fresh interpreter. With the bound, the memory stays at two hashes' "
              "worth whatever the number of logins waiting, and the burst is no slower: two cores run two "
              "hashes at a time either way, and more threads only contend for the cores and the memory bus."]
    write_section("Login", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
