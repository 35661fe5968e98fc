"""The one place where the gamification service is wired together."""

from dataclasses import dataclass

from gamification.adapters.ledger import COLLECTION, MongoLedger
from gamification.config import GamificationSettings
from gamification.entrypoints import consumers
from shared.contracts.gamification import PointsAwardedV1
from shared.observability import configure_logging
from shared.runtime import ServiceRuntime


@dataclass
class Gamification:
    runtime: ServiceRuntime
    ledger: MongoLedger


def bootstrap(settings: GamificationSettings | None = None) -> Gamification:
    settings = settings or GamificationSettings()
    configure_logging("gamification", settings.log_level)
    runtime = ServiceRuntime(
        settings, name="gamification", publishes=[PointsAwardedV1], outbox_collections=[COLLECTION]
    )
    ledger = MongoLedger(runtime.database, on_append=runtime.relay.notify)
    runtime.on_start(ledger.ensure_indexes)
    consumers.register(runtime.consumer, ledger)
    return Gamification(runtime=runtime, ledger=ledger)
