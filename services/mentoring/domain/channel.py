"""The programme's content channel: the curator publishes articles, news and success stories;
participants read them and react, one reaction each.

Who may publish (the programme's curators) and who may react (its participants) is the service's
to check; a post only keeps its own content and reactions consistent.
"""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from shared.errors import Invalid

E = TypeVar("E", bound=StrEnum)

MAX_TITLE_LENGTH = 200
MAX_BODY_LENGTH = 20_000


# --- events ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PostPublished:
    post_id: str
    programme_id: str
    kind: str
    title: str  # public by nature: the post is published to the whole programme
    author_id: str


PostEvent = PostPublished


# --- values ----------------------------------------------------------------------------------------


class PostKind(StrEnum):
    ARTICLE = "article"
    NEWS = "news"
    SUCCESS_STORY = "success_story"


class Reaction(StrEnum):
    LIKE = "like"
    INSIGHTFUL = "insightful"
    THANKS = "thanks"


# --- the aggregate ---------------------------------------------------------------------------------


@dataclass
class Post:
    id: str
    programme_id: str
    author_id: str
    kind: PostKind
    title: str
    body: str
    published_at: datetime
    reactions: dict[str, Reaction] = field(default_factory=dict)  # person id -> their one reaction
    events: list[PostEvent] = field(default_factory=list, compare=False)

    @classmethod
    def publish(
        cls,
        post_id: str,
        programme_id: str,
        author_id: str,
        kind: str,
        title: str,
        body: str,
        now: datetime,
    ) -> "Post":
        parsed_kind = _parse(PostKind, kind, "kind")
        title = title.strip()
        if not 1 <= len(title) <= MAX_TITLE_LENGTH:
            raise Invalid(f"a title has 1 to {MAX_TITLE_LENGTH} characters", field="title", limit=MAX_TITLE_LENGTH)
        body = body.strip()
        if not 1 <= len(body) <= MAX_BODY_LENGTH:
            raise Invalid(f"a body has 1 to {MAX_BODY_LENGTH} characters", field="body", limit=MAX_BODY_LENGTH)
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError("times must be timezone-aware (UTC)")
        post = cls(post_id, programme_id, author_id, parsed_kind, title, body, now)
        post.events.append(PostPublished(post_id, programme_id, parsed_kind.value, title, author_id))
        return post

    # Reactions record no event: a like is not news for any other service or person, and a stream
    # of them would only tell Kafka who read what.
    def react(self, person_id: str, reaction: str) -> Reaction:
        """Set the person's reaction; a new one replaces the old (one reaction per person)."""
        parsed = _parse(Reaction, reaction, "reaction")
        self.reactions[person_id] = parsed
        return parsed

    def unreact(self, person_id: str) -> None:
        """Take the person's reaction back; nothing happens when there was none."""
        self.reactions.pop(person_id, None)

    def reaction_of(self, person_id: str) -> Reaction | None:
        return self.reactions.get(person_id)

    def reaction_counts(self) -> dict[str, int]:
        """How many people chose each reaction; every reaction is listed, zeros included."""
        counts = {reaction.value: 0 for reaction in Reaction}
        for reaction in self.reactions.values():
            counts[reaction.value] += 1
        return counts

    def erase_person(self, person_id: str, replacement: str) -> bool:
        """Put a former employee in the person's place as author or reader; False if absent.

        An erased reader's reaction stays, under the replacement id, so the counts do not move.
        No event: erasure is not news for other services.
        """
        if person_id != self.author_id and person_id not in self.reactions:
            return False
        if replacement == self.author_id or replacement in self.reactions:
            raise ValueError("the replacement id is already in use in this post")
        if self.author_id == person_id:
            self.author_id = replacement
        self.reactions = {
            (replacement if reader == person_id else reader): reaction for reader, reaction in self.reactions.items()
        }
        return True

    # The state as plain data, for the repository. Reactions are a list, not a mapping: person ids
    # would otherwise become document keys, where "." and "$" are not safe.
    def to_state(self) -> dict[str, Any]:
        return {
            "programme_id": self.programme_id,
            "author_id": self.author_id,
            "kind": self.kind.value,
            "title": self.title,
            "body": self.body,
            "published_at": self.published_at.isoformat(),
            "reactions": [
                {"person_id": reader, "reaction": reaction.value} for reader, reaction in self.reactions.items()
            ],
        }

    @classmethod
    def from_state(cls, post_id: str, state: dict[str, Any]) -> "Post":
        return cls(
            id=post_id,
            programme_id=state["programme_id"],
            author_id=state["author_id"],
            kind=PostKind(state["kind"]),
            title=state["title"],
            body=state["body"],
            published_at=datetime.fromisoformat(state["published_at"]),
            reactions={entry["person_id"]: Reaction(entry["reaction"]) for entry in state["reactions"]},
        )


def _parse(kind: type[E], value: str, field_name: str) -> E:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise Invalid(f"{field_name} must be one of {allowed}", field=field_name) from None
