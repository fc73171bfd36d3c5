"""The lease on the real database: takers racing for a free lease end with one holder, an expired lease is
taken over, a held lease is renewed while its work runs and released after, and a holder whose lease was
taken over learns it at its next renewal."""

import asyncio
from datetime import timedelta

from app import clock, lease
from app.lease import Lease

TTL = timedelta(seconds=30)


async def holder_of(name: str) -> str | None:
    found = await Lease.get_pymongo_collection().find_one({"_id": name})
    return found and found["holder"]


class TestAcquire:
    async def test_of_takers_racing_for_a_free_lease_exactly_one_wins(self):
        for round_ in range(10):
            name = f"race-{round_}"
            takers = [f"process-{n}" for n in range(4)]
            won = await asyncio.gather(*(lease.acquire(name, ttl=TTL, holder=t) for t in takers))
            assert won.count(True) == 1, won
            assert await holder_of(name) == takers[won.index(True)]

    async def test_racing_for_an_expired_lease_one_takes_it_over(self):
        assert await lease.acquire("expired", ttl=TTL, holder="dead")
        clock.advance(31)
        won = await asyncio.gather(*(lease.acquire("expired", ttl=TTL, holder=f"p{n}") for n in range(4)))
        assert won.count(True) == 1, won
        assert await holder_of("expired") == f"p{won.index(True)}"

    async def test_a_held_lease_is_refused_until_it_expires_then_taken_over(self):
        assert await lease.acquire("job", ttl=TTL, holder="a")
        assert await lease.acquire("job", ttl=TTL, holder="a")          # ours: renewed
        assert not await lease.acquire("job", ttl=TTL, holder="b")
        clock.advance(29)
        assert not await lease.acquire("job", ttl=TTL, holder="b")
        clock.advance(2)
        assert await lease.acquire("job", ttl=TTL, holder="b")
        assert await holder_of("job") == "b"
        assert not await lease.renew("job", ttl=TTL, holder="a")        # the old holder learns it lost
        assert not await lease.release("job", holder="a")               # and cannot free the new holder's
        assert await holder_of("job") == "b"
        assert await lease.release("job", holder="b")
        assert await lease.acquire("job", ttl=TTL, holder="a")


class TestHeld:
    async def test_held_renews_while_working_and_releases_after(self):
        short = timedelta(seconds=0.3)
        async with lease.held("work", ttl=short, holder="a") as tenure:
            assert tenure is not None
            async with lease.held("work", ttl=short, holder="b") as other:
                assert other is None                                    # held: b runs nothing
            await asyncio.sleep(0.8)                                    # past the ttl: renewed meanwhile
            assert not await lease.acquire("work", ttl=short, holder="b")
            assert not tenure.lost
        assert await holder_of("work") is None                          # released at once
        async with lease.held("work", ttl=short, holder="b") as tenure:
            assert tenure is not None

    async def test_a_holder_whose_lease_was_taken_over_learns_it_at_its_next_renewal(self):
        ttl = timedelta(seconds=0.6)
        async with lease.held("slow", ttl=ttl, holder="a") as tenure:
            clock.advance(1)                                            # a stalled past its expiry
            assert await lease.acquire("slow", ttl=timedelta(minutes=5), holder="b")
            await asyncio.sleep(0.5)                                    # a's keeper tries to renew
            assert tenure.lost
        assert await holder_of("slow") == "b"                           # a's exit left b's lease alone
