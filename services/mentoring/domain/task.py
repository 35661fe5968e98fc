"""A peer-learning circle's task and its whole discussion: solutions, comments, helpful marks, checks, reflections.

One task is one aggregate (one versioned document): "has this person a solution here already?", "did they
mark this comment helpful before?", "is the task closed?" are all answered inside it, so two such decisions
racing on one task are two writers of one document and the repository's version check settles them.

Who may do what by circle role (participant, facilitator, moderator, reviewer) is decided by the service
from the circle aggregate; the task is given the ids and booleans it needs and guards only what it owns:
authorship, the task's state and the discussion's shape.

Anonymity: an anonymous comment stores the real author (for "not your own comment", erasure and a
moderator's follow-up) and the pseudonym the service derived with a key the domain never sees. Public
events name the pseudonym only; the two events that name the real author (`HelpfulCommentCredit`,
`HelpfulCreditsRevoked`/`Restored`, for the points a helpful comment earns) go to a restricted topic.

Moderation hides, restores or edits an item; hidden content stays stored (a moderator may restore it) and
every edit is a new version, so the history of what was said is never lost. Events carry ids, dates,
numbers and codes only: never a solution, a comment, a note or a reflection.
"""

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Literal
from urllib.parse import urlsplit

from shared.errors import Conflict, Forbidden, Invalid, NotFound

MAX_STATEMENT = 5000
MAX_EXPECTED_OUTCOME = 2000
MAX_CHECK_INSTRUCTIONS = 5000
MAX_SOLUTION_TEXT = 20000
MAX_COMMENT_TEXT = 5000
MAX_REFLECTION_TEXT = 3000
MAX_NOTE = 2000  # a reviewer's or a moderator's note
MAX_LINKS = 20
MAX_ATTACHMENTS = 10
MAX_REFERENCE = 2000  # characters of one link or attachment reference
DOMINANCE_MIN_COMMENTS = 5  # below this a share says nothing: two comments out of three is a conversation
TOP_WORDS = 10
MIN_WORD_LETTERS = 4
_WORD_RE = re.compile(r"[^\W\d_]+")  # runs of letters in any script: Russian and English alike
_ATTACHMENT_ID_RE = re.compile(r"[\w.\-/]+")  # an upload's id or key; no scheme, so no `javascript:` either

ItemKind = Literal["solution", "comment"]


class TaskStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


# ---------------------------------------------------------------------------------------------
# Events: ids, dates, numbers and codes only (mapped field by field to integration contracts).
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskPublished:
    circle_id: str
    task_id: str
    published_by: str
    due: date


@dataclass(frozen=True)
class TaskClosed:
    circle_id: str
    task_id: str
    # Authors of published solutions and of named comments, invited to reflect. Anonymous commenters are
    # left out: a public list with them in it would say who wrote anonymously.
    participant_ids: list[str]


@dataclass(frozen=True)
class SolutionPublished:
    circle_id: str
    task_id: str
    solution_id: str
    author_id: str


@dataclass(frozen=True)
class CommentPosted:
    circle_id: str
    task_id: str
    comment_id: str
    solution_id: str
    author: str  # the pseudonym when anonymous, else the person id
    anonymous: bool


@dataclass(frozen=True)
class CommentMarkedHelpful:
    """Public: names the comment's author as the discussion shows them (the pseudonym when anonymous)."""

    circle_id: str
    task_id: str
    comment_id: str
    author: str
    anonymous: bool
    marked_by: str


@dataclass(frozen=True)
class HelpfulCommentCredit:
    """Restricted topic only: names the real author, so gamification can credit an anonymous comment."""

    circle_id: str
    task_id: str
    comment_id: str
    author_id: str
    marked_by: str


@dataclass(frozen=True)
class HelpfulCreditsRevoked:
    """Restricted topic only: a moderator hid a comment, so the credits its helpful marks earned go away."""

    circle_id: str
    task_id: str
    comment_id: str
    author_id: str
    marks: int


@dataclass(frozen=True)
class HelpfulCreditsRestored:
    """Restricted topic only: a moderator restored a comment, so its helpful marks count again."""

    circle_id: str
    task_id: str
    comment_id: str
    author_id: str
    marks: int


@dataclass(frozen=True)
class AuthorRevealed:
    """Restricted topic only: a moderator revealed an anonymous comment's author (reason in the audit log).

    The author is told; nobody else learns it from an event.
    """

    circle_id: str
    task_id: str
    comment_id: str
    author_id: str
    moderator_id: str


@dataclass(frozen=True)
class PracticalCheckRecorded:
    circle_id: str
    task_id: str
    person_id: str
    reviewer_id: str
    passed: bool


@dataclass(frozen=True)
class ItemHidden:
    circle_id: str
    task_id: str
    item_id: str
    kind: str  # "solution" | "comment"


@dataclass(frozen=True)
class ItemRestored:
    circle_id: str
    task_id: str
    item_id: str
    kind: str


@dataclass(frozen=True)
class ItemEdited:
    circle_id: str
    task_id: str
    item_id: str
    kind: str


TaskEvent = (
    TaskPublished
    | TaskClosed
    | SolutionPublished
    | CommentPosted
    | CommentMarkedHelpful
    | HelpfulCommentCredit
    | HelpfulCreditsRevoked
    | HelpfulCreditsRestored
    | AuthorRevealed
    | PracticalCheckRecorded
    | ItemHidden
    | ItemRestored
    | ItemEdited
)


# ---------------------------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Version:
    """One wording of a solution or a comment; edits add versions, so the history stays."""

    text: str
    links: tuple[str, ...]
    attachments: tuple[str, ...]
    at: datetime
    edited_by: str
    note: str = ""  # a moderator's visible edit note ("removed a wrong claim about X")


@dataclass(frozen=True)
class Solution:
    id: str
    author_id: str
    versions: tuple[Version, ...]
    published_at: datetime | None  # None while a draft only the author sees
    hidden: bool = False
    moderation_note: str = ""
    hidden_at: datetime | None = None  # when a moderator last hid it; None while shown

    @property
    def current(self) -> Version:
        return self.versions[-1]

    @property
    def published(self) -> bool:
        return self.published_at is not None


@dataclass(frozen=True)
class Comment:
    id: str
    solution_id: str
    parent_id: str | None  # the comment this one answers; None for a comment on the solution itself
    author_id: str  # the real author, also when anonymous: never shown, never in a public event
    anonymous: bool
    pseudonym: str | None  # set by the service when anonymous
    versions: tuple[Version, ...]
    at: datetime
    helpful_by: tuple[str, ...] = ()
    hidden: bool = False
    moderation_note: str = ""
    hidden_at: datetime | None = None  # when a moderator last hid it; None while shown

    @property
    def current(self) -> Version:
        return self.versions[-1]

    @property
    def shown_author(self) -> str:
        """Who the discussion shows as the author: the pseudonym when anonymous."""
        return self.pseudonym if self.anonymous and self.pseudonym is not None else self.author_id


@dataclass(frozen=True)
class HiddenItem:
    """A hidden solution or comment for the moderators' list: never the real author of an anonymous comment."""

    circle_id: str
    task_id: str
    item_id: str
    kind: ItemKind
    author: str  # the pseudonym when anonymous, else the person id
    anonymous: bool
    text: str
    note: str  # the moderator's reason for hiding it
    hidden_at: datetime | None  # None for an item hidden before the time was kept


@dataclass(frozen=True)
class PracticalCheck:
    """ "Show me how you would do it now": a reviewer's verdict; a later one for the same person supersedes."""

    person_id: str
    reviewer_id: str
    passed: bool
    note: str
    at: datetime


@dataclass(frozen=True)
class Reflection:
    """ "What changed in your understanding?": asked once the task is closed."""

    person_id: str
    text: str
    at: datetime


# ---------------------------------------------------------------------------------------------
# The aggregate
# ---------------------------------------------------------------------------------------------


@dataclass
class Task:
    id: str
    circle_id: str
    statement: str
    expected_outcome: str
    due: date
    check_instructions: str
    published_by: str
    published_at: datetime
    status: TaskStatus = TaskStatus.OPEN
    closed_at: datetime | None = None
    closed_by: str | None = None
    solutions: dict[str, Solution] = field(default_factory=dict)
    comments: dict[str, Comment] = field(default_factory=dict)
    checks: list[PracticalCheck] = field(default_factory=list)
    reflections: dict[str, Reflection] = field(default_factory=dict)  # person id -> their reflection
    events: list[TaskEvent] = field(default_factory=list, compare=False)

    # --- lifecycle ---------------------------------------------------------------------------

    @classmethod
    def publish(
        cls,
        task_id: str,
        circle_id: str,
        by: str,
        statement: str,
        expected_outcome: str,
        due: date,
        check_instructions: str,
        now: datetime,
    ) -> "Task":
        """A clear task, not "talk about the CRM": what to do, what a good outcome is, by when."""
        statement = _text(statement, MAX_STATEMENT, "statement", "a task needs a statement")
        expected_outcome = _text(
            expected_outcome, MAX_EXPECTED_OUTCOME, "expected_outcome", "say what a good outcome looks like"
        )
        check_instructions = check_instructions.strip()
        if len(check_instructions) > MAX_CHECK_INSTRUCTIONS:
            raise Invalid(
                f"check_instructions is at most {MAX_CHECK_INSTRUCTIONS} characters", field="check_instructions"
            )
        if due <= now.date():
            raise Invalid("a due date in the past: give one after today", field="due")
        task = cls(
            id=task_id,
            circle_id=circle_id,
            statement=statement,
            expected_outcome=expected_outcome,
            due=due,
            check_instructions=check_instructions,
            published_by=by,
            published_at=now,
        )
        task.events.append(TaskPublished(circle_id, task_id, by, due))
        return task

    def close(self, by: str, now: datetime) -> None:
        """End the work on the task; the participants are then asked what changed in their understanding."""
        self._require_open("this task is closed already")
        self.status = TaskStatus.CLOSED
        self.closed_at = now
        self.closed_by = by
        participants = {solution.author_id for solution in self.solutions.values() if solution.published}
        participants.update(comment.author_id for comment in self.comments.values() if not comment.anonymous)
        self.events.append(TaskClosed(self.circle_id, self.id, sorted(participants)))

    @property
    def is_closed(self) -> bool:
        return self.status is TaskStatus.CLOSED

    # --- solutions ---------------------------------------------------------------------------

    def save_solution(
        self,
        person_id: str,
        solution_id: str,
        text: str,
        links: Sequence[str],
        attachments: Sequence[str],
        now: datetime,
    ) -> Solution:
        """Create the person's draft, or add a version to their own solution (draft or published).

        One solution per person per task: they improve it rather than start another, so the discussion
        stays on one thread per person. No event: a draft is private, and an edit is not news.
        """
        self._require_open("this task is closed: its solutions can no longer change")
        version = Version(
            text=_text(text, MAX_SOLUTION_TEXT, "text", "a solution needs a text"),
            links=_links(links),
            attachments=_attachments(attachments),
            at=now,
            edited_by=person_id,
        )
        existing = self.solutions.get(solution_id)
        if existing is not None:
            if existing.author_id != person_id:
                raise Forbidden("only its author may edit a solution", solution_id=solution_id)
            saved = replace(existing, versions=(*existing.versions, version))
        else:
            own = self._solution_of(person_id)
            if own is not None:
                raise Conflict("you already have a solution here: edit it instead", solution_id=own.id)
            self._require_new_item_id(solution_id)
            saved = Solution(id=solution_id, author_id=person_id, versions=(version,), published_at=None)
        self.solutions[solution_id] = saved
        return saved

    def publish_solution(self, person_id: str, solution_id: str, now: datetime) -> Solution:
        solution = self.solution(solution_id)
        if solution.author_id != person_id:
            raise Forbidden("only its author may publish a solution", solution_id=solution_id)
        self._require_open("publishing to a closed task")
        if solution.published:
            raise Conflict("this solution is published already", solution_id=solution_id)
        published = replace(solution, published_at=now)
        self.solutions[solution_id] = published
        self.events.append(SolutionPublished(self.circle_id, self.id, solution_id, person_id))
        return published

    def visible_solutions(self, viewer_id: str, *, moderator: bool) -> list[Solution]:
        """What the viewer sees: published, not hidden solutions; moderators also the hidden ones.

        The author always sees their own solution: their draft, and also their solution once a moderator
        hid it (with the moderator's note), since they cannot start another one.
        """
        return [
            solution
            for solution in self.solutions.values()
            if solution.author_id == viewer_id or (solution.published and (moderator or not solution.hidden))
        ]

    # --- comments ----------------------------------------------------------------------------

    def comment(
        self,
        person_id: str,
        comment_id: str,
        solution_id: str,
        parent_id: str | None,
        text: str,
        anonymous: bool,
        pseudonym: str | None,
        now: datetime,
    ) -> Comment:
        """Comment on a published solution, or answer a comment under it; anonymously if the person wishes."""
        if anonymous and not pseudonym:
            raise ValueError("an anonymous comment needs the pseudonym the service derived")
        if not anonymous and pseudonym is not None:
            raise ValueError("a pseudonym belongs to an anonymous comment only")
        self._require_open("this task is closed: its discussion is over")
        solution = self.solutions.get(solution_id)
        if solution is None or not solution.published or solution.hidden:
            raise NotFound("there is no such published solution to comment on", solution_id=solution_id)
        if parent_id is not None:
            parent = self.comments.get(parent_id)
            if parent is None or parent.solution_id != solution_id:
                raise Invalid("the comment answered is not under this solution", field="parent_id")
        version = Version(
            text=_text(text, MAX_COMMENT_TEXT, "text", "a comment needs a text"),
            links=(),
            attachments=(),
            at=now,
            edited_by=person_id,
        )
        self._require_new_item_id(comment_id)
        posted = Comment(
            id=comment_id,
            solution_id=solution_id,
            parent_id=parent_id,
            author_id=person_id,
            anonymous=anonymous,
            pseudonym=pseudonym if anonymous else None,
            versions=(version,),
            at=now,
        )
        self.comments[comment_id] = posted
        self.events.append(
            CommentPosted(self.circle_id, self.id, comment_id, solution_id, posted.shown_author, anonymous)
        )
        return posted

    def visible_comments(self, solution_id: str, *, moderator: bool) -> list[Comment]:
        """The comments under a solution in posting order; hidden ones for moderators only.

        The service shows `shown_author`, never `author_id`.
        """
        self.solution(solution_id)
        return [
            comment
            for comment in self.comments.values()
            if comment.solution_id == solution_id and (moderator or not comment.hidden)
        ]

    def mark_helpful(self, person_id: str, comment_id: str, now: datetime) -> Comment:
        """Say a comment helped; the author earns points for it (hence one mark per person, none for oneself).

        Allowed after the task closed too: people keep learning from a finished discussion.
        """
        comment = self._comment(comment_id)
        if comment.author_id == person_id:
            raise Conflict("one cannot mark one's own comment", comment_id=comment_id)
        if comment.hidden or self.solutions[comment.solution_id].hidden:
            raise Conflict("a moderator hid this comment", comment_id=comment_id)
        if person_id in comment.helpful_by:
            raise Conflict("marked helpful already", comment_id=comment_id)
        marked = replace(comment, helpful_by=(*comment.helpful_by, person_id))
        self.comments[comment_id] = marked
        self.events.append(
            CommentMarkedHelpful(
                self.circle_id, self.id, comment_id, comment.shown_author, comment.anonymous, person_id
            )
        )
        self.events.append(HelpfulCommentCredit(self.circle_id, self.id, comment_id, comment.author_id, person_id))
        return marked

    # --- practical checks and reflections ----------------------------------------------------

    def record_check(self, reviewer_id: str, person_id: str, passed: bool, note: str, now: datetime) -> PracticalCheck:
        """A reviewer watched the person do it ("show me how you would do it now"); all checks are kept."""
        if reviewer_id == person_id:
            raise Invalid("a reviewer cannot check themselves", field="person_id")
        note = note.strip()
        if len(note) > MAX_NOTE:
            raise Invalid(f"note is at most {MAX_NOTE} characters", field="note")
        check = PracticalCheck(person_id=person_id, reviewer_id=reviewer_id, passed=passed, note=note, at=now)
        self.checks.append(check)
        self.events.append(PracticalCheckRecorded(self.circle_id, self.id, person_id, reviewer_id, passed))
        return check

    def latest_check(self, person_id: str) -> PracticalCheck | None:
        """The check that counts: the one recorded last for the person."""
        return next((check for check in reversed(self.checks) if check.person_id == person_id), None)

    def reflect(self, person_id: str, text: str, now: datetime) -> Reflection:
        """Answer "what changed in your understanding?" once, after the task closed. No event: it is personal."""
        if not self.is_closed:
            raise Conflict("reflections come once the task is closed")
        if person_id in self.reflections:
            raise Conflict("you have reflected on this task already")
        reflection = Reflection(person_id, _text(text, MAX_REFLECTION_TEXT, "text", "a reflection needs a text"), now)
        self.reflections[person_id] = reflection
        return reflection

    def reflection_summary(self) -> dict[str, Any]:
        """For the facilitator: how many reflected, their answers without names, and the most frequent words.

        Words are runs of letters (Cyrillic or Latin) of at least four letters, lowercased; ties are broken
        alphabetically so the summary does not change between two reads.
        """
        answers = [reflection.text for reflection in self.reflections.values()]
        counts = Counter(
            word for answer in answers for word in _WORD_RE.findall(answer.lower()) if len(word) >= MIN_WORD_LETTERS
        )
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:TOP_WORDS]
        return {
            "count": len(answers),
            "answers": answers,
            "top_words": [{"word": word, "count": count} for word, count in ranked],
        }

    # --- moderation (the service checks the caller is a moderator) ---------------------------

    def hide(self, item_id: str, moderator_id: str, note: str, now: datetime) -> None:
        """Hide a solution or a comment from participants; it stays stored and a moderator may restore it."""
        note = _note(note)
        kind, item = self._item(item_id)
        if item.hidden:
            raise Conflict("this item is hidden already", item_id=item_id)
        self._store(replace(item, hidden=True, moderation_note=note, hidden_at=now))
        self.events.append(ItemHidden(self.circle_id, self.id, item_id, kind))
        if isinstance(item, Comment) and item.helpful_by:
            self.events.append(
                HelpfulCreditsRevoked(self.circle_id, self.id, item_id, item.author_id, len(item.helpful_by))
            )

    def restore(self, item_id: str, moderator_id: str, note: str, now: datetime) -> None:
        note = _note(note)
        kind, item = self._item(item_id)
        if not item.hidden:
            raise Conflict("this item is not hidden", item_id=item_id)
        self._store(replace(item, hidden=False, moderation_note=note, hidden_at=None))
        self.events.append(ItemRestored(self.circle_id, self.id, item_id, kind))
        if isinstance(item, Comment) and item.helpful_by:
            self.events.append(
                HelpfulCreditsRestored(self.circle_id, self.id, item_id, item.author_id, len(item.helpful_by))
            )

    def record_reveal(self, comment_id: str, moderator_id: str) -> None:
        """Record that a moderator revealed who wrote an anonymous comment (the service audits the reason)."""
        comment = self._comment(comment_id)
        if not comment.anonymous:
            raise Conflict("this comment is not anonymous", comment_id=comment_id)
        self.events.append(AuthorRevealed(self.circle_id, self.id, comment_id, comment.author_id, moderator_id))

    def moderate_edit(self, item_id: str, moderator_id: str, text: str, note: str, now: datetime) -> None:
        """Correct a solution or a comment (false information, a name that should not be there).

        A new version with the moderator as editor and their visible note; earlier versions stay.
        Links and attachments of a solution are kept as they were.
        """
        kind, item = self._item(item_id)
        limit = MAX_SOLUTION_TEXT if kind == "solution" else MAX_COMMENT_TEXT
        current = item.current
        version = Version(
            text=_text(text, limit, "text", "the edited text cannot be empty"),
            links=current.links,
            attachments=current.attachments,
            at=now,
            edited_by=moderator_id,
            note=_note(note),
        )
        self._store(replace(item, versions=(*item.versions, version)))
        self.events.append(ItemEdited(self.circle_id, self.id, item_id, kind))

    def item_kind(self, item_id: str) -> ItemKind:
        """ "solution" or "comment": flags and moderation address an item by id alone."""
        return self._item(item_id)[0]

    def item_record(self, item_id: str) -> dict[str, Any]:
        """An item as stored, hidden or not, with every version and note: for moderators.

        An anonymous comment shows its pseudonym only: naming its author is the audited reveal's job.
        """
        kind, item = self._item(item_id)
        shown = item.shown_author if isinstance(item, Comment) else item.author_id
        record: dict[str, Any] = {
            "id": item.id,
            "kind": kind,
            "hidden": item.hidden,
            "moderation_note": item.moderation_note,
            "versions": [
                _version_state(replace(version, edited_by=shown) if version.edited_by == item.author_id else version)
                for version in item.versions
            ],
        }
        if isinstance(item, Solution):
            record |= {"author": item.author_id, "anonymous": False, "published_at": _iso(item.published_at)}
        else:
            record |= {
                "author": shown,
                "anonymous": item.anonymous,
                "solution_id": item.solution_id,
                "parent_id": item.parent_id,
                "at": item.at.isoformat(),
                "helpful": len(item.helpful_by),
            }
        return record

    def hidden_items(self) -> list["HiddenItem"]:
        """The task's hidden solutions and comments as the moderators' list shows them.

        An anonymous comment is shown by its pseudonym only, like everywhere else: the list must not become
        a way round the audited reveal.
        """
        found: list[HiddenItem] = []
        for solution in self.solutions.values():
            if solution.hidden:
                found.append(self._hidden(solution, "solution", solution.author_id, anonymous=False))
        for comment in self.comments.values():
            if comment.hidden:
                found.append(self._hidden(comment, "comment", comment.shown_author, anonymous=comment.anonymous))
        return found

    def _hidden(self, item: "Solution | Comment", kind: ItemKind, author: str, *, anonymous: bool) -> "HiddenItem":
        return HiddenItem(
            circle_id=self.circle_id,
            task_id=self.id,
            item_id=item.id,
            kind=kind,
            author=author,
            anonymous=anonymous,
            text=item.current.text,
            note=item.moderation_note,
            hidden_at=item.hidden_at,
        )

    # --- views for gamification, the library and the facilitator ------------------------------

    def solution(self, solution_id: str) -> Solution:
        solution = self.solutions.get(solution_id)
        if solution is None:
            raise NotFound("this task has no such solution", solution_id=solution_id)
        return solution

    def helpful_count(self, solution_id: str) -> int:
        """Helpful marks on the comments under the solution; hidden comments' marks do not count."""
        self.solution(solution_id)
        return sum(
            len(comment.helpful_by)
            for comment in self.comments.values()
            if comment.solution_id == solution_id and not comment.hidden
        )

    def dominance(self, threshold: float) -> dict[str, float]:
        """Voices whose share of the task's comments exceeds `threshold`, largest first, with their shares.

        So the facilitator can invite quieter people in. A voice is the author as readers see them: an
        anonymous author's pseudonym counts apart from their named comments, so the signal never ties the
        two together. Hidden comments count: they were said.
        """
        if not 0 < threshold <= 1:
            raise Invalid("threshold is a share above 0 and at most 1", field="threshold")
        total = len(self.comments)
        if total < DOMINANCE_MIN_COMMENTS:
            return {}
        counts = Counter(comment.shown_author for comment in self.comments.values())
        return {
            voice: count / total
            for voice, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
            if count / total > threshold
        }

    # --- guards and helpers ------------------------------------------------------------------

    def _require_open(self, message: str) -> None:
        if self.is_closed:
            raise Conflict(message, task_id=self.id)

    def _require_new_item_id(self, item_id: str) -> None:
        """Solutions and comments share one id space: moderation addresses either by id alone."""
        if item_id in self.solutions or item_id in self.comments:
            raise Conflict("this id is in use in this task already", item_id=item_id)

    def _solution_of(self, person_id: str) -> Solution | None:
        return next((s for s in self.solutions.values() if s.author_id == person_id), None)

    def _comment(self, comment_id: str) -> Comment:
        comment = self.comments.get(comment_id)
        if comment is None:
            raise NotFound("this task has no such comment", comment_id=comment_id)
        return comment

    def _item(self, item_id: str) -> tuple[ItemKind, Solution | Comment]:
        if item_id in self.solutions:
            return "solution", self.solutions[item_id]
        if item_id in self.comments:
            return "comment", self.comments[item_id]
        raise NotFound("this task has no such solution or comment", item_id=item_id)

    def _store(self, item: Solution | Comment) -> None:
        if isinstance(item, Solution):
            self.solutions[item.id] = item
        else:
            self.comments[item.id] = item

    # --- erasure -----------------------------------------------------------------------------

    def erase_person(self, person_id: str, replacement: str) -> bool:
        """Put a former employee in the person's place everywhere; False if the person is not here.

        Pseudonyms stay as they are: they were derived with a key the domain never sees and name no one.
        No event is recorded (an event would only carry the person's trace to Kafka).
        """
        people = self._person_ids()
        if person_id not in people:
            return False
        if replacement in people:
            raise ValueError("the replacement id is already in use in this task")

        def swap(value: str) -> str:
            return replacement if value == person_id else value

        def swap_versions(versions: Iterable[Version]) -> tuple[Version, ...]:
            return tuple(replace(version, edited_by=swap(version.edited_by)) for version in versions)

        self.published_by = swap(self.published_by)
        if self.closed_by is not None:
            self.closed_by = swap(self.closed_by)
        self.solutions = {
            key: replace(solution, author_id=swap(solution.author_id), versions=swap_versions(solution.versions))
            for key, solution in self.solutions.items()
        }
        self.comments = {
            key: replace(
                comment,
                author_id=swap(comment.author_id),
                versions=swap_versions(comment.versions),
                helpful_by=tuple(swap(marker) for marker in comment.helpful_by),
            )
            for key, comment in self.comments.items()
        }
        self.checks = [
            replace(check, person_id=swap(check.person_id), reviewer_id=swap(check.reviewer_id))
            for check in self.checks
        ]
        self.reflections = {
            swap(key): replace(reflection, person_id=swap(reflection.person_id))
            for key, reflection in self.reflections.items()
        }
        return True

    def _person_ids(self) -> set[str]:
        people = {self.published_by}
        if self.closed_by is not None:
            people.add(self.closed_by)
        items: list[Solution | Comment] = [*self.solutions.values(), *self.comments.values()]
        for item in items:
            people.add(item.author_id)
            people.update(version.edited_by for version in item.versions)
        for comment in self.comments.values():
            people.update(comment.helpful_by)
        for check in self.checks:
            people.update((check.person_id, check.reviewer_id))
        people.update(self.reflections)
        return people

    # --- state as plain data, for the repository ---------------------------------------------
    # Lists of documents only, never a list inside a list: FerretDB refuses nested arrays.

    def to_state(self) -> dict[str, Any]:
        return {
            "circle_id": self.circle_id,
            "statement": self.statement,
            "expected_outcome": self.expected_outcome,
            "due": self.due.isoformat(),
            "check_instructions": self.check_instructions,
            "published_by": self.published_by,
            "published_at": self.published_at.isoformat(),
            "status": self.status.value,
            "closed_at": _iso(self.closed_at),
            "closed_by": self.closed_by,
            "solutions": [
                {
                    "id": s.id,
                    "author_id": s.author_id,
                    "versions": [_version_state(version) for version in s.versions],
                    "published_at": _iso(s.published_at),
                    "hidden": s.hidden,
                    "moderation_note": s.moderation_note,
                    "hidden_at": _iso(s.hidden_at),
                }
                for s in self.solutions.values()
            ],
            "comments": [
                {
                    "id": c.id,
                    "solution_id": c.solution_id,
                    "parent_id": c.parent_id,
                    "author_id": c.author_id,
                    "anonymous": c.anonymous,
                    "pseudonym": c.pseudonym,
                    "versions": [_version_state(version) for version in c.versions],
                    "at": c.at.isoformat(),
                    "helpful_by": list(c.helpful_by),
                    "hidden": c.hidden,
                    "moderation_note": c.moderation_note,
                    "hidden_at": _iso(c.hidden_at),
                }
                for c in self.comments.values()
            ],
            "checks": [
                {
                    "person_id": check.person_id,
                    "reviewer_id": check.reviewer_id,
                    "passed": check.passed,
                    "note": check.note,
                    "at": check.at.isoformat(),
                }
                for check in self.checks
            ],
            "reflections": [
                {"person_id": r.person_id, "text": r.text, "at": r.at.isoformat()} for r in self.reflections.values()
            ],
        }

    @classmethod
    def from_state(cls, task_id: str, state: dict[str, Any]) -> "Task":
        solutions = [
            Solution(
                id=s["id"],
                author_id=s["author_id"],
                versions=tuple(_version_from(version) for version in s["versions"]),
                published_at=_from_iso(s.get("published_at")),
                hidden=s.get("hidden", False),
                moderation_note=s.get("moderation_note", ""),
                hidden_at=_from_iso(s.get("hidden_at")),
            )
            for s in state.get("solutions", [])
        ]
        comments = [
            Comment(
                id=c["id"],
                solution_id=c["solution_id"],
                parent_id=c.get("parent_id"),
                author_id=c["author_id"],
                anonymous=c["anonymous"],
                pseudonym=c.get("pseudonym"),
                versions=tuple(_version_from(version) for version in c["versions"]),
                at=datetime.fromisoformat(c["at"]),
                helpful_by=tuple(c.get("helpful_by", ())),
                hidden=c.get("hidden", False),
                moderation_note=c.get("moderation_note", ""),
                hidden_at=_from_iso(c.get("hidden_at")),
            )
            for c in state.get("comments", [])
        ]
        reflections = [
            Reflection(r["person_id"], r["text"], datetime.fromisoformat(r["at"])) for r in state.get("reflections", [])
        ]
        return cls(
            id=task_id,
            circle_id=state["circle_id"],
            statement=state["statement"],
            expected_outcome=state["expected_outcome"],
            due=date.fromisoformat(state["due"]),
            check_instructions=state.get("check_instructions", ""),
            published_by=state["published_by"],
            published_at=datetime.fromisoformat(state["published_at"]),
            status=TaskStatus(state["status"]),
            closed_at=_from_iso(state.get("closed_at")),
            closed_by=state.get("closed_by"),
            solutions={solution.id: solution for solution in solutions},
            comments={comment.id: comment for comment in comments},
            checks=[
                PracticalCheck(
                    person_id=check["person_id"],
                    reviewer_id=check["reviewer_id"],
                    passed=check["passed"],
                    note=check["note"],
                    at=datetime.fromisoformat(check["at"]),
                )
                for check in state.get("checks", [])
            ],
            reflections={reflection.person_id: reflection for reflection in reflections},
        )


# ---------------------------------------------------------------------------------------------
# Input checks and state helpers
# ---------------------------------------------------------------------------------------------


def _text(value: str, limit: int, field_name: str, empty_message: str) -> str:
    cleaned = value.strip()
    if not cleaned:
        raise Invalid(empty_message, field=field_name)
    if len(cleaned) > limit:
        raise Invalid(f"{field_name} is at most {limit} characters", field=field_name)
    return cleaned


def _note(value: str) -> str:
    cleaned = value.strip()
    if len(cleaned) > MAX_NOTE:
        raise Invalid(f"note is at most {MAX_NOTE} characters", field="note")
    return cleaned


def _links(links: Sequence[str]) -> tuple[str, ...]:
    """Web links only: a `javascript:` or `file:` link in a solution would be a trap for its readers."""
    if isinstance(links, str):
        raise Invalid("links is a list of URLs", field="links")
    cleaned = tuple(link.strip() for link in links)
    if len(cleaned) > MAX_LINKS:
        raise Invalid(f"a solution has at most {MAX_LINKS} links", field="links")
    for link in cleaned:
        if len(link) > MAX_REFERENCE or not _is_web_url(link):
            raise Invalid(f"not an http(s) URL: {link[:100]!r}", field="links")
    return cleaned


def _attachments(attachments: Sequence[str]) -> tuple[str, ...]:
    """References to files stored elsewhere (an upload id or a URL), never the files themselves."""
    if isinstance(attachments, str):
        raise Invalid("attachments is a list of references", field="attachments")
    cleaned = tuple(reference.strip() for reference in attachments)
    if len(cleaned) > MAX_ATTACHMENTS:
        raise Invalid(f"a solution has at most {MAX_ATTACHMENTS} attachments", field="attachments")
    for reference in cleaned:
        if len(reference) > MAX_REFERENCE or not (_ATTACHMENT_ID_RE.fullmatch(reference) or _is_web_url(reference)):
            raise Invalid(f"an attachment is an upload id or an http(s) URL: {reference[:100]!r}", field="attachments")
    return cleaned


def _is_web_url(text: str) -> bool:
    try:
        parts = urlsplit(text)
    except ValueError:  # e.g. an unbalanced IPv6 bracket
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and not any(char.isspace() for char in text)


def _version_state(version: Version) -> dict[str, Any]:
    return {
        "text": version.text,
        "links": list(version.links),
        "attachments": list(version.attachments),
        "at": version.at.isoformat(),
        "edited_by": version.edited_by,
        "note": version.note,
    }


def _version_from(state: dict[str, Any]) -> Version:
    return Version(
        text=state["text"],
        links=tuple(state.get("links", ())),
        attachments=tuple(state.get("attachments", ())),
        at=datetime.fromisoformat(state["at"]),
        edited_by=state["edited_by"],
        note=state.get("note", ""),
    )


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _from_iso(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None
