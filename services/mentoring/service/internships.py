"""Exchange-internship use cases: partners, placements, applications, the manager's decision, goals, log,
feedback, the report in the knowledge base, and each unit's reciprocity counts.

Who may do what is decided here from the directory copy and the caller's roles (admins register partners;
a department's own people, or curators and admins, offer its placements; curators and admins offer a
partner's); the internship itself guards its steps: only the guest's manager decides, only the host agrees
the goals, only the guest keeps the log and writes the report.

"Once" rests on ids, never on a look-up first: an internship's id is derived from the placement and the
guest (a keyed hash, so the id never carries the person's id and an erasure leaves nothing in it), and the
first application saves it at version 0. A second application, from another replica too, meets a version
conflict (409), unless the first was declined, in which case the same document is applied for again.
Seats are counted inside the placement and changed with the versioned `change`, so two approvals racing
for the last seat cannot both win. The approval takes the seat first, then approves the internship: a
crash between the two leaves the seat held under the internship's id, and the retried approval finds it.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from mentoring.domain.goals import Goal, GoalDraft, Locale, SmartCheck, check_goal
from mentoring.domain.internship import (
    DEPARTMENT,
    PARTNER,
    Exchange,
    Internship,
    LogEntry,
    Partner,
    Placement,
    Report,
    Side,
    Status,
    department_unit,
    parse_unit,
    reciprocity,
)
from mentoring.domain.knowledge import (
    MAX_BODY_LENGTH,
    ItemType,
    KnowledgeItem,
    clean_tags,
    guess_language,
    parse_language,
)
from mentoring.domain.knowledge import item_id_for as knowledge_id_for
from mentoring.service.handlers import change, load, new_id
from mentoring.service.knowledge import KnowledgeBase, add_from_source
from mentoring.service.ports import Ports, Repository
from shared.concurrency import ConcurrencyConflict
from shared.errors import Conflict, Forbidden, Invalid, OwleryError

SOURCE = "mentoring.internship"  # the knowledge base's source service of internship reports


@dataclass(frozen=True)
class Actor:
    """Who acts, with the platform roles that matter here."""

    person_id: str
    admin: bool = False
    curator: bool = False

    @property
    def coordinates(self) -> bool:
        """Curators and admins may offer placements for any unit, partners' included."""
        return self.admin or self.curator


def _partners(ports: Ports) -> Repository[Partner]:
    if ports.partners is None:
        raise RuntimeError("internships are not wired in this service")
    return ports.partners


def _placements(ports: Ports) -> Repository[Placement]:
    if ports.placements is None:
        raise RuntimeError("internships are not wired in this service")
    return ports.placements


def _internships(ports: Ports) -> Repository[Internship]:
    if ports.internships is None:
        raise RuntimeError("internships are not wired in this service")
    return ports.internships


# ------------------------------------------------------------------------------------------ partners


async def register_partner(ports: Ports, by: Actor, *, name: str, kind: str) -> Partner:
    if not by.admin:
        raise Forbidden("only admins register partner organisations")
    partner = Partner.register(new_id()[:12], name, kind, by.person_id, ports.clock())
    await _partners(ports).save(partner, expected_version=0)
    return partner


async def partners(ports: Ports) -> list[Partner]:
    """Every registered partner, by name (a scan: a company has tens of partners, not thousands)."""
    found = [await load(_partners(ports), partner_id, "partner") for partner_id in await _partners(ports).all_ids()]
    return sorted((partner for partner, _ in found), key=lambda p: (p.name.casefold(), p.id))


# ------------------------------------------------------------------------------------------ placements


async def department_of(ports: Ports, person_id: str) -> str | None:
    person = await ports.people.get(person_id)
    department = person.fields.get("department") if person is not None else None
    return department if isinstance(department, str) and department else None


async def offer_placement(
    ports: Ports,
    by: Actor,
    *,
    host_unit: str | None,
    host_id: str | None,
    title: str,
    starts_on: date,
    ends_on: date,
    seats: int,
    guest_learns: str,
    host_learns_back: str,
    competencies: Sequence[str],
) -> Placement:
    """A unit offers placements: one's own department by default; a partner's only through a curator or admin."""
    own = await department_of(ports, by.person_id)
    if host_unit is None or not host_unit.strip():
        if own is None:
            raise Invalid("the directory names no department of yours: say which unit hosts", field="host_unit")
        host_unit = department_unit(own)
    kind, unit_id = parse_unit(host_unit)
    if kind == DEPARTMENT and unit_id != own and not by.coordinates:
        raise Forbidden("you offer placements for your own department only", host_unit=host_unit)
    if kind == PARTNER:
        if not by.coordinates:
            raise Forbidden("a partner's placements are offered by a curator or an admin", host_unit=host_unit)
        if await _partners(ports).get(unit_id) is None:
            raise Invalid(f"no partner {unit_id} is registered", field="host_unit")
    placement = Placement.offer(
        new_id()[:12],
        host_unit=host_unit,
        host_id=host_id or by.person_id,
        offered_by=by.person_id,
        title=title,
        starts_on=starts_on,
        ends_on=ends_on,
        seats=seats,
        guest_learns=guest_learns,
        host_learns_back=host_learns_back,
        competencies=competencies,
        now=ports.clock(),
    )
    await _placements(ports).save(placement, expected_version=0)
    return placement


async def get_placement(ports: Ports, placement_id: str) -> Placement:
    placement, _ = await load(_placements(ports), placement_id, "placement")
    return placement


async def open_placements(ports: Ports) -> list[Placement]:
    """Placements not yet over, soonest first (a scan of the placements: tens to hundreds a year)."""
    today = ports.clock().date()
    found = [await get_placement(ports, placement_id) for placement_id in await _placements(ports).all_ids()]
    return sorted((p for p in found if p.ends_on >= today), key=lambda p: (p.starts_on, p.id))


# ------------------------------------------------------------------------------------------ applications


def internship_id_for(ports: Ports, placement_id: str, guest_id: str) -> str:
    """The one id of this guest's internship at this placement: a keyed hash, never the person's id."""
    return "in-" + ports.pseudonyms.pseudonym(guest_id, f"internship:{placement_id}").removeprefix("owl-")


async def apply(ports: Ports, placement_id: str, by: Actor, *, goals: str) -> Internship:
    """Apply with your goals; your manager in the directory is asked to approve. Twice is a 409."""
    placement = await get_placement(ports, placement_id)
    person = await ports.people.get(by.person_id)
    department = await department_of(ports, by.person_id)
    if person is None or department is None:
        raise Invalid("the directory names no department of yours to send you", field="guest_unit")
    manager = person.fields.get("manager_id")
    manager_id = manager if isinstance(manager, str) else ""
    internship_id = internship_id_for(ports, placement_id, by.person_id)
    now = ports.clock()
    internship = Internship.apply(
        internship_id,
        placement,
        guest_id=by.person_id,
        guest_unit=department_unit(department),
        manager_id=manager_id,
        goals_text=goals,
        now=now,
    )
    try:
        await _internships(ports).save(internship, expected_version=0)
    except ConcurrencyConflict:
        # Applied before: again only if that application was declined (else the internship refuses, 409).
        _, internship = await change(
            _internships(ports),
            internship_id,
            "internship",
            lambda i: i.reapply(placement, manager_id, goals, ports.clock()),
        )
    return internship


async def view(ports: Ports, internship_id: str, by: Actor) -> Internship:
    """The guest, the host and the guest's manager see the internship; nobody else."""
    internship, _ = await load(_internships(ports), internship_id, "internship")
    if not internship.is_party(by.person_id) and by.person_id != internship.manager_id:
        raise Forbidden("only the guest, the host and the guest's manager see an internship")
    return internship


async def internships_of(ports: Ports, by: Actor) -> list[Internship]:
    """Where the caller is the guest, the host or the approving manager, newest application first."""
    repository = _internships(ports)
    ids: set[str] = set()
    for field_name in ("guest_id", "host_id", "manager_id"):
        ids.update(await repository.all_ids(**{field_name: by.person_id}))
    found = [(await load(repository, internship_id, "internship"))[0] for internship_id in ids]
    return sorted(found, key=lambda i: (i.applied_at, i.id), reverse=True)


async def decide(ports: Ports, internship_id: str, by: Actor, *, approve: bool, reason: str = "") -> Internship:
    """The guest's manager approves (taking one of the placement's seats; full: 409) or declines."""
    repository = _internships(ports)
    current, _ = await load(repository, internship_id, "internship")
    current.require_manager(by.person_id)
    if not approve:
        _, internship = await change(
            repository, internship_id, "internship", lambda i: i.decline(by.person_id, reason, ports.clock())
        )
        # A seat an interrupted approval took is given back.
        await change(_placements(ports), internship.placement_id, "placement", lambda p: p.release_seat(internship_id))
        return internship
    current.require_pending()
    await change(_placements(ports), current.placement_id, "placement", lambda p: p.take_seat(internship_id))
    try:
        _, internship = await change(
            repository, internship_id, "internship", lambda i: i.approve(by.person_id, ports.clock())
        )
    except OwleryError:
        # Decided meanwhile (a concurrent decline): the seat is not this internship's to hold.
        found = await repository.get(internship_id)
        if found is None or found[0].status is not Status.APPROVED:
            await change(_placements(ports), current.placement_id, "placement", lambda p: p.release_seat(internship_id))
        raise
    return internship


# ------------------------------------------------------------------------------------------ goals, log, feedback


async def check_goals(
    ports: Ports, internship_id: str, by: Actor, drafts: Sequence[GoalDraft], locale: Locale
) -> list[SmartCheck]:
    """Which SMART letters each draft fails and why, against the placement's dates and competencies."""
    internship, _ = await load(_internships(ports), internship_id, "internship")
    if not internship.is_party(by.person_id):
        raise Forbidden("only the guest and the host work on the internship's goals", internship_id=internship_id)
    placement = await get_placement(ports, internship.placement_id)
    today = ports.clock().date()
    return [check_goal(draft, placement.frame, today, locale) for draft in drafts]


async def agree_goals(
    ports: Ports, internship_id: str, by: Actor, drafts: Sequence[GoalDraft], *, confirm: bool, locale: Locale
) -> tuple[list[Goal], list[SmartCheck]]:
    """The host records the goals agreed with the guest; a goal the check flags needs `confirm`."""
    internship, _ = await load(_internships(ports), internship_id, "internship")
    placement = await get_placement(ports, internship.placement_id)
    today = ports.clock().date()
    checks = [check_goal(draft, placement.frame, today, locale) for draft in drafts]
    ids = [new_id()[:12] for _ in drafts]
    goals, _ = await change(
        _internships(ports),
        internship_id,
        "internship",
        lambda i: i.agree_goals(by.person_id, drafts, checks, confirm, ids),
    )
    return goals, checks


async def log(ports: Ports, internship_id: str, by: Actor, *, text: str, on: date | None = None) -> LogEntry:
    now = ports.clock()
    entry, _ = await change(
        _internships(ports), internship_id, "internship", lambda i: i.add_log(by.person_id, on or now.date(), text, now)
    )
    return entry


async def give_feedback(ports: Ports, internship_id: str, by: Actor, *, rating: int, words: str) -> Internship:
    """Final feedback from your side; the second side's completes the internship."""

    def decide(internship: Internship) -> Side:
        return internship.give_feedback(by.person_id, rating, words, ports.clock())

    _, internship = await change(_internships(ports), internship_id, "internship", decide)
    return internship


# ------------------------------------------------------------------------------------------ the report


async def write_report(
    ports: Ports,
    internship_id: str,
    by: Actor,
    *,
    title: str,
    summary: str,
    body: str,
    tags: Sequence[str],
    language: str | None,
) -> Report:
    cleaned = clean_tags(tags)
    chosen = parse_language(language) if language else None
    report, _ = await change(
        _internships(ports),
        internship_id,
        "internship",
        lambda i: i.write_report(by.person_id, title=title, summary=summary, body=body, tags=cleaned, language=chosen),
    )
    return report


async def publish_report(ports: Ports, kb: KnowledgeBase, internship_id: str, by: Actor) -> Internship:
    """The completed internship's report becomes a knowledge-base item owned by the guest.

    The item's id is derived from the internship and saved at version 0, so a retry finds it; if a crash
    came between the internship's save and the item's, asking again writes the item before the 409.
    """
    repository = _internships(ports)
    current, _ = await load(repository, internship_id, "internship")
    placement = await get_placement(ports, current.placement_id)
    if current.knowledge_item_id is not None and current.guest_id == by.person_id:
        await add_from_source(kb, report_item(current, placement, kb))
    current.require_publishable(by.person_id)
    report_item(current, placement, kb)  # refused before the internship is saved, not after
    item_id = knowledge_id_for(SOURCE, internship_id)
    _, internship = await change(
        repository, internship_id, "internship", lambda i: i.publish_report(by.person_id, item_id)
    )
    await add_from_source(kb, report_item(internship, placement, kb))
    return internship


def report_item(internship: Internship, placement: Placement, kb: KnowledgeBase) -> KnowledgeItem:
    """The report as a knowledge-base item (type internship_report): tags are the placement's competencies
    and the report's own; the body adds what the placement offered."""
    report = internship.report
    if report is None or internship.completed_at is None:
        raise Conflict("the internship has no report to publish yet", internship_id=internship.id)
    body = "\n\n".join(
        part
        for part in (
            report.body,
            f"Placement: {placement.title} ({placement.starts_on.isoformat()} - {placement.ends_on.isoformat()})",
            f"What the guest came to learn: {placement.guest_learns}",
        )
        if part
    )[:MAX_BODY_LENGTH]
    language = report.language or guess_language(" ".join((report.title, report.summary, report.body)))
    return KnowledgeItem.create(
        item_type=ItemType.INTERNSHIP_REPORT,
        title=report.title,
        summary=report.summary,
        body=body,
        language=language,
        category=placement.title[:100],
        tags=clean_tags([*placement.competencies, *report.tags][:20]),
        owner_id=internship.guest_id,
        source_service=SOURCE,
        source_id=internship.id,
        review_days=kb.review_days,
        now=internship.completed_at,
    )


# ------------------------------------------------------------------------------------------ reciprocity


@dataclass(frozen=True)
class UnitExchange:
    exchange: Exchange
    name: str | None  # a partner's name; None for a department (the directory names those)


async def reciprocity_of(ports: Ports, unit: str) -> list[UnitExchange]:
    """How many guests `unit` hosted from each other unit and how many people it sent there (completed only).

    Computed by scanning the completed internships (`all_ids` then one load each): fine at company
    scale, where a year brings hundreds of internships; a projection would replace it beyond that.
    """
    kind, unit_id = parse_unit(unit, "unit")
    unit = f"{kind}:{unit_id}"
    repository = _internships(ports)
    completed = [
        (await load(repository, internship_id, "internship"))[0]
        for internship_id in await repository.all_ids(status=Status.COMPLETED.value)
    ]
    exchanges = reciprocity(unit, completed)
    names: dict[str, str] = {}
    for exchange in exchanges:
        other_kind, other_id = parse_unit(exchange.unit, "unit")
        if other_kind == PARTNER:
            found = await _partners(ports).get(other_id)
            if found is not None:
                names[exchange.unit] = found[0].name
    return [UnitExchange(exchange, names.get(exchange.unit)) for exchange in exchanges]
