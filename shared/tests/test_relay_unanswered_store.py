"""The outbox relay outlives a store call that is never answered (the chaos test saw FerretDB do this after a
pause): the call fails after the relay's bound, and a new connection publishes what waited."""

import asyncio
import contextlib
from urllib.parse import urlsplit

from shared.messaging.outbox import OutboxRelay
from shared.persistence.mongo import connect
from shared.persistence.versioned import PUBLISHED, outbox_fields
from shared.tests.test_leases import Collected, event
from tests.support.infra import Servers


class BlackHoleProxy:
    """A TCP proxy to the store that can swallow, for good, all traffic on the connections open at one moment."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.swallowing: set[asyncio.StreamWriter] = set()
        self.connections: list[asyncio.StreamWriter] = []
        self.server: asyncio.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    def swallow_open_connections(self) -> None:
        self.swallowing |= set(self.connections)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        self.connections.append(writer)

        async def pump(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError):
                while data := await source.read(65536):
                    if writer in self.swallowing:
                        continue  # neither answered nor closed: the caller waits on it
                    sink.write(data)
                    await sink.drain()

        await asyncio.gather(pump(reader, upstream_writer), pump(upstream_reader, writer))
        with contextlib.suppress(ConnectionError):
            writer.close()
            upstream_writer.close()

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
        for writer in self.connections:
            writer.close()


async def test_a_store_call_never_answered_fails_after_the_bound_and_the_relay_goes_on(
    servers: Servers, unique_name: str
) -> None:
    store = urlsplit(servers.mongodb_url)
    proxy = BlackHoleProxy(store.hostname or "127.0.0.1", store.port or 27017)
    port = await proxy.start()
    direct = connect(servers.mongodb_url)[unique_name]["things_outbox"]
    proxied = connect(f"mongodb://127.0.0.1:{port}/?directConnection=true")[unique_name]
    log: list[tuple[str, str]] = []
    relay = OutboxRelay(proxied, ["things_outbox"], Collected("only", log), sweep_seconds=0.5, store_timeout_seconds=1)
    await relay.start()
    try:
        await direct.insert_one({"_id": "e1", **outbox_fields([event(1)])})
        relay.notify("things_outbox", "e1")
        for _ in range(100):
            if log:
                break
            await asyncio.sleep(0.05)
        assert log == [("only", "event-1")]

        proxy.swallow_open_connections()  # from now on, every call on these connections goes unanswered
        await direct.insert_one({"_id": "e2", **outbox_fields([event(2)])})
        relay.notify("things_outbox", "e2")
        for _ in range(300):
            if len(log) == 2 and (await direct.find_one({"_id": "e2"}) or {}).get("outbox_state") == PUBLISHED:
                break
            await asyncio.sleep(0.05)
    finally:
        await relay.stop()
        await proxy.stop()
    assert log == [("only", "event-1"), ("only", "event-2")]
    assert (await direct.find_one({"_id": "e2"}) or {})["outbox_state"] == PUBLISHED
