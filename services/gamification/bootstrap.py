"""The one place where the gamification service is wired together."""

from dataclasses import dataclass

from gamification.adapters.deeds import MongoDeeds
from gamification.adapters.ledger import COLLECTION, MongoLedger
from gamification.adapters.rules import MongoRules
from gamification.config import GamificationSettings
from gamification.entrypoints import consumers
from shared.contracts.gamification import PointsAwardedV1, RestrictedPointsAwardedV1, RuleSetChangedV1
from shared.observability import configure_logging
from shared.persistence.people import DirectoryCopy
from shared.persistence.versioned import VersionedStore
from shared.runtime import ServiceRuntime

PEOPLE_FIELDS = ("display_name", "department")
"""What gamification keeps of the directory: enough to show a leaderboard by name and department."""


@dataclass
class Gamification:
    runtime: ServiceRuntime
    ledger: MongoLedger
    rules: MongoRules
    deeds: MongoDeeds
    people: DirectoryCopy
    """This service's copy of the directory (the `people` collection); pass it to the privacy use cases."""
    settings: GamificationSettings


def bootstrap(settings: GamificationSettings | None = None) -> Gamification:
    settings = settings or GamificationSettings()
    configure_logging("gamification", settings.log_level)
    runtime = ServiceRuntime(
        settings,
        name="gamification",
        publishes=[PointsAwardedV1, RestrictedPointsAwardedV1, RuleSetChangedV1],
        outbox_collections=[COLLECTION, "rulesets_commits"],
    )
    ledger = MongoLedger(runtime.database, on_append=runtime.relay.notify)
    store = VersionedStore(runtime.database, "rulesets", on_commit=runtime.relay.notify)
    rules = MongoRules(store)
    people = DirectoryCopy(runtime.database, fields=PEOPLE_FIELDS)
    deeds = MongoDeeds(runtime.database)
    runtime.on_start(ledger.ensure_indexes)
    runtime.on_start(deeds.ensure_indexes)
    runtime.on_start(store.ensure_indexes)
    consumers.register(runtime.consumer, ledger, people, rules, deeds, runtime.audit)
    return Gamification(runtime=runtime, ledger=ledger, rules=rules, deeds=deeds, people=people, settings=settings)
