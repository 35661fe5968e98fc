"""The curator's desk: confidential concerns with their actions, the programme's channel, the report.

A concern is readable by the person who raised it and the programme's curators, never by the other
member of the pair: its text is sealed under the concern's own context, and the event that tells the
curator about it names neither the raiser nor the words.
"""

from dataclasses import dataclass

from mentoring.domain.channel import Post
from mentoring.domain.concern import Action, CaseAction, Concern
from mentoring.domain.pair import EndReason, Pair
from mentoring.domain.programme import Programme, Stage
from mentoring.domain.report import FeedbackFacts, PairFacts, ParticipantFacts, ProgrammeReport, programme_report
from mentoring.service import handlers
from mentoring.service.handlers import change, get_programme, load, new_id
from mentoring.service.pairs import pairs_of
from mentoring.service.ports import Ports
from shared.errors import Conflict, Forbidden

# What a curator's action does to the pair the concern is about.
ENDS_PAIR = {Action.REMATCH: EndReason.REMATCH, Action.CLOSE_PAIR: EndReason.CLOSED}


def concern_context(concern_id: str) -> str:
    return f"concern:{concern_id}"


@dataclass(frozen=True)
class ConcernView:
    concern: Concern
    text: str
    notes: list[str | None]  # the curators' notes, one per action


async def raise_concern(ports: Ports, pair_id: str, person_id: str, text: str) -> Concern:
    pair, _ = await load(ports.pairs, pair_id, "pair")
    if not pair.is_member(person_id):
        raise Forbidden("only a member of the pair can raise a concern about it", pair_id=pair_id)
    concern_id = new_id()
    sealed = ports.sealer.seal(text, concern_context(concern_id)) if text.strip() else ""
    concern = Concern.raise_concern(
        concern_id, pair.programme_id, pair_id, person_id, pair.terms.curator_ids, sealed, ports.clock()
    )
    await ports.concerns.save(concern, expected_version=0)
    return concern


async def view_concern(ports: Ports, concern_id: str, viewer: str) -> ConcernView:
    concern, _ = await load(ports.concerns, concern_id, "concern")
    if not concern.visible_to(viewer):
        raise Forbidden("a concern is between the person who raised it and the curators", concern_id=concern_id)
    context = concern_context(concern_id)
    return ConcernView(
        concern,
        ports.sealer.open(concern.sealed_text, context),
        [ports.sealer.open(a.sealed_note, context) if a.sealed_note else None for a in concern.actions],
    )


async def concerns_of(ports: Ports, programme_id: str, by: str) -> list[Concern]:
    programme = await get_programme(ports, programme_id)
    programme.require_curator(by)
    found = []
    for concern_id in await ports.concerns.all_ids(programme_id=programme_id):
        loaded = await ports.concerns.get(concern_id)
        if loaded is not None:
            found.append(loaded[0])
    return sorted(found, key=lambda concern: concern.raised_at)


async def act_on_concern(ports: Ports, concern_id: str, by: str, action: str, note: str | None) -> CaseAction:
    """Record the curator's action; a rematch or a closing ends the pair, and a rematch proposes new pairs."""
    context = concern_context(concern_id)
    sealed = ports.sealer.seal(note, context) if note and note.strip() else None
    recorded, concern = await change(
        ports.concerns, concern_id, "concern", lambda c: c.record_action(by, action, sealed, ports.clock())
    )
    reason = ENDS_PAIR.get(recorded.action)
    if reason is not None:
        await handlers.end_pair(ports, concern.programme_id, concern.pair_id, reason)
        if reason is EndReason.REMATCH:
            programme = await get_programme(ports, concern.programme_id)
            if programme.stage in (Stage.MATCHING, Stage.RUNNING):
                # Matching starts again for the people freed; the curator approves as usual.
                await handlers.propose_matching(ports, concern.programme_id, by)
    return recorded


async def resolve_concern(ports: Ports, concern_id: str, by: str, outcome: str) -> Concern:
    _, concern = await change(ports.concerns, concern_id, "concern", lambda c: c.resolve(by, outcome, ports.clock()))
    return concern


# ------------------------------------------------------------------------------------------ channel


async def publish_post(ports: Ports, programme_id: str, by: str, kind: str, title: str, body: str) -> Post:
    programme = await get_programme(ports, programme_id)
    programme.require_curator(by)
    post = Post.publish(new_id()[:12], programme_id, by, kind, title, body, ports.clock())
    await ports.posts.save(post, expected_version=0)
    return post


async def posts_of(ports: Ports, programme_id: str) -> list[Post]:
    await get_programme(ports, programme_id)  # 404 for a programme that does not exist
    found = []
    for post_id in await ports.posts.all_ids(programme_id=programme_id):
        loaded = await ports.posts.get(post_id)
        if loaded is not None:
            found.append(loaded[0])
    return sorted(found, key=lambda post: post.published_at, reverse=True)


async def react(ports: Ports, programme_id: str, post_id: str, person_id: str, reaction: str | None) -> Post:
    def decide(post: Post) -> None:
        if post.programme_id != programme_id:
            raise Conflict("this post belongs to another programme", post_id=post_id)
        if reaction is None:
            post.unreact(person_id)
        else:
            post.react(person_id, reaction)

    _, post = await change(ports.posts, post_id, "post", decide)
    return post


# ------------------------------------------------------------------------------------------ report


async def report(ports: Ports, programme_id: str, by: str, *, admin: bool = False) -> ProgrammeReport:
    programme = await get_programme(ports, programme_id)
    if not admin:
        programme.require_curator(by)
    pairs = await pairs_of(ports, list(programme.roster))
    return build_report(programme, pairs)


def build_report(programme: Programme, pairs: list[Pair]) -> ProgrammeReport:
    participants = [
        ParticipantFacts(p.person_id, p.role.value, left=not p.active) for p in programme.participants.values()
    ]
    facts = [
        PairFacts(
            pair_id=pair.id,
            status=pair.status.value,
            end_reason=pair.end_reason.value if pair.end_reason is not None else None,
            meetings=pair.meetings_held,
            minutes=pair.minutes_held,
            goals_set=len(pair.goals),
            goals_achieved=pair.goals_achieved,
            at_risk=bool(pair.at_risk),
            feedback=tuple(FeedbackFacts(f.role, f.rating) for f in pair.feedback),
        )
        for pair in pairs
    ]
    return programme_report(programme.id, programme.title, programme.stage.value, participants, facts)
