"""The one place where the gamification service is wired together."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from gamification.adapters.badges import COLLECTION as BADGES
from gamification.adapters.badges import MongoBadges
from gamification.adapters.deeds import MongoDeeds
from gamification.adapters.ledger import COLLECTION, OUTBOX, MongoLedger
from gamification.adapters.recalculations import COLLECTION as RECALCULATIONS
from gamification.adapters.recalculations import MongoRecalculations
from gamification.adapters.rings import OUTBOX_COLLECTION as RINGS
from gamification.adapters.rings import HoldingLedger, MongoRings
from gamification.adapters.rules import MongoRules
from gamification.adapters.signing import IssuerKey
from gamification.adapters.standings import MongoMembers, MongoStandings
from gamification.adapters.titles import COLLECTION as TITLES
from gamification.adapters.titles import MongoTitles
from gamification.config import GamificationSettings
from gamification.entrypoints import consumers
from gamification.service import rings as ring_cases
from gamification.service.standings import LeaderboardCache
from gamification.service.titles import name_experts_when_due
from shared.contracts.gamification import (
    BadgeAwardedV1,
    ExpertOfTheMonthNamedV1,
    PointsAwardedV1,
    RecalculationAppliedV1,
    ReciprocalRingDecidedV1,
    ReciprocalRingFlaggedV1,
    RestrictedBadgeAwardedV1,
    RestrictedPointsAwardedV1,
    RuleSetChangedV1,
)
from shared.observability import configure_logging
from shared.persistence.erasures import MongoErasures
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
    titles: MongoTitles
    """Expert of the month decisions."""
    clock: Callable[[], datetime]
    """Now, as the monthly jobs see it (a test sets it to a month's end)."""
    rings: MongoRings
    """Reciprocal rings flagged for moderators, and the credits they withhold."""
    badges: MongoBadges
    """Badges awarded and the progress toward them."""
    issuer_key: IssuerKey
    """The key that signs badges exported as Open Badges credentials."""
    recalculations: MongoRecalculations
    """Recalculations dry-run and applied by admins."""
    standings: MongoStandings
    """Each person's standing (balance, periods, circles), projected from the ledger's events."""
    leaderboards: LeaderboardCache
    """This process's snapshot of every leaderboard, rebuilt every `leaderboard_refresh_seconds`."""


def bootstrap(settings: GamificationSettings | None = None) -> Gamification:
    settings = settings or GamificationSettings()
    configure_logging("gamification", settings.log_level)
    runtime = ServiceRuntime(
        settings,
        name="gamification",
        publishes=[
            PointsAwardedV1,
            RestrictedPointsAwardedV1,
            RuleSetChangedV1,
            ReciprocalRingFlaggedV1,
            ReciprocalRingDecidedV1,
            ExpertOfTheMonthNamedV1,
            BadgeAwardedV1,
            RestrictedBadgeAwardedV1,
            RecalculationAppliedV1,
        ],
        outbox_collections=[COLLECTION, OUTBOX, "rulesets_commits", TITLES, BADGES, RECALCULATIONS, RINGS],
        transient_outboxes=[OUTBOX],
    )
    ledger = MongoLedger(runtime.database, on_append=runtime.relay.notify)
    store = VersionedStore(runtime.database, "rulesets", on_commit=runtime.relay.notify)
    rules = MongoRules(store)
    people = DirectoryCopy(runtime.database, fields=PEOPLE_FIELDS)
    deeds = MongoDeeds(runtime.database)
    titles = MongoTitles(runtime.database, on_name=runtime.relay.notify)
    runtime.on_start(titles.ensure_indexes)
    badges = MongoBadges(runtime.database, on_award=runtime.relay.notify)
    runtime.on_start(badges.ensure_indexes)
    issuer_key = IssuerKey(
        runtime.database,
        settings.badge_jwks_url,
        settings.badge_signing_key.get_secret_value() if settings.badge_signing_key else None,
    )
    runtime.on_start(ledger.ensure_indexes)
    runtime.on_start(deeds.ensure_indexes)
    runtime.on_start(store.ensure_indexes)
    recalculations = MongoRecalculations(runtime.database, on_apply=runtime.relay.notify)
    runtime.on_start(recalculations.ensure_indexes)
    erasures = MongoErasures(runtime.database)
    rings = MongoRings(runtime.database, on_commit=runtime.relay.notify)
    runtime.on_start(rings.ensure_indexes)
    # Deeds are credited through a ledger that keeps the credits of a flagged ring out (parked).
    holding = HoldingLedger(
        runtime.database,
        parks=lambda entry: ring_cases.park_if_ring_credit(entry, rings, deeds),
        on_append=runtime.relay.notify,
    )
    standings = MongoStandings(runtime.database)
    consumers.follow_points(runtime.consumer, standings, rules, people, standings)
    consumers.register(
        runtime.consumer,
        holding,
        people,
        rules,
        deeds,
        runtime.audit,
        badges=badges,
        erasures=erasures,
        others=(badges, titles, rings, standings),  # handed to the same stand-in as the ledger
    )
    service = Gamification(
        runtime=runtime,
        ledger=ledger,
        rules=rules,
        deeds=deeds,
        people=people,
        settings=settings,
        titles=titles,
        clock=lambda: datetime.now(UTC),
        rings=rings,
        badges=badges,
        issuer_key=issuer_key,
        recalculations=recalculations,
        standings=standings,
        leaderboards=LeaderboardCache(standings, MongoMembers(runtime.database), lambda: service.clock()),
    )
    grace = timedelta(minutes=settings.titles_grace_minutes)
    runtime.every(
        settings.titles_check_seconds,
        lambda: name_experts_when_due(service.clock(), grace, service.deeds, service.people, service.titles),
        "expert-of-the-month",
    )
    runtime.every(
        settings.rings_check_seconds,
        lambda: ring_cases.look_for_rings(service.clock(), service.deeds, service.ledger, service.rules, service.rings),
        "reciprocal-rings",
    )
    # Every replica answers leaderboard reads from its own snapshot in memory.
    runtime.every(
        settings.leaderboard_refresh_seconds, service.leaderboards.refresh, "leaderboards", every_replica=True
    )
    return service
