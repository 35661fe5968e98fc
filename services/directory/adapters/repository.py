"""People in MongoDB: a versioned store whose commits are also the outbox, and a unique claim per userName.

Both lookups a provisioning client needs are by `_id`, the one index FerretDB v1 looks up directly:
a person by id, and a userName by its normalised key in `user_names` (whose `_id` uniqueness is also
what keeps two people from sharing a userName when two requests race).
"""

from collections.abc import Mapping
from datetime import UTC, datetime

from pymongo.asynchronous.database import AsyncDatabase

from directory.domain.csv_import import RowError
from directory.domain.imports import ImportRun
from directory.domain.model import DomainEvent, Person, PersonDeactivated, PersonErased, PersonUpserted
from shared.contracts import directory as contracts
from shared.contracts.base import IntegrationEvent
from shared.messaging.cloudevents import OutboxEvent
from shared.observability import current_correlation_id
from shared.persistence.mongo import Document, insert_once
from shared.persistence.versioned import PUBLISHED, VersionedStore

SOURCE = "/owlery/directory"
USER_NAMES = "user_names"


def to_integration_event(event: DomainEvent, erasure: Mapping[str, str]) -> IntegrationEvent:
    match event:
        case PersonUpserted(person=person):
            return contracts.PersonUpsertedV1(
                person_id=person.id,
                user_name=person.user_name,
                display_name=person.display_name,
                email=person.email,
                department=person.department,
                manager_id=person.manager_id,
                job_title=person.job_title,
                locale=person.locale,
                time_zone=person.time_zone,
                active=person.active,
                version=person.version,
            )
        case PersonDeactivated():
            return contracts.PersonDeactivatedV1(person_id=event.person_id, version=event.version)
        case PersonErased():
            return contracts.PersonErasedV1(
                person_id=event.person_id,
                requested_by=erasure.get("requested_by", "unknown"),
                reason=erasure.get("reason", ""),
            )


class MongoPeople:
    def __init__(self, store: VersionedStore, database: AsyncDatabase[Document]) -> None:
        self.store = store
        self.user_names = database[USER_NAMES]

    async def get(self, person_id: str) -> Person | None:
        loaded = await self.store.load(person_id)
        return None if loaded is None else Person.from_state(person_id, {**loaded.state, "version": loaded.version})

    async def save(
        self, person: Person, expected_version: int, events: tuple[DomainEvent, ...], **erasure: str
    ) -> None:
        correlation_id = current_correlation_id()
        outbox = [
            OutboxEvent.of(to_integration_event(event, erasure), source=SOURCE, correlation_id=correlation_id)
            for event in events
        ]
        await self.store.commit(person.id, expected_version, person.to_state(), outbox)

    async def owner_of(self, user_name_key: str) -> str | None:
        claim = await self.user_names.find_one({"_id": user_name_key})
        return None if claim is None else str(claim["person_id"])

    async def claim(self, user_name_key: str, person_id: str) -> bool:
        """Reserve the userName for the person; False if someone else holds it."""
        if await insert_once(self.user_names.database, USER_NAMES, {"_id": user_name_key, "person_id": person_id}):
            return True
        return await self.owner_of(user_name_key) == person_id

    async def take_over(self, user_name_key: str, person_id: str) -> None:
        """Give a stale claim (its holder no longer uses the name) to this person."""
        await self.user_names.replace_one({"_id": user_name_key}, {"_id": user_name_key, "person_id": person_id})

    async def release(self, user_name_key: str, person_id: str) -> None:
        if await self.owner_of(user_name_key) == person_id:
            await self.user_names.delete_one({"_id": user_name_key})

    async def page(self, offset: int, limit: int) -> tuple[list[Person], int]:
        live = {"erased": {"$ne": True}}
        total = await self.store.heads.count_documents(live)
        documents = await self.store.heads.find(live).sort("_id", 1).skip(offset).limit(limit).to_list()
        return [Person.from_state(d["_id"], d) for d in documents], total

    async def all_user_name_keys(self) -> set[str]:
        return {str(document["_id"]) async for document in self.user_names.find({}, {"_id": 1})}

    async def forget_history(self, person_id: str, erased_version: int, tombstone: Document) -> None:
        """After an erasure commit: overwrite every older commit so no profile survives in the history.

        Older events that were never published need not be anymore: the erasure supersedes them.
        """
        for version in range(1, erased_version):
            commit_id = f"{person_id}@{version}"
            if await self.store.commits.find_one({"_id": commit_id}, {"_id": 1}) is None:
                continue
            await self.store.commits.replace_one(
                {"_id": commit_id},
                {
                    "_id": commit_id,
                    "aggregate_id": person_id,
                    "version": version,
                    "state": tombstone,
                    "events": [],
                    "outbox_state": PUBLISHED,
                    "outbox_attempts": 0,
                },
            )


IMPORT_RUNS = "import_runs"


def _run_to_document(run: ImportRun) -> Document:
    return {
        "_id": run.id,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "started_by": run.started_by,
        "source": run.source,
        "outcome": run.outcome,
        "created": run.created,
        "updated": run.updated,
        "unchanged": run.unchanged,
        "refused": run.refused,
        "errors": [{"line": e.line, "field": e.field, "message": e.message} for e in run.errors],
        "errors_total": run.errors_total,
        "failure": run.failure,
    }


def _run_from_document(document: Document) -> ImportRun:
    def utc(moment: datetime) -> datetime:
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # the store gives naive UTC back

    return ImportRun(
        id=str(document["_id"]),
        started_at=utc(document["started_at"]),
        finished_at=utc(document["finished_at"]),
        started_by=str(document["started_by"]),
        source=document["source"],
        outcome=document["outcome"],
        created=int(document.get("created", 0)),
        updated=int(document.get("updated", 0)),
        unchanged=int(document.get("unchanged", 0)),
        refused=int(document.get("refused", 0)),
        errors=tuple(RowError(int(e["line"]), e.get("field"), str(e["message"])) for e in document.get("errors", [])),
        errors_total=int(document.get("errors_total", 0)),
        failure=document.get("failure"),
    )


class MongoImportRuns:
    """Import runs, each inserted once under its own id and never updated."""

    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self.database = database
        self.runs = database[IMPORT_RUNS]

    async def record(self, run: ImportRun) -> None:
        await insert_once(self.database, IMPORT_RUNS, _run_to_document(run))

    async def page(self, offset: int, limit: int) -> tuple[list[ImportRun], int]:
        total = await self.runs.count_documents({})
        # The id starts with the start time, so sorting by it is newest first without a second index.
        documents = await self.runs.find({}).sort("_id", -1).skip(offset).limit(limit).to_list()
        return [_run_from_document(document) for document in documents], total

    async def get(self, run_id: str) -> ImportRun | None:
        document = await self.runs.find_one({"_id": run_id})
        return None if document is None else _run_from_document(document)
