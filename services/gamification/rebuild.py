"""Rebuild every standing from the ledger, after a bug in the projection or to start it on old data.

    python -m gamification.rebuild [--force]

Stop every gamification process first. The rebuild publishes the ledger entries the outbox still
holds, reads where the points topics end, folds every ledger entry into fresh standings and marks
each record before those ends as applied, so no record is counted again when the service starts.
A relay publishing (or a consumer applying) meanwhile would have its records counted twice or not at
all, so the command refuses to run while the service's consumer group has members (`--force` skips
that check, for a group whose members are known to be dead).

Settings come from the OWLERY_GAMIFICATION_* environment, as the service's do.
"""

import argparse
import asyncio
import sys
import time

from gamification.adapters.standings import (
    MongoPublishedEntries,
    MongoStandings,
    consumer_group_active,
    log_ends,
    publish_pending_entries,
)
from gamification.config import GamificationSettings
from gamification.service.standings import NotRebuilt, RebuildReport, rebuild
from shared.contracts.gamification import PointsAwardedV1, RestrictedPointsAwardedV1
from shared.messaging.kafka import KafkaEventPublisher, build_broker, ensure_topics
from shared.persistence.mongo import connect


class ServiceRunning(Exception):
    """The consumer group has members: a rebuild now could count records twice."""


async def run(settings: GamificationSettings, *, force: bool = False) -> RebuildReport:
    if not force and await consumer_group_active(settings.kafka_bootstrap_servers, settings.consumer_group):
        raise ServiceRunning(f"consumer group {settings.consumer_group!r} is active: stop the gamification service")
    topics = [settings.topic_prefix + contract.topic for contract in (PointsAwardedV1, RestrictedPointsAwardedV1)]
    await ensure_topics(settings.kafka_bootstrap_servers, topics, settings.topic_partitions)
    client = connect(settings.mongodb_url)
    database = client[settings.mongodb_database]
    broker = build_broker(settings.kafka_bootstrap_servers, client_id="owlery-gamification-rebuild")
    await broker.start()  # no subscriber: it only publishes what the outbox holds
    try:
        return await rebuild(
            MongoPublishedEntries(database),
            MongoStandings(database),
            lambda: log_ends(settings.kafka_bootstrap_servers, topics),
            lambda: publish_pending_entries(database, KafkaEventPublisher(broker, settings.topic_prefix)),
        )
    finally:
        await broker.stop()
        await client.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m gamification.rebuild", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--force", action="store_true", help="run even if the consumer group seems active")
    arguments = parser.parse_args()
    started = time.perf_counter()
    try:
        report = asyncio.run(run(GamificationSettings(), force=arguments.force))
    except (ServiceRunning, NotRebuilt) as refused:
        print(f"not rebuilt: {refused}", file=sys.stderr)
        sys.exit(1)
    print(
        f"rebuilt {report.people} standings from {report.entries} ledger entries "
        f"in {time.perf_counter() - started:.1f} s"
    )


if __name__ == "__main__":
    main()
