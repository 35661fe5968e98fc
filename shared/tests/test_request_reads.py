"""Within one HTTP request a person's directory copy is read from the store once (the gate, then the use case)."""

import asyncio
from typing import Any

import httpx
from fastapi import FastAPI

from shared.contracts import directory
from shared.http import CorrelationIdMiddleware
from shared.persistence.people import DirectoryCopy, one_read_per_request


class CountingPeople:
    """A `people` collection holding one profile, counting the reads that reach it."""

    def __init__(self) -> None:
        self.documents: dict[str, dict[str, Any]] = {
            "anna": {"_id": "anna", "active": True, "erased": False, "version": 1, "locale": "ru"}
        }
        self.reads = 0

    async def find_one(self, query: dict[str, Any]) -> dict[str, Any] | None:
        self.reads += 1
        return self.documents.get(query["_id"])

    async def replace_one(self, query: dict[str, Any], document: dict[str, Any], upsert: bool = False) -> None:
        self.documents[query["_id"]] = document


class Database:
    def __init__(self, people: CountingPeople) -> None:
        self.people = people

    def __getitem__(self, name: str) -> CountingPeople:
        return self.people


def copy_over(people: CountingPeople) -> DirectoryCopy:
    return DirectoryCopy(Database(people))  # type: ignore[arg-type]


async def test_a_request_reads_a_person_once_and_the_next_request_reads_again() -> None:
    people = CountingPeople()
    copy = copy_over(people)
    app = FastAPI()

    @app.get("/apply")
    async def apply() -> dict[str, Any]:
        blocked = await copy.is_blocked("anna")  # the gate
        found = await copy.get("anna")  # the use case
        return {"blocked": blocked, "locale": found.locale if found else None}

    app.add_middleware(CorrelationIdMiddleware)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        assert (await client.get("/apply")).json() == {"blocked": False, "locale": "ru"}
        assert people.reads == 1
        await client.get("/apply")
        assert people.reads == 2  # nothing kept from one request to the next


async def test_outside_a_request_every_read_goes_to_the_store_and_a_write_is_seen_at_once() -> None:
    people = CountingPeople()
    copy = copy_over(people)
    await copy.get("anna")
    await copy.get("anna")
    assert people.reads == 2  # consumers and jobs are never served a memo

    with one_read_per_request():
        assert not await copy.is_blocked("anna")
        await copy.apply_deactivated(directory.PersonDeactivatedV1(person_id="anna", version=2))
        assert await copy.is_blocked("anna")  # the write made the request read again


async def test_a_task_left_running_after_its_request_reads_the_store() -> None:
    people = CountingPeople()
    copy = copy_over(people)
    later: list[asyncio.Task[Any]] = []
    with one_read_per_request():
        await copy.get("anna")
        gate = asyncio.Event()

        async def afterwards() -> None:
            await gate.wait()
            await copy.get("anna")

        later.append(asyncio.create_task(afterwards()))
    gate.set()
    await later[0]
    assert people.reads == 2
