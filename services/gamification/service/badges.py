"""Badge use cases: awarding what a deed earns, and reading a person's badges as credentials."""

from collections.abc import Iterable
from typing import Any

from gamification.domain.badges import BADGES, CATALOGUE, Badge, BadgeAward, Step, award_of, steps
from gamification.domain.credentials import Issuer, jwt_claims, open_badge_credential
from gamification.domain.ledger import Deed
from gamification.service.ports import BadgeAwards, BadgeProgress, CredentialSigner, People
from shared.concurrency import retry_on_conflict
from shared.errors import NotFound


async def award_for_deed(
    deed: Deed,
    awards: BadgeAwards,
    progress: BadgeProgress,
    people: People,
    badges: Iterable[Badge] = CATALOGUE,
) -> list[BadgeAward]:
    """Award the badges a deed earns and move the progress toward the others; returns the new awards.

    Safe to run twice for one deed: counting a value already counted changes nothing, and an award's
    id is the "once" key. A threshold badge is awarded whenever its progress is complete, so a crash
    between the progress write and the award is made good by the deed's redelivery. An erased person
    earns nothing (a badge is personal: unlike points, there is no total for a stand-in to keep).
    """
    awarded: list[BadgeAward] = []
    for step in steps(deed.event_type, deed.data, badges):
        if await _is_erased(step.person_id, people):
            continue
        if step.effect == "withdraw":
            await _move(step, progress)
            continue
        if step.effect == "count" and not await _move(step, progress):
            continue
        award = award_of(step, deed)
        if await awards.record(award):
            awarded.append(award)
    return awarded


async def _move(step: Step, progress: BadgeProgress) -> bool:
    """Count or withdraw the step's value under optimistic concurrency; True once the badge is earned.

    Credits for one author arrive from several partitions at once, and a FerretDB update is no
    compare-and-set: a versioned commit is, and the loser re-reads and re-decides.
    """
    assert step.value is not None
    value = step.value

    async def attempt() -> bool:
        current, version = await progress.load(step.badge, step.person_id)
        moved = current.counting(value) if step.effect == "count" else current.withdrawing(value)
        if moved != current:
            await progress.save(moved, version)
        return moved.earned

    return await retry_on_conflict(attempt, aggregate_id=f"badge-progress:{step.badge.id}:{step.person_id}")


async def _is_erased(person_id: str, people: People) -> bool:
    found = await people.get(person_id)
    return found is not None and found.erased


async def badges_of(person_id: str, awards: BadgeAwards) -> list[BadgeAward]:
    """The person's badges, newest first."""
    return await awards.of_person(person_id)


async def export_badges(
    person_id: str, awards: BadgeAwards, progress: BadgeProgress, badges: Iterable[Badge] = CATALOGUE
) -> dict[str, Any]:
    """What the badge store holds on the person, for a subject access request: awards and progress counts."""
    counts: dict[str, int] = {}
    for badge in badges:
        if badge.threshold is not None:
            toward, version = await progress.load(badge, person_id)
            if version:
                counts[badge.id] = len(toward.counted)
    return {
        "awards": [
            {
                "award_id": award.id,
                "badge_id": award.badge_id,
                "scope_id": award.scope_id,
                "earned_on": award.earned_on.isoformat(),
                "earned_at": award.earned_at.isoformat() if award.earned_at else None,
                "cause_event_id": award.cause_event_id,
                "cause_event_type": award.cause_event_type,
            }
            for award in await awards.of_person(person_id)
        ],
        "progress": counts,
    }


async def credential(
    person_id: str, award_id: str, awards: BadgeAwards, signer: CredentialSigner, issuer: Issuer, lang: str = "en"
) -> tuple[str, dict[str, Any]]:
    """One of the person's badges as a signed Open Badges 3.0 credential (compact JWS) and its claims.

    404 alike for an award that does not exist and one of someone else: the answer does not tell which.
    """
    award = await awards.get(award_id)
    badge = BADGES.get(award.badge_id) if award is not None else None
    if award is None or badge is None or award.person_id != person_id:
        raise NotFound("no such badge", award_id=award_id)
    document = open_badge_credential(award, badge, issuer, lang)
    claims = jwt_claims(document)
    return await signer.sign(claims), claims
