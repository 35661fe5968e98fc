"""Programmes in MongoDB: a versioned store whose commits are also the outbox."""

from mentoring.domain.events import DomainEvent, ParticipantRegistered, ProgrammeCreated
from mentoring.domain.model import Programme
from shared.contracts import mentoring as contracts
from shared.contracts.base import IntegrationEvent
from shared.messaging.cloudevents import OutboxEvent
from shared.observability import current_correlation_id
from shared.persistence.erasures import replace_value
from shared.persistence.versioned import VersionedStore, commit_id

SOURCE = "/owlery/mentoring"


def to_integration_event(event: DomainEvent) -> IntegrationEvent:
    match event:
        case ProgrammeCreated():
            return contracts.ProgrammeCreatedV1(programme_id=event.programme_id, title=event.title, kind=event.kind)
        case ParticipantRegistered():
            return contracts.ParticipantRegisteredV1(
                programme_id=event.programme_id,
                programme_title=event.programme_title,
                person_id=event.person_id,
                role=event.role,
                locale=event.locale,
            )


class MongoProgrammeRepository:
    def __init__(self, store: VersionedStore) -> None:
        self.store = store

    async def get(self, programme_id: str) -> tuple[Programme, int] | None:
        loaded = await self.store.load(programme_id)
        if loaded is None:
            return None
        return Programme.from_state(programme_id, loaded.state), loaded.version

    async def save(self, programme: Programme, expected_version: int) -> None:
        correlation_id = current_correlation_id()
        outbox = [
            OutboxEvent.of(to_integration_event(event), source=SOURCE, correlation_id=correlation_id)
            for event in programme.events
        ]
        await self.store.commit(programme.id, expected_version, programme.to_state(), outbox)
        programme.events.clear()

    async def involving(self, person_id: str) -> list[str]:
        # Two scans (FerretDB looks up nothing but _id): fine for rare privacy requests, kept off hot paths.
        # The commits are the truth; the heads are asked too in case a crash left one ahead of its commits.
        heads = self.store.heads.find({"participants.person_id": person_id}, {"_id": 1})
        commits = self.store.commits.find(
            {"$or": [{"state.participants.person_id": person_id}, {"events.data.person_id": person_id}]},
            {"aggregate_id": 1},
        )
        found = {head["_id"] async for head in heads} | {commit["aggregate_id"] async for commit in commits}
        return sorted(found)

    async def erase_from_history(
        self, programme_id: str, person_id: str, replacement: str, through_version: int
    ) -> int:
        """Rewrite the programme's past commits, read and written by _id, as if a former employee had registered.

        Only `state` and `events` are set: the relay's outbox fields stay as they are, so a pending
        commit is still published (carrying the stand-in) and a published one is not sent again.
        """
        changed = 0
        for version in range(1, through_version + 1):
            commit = await self.store.commits.find_one({"_id": commit_id(programme_id, version)})
            if commit is None:
                continue
            programme = Programme.from_state(programme_id, commit["state"])
            state = programme.to_state() if programme.erase_person(person_id, replacement) else commit["state"]
            state = replace_value(state, person_id, replacement)  # and anything the domain does not know of
            events = replace_value(commit["events"], person_id, replacement)
            if state == commit["state"] and events == commit["events"]:
                continue
            await self.store.commits.update_one({"_id": commit["_id"]}, {"$set": {"state": state, "events": events}})
            changed += 1
        return changed
