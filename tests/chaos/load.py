"""A load generator for the real flows, and the record of what the platform accepted.

Commands go out at a fixed rate (open loop, bounded by `MAX_IN_FLIGHT` requests at once). A command
that fails in transit (connection refused while a service restarts, a timeout while the store is
paused, a 5xx while Kafka is away) is sent again, the same command, until the service accepts it or
clearly refuses it. What each API does on a repeat, and so what "accepted" means:

* apply (POST /courses/{c}/applications): 201, or 409 with the earlier `application_id` and `status`;
* withdraw (POST .../applications/{p}/withdrawal): 200, or 409 with `status` "withdrawn" (done before);
* hand in homework (POST .../homework/{h}/submissions): 201, or 409 "awaits the trainer's review";
* review homework (POST .../submissions/{p}/review): 200, or 409 "attempt 1 was already accepted";
* mark a comment helpful (POST /tasks/{t}/comments/{c}/helpful): 204, or 409 (marked before);
* log a meeting (PUT /pairs/{p}/meetings/{id}, the id chosen by the client): 200, or 409 "logged already";
* post a comment (POST .../comments) has no idempotency key: before a repeat after an unclear failure the
  client looks for its comment (a unique text, `by_me`) on the task and takes it if found.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.support.courses import CURATOR, TRAINER
from tests.support.kafka import eventually
from tests.support.platform import SCIM_TOKEN, Platform

RATE = float(os.environ.get("OWLERY_CHAOS_RATE", "200"))
"""Commands per second the generator offers."""
SECONDS = float(os.environ.get("OWLERY_CHAOS_SECONDS", "60"))
"""How long the load runs."""
COURSES = int(os.environ.get("OWLERY_CHAOS_COURSES", "40"))
MAX_IN_FLIGHT = 128
RETRY_FOR = 240.0
"""A command still failing after this long is given up (counted, and the test fails on it)."""
SCIM = {"Authorization": f"Bearer {SCIM_TOKEN}"}

MIX: tuple[tuple[str, int], ...] = (
    ("apply", 52),
    ("withdraw", 10),
    ("hand_in", 8),
    ("review", 6),
    ("comment", 12),
    ("mark", 9),
    ("meeting", 3),
)


@dataclass
class Accepted:
    """What the platform accepted (the client saw a yes, now or as the answer to a repeat)."""

    applications: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
    """(course id, person id) -> application id, status at the answer."""
    withdrawals: set[tuple[str, str]] = field(default_factory=set)
    hand_ins: set[tuple[str, str]] = field(default_factory=set)
    """(course id, person id)"""
    reviews: set[tuple[str, str]] = field(default_factory=set)
    comments: dict[str, dict[str, str]] = field(default_factory=dict)
    """comment id -> author (real), task id, text"""
    marks: set[tuple[str, str]] = field(default_factory=set)
    """(comment id, marked by)"""
    meetings: set[tuple[str, str]] = field(default_factory=set)
    """(pair id, meeting id)"""


@dataclass
class Stats:
    issued: Counter[str] = field(default_factory=Counter)
    accepted: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)
    gave_up: Counter[str] = field(default_factory=Counter)
    attempts: int = 0
    retries: Counter[str] = field(default_factory=Counter)
    """why a request was sent again: "transport", "5xx" ..."""
    repeats_answered_conflict: Counter[str] = field(default_factory=Counter)
    """commands whose repeat was answered "done before" (the first try had been accepted)."""
    latencies: list[float] = field(default_factory=list)
    started: float = 0.0
    finished: float = 0.0
    max_in_flight: int = 0


@dataclass
class Course:
    id: str
    cohort_id: str
    homework_id: str


@dataclass
class Circle:
    id: str
    members: list[str]
    tasks: list[str]
    solutions: list[tuple[str, str, str]]
    """(task id, solution id, author)"""


@dataclass
class Pair:
    id: str
    mentor: str
    mentees: list[str]


async def expect(answer: httpx.Response, *statuses: int) -> Any:
    assert answer.status_code in (statuses or (200,)), f"{answer.request.method} {answer.request.url}: {answer.text}"
    return answer.json() if answer.content else None


def scim_user(person_id: str, department: str = "ИТ", manager_id: str | None = None) -> dict[str, Any]:
    enterprise: dict[str, Any] = {"department": department}
    if manager_id is not None:
        enterprise["manager"] = {"value": manager_id}
    return {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "externalId": person_id,
        "userName": f"{person_id}@contoso.example",
        "displayName": person_id,
        "emails": [{"value": f"{person_id}@contoso.example", "type": "work", "primary": True}],
        "preferredLanguage": "ru-RU",
        "timezone": "Europe/Moscow",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": enterprise,
    }


class Load:
    def __init__(self, platform: Platform, client: httpx.AsyncClient) -> None:
        self.platform = platform
        self.client = client
        self.run = uuid.uuid4().hex[:6]
        self.random = random.Random(self.run)
        self.accepted = Accepted()
        self.stats = Stats()
        self.courses: list[Course] = []
        self.circle: Circle | None = None
        self.pairs: list[Pair] = []
        self._headers: dict[tuple[str, ...], dict[str, str]] = {}
        self._signer = platform.signer
        self._applicants = 0
        self._comments = 0
        self._meetings = 0
        # People picked for one follow-up never take another that conflicts with it.
        self._busy: set[tuple[str, str]] = set()
        self._enrolled: list[tuple[str, str]] = []
        self._withdrawable: list[tuple[str, str]] = []
        self._handed_in: list[tuple[str, str]] = []
        self._in_flight: set[asyncio.Task[None]] = set()
        self._busy_marks: set[tuple[str, str]] = set()
        self.unknown: set[tuple[str, str]] = set()
        """(course id, person id) of applications given up on: accepted or not, nobody knows."""

    def headers(self, person: str, *roles: str) -> dict[str, str]:
        key = (person, *roles)
        if key not in self._headers:
            self._headers[key] = {"Authorization": f"Bearer {self._signer.sign(person, roles)}"}
        return self._headers[key]

    # --- setup --------------------------------------------------------------------------------------------

    async def set_up(self) -> None:
        await asyncio.gather(self._courses(), self._circle_and_pairs())

    async def _courses(self) -> None:
        trainer = self.headers(TRAINER, "trainer")
        semaphore = asyncio.Semaphore(8)

        async def one(number: int) -> Course:
            async with semaphore:
                course = await self._open_course(f"Chaos {self.run} #{number}")
                cohort = course["cohorts"][0]
                starts = datetime.fromisoformat(cohort["sessions"][0]["starts_at"]) if cohort.get("sessions") else None
                due = (starts or datetime.now(UTC) + timedelta(days=14)) + timedelta(days=7)
                base = f"{self.platform.url('enrolment')}/courses/{course['id']}/cohorts/{cohort['id']}"
                homework = await expect(
                    await self.client.post(
                        f"{base}/homework",
                        json={"session_number": 1, "text": "Разобрать пример", "due_at": due.isoformat()},
                        headers=trainer,
                    ),
                    201,
                )
                return Course(course["id"], cohort["id"], homework["homework_id"])

        self.courses = list(await asyncio.gather(*(one(n) for n in range(COURSES))))

    async def _open_course(self, title: str) -> dict[str, Any]:
        """As tests/support/courses.open_course does, with tokens from the cached-key signer."""
        enrolment = self.platform.url("enrolment")
        trainer, curator = self.headers(TRAINER, "trainer"), self.headers(CURATOR, "curator")
        body = {"title_ru": title, "sessions": 3, "weekly_effort_hours": 2, "rules": {"capacity": 7}}
        proposed = await expect(await self.client.post(f"{enrolment}/courses", json=body, headers=trainer), 201)
        course_id = proposed["id"]
        verdict = {"verdict": "approved"}
        await expect(await self.client.post(f"{enrolment}/courses/{course_id}/reviews", json=verdict, headers=curator))
        start = (datetime.now(UTC) + timedelta(days=14)).date().isoformat()
        slot = {"weekday": 2, "local_time": "15:00", "time_zone": "Europe/Moscow", "start_date": start}
        opened = await self.client.post(f"{enrolment}/courses/{course_id}/cohorts", json=slot, headers=curator)
        course: dict[str, Any] = await expect(opened, 201)
        return course

    async def _people(self, people: list[tuple[str, str | None]]) -> None:
        directory = self.platform.url("directory")
        for person_id, manager in people:
            user = scim_user(person_id, manager_id=manager)
            await expect(await self.client.post(f"{directory}/scim/v2/Users", json=user, headers=SCIM), 201)

    async def _circle_and_pairs(self) -> None:
        run = self.run
        members = [f"cm{n}-{run}" for n in range(10)]
        mentors, mentees = [f"mr{n}-{run}" for n in range(2)], [f"me{n}-{run}" for n in range(2)]
        curator_id = f"cur-{run}"
        everyone = [*members, *mentors, *mentees, curator_id]
        await self._people([(person, None) for person in everyone])
        from shared.persistence.mongo import connect

        database = connect(self.platform.servers.mongodb_url)[self.platform.database("mentoring")]
        try:
            await eventually(
                lambda: database["people"].count_documents({"_id": {"$in": everyone}}),
                lambda count: count == len(everyone),
                timeout=60,
            )
        finally:
            await database.client.close()
        await asyncio.gather(self._circle(members), self._pairs(mentors, mentees, curator_id))

    async def _circle(self, members: list[str]) -> None:
        mentoring = self.platform.url("mentoring")
        facilitator = members[0]
        created = await expect(
            await self.client.post(
                f"{mentoring}/circles",
                json={
                    "topic": f"Chaos {self.run}",
                    "description": "Нагрузка",
                    "experienced_threshold": 0.1,
                    "experience": "expert",
                },
                headers=self.headers(facilitator),
            ),
            201,
        )
        circle = f"{mentoring}/circles/{created['id']}"
        for number, person in enumerate(members[1:]):
            experience = "expert" if number < 2 else "beginner"
            body = {"person_id": person, "experience": experience}
            await expect(await self.client.post(f"{circle}/members", json=body, headers=self.headers(person)), 201)
        due = (datetime.now(UTC).date() + timedelta(days=14)).isoformat()
        tasks = []
        for number in range(5):
            body = {
                "statement": f"Задача {number} под нагрузкой {self.run}",
                "expected_outcome": "Работает",
                "due": due,
                "check_instructions": "Покажите",
            }
            task = await expect(
                await self.client.post(f"{circle}/tasks", json=body, headers=self.headers(facilitator)), 201
            )
            tasks.append(task["id"])
        solutions = []
        for number, task_id in enumerate(tasks):
            for author in (members[1 + (number + k) % 9] for k in range(3)):
                solution_id = f"sol-{author}"
                url = f"{mentoring}/tasks/{task_id}/solutions/{solution_id}"
                body = {"text": f"Решение {author} к задаче {number}"}
                await expect(await self.client.put(url, json=body, headers=self.headers(author)))
                await expect(await self.client.post(f"{url}/publication", headers=self.headers(author)))
                solutions.append((task_id, solution_id, author))
        self.circle = Circle(created["id"], members, tasks, solutions)

    async def _pairs(self, mentors: list[str], mentees: list[str], curator_id: str) -> None:
        mentoring = self.platform.url("mentoring")
        curator = self.headers(curator_id, "curator")
        today = datetime.now(UTC).date()
        terms = {
            "format": "one_to_one",
            "topics": ["ai tools"],
            "enrolment_opens": today.isoformat(),
            "enrolment_closes": (today + timedelta(days=10)).isoformat(),
            "starts": today.isoformat(),
            "duration_weeks": 12,
            "cadence_days": 14,
            "rules_text": "Конфиденциальность",
            "preparation": "Прочитайте до первой встречи",
        }
        created = await expect(
            await self.client.post(
                f"{mentoring}/programmes",
                json={"title": f"Chaos {self.run}", "kind": "reverse", "terms": terms},
                headers=curator,
            ),
            201,
        )
        programme = f"{mentoring}/programmes/{created['id']}"
        await expect(await self.client.post(f"{programme}/stage", json={"stage": "open"}, headers=curator))

        def profile(role: str) -> dict[str, Any]:
            level, grade = (4, 7) if role == "mentor" else (1, 15)
            return {
                "competencies": {"ai tools": level},
                "topics": ["ai tools"],
                "interests": [],
                "languages": ["ru"],
                "time_zone": "Europe/Moscow",
                "grade": grade,
                "capacity": 1,
            }

        for role, people in (("mentor", mentors), ("mentee", mentees)):
            for person in people:
                body = {"person_id": person, "role": role, "profile": profile(role), "accept_rules": True}
                await expect(await self.client.post(f"{programme}/participants", json=body, headers=curator), 201)
        await expect(await self.client.post(f"{programme}/stage", json={"stage": "matching"}, headers=curator))
        proposal = await expect(await self.client.post(f"{programme}/matching", headers=curator), 201)
        planned = await expect(
            await self.client.post(f"{programme}/matching/{proposal['id']}/approval", headers=curator)
        )
        await expect(await self.client.post(f"{programme}/stage", json={"stage": "running"}, headers=curator))
        kickoff = {"starts_at": (datetime.now(UTC) + timedelta(minutes=5)).isoformat()}
        await expect(await self.client.post(f"{programme}/kickoff", json=kickoff, headers=curator))
        await expect(await self.client.post(f"{programme}/kickoff/held", headers=curator))
        for person in (*mentors, *mentees):
            url = f"{programme}/participants/{person}/preparation"
            await expect(await self.client.post(url, headers=self.headers(person)))
        self.pairs = [Pair(plan["pair_id"], plan["mentor_id"], list(plan["mentee_ids"])) for plan in planned]
        assert self.pairs, f"matching paired nobody: {proposal}"

    # --- sending, with repeats ------------------------------------------------------------------------------

    async def send(
        self,
        kind: str,
        method: str,
        url: str,
        *,
        headers: dict[str, str],
        json: Any = None,
        before_repeat: Callable[[], Awaitable[httpx.Response | None]] | None = None,
    ) -> httpx.Response | None:
        """The same request until it gets an answer that is not a transient failure; None if given up."""
        deadline = time.monotonic() + RETRY_FOR
        delay = 0.2
        unclear = False
        while True:
            if unclear and before_repeat is not None:
                try:
                    found = await before_repeat()
                except (httpx.TransportError, AssertionError):
                    found = None
                if found is not None:
                    return found
            self.stats.attempts += 1
            started = time.monotonic()
            try:
                answer = await self.client.request(method, url, json=json, headers=headers)
            except httpx.ConnectError:
                self.stats.retries["connect"] += 1
            except httpx.TransportError as error:  # sent, perhaps handled: the answer was lost
                self.stats.retries[type(error).__name__] += 1
                unclear = True
            else:
                if answer.status_code < 500:
                    self.stats.latencies.append(time.monotonic() - started)
                    return answer
                self.stats.retries[str(answer.status_code)] += 1
                unclear = True
            if time.monotonic() > deadline:
                self.stats.gave_up[kind] += 1
                return None
            await asyncio.sleep(delay * (0.5 + self.random.random()))
            delay = min(delay * 1.5, 2.0)

    # --- the commands ----------------------------------------------------------------------------------------

    async def apply(self) -> None:
        self._applicants += 1
        person = f"a{self._applicants}-{self.run}"
        course = self.courses[self._applicants % len(self.courses)]
        locale = "ru" if self._applicants % 2 else "en"
        url = f"{self.platform.url('enrolment')}/courses/{course.id}/applications"
        answer = await self.send(
            "apply", "POST", url, json={"person_id": person, "locale": locale}, headers=self.headers(person)
        )
        if answer is None:
            self.unknown.add((course.id, person))
            return
        body = answer.json()
        if answer.status_code == 201 or (answer.status_code == 409 and "application_id" in body):
            if answer.status_code == 409:
                self.stats.repeats_answered_conflict["apply"] += 1
            self.accepted.applications[(course.id, person)] = {
                "id": body["application_id"],
                "status": body["status"],
                "first": "yes" if answer.status_code == 201 else "no",
            }
            self.stats.accepted["apply"] += 1
            if body["status"] == "enrolled" and self.random.random() < 0.5:
                self._enrolled.append((course.id, person))
            else:
                self._withdrawable.append((course.id, person))
        else:
            self.stats.refused[f"apply:{answer.status_code}"] += 1

    def _course(self, course_id: str) -> Course:
        return next(course for course in self.courses if course.id == course_id)

    async def withdraw(self, course_id: str, person: str) -> None:
        url = f"{self.platform.url('enrolment')}/courses/{course_id}/applications/{person}/withdrawal"
        answer = await self.send("withdraw", "POST", url, headers=self.headers(person))
        if answer is None:
            return
        if answer.status_code == 200 or (answer.status_code == 409 and answer.json().get("status") == "withdrawn"):
            if answer.status_code == 409:
                self.stats.repeats_answered_conflict["withdraw"] += 1
            self.accepted.withdrawals.add((course_id, person))
            self.stats.accepted["withdraw"] += 1
        else:
            self.stats.refused[f"withdraw:{answer.status_code}:{answer.text[:80]}"] += 1

    def _cohort_url(self, course: Course) -> str:
        return f"{self.platform.url('enrolment')}/courses/{course.id}/cohorts/{course.cohort_id}"

    async def hand_in(self, course_id: str, person: str) -> None:
        course = self._course(course_id)
        url = f"{self._cohort_url(course)}/homework/{course.homework_id}/submissions"
        body = {"text": f"Ответ {person}", "links": []}
        answer = await self.send("hand_in", "POST", url, json=body, headers=self.headers(person))
        if answer is None:
            return
        if answer.status_code == 201 or (answer.status_code == 409 and "awaits" in answer.text):
            if answer.status_code == 409:
                self.stats.repeats_answered_conflict["hand_in"] += 1
            self.accepted.hand_ins.add((course_id, person))
            self.stats.accepted["hand_in"] += 1
            self._handed_in.append((course_id, person))
        else:
            self.stats.refused[f"hand_in:{answer.status_code}:{answer.text[:80]}"] += 1

    async def review(self, course_id: str, person: str) -> None:
        course = self._course(course_id)
        url = f"{self._cohort_url(course)}/homework/{course.homework_id}/submissions/{person}/review"
        answer = await self.send(
            "review", "POST", url, json={"outcome": "accepted"}, headers=self.headers(TRAINER, "trainer")
        )
        if answer is None:
            return
        if answer.status_code == 200 or (answer.status_code == 409 and "already accepted" in answer.text):
            if answer.status_code == 409:
                self.stats.repeats_answered_conflict["review"] += 1
            self.accepted.reviews.add((course_id, person))
            self.stats.accepted["review"] += 1
        else:
            self.stats.refused[f"review:{answer.status_code}:{answer.text[:80]}"] += 1

    async def comment(self) -> None:
        assert self.circle is not None
        self._comments += 1
        task_id, solution_id, _ = self.random.choice(self.circle.solutions)
        author = self.random.choice(self.circle.members)
        text = f"Комментарий {self._comments} {self.run}"
        anonymous = self._comments % 4 == 0
        task_url = f"{self.platform.url('mentoring')}/tasks/{task_id}"

        async def already_posted() -> httpx.Response | None:
            shown = await self.client.get(task_url, headers=self.headers(author))
            if shown.status_code != 200:
                return None
            for solution in shown.json()["solutions"]:
                for comment in solution.get("comments", []):
                    if comment.get("text") == text and comment.get("by_me"):
                        self.stats.repeats_answered_conflict["comment"] += 1
                        return httpx.Response(201, json=comment)
            return None

        answer = await self.send(
            "comment",
            "POST",
            f"{task_url}/solutions/{solution_id}/comments",
            json={"text": text, "anonymous": anonymous},
            headers=self.headers(author),
            before_repeat=already_posted,
        )
        if answer is None:
            return
        if answer.status_code == 201:
            comment = answer.json()
            self.accepted.comments[comment["id"]] = {"author": author, "task": task_id, "text": text}
            self.stats.accepted["comment"] += 1
        else:
            self.stats.refused[f"comment:{answer.status_code}:{answer.text[:80]}"] += 1

    async def mark(self, comment_id: str, marker: str) -> None:
        task_id = self.accepted.comments[comment_id]["task"]
        url = f"{self.platform.url('mentoring')}/tasks/{task_id}/comments/{comment_id}/helpful"
        answer = await self.send("mark", "POST", url, headers=self.headers(marker))
        if answer is None:
            return
        if answer.status_code == 204 or answer.status_code == 409:
            # 409: marked before, which only this command did (markers never mark their own comments).
            if answer.status_code == 409:
                self.stats.repeats_answered_conflict["mark"] += 1
            self.accepted.marks.add((comment_id, marker))
            self.stats.accepted["mark"] += 1
        else:
            self.stats.refused[f"mark:{answer.status_code}:{answer.text[:80]}"] += 1

    async def meeting(self) -> None:
        self._meetings += 1
        pair = self.pairs[self._meetings % len(self.pairs)]
        meeting_id = f"m{self._meetings}-{self.run}"
        url = f"{self.platform.url('mentoring')}/pairs/{pair.id}/meetings/{meeting_id}"
        body = {"held_on": datetime.now(UTC).date().isoformat(), "minutes": 45, "topics": ["ai tools"]}
        answer = await self.send("meeting", "PUT", url, json=body, headers=self.headers(pair.mentor))
        if answer is None:
            return
        if answer.status_code == 200 or (answer.status_code == 409 and "logged already" in answer.text):
            if answer.status_code == 409:
                self.stats.repeats_answered_conflict["meeting"] += 1
            self.accepted.meetings.add((pair.id, meeting_id))
            self.stats.accepted["meeting"] += 1
        else:
            self.stats.refused[f"meeting:{answer.status_code}:{answer.text[:80]}"] += 1

    def _pick(self, pool: list[tuple[str, str]]) -> tuple[str, str] | None:
        while pool:
            chosen = pool.pop(self.random.randrange(len(pool)))
            if chosen not in self._busy:
                return chosen
        return None

    def next_command(self) -> tuple[str, Awaitable[None]]:
        kinds, weights = zip(*MIX, strict=True)
        kind = self.random.choices(kinds, weights)[0]
        if kind == "withdraw" and (chosen := self._pick(self._withdrawable)):
            self._busy.add(chosen)
            return kind, self.withdraw(*chosen)
        if kind == "hand_in" and (chosen := self._pick(self._enrolled)):
            self._busy.add(chosen)
            return kind, self.hand_in(*chosen)
        if kind == "review" and self._handed_in:
            chosen = self._handed_in.pop(self.random.randrange(len(self._handed_in)))
            return kind, self.review(*chosen)
        if kind == "comment" and self.circle is not None:
            return kind, self.comment()
        if kind == "mark" and self.circle is not None and self.accepted.comments:
            comment_id = self.random.choice(list(self.accepted.comments))
            author = self.accepted.comments[comment_id]["author"]
            candidates = [m for m in self.circle.members if m != author and (comment_id, m) not in self._busy_marks]
            if candidates:
                marker = self.random.choice(candidates)
                self._busy_marks.add((comment_id, marker))
                return kind, self.mark(comment_id, marker)
        if kind == "meeting" and self.pairs:
            return kind, self.meeting()
        return "apply", self.apply()

    # --- the run ---------------------------------------------------------------------------------------------

    async def run_for(self, seconds: float, rate: float, until: asyncio.Event | None = None) -> None:
        """Offer `rate` commands a second for `seconds` (and on until `until` is set), then let them settle."""
        self.stats.started = time.monotonic()
        issued = 0
        next_report = 5.0
        while (elapsed := time.monotonic() - self.stats.started) < seconds or (until and not until.is_set()):
            if elapsed >= next_report:
                next_report += 5.0
                print(
                    f"t={elapsed:5.1f}s issued {issued} accepted {sum(self.stats.accepted.values())} "
                    f"in flight {len(self._in_flight)} retries {sum(self.stats.retries.values())}",
                    flush=True,
                )
            due = int(elapsed * rate) + 1
            while issued < due and len(self._in_flight) < MAX_IN_FLIGHT:
                kind, command = self.next_command()
                self.stats.issued[kind] += 1
                task = asyncio.ensure_future(command)
                self._in_flight.add(task)
                task.add_done_callback(self._in_flight.discard)
                issued += 1
            self.stats.max_in_flight = max(self.stats.max_in_flight, len(self._in_flight))
            await asyncio.sleep(0.005)
        self.stats.finished = time.monotonic()
        if self._in_flight:
            await asyncio.gather(*self._in_flight)

    def summary(self) -> dict[str, Any]:
        duration = self.stats.finished - self.stats.started
        issued = sum(self.stats.issued.values())
        latencies = sorted(self.stats.latencies)
        return {
            "duration_s": round(duration, 1),
            "commands_issued": issued,
            "offered_per_s": round(issued / duration, 1) if duration else 0,
            "accepted_per_s": round(sum(self.stats.accepted.values()) / duration, 1) if duration else 0,
            "issued": dict(self.stats.issued),
            "accepted": dict(self.stats.accepted),
            "refused": dict(self.stats.refused),
            "gave_up": dict(self.stats.gave_up),
            "attempts": self.stats.attempts,
            "retries": dict(self.stats.retries),
            "repeats_answered_done_before": dict(self.stats.repeats_answered_conflict),
            "max_in_flight": self.stats.max_in_flight,
            "latency_p50_ms": round(1000 * latencies[len(latencies) // 2]) if latencies else None,
            "latency_p99_ms": round(1000 * latencies[int(len(latencies) * 0.99)]) if latencies else None,
        }
