"""The one place where the mentoring service is wired together."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from mentoring.adapters.reports import MongoReportReader
from mentoring.adapters.repository import MongoAggregates
from mentoring.config import MentoringSettings
from mentoring.domain.brainstorm import Brainstorm
from mentoring.domain.channel import Post
from mentoring.domain.circle import Circle
from mentoring.domain.coffee_round import CoffeeRound
from mentoring.domain.concern import Concern
from mentoring.domain.flag import Flag
from mentoring.domain.internship import Internship, Partner, Placement
from mentoring.domain.knowledge import KnowledgeItem
from mentoring.domain.library import LibraryEntry
from mentoring.domain.pair import Pair
from mentoring.domain.programme import Programme
from mentoring.domain.task import Task
from mentoring.entrypoints import consumers
from mentoring.service import circles, knowledge, pairs
from mentoring.service.knowledge import KnowledgeBase
from mentoring.service.ports import Ports
from shared.contracts import mentoring as contracts
from shared.contracts.base import IntegrationEvent
from shared.observability import configure_logging
from shared.persistence.erasures import MongoErasures
from shared.persistence.people import DirectoryCopy
from shared.persistence.versioned import VersionedStore
from shared.privacy.anonymity import Pseudonymizer
from shared.privacy.notes import NoteCipher
from shared.runtime import ServiceRuntime

# What pairing mentors with mentees needs (reporting line, language); no e-mail.
PEOPLE_FIELDS = ("display_name", "locale", "time_zone", "department", "manager_id", "job_title")

# Each aggregate kind: its store's name, how to rebuild it, and the state fields that name people.
AGGREGATES: dict[str, tuple[Callable[[str, Any], Any], tuple[str, ...]]] = {
    "programmes": (
        Programme.from_state,
        (
            "participants.person_id",
            "nominations.person_id",
            "nominations.recommended_by",
            "curator_ids",
            "roster.mentor_id",
            "roster.mentee_ids",
        ),
    ),
    "pairs": (
        Pair.from_state,
        (
            "mentor_id",
            "mentee_ids",
            "terms.curator_ids",
            "meetings.logged_by",
            "check_ins.person_id",
            "adaptations.person_id",
            "adaptations.recorded_by",
        ),
    ),
    "concerns": (Concern.from_state, ("raised_by", "curator_ids", "actions.by")),
    "posts": (Post.from_state, ("author_id", "reactions.person_id")),
    "circles": (Circle.from_state, ("created_by", "members.person_id", "requests.person_id", "coffee")),
    "tasks": (
        Task.from_state,
        (
            "published_by",
            "solutions.author_id",
            "comments.author_id",
            "comments.helpful_by",
            "checks.person_id",
            "checks.reviewer_id",
            "reflections.person_id",
        ),
    ),
    "flags": (Flag.from_state, ("flagged_by", "moderator_id")),
    "library": (LibraryEntry.from_state, ("author_id", "promoted_by")),
    "coffee_rounds": (CoffeeRound.from_state, ("pairs.first", "pairs.second", "left_out")),
    "knowledge": (KnowledgeItem.from_state, ("owner_id", "reviewed_by")),
    "brainstorms": (
        Brainstorm.from_state,
        ("facilitator_id", "ideas.author_id", "votes.person_id", "owner_ids"),
    ),
    "partners": (Partner.from_state, ("registered_by",)),
    "placements": (Placement.from_state, ("host_id", "offered_by")),
    "internships": (Internship.from_state, ("guest_id", "manager_id", "host_id")),
}


def published_contracts() -> list[type[IntegrationEvent]]:
    return [
        value
        for name, value in vars(contracts).items()
        if isinstance(value, type) and issubclass(value, IntegrationEvent) and name.endswith("V1")
    ]


@dataclass
class Mentoring:
    runtime: ServiceRuntime
    ports: Ports
    people: DirectoryCopy
    settings: MentoringSettings
    knowledge: KnowledgeBase
    reports: MongoReportReader

    @property
    def clock(self) -> Callable[[], datetime]:
        return self.ports.clock

    @clock.setter
    def clock(self, clock: Callable[[], datetime]) -> None:
        self.ports.clock = clock


def bootstrap(settings: MentoringSettings | None = None) -> Mentoring:
    settings = settings or MentoringSettings()
    configure_logging("mentoring", settings.log_level)
    runtime = ServiceRuntime(
        settings,
        name="mentoring",
        publishes=published_contracts(),
        outbox_collections=[f"{name}_commits" for name in AGGREGATES],
    )
    repositories: dict[str, MongoAggregates[Any]] = {}
    for name, (rebuild, person_paths) in AGGREGATES.items():
        store = VersionedStore(runtime.database, name, on_commit=runtime.relay.notify)
        runtime.on_start(store.ensure_indexes)
        repositories[name] = MongoAggregates(store, rebuild, person_paths)
    people = DirectoryCopy(runtime.database, fields=PEOPLE_FIELDS)
    # Built at start so a bad key fails the start, not the first anonymous comment.
    pseudonyms = Pseudonymizer(settings.pseudonym_key.get_secret_value().encode())
    shift = timedelta(hours=settings.clock_shift_hours)
    ports = Ports(
        programmes=repositories["programmes"],
        pairs=repositories["pairs"],
        concerns=repositories["concerns"],
        posts=repositories["posts"],
        people=people,
        erasures=MongoErasures(runtime.database),
        # Built at start so a bad key fails the start, not the first note.
        sealer=NoteCipher.from_settings(
            {key_id: key.get_secret_value() for key_id, key in settings.notes_keys.items()},
            settings.notes_current_key,
        ),
        clock=lambda: datetime.now(UTC) + shift,
        circles=repositories["circles"],
        tasks=repositories["tasks"],
        flags=repositories["flags"],
        library=repositories["library"],
        coffee=repositories["coffee_rounds"],
        pseudonyms=pseudonyms,
        audit=runtime.audit,
        knowledge=repositories["knowledge"],
        brainstorms=repositories["brainstorms"],
        partners=repositories["partners"],
        placements=repositories["placements"],
        internships=repositories["internships"],
    )
    service = Mentoring(
        runtime=runtime,
        ports=ports,
        people=people,
        settings=settings,
        # The service's clock, read through the ports at each call: moving it moves the knowledge base's too.
        knowledge=KnowledgeBase(
            repositories["knowledge"], lambda: service.ports.clock(), settings.knowledge_review_days
        ),
        reports=MongoReportReader(runtime.database, people),
    )
    consumers.register(
        runtime.consumer, ports=ports, people=people, audit=runtime.audit, knowledge_base=service.knowledge
    )
    runtime.every(settings.health_check_seconds, lambda: pairs.check_health(service.ports), "pair-health")
    runtime.every(
        settings.coffee_check_seconds,
        lambda: circles.form_coffee_rounds(service.ports, settings.coffee_memory_weeks),
        "coffee-rounds",
    )
    runtime.every(
        settings.knowledge_review_check_seconds,
        lambda: knowledge.flag_stale(service.knowledge),
        "knowledge-review",
    )
    return service
