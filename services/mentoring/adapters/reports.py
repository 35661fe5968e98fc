"""What the outcome reports read besides the aggregates: departments and circles' past members.

Only mentoring's own collections: its copy of the directory (`people`) and the circles' commit log, whose
states still hold the members who left since (the circle's current state forgets them).
"""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from mentoring.service.reports import PastMember
from shared.persistence.mongo import Document, in_batches
from shared.persistence.people import DirectoryCopy
from shared.persistence.versioned import commit_id


class MongoReportReader:
    def __init__(self, database: AsyncDatabase[Document], people: DirectoryCopy) -> None:
        self.people = people
        self.circles = database["circles"]
        self.circle_commits = database["circles_commits"]

    async def departments(self, person_ids: Iterable[str]) -> dict[str, str | None]:
        copies = await self.people.get_many(person_ids)
        found: dict[str, str | None] = {}
        for person_id, copy in copies.items():
            department = copy.fields.get("department")
            found[person_id] = department if isinstance(department, str) and department.strip() else None
        return found

    async def circle_members_ever(self, circle_id: str) -> list[PastMember]:
        """Everyone who was ever a member, as last seen, in joining order; `left` if no longer in the circle."""
        head = await self.circles.find_one({"_id": circle_id}, {"version": 1})
        if head is None:
            return []
        ids = [commit_id(circle_id, version) for version in range(1, int(head["version"]) + 1)]
        states: list[tuple[int, list[dict[str, Any]]]] = []
        for batch in in_batches(ids):
            # A filter on _id alone: FerretDB reads these through its index.
            async for commit in self.circle_commits.find({"_id": {"$in": batch}}, {"state.members": 1}):
                version = int(str(commit["_id"]).rsplit("@", 1)[1])
                states.append((version, list(commit.get("state", {}).get("members", []))))
        states.sort(key=lambda item: item[0])
        last_seen: dict[str, dict[str, Any]] = {}
        for _, members in states:
            for member in members:
                last_seen[member["person_id"]] = member
        current = {member["person_id"] for member in states[-1][1]} if states else set()
        return [
            PastMember(
                person_id=person_id,
                role=member["role"],
                department=member.get("department"),
                joined_at=datetime.fromisoformat(member["joined_at"]),
                left=person_id not in current,
            )
            for person_id, member in last_seen.items()
        ]
