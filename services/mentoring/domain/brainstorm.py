"""A collective brainstorm in a peer-learning circle: a real case, ideas, votes, themes and a decision.

One brainstorm is one aggregate (one versioned document): "is the idea phase over?", "has this member
votes left?", "did they vote for this idea already?" are all answered inside it, so two votes racing on
one brainstorm are two writers of one document and the repository's version check settles them.

Phases: ideas -> voting -> decided. The member who opens it facilitates it (a circle facilitator or a
moderator may stand in); the service says who may facilitate and who is a member, the brainstorm guards
what it owns: the phase, the vote limits and the shape of the decision.

Anonymity follows the comments' rules: an anonymous idea stores its real author (for erasure) and the
pseudonym the service derived for that person and this brainstorm with a key the domain never sees;
every view and event shows the pseudonym. Events carry ids, numbers and codes only, never an idea's text.
"""

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from shared.errors import Conflict, Forbidden, Invalid, NotFound

MAX_CASE = 5000
MAX_TITLE = 200
MAX_IDEA = 2000
MAX_IDEAS = 200
MIN_VOTES, MAX_VOTES = 1, 10
MAX_THEMES = 30
MAX_DECISION = 5000
MAX_OWNERS = 20
TOP_IDEAS = 5


class Phase(StrEnum):
    IDEAS = "ideas"
    VOTING = "voting"
    DECIDED = "decided"


# --- events: mapped field by field to the integration contracts of the same name + V1 ---------------


@dataclass(frozen=True)
class BrainstormOpened:
    circle_id: str
    brainstorm_id: str
    facilitator_id: str
    votes_per_member: int


@dataclass(frozen=True)
class BrainstormIdeaAdded:
    circle_id: str
    brainstorm_id: str
    idea_id: str
    author: str  # the pseudonym when anonymous, else the person id
    anonymous: bool


@dataclass(frozen=True)
class BrainstormVotingStarted:
    circle_id: str
    brainstorm_id: str
    ideas: int


@dataclass(frozen=True)
class BrainstormVoted:
    circle_id: str
    brainstorm_id: str
    idea_id: str
    person_id: str


@dataclass(frozen=True)
class BrainstormDecided:
    circle_id: str
    brainstorm_id: str
    facilitator_id: str
    owner_ids: list[str]
    themes: int
    ideas: int
    votes: int
    knowledge_item_id: str


BrainstormEvent = BrainstormOpened | BrainstormIdeaAdded | BrainstormVotingStarted | BrainstormVoted | BrainstormDecided


# --- values ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Idea:
    id: str
    author_id: str  # the real author, also when anonymous: never shown, never in an event
    anonymous: bool
    pseudonym: str | None
    text: str
    at: datetime

    @property
    def shown_author(self) -> str:
        return self.pseudonym if self.anonymous and self.pseudonym is not None else self.author_id


@dataclass(frozen=True)
class Vote:
    person_id: str
    idea_id: str
    at: datetime


@dataclass(frozen=True)
class Theme:
    title: str
    idea_ids: tuple[str, ...]


# --- the aggregate ---------------------------------------------------------------------------------


@dataclass
class Brainstorm:
    id: str
    circle_id: str
    title: str
    case: str
    votes_per_member: int
    facilitator_id: str
    opened_at: datetime
    phase: Phase = Phase.IDEAS
    ideas: dict[str, Idea] = field(default_factory=dict)
    votes: list[Vote] = field(default_factory=list)
    themes: list[Theme] = field(default_factory=list)
    decision: str = ""
    owner_ids: list[str] = field(default_factory=list)
    tags: tuple[str, ...] = ()
    decided_at: datetime | None = None
    knowledge_item_id: str | None = None
    events: list[BrainstormEvent] = field(default_factory=list, compare=False)

    @classmethod
    def open(
        cls,
        brainstorm_id: str,
        circle_id: str,
        by: str,
        case: str,
        votes_per_member: int,
        now: datetime,
        *,
        title: str = "",
    ) -> "Brainstorm":
        """A member puts a real case to the circle and facilitates the brainstorm on it."""
        case = _text(case, MAX_CASE, "case", "a brainstorm needs a case statement")
        title = title.strip() or case.splitlines()[0][:MAX_TITLE].strip()
        if len(title) > MAX_TITLE:
            raise Invalid(f"a title has at most {MAX_TITLE} characters", field="title")
        if isinstance(votes_per_member, bool) or not MIN_VOTES <= votes_per_member <= MAX_VOTES:
            raise Invalid(
                f"votes_per_member is from {MIN_VOTES} to {MAX_VOTES}",
                field="votes_per_member",
                minimum=MIN_VOTES,
                maximum=MAX_VOTES,
            )
        brainstorm = cls(brainstorm_id, circle_id, title, case, votes_per_member, by, now)
        brainstorm.events.append(BrainstormOpened(circle_id, brainstorm_id, by, votes_per_member))
        return brainstorm

    # --- ideas -------------------------------------------------------------------------------------

    def add_idea(
        self, person_id: str, idea_id: str, text: str, anonymous: bool, pseudonym: str | None, now: datetime
    ) -> Idea:
        if self.phase is not Phase.IDEAS:
            raise Conflict("the idea phase is over: ideas can no longer be added", brainstorm_id=self.id)
        if anonymous and not pseudonym:
            raise ValueError("an anonymous idea needs the pseudonym the service derived")
        if len(self.ideas) >= MAX_IDEAS:
            raise Conflict(f"a brainstorm takes at most {MAX_IDEAS} ideas", brainstorm_id=self.id)
        if idea_id in self.ideas:
            raise Conflict("an idea with this id exists already", idea_id=idea_id)
        idea = Idea(
            idea_id,
            person_id,
            anonymous,
            pseudonym if anonymous else None,
            _text(text, MAX_IDEA, "text", "an idea needs a text"),
            now,
        )
        self.ideas[idea_id] = idea
        self.events.append(BrainstormIdeaAdded(self.circle_id, self.id, idea_id, idea.shown_author, anonymous))
        return idea

    def close_ideas(self, facilitates: bool) -> None:
        """The facilitator ends the idea phase: voting begins."""
        self._require_facilitator(facilitates, "close the idea phase")
        if self.phase is not Phase.IDEAS:
            raise Conflict("the idea phase is closed already", brainstorm_id=self.id, phase=self.phase.value)
        if not self.ideas:
            raise Conflict("no ideas yet: there would be nothing to vote on", brainstorm_id=self.id)
        self.phase = Phase.VOTING
        self.events.append(BrainstormVotingStarted(self.circle_id, self.id, len(self.ideas)))

    # --- votes -------------------------------------------------------------------------------------

    def vote(self, person_id: str, idea_id: str, now: datetime) -> Vote:
        """One vote for one idea; a member has `votes_per_member` votes, at most one per idea."""
        if self.phase is not Phase.VOTING:
            raise Conflict("votes are cast only in the voting phase", brainstorm_id=self.id, phase=self.phase.value)
        if idea_id not in self.ideas:
            raise NotFound(f"idea {idea_id} is not in this brainstorm", idea_id=idea_id)
        mine = [vote for vote in self.votes if vote.person_id == person_id]
        if any(vote.idea_id == idea_id for vote in mine):
            raise Conflict("you have voted for this idea already", idea_id=idea_id)
        if len(mine) >= self.votes_per_member:
            raise Invalid(
                f"each member has {self.votes_per_member} vote(s) and you have used them all",
                field="votes",
                votes_per_member=self.votes_per_member,
            )
        vote = Vote(person_id, idea_id, now)
        self.votes.append(vote)
        self.events.append(BrainstormVoted(self.circle_id, self.id, idea_id, person_id))
        return vote

    def votes_left(self, person_id: str) -> int:
        return self.votes_per_member - sum(1 for vote in self.votes if vote.person_id == person_id)

    def my_votes(self, person_id: str) -> list[str]:
        return [vote.idea_id for vote in self.votes if vote.person_id == person_id]

    def tally(self) -> dict[str, int]:
        """Votes per idea id, every idea listed (none voted: 0)."""
        counted = Counter(vote.idea_id for vote in self.votes)
        return {idea_id: counted[idea_id] for idea_id in self.ideas}

    def top_ideas(self, limit: int = TOP_IDEAS) -> list[tuple[Idea, int]]:
        """The most voted ideas, ties in the order they were added."""
        tally = self.tally()
        order = {idea_id: n for n, idea_id in enumerate(self.ideas)}
        ranked = sorted(self.ideas.values(), key=lambda idea: (-tally[idea.id], order[idea.id]))
        return [(idea, tally[idea.id]) for idea in ranked[:limit] if tally[idea.id] > 0]

    # --- decision ----------------------------------------------------------------------------------

    def decide(
        self,
        facilitates: bool,
        themes: Sequence[Mapping[str, Any]],
        decision: str,
        owner_ids: Sequence[str],
        knowledge_item_id: str,
        now: datetime,
        *,
        tags: Sequence[str] = (),
    ) -> None:
        """The facilitator groups the ideas into themes, records the decision and who owns it, and closes."""
        self._require_facilitator(facilitates, "record the decision")
        if self.phase is Phase.DECIDED:
            raise Conflict("this brainstorm is decided already", brainstorm_id=self.id)
        if self.phase is not Phase.VOTING:
            raise Conflict("close the idea phase and let the circle vote first", brainstorm_id=self.id)
        grouped = _themes(themes, self.ideas)
        decision = _text(decision, MAX_DECISION, "decision", "record what was decided")
        owners = list(dict.fromkeys(owner.strip() for owner in owner_ids if owner.strip()))
        if not 1 <= len(owners) <= MAX_OWNERS:
            raise Invalid(f"name 1 to {MAX_OWNERS} owners of the decision", field="owner_ids")
        self.themes = grouped
        self.decision = decision
        self.owner_ids = owners
        self.tags = tuple(dict.fromkeys(tag.strip().lower() for tag in tags if tag.strip()))
        self.phase = Phase.DECIDED
        self.decided_at = now
        self.knowledge_item_id = knowledge_item_id
        self.events.append(
            BrainstormDecided(
                self.circle_id,
                self.id,
                self.facilitator_id,
                list(owners),
                len(grouped),
                len(self.ideas),
                len(self.votes),
                knowledge_item_id,
            )
        )

    def summary(self) -> str:
        """The decision as the knowledge base keeps it: case, themes, decision, owners, top ideas by votes."""
        tally = self.tally()
        lines = [f"Case: {self.case}", "", f"Decision: {self.decision}", "", f"Owners: {len(self.owner_ids)}"]
        if self.themes:
            lines += ["", "Themes:"]
            for theme in self.themes:
                lines.append(f"- {theme.title}")
                lines += [f"  * {self.ideas[idea_id].text} ({tally[idea_id]})" for idea_id in theme.idea_ids]
        top = self.top_ideas()
        if top:
            lines += ["", "Top ideas by votes:"]
            lines += [f"{n}. {idea.text} ({votes})" for n, (idea, votes) in enumerate(top, start=1)]
        return "\n".join(lines)

    def _require_facilitator(self, facilitates: bool, what: str) -> None:
        if not facilitates:
            raise Forbidden(f"only the brainstorm's facilitator may {what}", brainstorm_id=self.id)

    # --- privacy -----------------------------------------------------------------------------------

    def _person_ids(self) -> set[str]:
        return {
            self.facilitator_id,
            *(idea.author_id for idea in self.ideas.values()),
            *(vote.person_id for vote in self.votes),
            *self.owner_ids,
        }

    def erase_person(self, person_id: str, replacement: str) -> bool:
        """A former employee in the person's place everywhere; pseudonyms stay (they name no one)."""
        people = self._person_ids()
        if person_id not in people:
            return False
        if replacement in people:
            raise ValueError("the replacement id is already in use in this brainstorm")

        def swap(value: str) -> str:
            return replacement if value == person_id else value

        self.facilitator_id = swap(self.facilitator_id)
        self.ideas = {key: replace(idea, author_id=swap(idea.author_id)) for key, idea in self.ideas.items()}
        self.votes = [replace(vote, person_id=swap(vote.person_id)) for vote in self.votes]
        self.owner_ids = [swap(owner) for owner in self.owner_ids]
        return True

    # --- state -------------------------------------------------------------------------------------

    def to_state(self) -> dict[str, Any]:
        return {
            "circle_id": self.circle_id,
            "title": self.title,
            "case": self.case,
            "votes_per_member": self.votes_per_member,
            "facilitator_id": self.facilitator_id,
            "opened_at": self.opened_at.isoformat(),
            "phase": self.phase.value,
            "ideas": [
                {
                    "id": idea.id,
                    "author_id": idea.author_id,
                    "anonymous": idea.anonymous,
                    "pseudonym": idea.pseudonym,
                    "text": idea.text,
                    "at": idea.at.isoformat(),
                }
                for idea in self.ideas.values()
            ],
            "votes": [
                {"person_id": vote.person_id, "idea_id": vote.idea_id, "at": vote.at.isoformat()} for vote in self.votes
            ],
            # Documents, never arrays inside arrays (FerretDB).
            "themes": [{"title": theme.title, "idea_ids": list(theme.idea_ids)} for theme in self.themes],
            "decision": self.decision,
            "owner_ids": list(self.owner_ids),
            "tags": list(self.tags),
            "decided_at": self.decided_at.isoformat() if self.decided_at else None,
            "knowledge_item_id": self.knowledge_item_id,
        }

    @classmethod
    def from_state(cls, brainstorm_id: str, state: Mapping[str, Any]) -> "Brainstorm":
        decided_at = state.get("decided_at")
        return cls(
            id=brainstorm_id,
            circle_id=state["circle_id"],
            title=state["title"],
            case=state["case"],
            votes_per_member=state["votes_per_member"],
            facilitator_id=state["facilitator_id"],
            opened_at=datetime.fromisoformat(state["opened_at"]),
            phase=Phase(state["phase"]),
            ideas={
                i["id"]: Idea(
                    i["id"],
                    i["author_id"],
                    i["anonymous"],
                    i.get("pseudonym"),
                    i["text"],
                    datetime.fromisoformat(i["at"]),
                )
                for i in state.get("ideas", ())
            },
            votes=[Vote(v["person_id"], v["idea_id"], datetime.fromisoformat(v["at"])) for v in state.get("votes", ())],
            themes=[Theme(t["title"], tuple(t["idea_ids"])) for t in state.get("themes", ())],
            decision=state.get("decision", ""),
            owner_ids=list(state.get("owner_ids", ())),
            tags=tuple(state.get("tags", ())),
            decided_at=datetime.fromisoformat(decided_at) if decided_at else None,
            knowledge_item_id=state.get("knowledge_item_id"),
        )


def _text(value: str, limit: int, field_name: str, empty: str) -> str:
    value = value.strip()
    if not value:
        raise Invalid(empty, field=field_name)
    if len(value) > limit:
        raise Invalid(f"{field_name} is at most {limit} characters", field=field_name, limit=limit)
    return value


def _themes(themes: Sequence[Mapping[str, Any]], ideas: Mapping[str, Idea]) -> list[Theme]:
    """Each theme a title and some of the ideas; an idea in one theme at most."""
    if len(themes) > MAX_THEMES:
        raise Invalid(f"at most {MAX_THEMES} themes", field="themes")
    grouped: list[Theme] = []
    placed: set[str] = set()
    for theme in themes:
        title = _text(str(theme.get("title", "")), MAX_TITLE, "themes", "each theme needs a title")
        idea_ids = tuple(dict.fromkeys(theme.get("idea_ids", ())))
        unknown = [idea_id for idea_id in idea_ids if idea_id not in ideas]
        if unknown:
            raise Invalid("a theme names ideas not in this brainstorm", field="themes", idea_ids=unknown)
        twice = placed.intersection(idea_ids)
        if twice:
            raise Invalid("an idea belongs to one theme at most", field="themes", idea_ids=sorted(twice))
        placed.update(idea_ids)
        grouped.append(Theme(title, idea_ids))
    return grouped
