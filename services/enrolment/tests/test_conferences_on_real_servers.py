"""A conference from the call for speakers to the recording event, over HTTP on the real servers."""

import json
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from bson import json_util

from enrolment.tests.test_master_classes_on_real_servers import Running, running
from shared.contracts import directory
from shared.contracts import enrolment as contracts
from shared.contracts.base import contract_for
from tests.support.infra import Servers, unique
from tests.support.kafka import deliver, header, read_topic

pytestmark = pytest.mark.infra

PREFIX = "com.owlery.enrolment.conference."
GOOD = {"relevance": 5, "novelty": 4, "clarity": 4}


@pytest.fixture
async def svc(servers: Servers) -> AsyncIterator[Running]:
    async for service in running(servers, approval=False):
        yield service


async def conference_events(svc: Running, conference_id: str, at_least: int) -> list[tuple[str, dict[str, Any]]]:
    topic = svc.settings.topic_prefix + contracts.TOPIC
    records = await read_topic(svc.settings.kafka_bootstrap_servers, topic, at_least=at_least, timeout=60)
    found = []
    for record in records:
        kind = header(record, "ce_type") or ""
        if kind.startswith(PREFIX) and record.key == conference_id.encode():
            data = json.loads(record.value)
            contract = contract_for(kind)
            assert contract is not None
            contract.model_validate(data)
            found.append((kind.removeprefix(PREFIX), data))
    return found


async def test_a_conference_from_call_for_speakers_to_the_recording(svc: Running) -> None:
    hr, c1, c2, chair = unique("hr"), unique("cur"), unique("cur"), unique("chair")
    ann, bob, x, y, z = (unique(name) for name in ("ann", "bob", "x", "y", "z"))
    me = {p: svc.as_(p) for p in (ann, bob, x, y, z, c1, c2, chair)}
    first = (svc.now[0] + timedelta(days=10)).date()
    body = {
        "title": "Owlery Dev Days",
        "starts_on": first.isoformat(),
        "ends_on": (first - timedelta(days=1)).isoformat(),
        "time_zone": "UTC",
        "tracks": ["backend", "data"],
        "rooms": [{"name": "Hall", "capacity": 2}, {"name": "Online", "capacity": 50, "url": "https://meet.ex/dd"}],
        "committee_ids": [c1, c2, chair],
        "chair_id": chair,
    }

    # --- created by HR; an end before the start is 422 naming ends_on ------------------------------------
    assert (await svc.call("POST", "/conferences", me[ann], body)).status_code == 403
    answer = await svc.call("POST", "/conferences", svc.as_(hr, "hr_admin"), body)
    assert answer.status_code == 422 and answer.json()["field"] == "ends_on", answer.text
    body["ends_on"] = (first + timedelta(days=1)).isoformat()
    answer = await svc.call("POST", "/conferences", svc.as_(hr, "hr_admin"), body)
    assert answer.status_code == 201, answer.text
    conf = answer.json()["id"]
    path = f"/conferences/{conf}"

    # --- call for speakers ------------------------------------------------------------------------------
    ids = {}
    for speaker, title in ((ann, "Outbox on FerretDB"), (bob, "Kafka in one node"), (ann, "Pytest at scale")):
        idea = {"title": title, "abstract": "What we learnt", "level": "intermediate", "competencies": ["kafka"]}
        answer = await svc.call("POST", f"{path}/proposals", me[speaker], idea)
        assert answer.status_code == 201, answer.text
        ids[title] = answer.json()["id"]
    p1, p2, p3 = ids.values()

    # --- blind scoring: no reading before one's own score; outsiders never ------------------------------
    assert (await svc.call("POST", f"{path}/proposals/{p1}/scores", me[c1], {"scores": GOOD})).status_code == 201
    assert (await svc.call("GET", f"{path}/proposals/{p1}/scores", me[c2])).status_code == 403
    assert (await svc.call("GET", f"{path}/proposals/{p1}/scores", me[x])).status_code == 403
    assert (await svc.call("POST", f"{path}/proposals/{p1}/scores", me[x], {"scores": GOOD})).status_code == 403
    bad = {"scores": {"relevance": 9, "novelty": 1, "clarity": 1}}
    answer = await svc.call("POST", f"{path}/proposals/{p1}/scores", me[c2], bad)
    assert answer.status_code == 422 and answer.json()["field"] == "scores"
    answer = await svc.call("POST", f"{path}/proposals/{p1}/scores", me[c2], {"scores": GOOD})
    assert answer.status_code == 201 and len(answer.json()["scores"]) == 2
    assert (await svc.call("POST", f"{path}/proposals/{p1}/scores", me[c2], {"scores": GOOD})).status_code == 409
    for proposal in (p2, p3):
        assert (await svc.call("POST", f"{path}/proposals/{proposal}/scores", me[c1], {"scores": GOOD})).is_success

    # --- the chair decides, with a message --------------------------------------------------------------
    decision = {"accept": True, "message": "Welcome aboard"}
    assert (await svc.call("POST", f"{path}/proposals/{p1}/decision", me[c1], decision)).status_code == 403
    for proposal in (p1, p2, p3):
        answer = await svc.call("POST", f"{path}/proposals/{proposal}/decision", me[chair], decision)
        assert answer.status_code == 200, answer.text
    assert (await svc.call("POST", f"{path}/proposals/{p1}/decision", me[chair], decision)).status_code == 409

    # --- schedule: outside the dates 422, a speaker in two places 409, a busy room 409 -------------------
    ten = datetime.combine(first, time(10), UTC)

    def slot(track: str, room: str, starts_at: datetime, minutes: int = 45) -> dict[str, Any]:
        return {"track": track, "room": room, "starts_at": starts_at.isoformat(), "duration_minutes": minutes}

    answer = await svc.call(
        "PUT", f"{path}/proposals/{p1}/slot", me[chair], slot("backend", "Hall", ten - timedelta(days=1))
    )
    assert answer.status_code == 422 and answer.json()["field"] == "starts_at"
    assert (await svc.call("PUT", f"{path}/proposals/{p1}/slot", me[chair], slot("backend", "Hall", ten))).is_success
    answer = await svc.call("PUT", f"{path}/proposals/{p3}/slot", me[chair], slot("data", "Online", ten))
    assert answer.status_code == 409 and answer.json()["field"] == "speaker_id", answer.text
    answer = await svc.call("PUT", f"{path}/proposals/{p2}/slot", me[chair], slot("data", "Hall", ten))
    assert answer.status_code == 409 and answer.json()["field"] == "room", answer.text
    assert (await svc.call("PUT", f"{path}/proposals/{p2}/slot", me[chair], slot("data", "Online", ten))).is_success
    eleven = ten + timedelta(hours=1)
    assert (await svc.call("PUT", f"{path}/proposals/{p3}/slot", me[chair], slot("backend", "Hall", eleven))).is_success
    assert (await svc.call("POST", f"{path}/programme", me[c1])).status_code == 403
    answer = await svc.call("POST", f"{path}/programme", me[chair])
    assert answer.status_code == 200 and len(answer.json()["programme"]) == 3, answer.text
    programme = (await svc.call("GET", path, me[x])).json()
    assert [t["id"] for t in programme["programme"]] == [p1, p2, p3]
    assert programme["proposals"] == []  # not a speaker, not the committee: no proposals shown

    # --- registrations: twice 409, beyond the room 409 ---------------------------------------------------
    talk = f"{path}/talks/{p1}"
    for person in (x, y):
        assert (await svc.call("POST", f"{talk}/registrations", me[person])).status_code == 201
    assert (await svc.call("POST", f"{talk}/registrations", me[x])).status_code == 409
    assert (await svc.call("POST", f"{talk}/registrations", me[z])).status_code == 409  # Hall seats two
    assert (await svc.call("POST", f"{talk}/registrations", me[ann])).status_code == 409  # the speaker

    # --- the talk happens: attendance, feedback, the recording ------------------------------------------
    svc.now[0] = ten + timedelta(hours=2)
    assert (await svc.call("POST", f"{talk}/attendance", me[x], {"person_ids": [x]})).status_code == 403
    answer = await svc.call("POST", f"{talk}/attendance", me[ann], {"person_ids": [x]})
    assert answer.status_code == 200 and answer.json()["attended"] == 1, answer.text
    assert (await svc.call("POST", f"{talk}/feedback", me[y], {"score": 5})).status_code == 403  # did not come
    assert (await svc.call("POST", f"{talk}/feedback", me[x], {"score": 5, "comment": "Great"})).status_code == 201
    assert (await svc.call("POST", f"{talk}/feedback", me[x], {"score": 1})).status_code == 409
    recording = {"recording_url": "https://video.example.com/outbox", "slides_url": "https://slides.example.com/o"}
    assert (await svc.call("POST", f"{talk}/recording", me[chair], recording)).status_code == 403
    assert (await svc.call("POST", f"{talk}/recording", me[ann], recording)).status_code == 200

    # --- every change reached Kafka, keyed by the conference --------------------------------------------
    events = await conference_events(svc, conf, at_least=20)
    kinds = Counter(kind for kind, _ in events)
    assert kinds == {
        "created.v1": 1,
        "proposal_submitted.v1": 3,
        "proposal_scored.v1": 4,
        "proposal_decided.v1": 3,
        "talk_scheduled.v1": 3,
        "programme_published.v1": 1,
        "talk_registered.v1": 2,
        "talk_attended.v1": 1,
        "talk_feedback_given.v1": 1,
        "talk_recording_attached.v1": 1,
    }, kinds
    data = dict(events)
    assert (data["proposal_decided.v1"]["decision"], data["proposal_decided.v1"]["message"]) == (
        "accepted",
        "Welcome aboard",
    )
    attached = data["talk_recording_attached.v1"]
    assert (attached["speaker_id"], attached["title"], attached["competencies"]) == (
        ann,
        "Outbox on FerretDB",
        ["kafka"],
    )
    assert attached["recording_url"] == recording["recording_url"]
    assert all("relevance" not in d for k, d in events if k == "proposal_scored.v1")

    # --- the privacy export (HR only): each person's own part, never another member's score ---------------
    admin = svc.as_(unique("hr"), "hr_admin")

    async def exported(person: str) -> list[dict[str, Any]]:
        answer = await svc.call("GET", f"/privacy/people/{person}", admin)
        assert answer.status_code == 200, answer.text
        found: list[dict[str, Any]] = answer.json()["conferences"]
        return found

    assert (await svc.call("GET", f"/privacy/people/{ann}", me[ann])).status_code == 403
    [spoken] = await exported(ann)
    assert (spoken["conference_id"], spoken["roles"], spoken["scores_given"]) == (conf, ["speaker"], [])
    assert [(p["proposal_id"], p["decision"], p["message"]) for p in spoken["proposals"]] == [
        (p1, "accepted", "Welcome aboard"),
        (p3, "accepted", "Welcome aboard"),
    ]
    own = spoken["proposals"][0]
    assert (own["slot"]["room"], own["feedback_count"], own["average_score"]) == ("Hall", 1, 5.0)
    assert own["recording_url"] == recording["recording_url"] and "scores" not in own
    assert not any(other in json.dumps(spoken) for other in (c1, c2, chair, x, y, "Great"))
    [member] = await exported(c2)
    assert (member["roles"], member["proposals"], member["talks"]) == (["committee"], [], [])
    assert member["scores_given"] == [{"proposal_id": p1, "title": "Outbox on FerretDB", **GOOD}]
    assert not any(other in json.dumps(member) for other in (c1, chair, ann))
    [listener] = await exported(x)
    assert [(t["talk_id"], t["registered"], t["attended"], t["feedback"]["comment"]) for t in listener["talks"]] == [
        (p1, True, True, "Great")
    ]
    assert listener["roles"] == [] and y not in json.dumps(listener) and ann not in json.dumps(listener)
    [chairing] = await exported(chair)
    assert chairing["roles"] == ["committee", "chair"] and len(chairing["decisions_taken"]) == 3
    assert [c["roles"] for c in await exported(hr)] == [["organiser"]]

    # --- erasure: a speaker and a committee member vanish from state and history ------------------------
    for person in (ann, c1):
        await deliver(
            svc.service.runtime.consumer,
            directory.PersonErasedV1(person_id=person, requested_by="hr-1", reason="left the company"),
            "/owlery/directory",
        )
    database = svc.service.runtime.database
    for collection in ("conferences", "conferences_commits"):
        stored = json_util.dumps(await database[collection].find({}).to_list())
        assert ann not in stored and c1 not in stored, collection
    after = (await svc.call("GET", path, me[x])).json()
    assert after["programme"][0]["feedback_count"] == 1 and after["programme"][0]["attended"] == 1
    for person in (ann, c1):
        assert await exported(person) == [], person
    assert [t["talk_id"] for t in (await exported(x))[0]["talks"]] == [p1]
