"""Outcome reports on the real store: a classic programme for newcomers seeded through the service layer, its
adapted milestones recorded over HTTP, and its report as JSON, CSV and charts checked against hand-computed
figures; then a circle's report, whose leavers only the commit log remembers."""

import csv
import io
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

import httpx
import pytest
from PIL import Image

from mentoring.bootstrap import Mentoring, bootstrap
from mentoring.config import MentoringSettings
from mentoring.domain.goals import GoalDraft
from mentoring.domain.programme import Terms
from mentoring.domain.reports import flatten
from mentoring.entrypoints.http import create_app
from mentoring.service import circles, handlers, pairs
from mentoring.tests.fakes import Clock
from mentoring.tests.test_handlers import mentee_profile, mentor_profile
from shared.auth.testing import TestIssuer
from shared.contracts import directory
from shared.reports import CHART_SIZE_PX
from tests.support.infra import Servers, isolated, remove

pytestmark = pytest.mark.infra


@pytest.fixture
async def settings(servers: Servers) -> AsyncIterator[MentoringSettings]:
    isolated_settings = isolated(MentoringSettings, servers, "mentoring")
    yield isolated_settings
    await remove(servers, isolated_settings)


def _short() -> str:
    return uuid.uuid4().hex[:8]


def at(day: str, hour: int = 12) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


async def person(service: Mentoring, person_id: str, department: str, manager_id: str | None = None) -> None:
    await service.people.apply_upsert(
        directory.PersonUpsertedV1(
            person_id=person_id,
            user_name=person_id,
            display_name=person_id,
            email=f"{person_id}@example.com",
            department=department,
            manager_id=manager_id,
            locale="en",
            time_zone="UTC",
            active=True,
            version=1,
        )
    )


def is_drawn(png: bytes) -> bool:
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    assert image.size == CHART_SIZE_PX
    low, high = cast("tuple[int, int]", image.convert("L").getextrema())  # greyscale: (darkest, lightest)
    return low < high  # more than one shade: something was drawn


# Hand-computed (see the seeding below): three newcomers, one per pair; n1 in eng, n2 and n3 in sales.
# Pairs start 5 Jan (n1), 20 Jan (n2), 10 Feb (n3); n1 and n2 complete at closing on 27 Apr; n3 leaves on 20 Mar.
EXPECTED = {
    "participation": {
        "registered": {"mentor": 3, "mentee": 3},
        "pairs": 3,
        "pairs_by_status": {"preparing": 0, "active": 0, "ended": 3},
        "pairs_started": 3,
    },
    "completion": {"pairs_completed": 2, "pairs_ended": 3, "completed_share": 0.667},
    "goals": {"set": 4, "achieved": 2, "achieved_share": 0.5},
    # 3 + 2 + 1 meetings over 3 pairs; 210 + 120 + 45 = 375 minutes.
    "meetings": {"held": 6, "hours": 6.25, "mean_per_pair": 2.0},
    # 5, 4 (n1's pair) and 4, 5 (n2's pair): 18 / 4; two answers per role, so no role mean shows.
    "feedback": {
        "responses": 4,
        "mean": 4.5,
        "suppressed": False,
        "distribution": {"1": 0, "2": 0, "3": 0, "4": 2, "5": 2},
        "by_role": {"mentor": {"responses": 2, "mean": None}, "mentee": {"responses": 2, "mean": None}},
    },
    "drop_outs": {"participants_left": 1, "pairs_dropped": 1, "pairs_closed": 0},
    # 5 Jan -> 19 Feb = 45 days, 20 Jan -> 21 Mar = 60, 10 Feb -> 12 Mar = 30.
    "adaptation": {
        "mentees": 3, "adapted": 3, "mean_days": 45.0, "median_days": 45.0, "min_days": 30, "max_days": 60,
    },
    "adaptation_by_cohort": [
        {"cohort": "2026-01", "mentees": 2, "adapted": 2, "mean_days": 52.5, "median_days": 52.5,
         "min_days": 45, "max_days": 60},
        {"cohort": "2026-02", "mentees": 1, "adapted": 1, "mean_days": 30.0, "median_days": 30.0,
         "min_days": 30, "max_days": 30},
    ],
    "over_time": [
        {"month": "2026-01", "pairs": 2, "completed": 0, "dropped": 0},
        {"month": "2026-02", "pairs": 3, "completed": 0, "dropped": 0},
        {"month": "2026-03", "pairs": 3, "completed": 0, "dropped": 1},
        {"month": "2026-04", "pairs": 3, "completed": 2, "dropped": 1},
    ],
}  # fmt: skip
SALES_FEEDBACK = {
    "responses": 2,  # too few to show anything but the count
    "mean": None,
    "suppressed": True,
    "distribution": None,
    "by_role": {"mentor": {"responses": 1, "mean": None}, "mentee": {"responses": 1, "mean": None}},
}


async def test_a_programme_report_as_json_csv_and_charts(settings: MentoringSettings) -> None:
    service = bootstrap(settings)
    clock = Clock(at("2026-01-05", 9))
    service.clock = clock
    ports = service.ports
    issuer = TestIssuer()
    issuer.trust(service.runtime)
    app = create_app(service)
    tag = _short()
    curator, other_curator, boss, hr = f"curator-{tag}", f"curator2-{tag}", f"boss-{tag}", f"hr-{tag}"
    mentors = [f"m{i}-{tag}" for i in (1, 2, 3)]
    n1, n2, n3 = (f"n{i}-{tag}" for i in (1, 2, 3))

    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mentoring") as client,
    ):

        async def call(
            path: str, who: str, *roles: str, status: int = 200, params: dict[str, str] | None = None, **more: str
        ) -> httpx.Response:
            query = {**(params or {}), **more}
            answer = await client.get(path, params=query, headers=issuer.headers(who, *roles))
            assert answer.status_code == status, f"{path} {params}: {answer.status_code} {answer.text}"
            return answer

        async def adapted(pair_id: str, mentee: str, who: str, day: str, status: int = 201) -> Any:
            body = {"adapted_on": day, "note": "Runs the weekly release alone"}
            answer = await client.post(
                f"/pairs/{pair_id}/mentees/{mentee}/adaptation", json=body, headers=issuer.headers(who)
            )
            assert answer.status_code == status, answer.text
            return answer.json()

        # --- seeding through the service layer --------------------------------------------------------
        for mentor in mentors:
            await person(service, mentor, "eng")
        await person(service, n1, "eng", boss)
        await person(service, n2, "sales")
        await person(service, n3, "sales")
        terms = Terms.checked(
            format="one_to_one", topics=["onboarding"], enrolment_opens=date(2026, 1, 1),
            enrolment_closes=date(2026, 1, 10), starts=date(2026, 1, 12), duration_weeks=20, cadence_days=14,
            rules_text="What is said in a pair stays in the pair.", preparation="Read the guide.",
        )  # fmt: skip
        programme = await handlers.create_programme(
            ports, title="Newcomers 2026", kind="classic", terms=terms, curator_id=curator
        )
        await handlers.advance_programme(ports, programme.id, curator, "open")
        for mentor in mentors:
            nomination = await handlers.nominate(
                ports, programme.id, mentor, mentor, reason="", locale="en",
                profile=mentor_profile(12, "onboarding"), accepted_rules=True,
            )  # fmt: skip
            await handlers.decide_nomination(ports, programme.id, nomination.id, curator, accept=True)
        for mentee in (n1, n2, n3):
            await handlers.register(
                ports, programme.id, mentee, "mentee", locale="en", profile=mentee_profile(5, "onboarding"),
                accepted_rules=True, by_curator=False,
            )  # fmt: skip
        await handlers.advance_programme(ports, programme.id, curator, "matching")
        proposal = await handlers.propose_matching(ports, programme.id, curator)
        planned = await handlers.approve_matching(ports, programme.id, curator, proposal.id)
        pair_of = {plan.mentee_ids[0]: plan for plan in planned}
        assert set(pair_of) == {n1, n2, n3}
        await handlers.advance_programme(ports, programme.id, curator, "running")
        await handlers.schedule_kickoff(ports, programme.id, curator, clock() + timedelta(hours=2))
        clock.advance(hours=3)
        await handlers.hold_kickoff(ports, programme.id, curator)
        # Each pair starts once both its people read the preparation: 5 Jan, 20 Jan, 10 Feb.
        for mentee, day in ((n1, "2026-01-05"), (n2, "2026-01-20"), (n3, "2026-02-10")):
            clock.now = at(day)
            for member in (pair_of[mentee].mentor_id, mentee):
                await handlers.acknowledge_preparation(ports, programme.id, member)
        p1, p2, p3 = (pair_of[mentee].pair_id for mentee in (n1, n2, n3))

        clock.now = at("2026-02-20")
        for pair_id, mentee, held in (
            (p1, n1, (("2026-01-12", 60), ("2026-01-26", 60), ("2026-02-09", 90))),
            (p2, n2, (("2026-01-27", 60), ("2026-02-10", 60))),
            (p3, n3, (("2026-02-17", 45),)),
        ):
            for number, (day, minutes) in enumerate(held):
                await pairs.log_meeting(
                    ports, pair_id, mentee, f"meeting-{number}", held_on=date.fromisoformat(day), minutes=minutes,
                    topics=("onboarding",), notes="We talked about the first release",
                )  # fmt: skip
        goals = {p1: (100, 40), p2: (100,), p3: (20,)}  # progress of each goal: 100 % is achieved
        for pair_id, progress in goals.items():
            mentee = {p1: n1, p2: n2, p3: n3}[pair_id]
            for percent in progress:
                draft = GoalDraft("Ship a release of the billing service alone", date(2026, 4, 15), ("onboarding",))
                goal, _ = await pairs.set_goal(ports, pair_id, mentee, draft, True, "en")
                await pairs.update_goal(ports, pair_id, mentee, goal.id, percent, "on it")

        # --- the adapted milestone over HTTP ------------------------------------------------------------
        clock.now = at("2026-02-20")
        await adapted(p1, n1, mentors[0], "2026-02-19", 403)  # a mentor is neither curator nor manager
        await adapted(p1, n1, boss, "2026-02-21", 422)  # tomorrow
        too_early = await adapted(p1, n1, boss, "2026-01-04", 422)  # the day before the pair started
        assert too_early["field"] == "adapted_on"
        recorded = await adapted(p1, n1, boss, "2026-02-19")  # n1's manager
        assert (recorded["started_on"], recorded["days_to_adapt"]) == ("2026-01-05", 45)
        await adapted(p1, n1, curator, "2026-02-19", 409)
        clock.now = at("2026-03-13")
        await adapted(p3, n3, curator, "2026-03-12")
        clock.now = at("2026-03-20")
        await handlers.leave(ports, programme.id, n3)
        clock.now = at("2026-03-21")
        await adapted(p2, n2, curator, "2026-03-21")

        clock.now = at("2026-04-20")
        await handlers.advance_programme(ports, programme.id, curator, "closing")
        for pair_id, member, rating in (
            (p1, pair_of[n1].mentor_id, 5), (p1, n1, 4), (p2, pair_of[n2].mentor_id, 4), (p2, n2, 5),
        ):  # fmt: skip
            await pairs.give_feedback(ports, pair_id, member, rating, "Worth every hour")
        clock.now = at("2026-04-27")
        await handlers.advance_programme(ports, programme.id, curator, "closed")

        # --- the report as JSON -----------------------------------------------------------------------
        path = f"/reports/programmes/{programme.id}"
        report = (await call(path, curator, "curator")).json()
        assert {key: report[key] for key in EXPECTED} == EXPECTED
        assert report["programme"] == {
            "id": programme.id, "title": "Newcomers 2026", "kind": "classic", "stage": "closed", "starts": "2026-01-12",
        }  # fmt: skip
        per_pair = [
            (p["pair_id"], p["started_on"], p["meetings"], p["hours"], p["end_reason"]) for p in report["per_pair"]
        ]
        assert per_pair == [
            (p1, "2026-01-05", 3, 3.5, "completed"),
            (p2, "2026-01-20", 2, 2.0, "completed"),
            (p3, "2026-02-10", 1, 0.75, "left"),
        ]
        eng, sales = report["by_department"]
        assert (eng["department"], sales["department"]) == ("eng", "sales")
        assert eng["participation"]["registered"] == {"mentor": 3, "mentee": 1}
        assert eng["adaptation"]["mean_days"] == 45.0
        assert sales["participation"]["registered"] == {"mentor": 0, "mentee": 2}
        assert sales["completion"] == {"pairs_completed": 1, "pairs_ended": 2, "completed_share": 0.5}
        assert sales["meetings"] == {"held": 3, "hours": 2.75, "mean_per_pair": 1.5}
        assert sales["feedback"] == SALES_FEEDBACK
        assert sales["drop_outs"] == {"participants_left": 1, "pairs_dropped": 1, "pairs_closed": 0}
        assert sales["adaptation"] == {
            "mentees": 2, "adapted": 2, "mean_days": 45.0, "median_days": 45.0, "min_days": 30, "max_days": 60,
        }  # fmt: skip
        text = str(report)
        assert "Runs the weekly release" not in text and "first release" not in text and "Worth every" not in text
        for someone in (*mentors, n1, n2, n3, boss, curator):
            assert someone not in text

        # A department and a period: only n3's pair came in during February.
        february = (
            await call(path, hr, "hr_admin", department="sales", params={"from": "2026-02-01", "to": "2026-02-28"})
        ).json()
        assert [p["pair_id"] for p in february["per_pair"]] == [p3]
        assert february["filters"] == {"department": "sales", "from": "2026-02-01", "to": "2026-02-28"}
        assert february["drop_outs"]["pairs_dropped"] == 1

        # --- CSV: the same figures, one metric a line --------------------------------------------------
        answer = await call(path, curator, "curator", format="csv")
        assert answer.headers["content-type"].startswith("text/csv")
        rows = {row["metric"]: row["value"] for row in csv.DictReader(io.StringIO(answer.text))}
        assert rows == {row["metric"]: "" if row["value"] is None else str(row["value"]) for row in flatten(report)}
        assert rows["meetings.mean_per_pair"] == "2.0"
        assert rows["adaptation_by_cohort.2026-01.mean_days"] == "52.5"
        assert rows[f"per_pair.{p3}.meetings"] == "1"

        # --- charts ----------------------------------------------------------------------------------
        for chart in ("participation", "feedback", "adaptation"):
            png = await call(f"{path}/charts/{chart}.png", curator, "curator")
            assert png.headers["content-type"] == "image/png"
            assert is_drawn(png.content), chart
        svg = await call(f"{path}/charts/adaptation.svg", hr, "hr_admin")
        assert svg.headers["content-type"].startswith("image/svg+xml") and b"<svg" in svg.content

        # --- the overview: a curator sees their programmes, HR all ----------------------------------------
        other = await handlers.create_programme(
            ports, title="Someone else's", kind="peer", terms=terms, curator_id=other_curator
        )
        mine = (await call("/reports/programmes", curator, "curator")).json()
        assert [line["programme_id"] for line in mine["programmes"]] == [programme.id]
        assert (mine["programmes"][0]["adapted"], mine["programmes"][0]["mean_days_to_adapt"]) == (3, 45.0)
        assert mine["adaptation_by_cohort"] == EXPECTED["adaptation_by_cohort"]
        everything = (await call("/reports/programmes", hr, "hr_admin")).json()
        assert len(everything["programmes"]) == 2
        table = list(csv.DictReader(io.StringIO((await call("/reports/programmes", hr, "admin", format="csv")).text)))
        assert [(line["programme_id"], line["pairs"], line["mean_days_to_adapt"]) for line in table] == [
            (programme.id, "3", "45.0"),
            (other.id, "0", ""),  # peer mentoring: no newcomers to adapt
        ]

        # --- refusals --------------------------------------------------------------------------------
        await call(path, n1, status=403)  # an employee
        await call(path, other_curator, "curator", status=403)  # a curator of another programme
        await call(f"{path}/charts/feedback.png", other_curator, "curator", status=403)
        await call("/reports/programmes", n1, status=403)
        unknown = (await call(path, curator, "curator", status=422, colour="red")).json()
        assert unknown["field"] == "colour"
        backwards = await call(path, curator, "curator", status=422, params={"from": "2026-03-01", "to": "2026-02-01"})
        assert backwards.json()["field"] == "to"
        assert (await call(path, curator, "curator", status=422, format="xml")).json()["field"] == "format"
        assert (await call(f"{path}/charts/feedback.gif", curator, "curator", status=422)).json()["field"] == "format"
        await call(f"{path}/charts/pie.png", curator, "curator", status=404)
        await call("/reports/programmes/does-not-exist", hr, "hr_admin", status=404)


async def test_a_circle_report_remembers_who_left(settings: MentoringSettings) -> None:
    service = bootstrap(settings)
    clock = Clock(at("2026-01-05", 9))
    service.clock = clock
    ports = service.ports
    issuer = TestIssuer()
    issuer.trust(service.runtime)
    app = create_app(service)
    tag = _short()
    facilitator, ann, ben, stranger = (f"{name}-{tag}" for name in ("facilitator", "ann", "ben", "stranger"))

    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mentoring") as client,
    ):
        await person(service, facilitator, "eng")
        await person(service, ann, "eng")
        await person(service, ben, "sales")
        lead = circles.Caller(facilitator)
        circle = await circles.create_circle(ports, lead, topic="CRM automations", max_weekly_tasks=5)
        clock.now = at("2026-01-10")
        await circles.join(ports, circle.id, ann, "beginner", "")
        await circles.join(ports, circle.id, ben, "beginner", "")
        clock.now = at("2026-01-12")
        task = await circles.publish_task(
            ports, circle.id, lead, statement="Automate the reminder for late payers",
            expected_outcome="A rule that sends it", due=date(2026, 1, 30), check_instructions="Show it running",
        )  # fmt: skip
        for author in (ann, ben):
            await circles.save_solution(ports, task.id, circles.Caller(author), f"s-{author}", "A rule", [], [])
            await circles.publish_solution(ports, task.id, circles.Caller(author), f"s-{author}")
        await circles.record_check(ports, task.id, lead, ann, True, "")
        await circles.record_check(ports, task.id, lead, ben, False, "")
        clock.now = at("2026-02-03")
        await circles.leave(ports, circle.id, ben)

        path = f"/reports/circles/{circle.id}"
        answer = await client.get(path, headers=issuer.headers(facilitator))
        assert answer.status_code == 200, answer.text
        report = answer.json()
        assert report["participation"] == {"members": 2, "joined": 3, "by_role": {"facilitator": 1, "member": 1}}
        assert report["drop_outs"] == {"members_left": 1}
        assert report["completion"] == {
            "tasks_published": 1, "tasks_closed": 0, "closed_share": 0.0, "solutions": 2, "solutions_per_task": 2.0,
        }  # fmt: skip
        assert report["checks"] == {"checked": 2, "passed": 1, "passed_share": 0.5}
        assert report["by_department"] == [
            {"department": "eng", "members": 2, "left": 0},
            {"department": "sales", "members": 0, "left": 1},
        ]
        sales = await client.get(path, params={"department": "sales"}, headers=issuer.headers(stranger, "hr_admin"))
        assert sales.json()["checks"] == {"checked": 1, "passed": 0, "passed_share": 0.0}
        chart = await client.get(f"{path}/charts/participation.png", headers=issuer.headers(facilitator))
        assert chart.status_code == 200 and is_drawn(chart.content)
        assert (await client.get(path, headers=issuer.headers(ann))).status_code == 403  # a member, not facilitator
        assert (
            await client.get(f"{path}/charts/adaptation.png", headers=issuer.headers(facilitator))
        ).status_code == 404
