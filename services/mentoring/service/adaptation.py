"""The "adapted" milestone of a newcomer in classic mentoring, recorded by a curator or the mentee's manager.

The manager comes from the directory copy mentoring keeps (`manager_id`); the note is sealed under a context
naming the pair and the mentee, like meeting notes, so only the report's counts ever leave this service.
"""

from datetime import date

from mentoring.domain.pair import MAX_ADAPTATION_NOTE, Adaptation
from mentoring.service.handlers import change
from mentoring.service.ports import Ports
from shared.errors import Invalid


def adaptation_context(pair_id: str, person_id: str) -> str:
    return f"pair:{pair_id}:adaptation:{person_id}"


async def is_manager_of(ports: Ports, manager_id: str, person_id: str) -> bool:
    person = await ports.people.get(person_id)
    return person is not None and person.fields.get("manager_id") == manager_id


async def record_adaptation(
    ports: Ports, pair_id: str, mentee_id: str, by: str, adapted_on: date, note: str | None
) -> Adaptation:
    if note is not None and len(note.strip()) > MAX_ADAPTATION_NOTE:
        raise Invalid(f"note is at most {MAX_ADAPTATION_NOTE} characters", field="note")
    by_manager = await is_manager_of(ports, by, mentee_id)
    sealed = ports.sealer.seal(note.strip(), adaptation_context(pair_id, mentee_id)) if note and note.strip() else None
    now = ports.clock()
    adaptation, _ = await change(
        ports.pairs,
        pair_id,
        "pair",
        lambda pair: pair.record_adaptation(by, mentee_id, adapted_on, sealed, now, by_manager=by_manager),
    )
    return adaptation
