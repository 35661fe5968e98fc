"""Leases and the outbox relay with several replicas, on the real MongoDB-wire server (FerretDB updates are not
atomic, so only a unique-key insert may decide who holds a lease)."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from shared.messaging.cloudevents import OutboxEvent
from shared.messaging.outbox import OutboxRelay
from shared.persistence.leases import Leases
from shared.persistence.mongo import connect
from shared.persistence.versioned import PENDING, PUBLISHED, outbox_fields
from shared.runtime import ServiceRuntime
from shared.settings import ServiceSettings
from tests.support.infra import Servers, isolated, remove

pytestmark = pytest.mark.infra

AT = datetime(2026, 12, 7, 10, 0, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def test_of_eight_replicas_claiming_at_once_exactly_one_holds_the_lease_until_its_period_ends(
    servers: Servers, unique_name: str
) -> None:
    database = connect(servers.mongodb_url)[unique_name]
    clock = Clock(AT + timedelta(seconds=1))
    replicas = [Leases(database, holder=f"replica-{n}", clock=clock) for n in range(8)]

    won = await asyncio.gather(*(replica.claim("sweep", 30) for replica in replicas))

    holders = [lease.holder for lease in won if lease is not None]
    assert len(holders) == 1
    holder = next(replica for replica in replicas if replica.holder == holders[0])
    clock.now = AT + timedelta(seconds=29)
    again = await holder.claim("sweep", 30)
    assert again is not None and again.remaining(clock.now) == timedelta(seconds=1)  # its own, re-entrant
    assert [await replica.claim("sweep", 30) for replica in replicas if replica is not holder] == [None] * 7
    assert all([await replica.claim(f"job of {replica.holder}", 30) for replica in replicas])  # names are apart

    # The holder dies: nobody hears of it, and the next period is anyone's.
    clock.now = AT + timedelta(seconds=31)
    survivors = [replica for replica in replicas if replica is not holder]
    won = await asyncio.gather(*(replica.claim("sweep", 30) for replica in survivors))
    assert len([lease for lease in won if lease is not None]) == 1

    assert await holder.forget_ended_before(AT + timedelta(seconds=31)) >= 1
    assert await database["leases"].count_documents({"name": "sweep"}) == 1  # the current period's


def event(number: int) -> OutboxEvent:
    return OutboxEvent(
        id=f"event-{number}",
        type="com.owlery.test.thing.happened.v1",
        source="/owlery/tests",
        subject=f"thing-{number}",
        time=AT,
        topic="things",
        key=f"thing-{number}",
        correlation_id="test",
        data={"number": number},
    )


class Collected:
    """A publisher that keeps what it was given, and who gave it, and takes a while as a broker does."""

    def __init__(self, replica: str, log: list[tuple[str, str]]) -> None:
        self.replica = replica
        self.log = log

    async def publish(self, events: list[OutboxEvent]) -> None:
        await asyncio.sleep(0.05)
        self.log.extend((self.replica, e.id) for e in events)


async def test_two_replicas_sweeping_the_same_outbox_publish_each_orphan_once_and_leave_fresh_entries_to_their_writer(
    servers: Servers, unique_name: str
) -> None:
    database = connect(servers.mongodb_url)[unique_name]
    outbox = database["things_outbox"]
    now = datetime.now(UTC)
    orphans = [
        {"_id": f"o{n}", **outbox_fields([event(n)]), "committed_at": now - timedelta(minutes=1)} for n in range(30)
    ]
    fresh = {"_id": "fresh", **outbox_fields([event(99)])}  # its writer is publishing it right now
    await outbox.insert_many([*orphans, fresh])
    log: list[tuple[str, str]] = []

    def replica(name: str) -> OutboxRelay:
        return OutboxRelay(
            database,
            ["things_outbox"],
            Collected(name, log),
            batch_size=7,
            leases=Leases(database, holder=name),
            lease_seconds=30,
            orphan_seconds=10,
            publish_timeout_seconds=1,
        )

    first, second = replica("first"), replica("second")
    # Both sweep at once, round after round. A lease lasts to the end of its 30 s period, and a holder starts
    # no batch its lease could not cover: a round begun just before a period ends may leave the rest to the
    # next round, and so to the other replica.
    rounds: list[list[int]] = []
    while len(rounds) < 3 and await outbox.count_documents({"outbox_state": PUBLISHED}) < 30:
        if rounds and not any(rounds[-1]):
            await asyncio.sleep(2.5)  # the last round began in a period's last 2 s (publish + marking): wait it out
        rounds.append(list(await asyncio.gather(first.sweep(), second.sweep())))
    rounds.append(list(await asyncio.gather(first.sweep(), second.sweep())))  # and one more: nothing is left

    assert sorted(event_id for _, event_id in log) == sorted(f"event-{n}" for n in range(30))  # each once
    assert all(min(counts) == 0 for counts in rounds)  # in each round, by the one replica holding the lease
    assert sum(count for counts in rounds for count in counts) == 30 and rounds[-1] == [0, 0]
    assert await outbox.count_documents({"outbox_state": PUBLISHED}) == 30
    assert (await outbox.find_one({"_id": "fresh"}) or {})["outbox_state"] == PENDING


def test_a_relay_refuses_timings_under_which_two_replicas_could_publish_one_entry() -> None:
    database = connect("mongodb://127.0.0.1:1/")["never-used"]
    leases = Leases(database, holder="x")
    with pytest.raises(ValueError, match="orphan"):
        OutboxRelay(database, [], Collected("x", []), leases=leases, orphan_seconds=2, publish_timeout_seconds=4)
    with pytest.raises(ValueError, match="lease"):
        OutboxRelay(database, [], Collected("x", []), leases=leases, lease_seconds=5, publish_timeout_seconds=4)


async def test_a_scheduled_job_runs_once_per_period_across_two_replicas_and_a_cache_refresh_on_each(
    servers: Servers, unique_name: str
) -> None:
    settings = isolated(ServiceSettings, servers, "leases", http_port=0, mode="dev")
    runs: list[tuple[str, int]] = []
    refreshes: list[str] = []

    def replica(name: str) -> ServiceRuntime:
        runtime = ServiceRuntime(settings, name=name, publishes=[], outbox_collections=[])

        async def job() -> None:
            runs.append((name, int(datetime.now(UTC).timestamp() // 0.5)))

        async def refresh() -> None:
            refreshes.append(name)

        runtime.every(0.5, job, "reminders")
        runtime.every(0.5, refresh, "cache", every_replica=True)
        return runtime

    first, second = replica("first"), replica("second")
    try:
        await asyncio.gather(first.start(), second.start())
        await asyncio.sleep(3)
    finally:
        await asyncio.gather(first.stop(), second.stop())
        await remove(servers, settings)

    periods = [period for _, period in runs]
    assert len(periods) >= 4
    assert len(periods) == len(set(periods))  # never twice in one period
    assert {"first", "second"} == set(refreshes)  # each keeps its own cache


async def test_orphans_are_swept_while_the_relay_is_kept_busy_by_its_own_writes(
    servers: Servers, unique_name: str
) -> None:
    database = connect(servers.mongodb_url)[unique_name]
    log: list[tuple[str, str]] = []
    relay = OutboxRelay(
        database,
        ["things_outbox"],
        Collected("only", log),
        sweep_seconds=0.5,
        leases=Leases(database, holder="only"),
        lease_seconds=30,
        orphan_seconds=5,
        publish_timeout_seconds=1,
    )
    await relay.start()
    try:
        await asyncio.sleep(0.3)  # the sweep at start is done
        # An entry whose writer gave up (another replica, or this one before a crash): nobody will announce it.
        orphan = {
            "_id": "orphan",
            **outbox_fields([event(1)]),
            "committed_at": datetime.now(UTC) - timedelta(minutes=1),
        }
        await database["things_outbox"].insert_one(orphan)
        for _ in range(60):  # a steady stream of this replica's own writes wakes it every 50 ms
            relay.notify("things_outbox", "written-and-gone")
            await asyncio.sleep(0.05)
    finally:
        await relay.stop()
    assert log == [("only", "event-1")]


class CancelledOnce(Collected):
    """A broker whose connection drops once: its client cancels the pending send under the relay."""

    def __init__(self, replica: str, log: list[tuple[str, str]]) -> None:
        super().__init__(replica, log)
        self.dropped = False

    async def publish(self, events: list[OutboxEvent]) -> None:
        if not self.dropped:
            self.dropped = True
            raise asyncio.CancelledError
        await super().publish(events)


async def test_a_send_cancelled_under_the_relay_does_not_end_it(servers: Servers, unique_name: str) -> None:
    database = connect(servers.mongodb_url)[unique_name]
    log: list[tuple[str, str]] = []
    relay = OutboxRelay(database, ["things_outbox"], CancelledOnce("only", log), sweep_seconds=0.3)
    await relay.start()
    try:
        for number in (1, 2):
            await database["things_outbox"].insert_one({"_id": f"e{number}", **outbox_fields([event(number)])})
            relay.notify("things_outbox", f"e{number}")
            await asyncio.sleep(1.0)
    finally:
        await relay.stop()
    assert sorted(event_id for _, event_id in log) == ["event-1", "event-2"]  # the first by a later sweep


async def test_a_relay_that_sweeps_late_in_a_lease_period_publishes_orphans_in_the_next_one(
    servers: Servers, unique_name: str
) -> None:
    # Sweeps `sweep_seconds` apart keep their place in lease periods of the same length: a relay whose sweeps
    # fall in a period's last seconds, too few for a batch, once left orphans unpublished for as long as it ran.
    database = connect(servers.mongodb_url)[unique_name]
    lease_seconds = 4.0
    log: list[tuple[str, str]] = []
    relay = OutboxRelay(
        database,
        ["things_outbox"],
        Collected("only", log),
        sweep_seconds=lease_seconds,
        leases=Leases(database, holder="only"),
        lease_seconds=lease_seconds,
        orphan_seconds=1,
        publish_timeout_seconds=0.5,
    )
    orphan = {"_id": "orphan", **outbox_fields([event(1)]), "committed_at": datetime.now(UTC) - timedelta(minutes=1)}
    await database["things_outbox"].insert_one(orphan)
    left = lease_seconds - datetime.now(UTC).timestamp() % lease_seconds
    await asyncio.sleep(max(0.0, left - 1.0))  # 1 s before a period ends: less than a publish and its marking
    began = asyncio.get_running_loop().time()
    await relay.start()
    try:
        for _ in range(int(3 * lease_seconds / 0.05)):
            if log:
                break
            await asyncio.sleep(0.05)
        took = asyncio.get_running_loop().time() - began
    finally:
        await relay.stop()
    assert log == [("only", "event-1")]
    assert took < 2.5, f"published {took:.1f}s after start: not as soon as the next period began"


async def test_a_slow_sweep_does_not_hold_back_the_entries_a_replica_announces(
    servers: Servers, unique_name: str
) -> None:
    # A sweep scans (FerretDB reads the whole collection for its filter) and can take long under load;
    # meanwhile the entries this replica writes go out as they are announced.
    database = connect(servers.mongodb_url)[unique_name]
    log: list[tuple[str, str]] = []
    relay = OutboxRelay(
        database,
        ["things_outbox"],
        Collected("only", log),
        sweep_seconds=0.5,
        leases=Leases(database, holder="only"),
        lease_seconds=30,
        orphan_seconds=5,
        publish_timeout_seconds=1,
    )
    sweeping = asyncio.Event()

    async def slow_sweep() -> int:
        sweeping.set()
        await asyncio.sleep(30)
        return 0

    relay.sweep = slow_sweep  # type: ignore[method-assign]
    await relay.start()
    try:
        await asyncio.wait_for(sweeping.wait(), 5)
        await database["things_outbox"].insert_one({"_id": "e1", **outbox_fields([event(1)])})
        relay.notify("things_outbox", "e1")
        for _ in range(40):
            if log:
                break
            await asyncio.sleep(0.05)
    finally:
        await relay.stop()
    assert log == [("only", "event-1")]
