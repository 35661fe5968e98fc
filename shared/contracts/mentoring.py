"""Events the mentoring service publishes: programmes, nominations, matching, pairs, concerns, the channel.

None carries confidential text: no meeting notes, no check-in answers, no concern text, no feedback
ratings or words tied to a person. They say that something happened, to whom, and when.
Every event is keyed by its programme, so one programme's story stays in order on one partition.
"""

from datetime import date, datetime
from typing import ClassVar, Literal

from pydantic import Field

from shared.contracts.base import IntegrationEvent

TOPIC = "owlery.mentoring.events"

ProgrammeKind = Literal["classic", "reverse", "peer"]
RoleName = Literal["mentor", "mentee"]


class _MentoringEvent(IntegrationEvent):
    topic: ClassVar[str] = TOPIC
    key_field: ClassVar[str] = "programme_id"

    programme_id: str


# ------------------------------------------------------------------------------------------ programmes


class ProgrammeCreatedV1(_MentoringEvent):
    """A curator drafted a mentoring programme."""

    ce_type: ClassVar[str] = "com.owlery.mentoring.programme.created.v1"

    title: str
    kind: ProgrammeKind


class ProgrammeStageChangedV1(_MentoringEvent):
    """The programme moved on: open for nominations, matching, running, closing (final feedback), closed."""

    ce_type: ClassVar[str] = "com.owlery.mentoring.programme.stage_changed.v1"

    title: str
    stage: Literal["draft", "open", "matching", "running", "closing", "closed"]
    curator_ids: list[str]


class KickoffScheduledV1(_MentoringEvent):
    """The programme's kickoff meeting is set; everyone taking part is invited."""

    ce_type: ClassVar[str] = "com.owlery.mentoring.kickoff.scheduled.v1"

    title: str
    starts_at: datetime
    participant_ids: list[str]


class KickoffHeldV1(_MentoringEvent):
    """The kickoff took place: pairs whose members have prepared may start."""

    ce_type: ClassVar[str] = "com.owlery.mentoring.kickoff.held.v1"

    held_at: datetime


class PreparationAcknowledgedV1(_MentoringEvent):
    """A participant read the preparation module."""

    ce_type: ClassVar[str] = "com.owlery.mentoring.preparation.acknowledged.v1"

    person_id: str


# ------------------------------------------------------------------------------------------ people


class NominationSubmittedV1(_MentoringEvent):
    """Someone was put forward as a mentor, by themselves or by a colleague (the reason stays in mentoring)."""

    ce_type: ClassVar[str] = "com.owlery.mentoring.nomination.submitted.v1"

    nomination_id: str
    person_id: str
    recommended: bool = Field(description="True when a colleague recommended them (they still have to consent)")
    curator_ids: list[str]


class NominationDecidedV1(_MentoringEvent):
    """The curator accepted or declined a nomination."""

    ce_type: ClassVar[str] = "com.owlery.mentoring.nomination.decided.v1"

    nomination_id: str
    person_id: str
    accepted: bool


class NominationWithdrawnV1(_MentoringEvent):
    """The nominee declined to mentor, before or after consenting."""

    ce_type: ClassVar[str] = "com.owlery.mentoring.nomination.withdrawn.v1"

    nomination_id: str
    person_id: str


class ParticipantRegisteredV1(_MentoringEvent):
    """An employee joined a programme as a mentor (accepted nomination) or a mentee."""

    ce_type: ClassVar[str] = "com.owlery.mentoring.participant.registered.v1"

    programme_title: str
    person_id: str
    role: RoleName
    locale: Literal["ru", "en"]


class ParticipantLeftV1(_MentoringEvent):
    """A participant left the programme (participation is voluntary); their pairs end."""

    ce_type: ClassVar[str] = "com.owlery.mentoring.participant.left.v1"

    person_id: str
    role: RoleName


# ------------------------------------------------------------------------------------------ matching


class MatchingProposedV1(_MentoringEvent):
    """The curator ran matching over the pool; the proposal waits for approval."""

    ce_type: ClassVar[str] = "com.owlery.mentoring.matching.proposed.v1"

    proposal_id: str
    pairs: int
    unmatched: int
    curator_ids: list[str]


class MatchingApprovedV1(_MentoringEvent):
    """The curator approved a proposal; one PairFormedV1 follows per pair."""

    ce_type: ClassVar[str] = "com.owlery.mentoring.matching.approved.v1"

    proposal_id: str
    pairs: int


class MentorRequestedV1(_MentoringEvent):
    """A mentee asked a mentor directly."""

    ce_type: ClassVar[str] = "com.owlery.mentoring.mentor_request.made.v1"

    request_id: str
    mentee_id: str
    mentor_id: str


class MentorRequestDecidedV1(_MentoringEvent):
    """The mentor accepted or declined a direct request."""

    ce_type: ClassVar[str] = "com.owlery.mentoring.mentor_request.decided.v1"

    request_id: str
    mentee_id: str
    mentor_id: str
    accepted: bool


# ------------------------------------------------------------------------------------------ pairs


class PairFormedV1(_MentoringEvent):
    """A mentor and their mentee(s) were paired: by matching, a direct request or a rematch."""

    ce_type: ClassVar[str] = "com.owlery.mentoring.pair.formed.v1"

    pair_id: str
    programme_title: str
    kind: ProgrammeKind
    mentor_id: str
    mentee_ids: list[str]
    via: Literal["matching", "request", "rematch"]
    curator_ids: list[str]


class PairStartedV1(_MentoringEvent):
    """Kickoff held and preparation acknowledged by every member: the pair is at work."""

    ce_type: ClassVar[str] = "com.owlery.mentoring.pair.started.v1"

    pair_id: str
    member_ids: list[str]


class PairEndedV1(_MentoringEvent):
    """A pair ended: the programme completed, someone left, a rematch, or the curator closed it."""

    ce_type: ClassVar[str] = "com.owlery.mentoring.pair.ended.v1"

    pair_id: str
    reason: Literal["completed", "left", "rematch", "closed"]
    member_ids: list[str]
    curator_ids: list[str]
    mentor_id: str | None = Field(
        None, description="The pair's mentor; absent from events published before it was added"
    )


class PairMemberLeftV1(_MentoringEvent):
    """One mentee left a group; the group goes on."""

    ce_type: ClassVar[str] = "com.owlery.mentoring.pair.member_left.v1"

    pair_id: str
    person_id: str


class GoalSetV1(_MentoringEvent):
    """A pair recorded a goal (its text stays with the pair); `flagged` lists SMART letters saved anyway."""

    ce_type: ClassVar[str] = "com.owlery.mentoring.goal.set.v1"

    pair_id: str
    goal_id: str
    due: date
    flagged: list[str]


class GoalProgressedV1(_MentoringEvent):
    """A goal's progress changed (whole percent)."""

    ce_type: ClassVar[str] = "com.owlery.mentoring.goal.progressed.v1"

    pair_id: str
    goal_id: str
    progress: int


class GoalAchievedV1(_MentoringEvent):
    """A goal reached 100 % for the first time."""

    ce_type: ClassVar[str] = "com.owlery.mentoring.goal.achieved.v1"

    pair_id: str
    goal_id: str
    mentor_id: str
    mentee_ids: list[str]


class MeetingScheduledV1(_MentoringEvent):
    """A pair set a meeting (for reminders and calendar invites)."""

    ce_type: ClassVar[str] = "com.owlery.mentoring.meeting.scheduled.v1"

    pair_id: str
    meeting_id: str
    starts_at: datetime
    minutes: int
    member_ids: list[str]


class MeetingLoggedV1(_MentoringEvent):
    """A pair met: when and how long. Topics and notes stay with the pair."""

    ce_type: ClassVar[str] = "com.owlery.mentoring.meeting.logged.v1"

    pair_id: str
    meeting_id: str
    mentor_id: str
    mentee_ids: list[str]
    held_on: date
    minutes: int


class CheckInRecordedV1(_MentoringEvent):
    """A participant answered the monthly check-in (answers and score stay in mentoring)."""

    ce_type: ClassVar[str] = "com.owlery.mentoring.check_in.recorded.v1"

    pair_id: str
    person_id: str
    month: str = Field(pattern=r"^\d{4}-\d{2}$")


class FeedbackGivenV1(_MentoringEvent):
    """A participant gave final feedback; its rating and words are reported only in aggregate."""

    ce_type: ClassVar[str] = "com.owlery.mentoring.feedback.given.v1"

    pair_id: str
    person_id: str
    role: RoleName


class ExperimentPublishedV1(_MentoringEvent):
    """A reverse-mentoring pair published an idea experiment to the programme."""

    ce_type: ClassVar[str] = "com.owlery.mentoring.experiment.published.v1"

    pair_id: str
    experiment_id: str


class PairAtRiskV1(_MentoringEvent):
    """A pair looks in trouble; for its curators. Reasons are codes, never the pair's words."""

    ce_type: ClassVar[str] = "com.owlery.mentoring.pair.at_risk.v1"

    pair_id: str
    curator_ids: list[str]
    reasons: list[Literal["no_recent_meeting", "goals_stalled", "low_check_in"]]


class PairRecoveredV1(_MentoringEvent):
    """A pair that was at risk is healthy again."""

    ce_type: ClassVar[str] = "com.owlery.mentoring.pair.recovered.v1"

    pair_id: str
    curator_ids: list[str]


class MenteeAdaptedV1(_MentoringEvent):
    """A newcomer mentee of a classic pair adapted, as their curator or manager recorded (the note stays here)."""

    ce_type: ClassVar[str] = "com.owlery.mentoring.pair.mentee_adapted.v1"

    pair_id: str
    person_id: str = Field(description="The mentee who adapted")
    mentor_id: str
    adapted_on: date
    days_to_adapt: int = Field(ge=0, description="Days from the mentee's start (their pair's start) to adapted_on")


# ------------------------------------------------------------------------------------------ curator's desk


class ConcernRaisedV1(_MentoringEvent):
    """Someone raised a confidential concern about their pair; who and what stay with the curator."""

    ce_type: ClassVar[str] = "com.owlery.mentoring.concern.raised.v1"

    concern_id: str
    pair_id: str
    curator_ids: list[str]


class ConcernActionRecordedV1(_MentoringEvent):
    """The curator acted on a concern (talk, rematch, close the pair, a note)."""

    ce_type: ClassVar[str] = "com.owlery.mentoring.concern.action_recorded.v1"

    concern_id: str
    action: Literal["talk", "rematch", "close_pair", "note"]


class ConcernResolvedV1(_MentoringEvent):
    """The curator closed a concern case."""

    ce_type: ClassVar[str] = "com.owlery.mentoring.concern.resolved.v1"

    concern_id: str
    pair_id: str
    outcome: Literal["talked", "rematched", "pair_closed", "no_action"]


class PostPublishedV1(_MentoringEvent):
    """The curator published an article, news or a success story in the programme's channel."""

    ce_type: ClassVar[str] = "com.owlery.mentoring.post.published.v1"

    post_id: str
    kind: Literal["article", "news", "success_story"]
    title: str
    author_id: str


# ------------------------------------------------------------------------------------------ peer-learning circles

RESTRICTED_TOPIC = "owlery.mentoring.restricted"
"""Events that name the real author of anonymous content: for gamification's credits and the author's
own notices only. Subscribers need the platform's permission; everything on TOPIC stays anonymous."""

ItemKind = Literal["solution", "comment"]


class _CircleEvent(IntegrationEvent):
    topic: ClassVar[str] = TOPIC
    key_field: ClassVar[str] = "circle_id"

    circle_id: str


class _RestrictedCircleEvent(_CircleEvent):
    topic: ClassVar[str] = RESTRICTED_TOPIC


class CircleCreatedV1(_CircleEvent):
    """A peer-learning circle was started; its creator facilitates it."""

    ce_type: ClassVar[str] = "com.owlery.mentoring.circle.created.v1"

    topic_title: str = Field(description="What the circle learns, e.g. 'CRM automations'")
    created_by: str


class MemberJoinedV1(_CircleEvent):
    """Someone joined a circle with a role and their declared experience on its topic."""

    ce_type: ClassVar[str] = "com.owlery.mentoring.circle.member_joined.v1"

    person_id: str
    role: Literal["facilitator", "expert", "reviewer", "librarian", "member"]
    experience: Literal["beginner", "practitioner", "expert"]


class JoinRequestedV1(_CircleEvent):
    """Someone asked to join a circle that admits by request."""

    ce_type: ClassVar[str] = "com.owlery.mentoring.circle.join_requested.v1"

    person_id: str


class MemberRoleChangedV1(_CircleEvent):
    """A member's circle role changed (facilitator, expert, reviewer, librarian, member)."""

    ce_type: ClassVar[str] = "com.owlery.mentoring.circle.role_changed.v1"

    person_id: str
    role: Literal["facilitator", "expert", "reviewer", "librarian", "member"]


class MemberLeftV1(_CircleEvent):
    """A member left a circle."""

    ce_type: ClassVar[str] = "com.owlery.mentoring.circle.member_left.v1"

    person_id: str


class TaskPublishedV1(_CircleEvent):
    """A facilitator set the circle a concrete task."""

    ce_type: ClassVar[str] = "com.owlery.mentoring.task.published.v1"

    task_id: str
    published_by: str
    due: date


class TaskClosedV1(_CircleEvent):
    """A task closed; its participants may now reflect on what changed in their understanding."""

    ce_type: ClassVar[str] = "com.owlery.mentoring.task.closed.v1"

    task_id: str
    participant_ids: list[str] = Field(description="Authors of solutions and of non-anonymous comments")


class SolutionPublishedV1(_CircleEvent):
    """A member published their solution of a task to the circle."""

    ce_type: ClassVar[str] = "com.owlery.mentoring.solution.published.v1"

    task_id: str
    solution_id: str
    author_id: str


class CommentPostedV1(_CircleEvent):
    """A comment on a solution; `author` is a pseudonym (stable within the task) when it is anonymous."""

    ce_type: ClassVar[str] = "com.owlery.mentoring.comment.posted.v1"

    task_id: str
    comment_id: str
    solution_id: str
    author: str
    anonymous: bool


class CommentMarkedHelpfulV1(_CircleEvent):
    """A member marked a comment helpful; `author` is the pseudonym when the comment is anonymous."""

    ce_type: ClassVar[str] = "com.owlery.mentoring.comment.marked_helpful.v1"

    task_id: str
    comment_id: str
    author: str
    anonymous: bool
    marked_by: str


class PracticalCheckRecordedV1(_CircleEvent):
    """A reviewer saw a member show the skill ("show how you would do it now"): passed or not yet."""

    ce_type: ClassVar[str] = "com.owlery.mentoring.practical_check.recorded.v1"

    task_id: str
    person_id: str
    reviewer_id: str
    passed: bool


class ItemHiddenV1(_CircleEvent):
    """A moderator hid a solution or comment (it stays stored and auditable)."""

    ce_type: ClassVar[str] = "com.owlery.mentoring.item.hidden.v1"

    task_id: str
    item_id: str
    kind: ItemKind


class ItemRestoredV1(_CircleEvent):
    """A moderator restored a hidden solution or comment."""

    ce_type: ClassVar[str] = "com.owlery.mentoring.item.restored.v1"

    task_id: str
    item_id: str
    kind: ItemKind


class ItemEditedV1(_CircleEvent):
    """A moderator edited a solution or comment, with a note visible to readers."""

    ce_type: ClassVar[str] = "com.owlery.mentoring.item.edited.v1"

    task_id: str
    item_id: str
    kind: ItemKind


class FlagRaisedV1(_CircleEvent):
    """Someone flagged a solution or comment for the moderators (the flagger is not named)."""

    ce_type: ClassVar[str] = "com.owlery.mentoring.flag.raised.v1"

    flag_id: str
    task_id: str
    item_kind: ItemKind
    reason: Literal["false_information", "rudeness", "spam", "dominance"]


class FlagResolvedV1(_CircleEvent):
    """A moderator handled a flag."""

    ce_type: ClassVar[str] = "com.owlery.mentoring.flag.resolved.v1"

    flag_id: str
    outcome: Literal["hidden", "edited", "restored", "dismissed"]


class SolutionPromotedV1(_CircleEvent):
    """A solution entered the circle's library of solutions; promotion credits its author."""

    ce_type: ClassVar[str] = "com.owlery.mentoring.solution.promoted.v1"

    task_id: str
    solution_id: str
    author_id: str
    entry_id: str
    promoted_by: str


class CoffeePairFormedV1(_CircleEvent):
    """This week's random coffee: two members who opted in, from different departments where possible."""

    ce_type: ClassVar[str] = "com.owlery.mentoring.coffee.pair_formed.v1"

    round_id: str
    person_ids: list[str]


class HelpfulCommentCreditV1(_RestrictedCircleEvent):
    """RESTRICTED: the real author of a comment someone marked helpful, for gamification's credit."""

    ce_type: ClassVar[str] = "com.owlery.mentoring.comment.helpful_credit.v1"

    task_id: str
    comment_id: str
    author_id: str
    marked_by: str


class HelpfulCreditsRevokedV1(_RestrictedCircleEvent):
    """RESTRICTED: a comment with helpful marks was hidden: its author's credits are to be reversed."""

    ce_type: ClassVar[str] = "com.owlery.mentoring.comment.credits_revoked.v1"

    task_id: str
    comment_id: str
    author_id: str
    marks: int


class HelpfulCreditsRestoredV1(_RestrictedCircleEvent):
    """RESTRICTED: a hidden comment was restored: its author's credits stand again."""

    ce_type: ClassVar[str] = "com.owlery.mentoring.comment.credits_restored.v1"

    task_id: str
    comment_id: str
    author_id: str
    marks: int


class AuthorRevealedV1(_RestrictedCircleEvent):
    """RESTRICTED: a moderator revealed who wrote an anonymous comment (the reason is in the audit log).

    The author is told; nobody else learns it from an event."""

    ce_type: ClassVar[str] = "com.owlery.mentoring.comment.author_revealed.v1"

    task_id: str
    comment_id: str
    author_id: str
    moderator_id: str


# ------------------------------------------------------------------------------------------ brainstorms


class BrainstormOpenedV1(_CircleEvent):
    """A member put a real case to the circle and facilitates a brainstorm on it."""

    ce_type: ClassVar[str] = "com.owlery.mentoring.brainstorm.opened.v1"

    brainstorm_id: str
    facilitator_id: str
    votes_per_member: int = Field(description="Votes each member may cast once the idea phase closes, 1-10")


class BrainstormIdeaAddedV1(_CircleEvent):
    """A member added an idea; `author` is a pseudonym (stable within the brainstorm) when it is anonymous."""

    ce_type: ClassVar[str] = "com.owlery.mentoring.brainstorm.idea_added.v1"

    brainstorm_id: str
    idea_id: str
    author: str
    anonymous: bool


class BrainstormVotingStartedV1(_CircleEvent):
    """The facilitator closed the idea phase: members may now cast their votes."""

    ce_type: ClassVar[str] = "com.owlery.mentoring.brainstorm.voting_started.v1"

    brainstorm_id: str
    ideas: int


class BrainstormVotedV1(_CircleEvent):
    """A member cast one of their votes for an idea."""

    ce_type: ClassVar[str] = "com.owlery.mentoring.brainstorm.voted.v1"

    brainstorm_id: str
    idea_id: str
    person_id: str


class BrainstormDecidedV1(_CircleEvent):
    """The facilitator recorded the decision and its owners; the summary is in the knowledge base."""

    ce_type: ClassVar[str] = "com.owlery.mentoring.brainstorm.decided.v1"

    brainstorm_id: str
    facilitator_id: str
    owner_ids: list[str] = Field(description="Who carries the decision out")
    themes: int
    ideas: int
    votes: int
    knowledge_item_id: str


# ------------------------------------------------------------------------------------------ knowledge base


class KnowledgeItemStaleV1(IntegrationEvent):
    """A knowledge-base item's last review is older than its review period: its owner is asked to review it."""

    ce_type: ClassVar[str] = "com.owlery.mentoring.knowledge.item_stale.v1"
    topic: ClassVar[str] = TOPIC
    key_field: ClassVar[str] = "item_id"

    item_id: str
    owner_id: str = Field(description="Who is asked to review the item")
    title: str
    item_type: Literal["solution", "brainstorm", "master_class", "conference_talk", "internship_report", "article"]
    last_reviewed_at: datetime
    review_days: int = Field(description="The item's review period in days")


class KnowledgeItemReviewedV1(IntegrationEvent):
    """The owner or a curator vouched for a knowledge-base item again; its review date is now.

    `first_independent_review` is true once per item: the first time someone other than its owner
    reviewed it, which is what makes it a reviewed item worth points to its owner."""

    ce_type: ClassVar[str] = "com.owlery.mentoring.knowledge.item_reviewed.v1"
    topic: ClassVar[str] = TOPIC
    key_field: ClassVar[str] = "item_id"

    item_id: str
    owner_id: str
    reviewer_id: str
    title: str
    item_type: Literal["solution", "brainstorm", "master_class", "conference_talk", "internship_report", "article"]
    first_independent_review: bool


# ------------------------------------------------------------------------------------------ exchange internships

UnitRef = str  # "department:<id>" for a team or training centre of the company, "partner:<id>" for a partner


class _PlacementEvent(IntegrationEvent):
    topic: ClassVar[str] = TOPIC
    key_field: ClassVar[str] = "placement_id"

    placement_id: str


class PartnerRegisteredV1(IntegrationEvent):
    """An admin registered a partner organisation or outside training centre that can host and send people."""

    ce_type: ClassVar[str] = "com.owlery.mentoring.partner.registered.v1"
    topic: ClassVar[str] = TOPIC
    key_field: ClassVar[str] = "partner_id"

    partner_id: str
    name: str
    kind: Literal["organisation", "training_centre"]
    registered_by: str


class PlacementOfferedV1(_PlacementEvent):
    """A host team, training centre or partner offers exchange placements; `host_id` receives the guests."""

    ce_type: ClassVar[str] = "com.owlery.mentoring.placement.offered.v1"

    host_unit: UnitRef
    host_id: str
    title: str = Field(description="The placement's subject, e.g. 'Neural networks in quality analysis'")
    starts_on: date
    ends_on: date
    seats: int
    guest_learns: str = Field(description="What the guest will learn at the host")
    host_learns_back: str = Field(description="What the host hopes to learn from the guest")
    competencies: list[str]


class InternshipAppliedV1(_PlacementEvent):
    """An employee applied for a placement with their goals; their manager is asked to approve."""

    ce_type: ClassVar[str] = "com.owlery.mentoring.internship.applied.v1"

    internship_id: str
    guest_id: str
    guest_unit: UnitRef
    manager_id: str


class InternshipApprovedV1(_PlacementEvent):
    """The guest's manager approved the internship; it takes one of the placement's seats."""

    ce_type: ClassVar[str] = "com.owlery.mentoring.internship.approved.v1"

    internship_id: str
    guest_id: str
    manager_id: str
    host_id: str


class InternshipDeclinedV1(_PlacementEvent):
    """The guest's manager declined the internship (the reason goes to the guest only)."""

    ce_type: ClassVar[str] = "com.owlery.mentoring.internship.declined.v1"

    internship_id: str
    guest_id: str
    manager_id: str


class InternshipGoalsAgreedV1(_PlacementEvent):
    """Host and guest agreed the internship's goals (checked as SMART)."""

    ce_type: ClassVar[str] = "com.owlery.mentoring.internship.goals_agreed.v1"

    internship_id: str
    guest_id: str
    host_id: str
    goals: int


class InternshipLoggedV1(_PlacementEvent):
    """The guest added an entry to their internship log (its text stays in the internship)."""

    ce_type: ClassVar[str] = "com.owlery.mentoring.internship.logged.v1"

    internship_id: str
    guest_id: str
    entries: int = Field(description="How many entries the log has now")


class InternshipFeedbackGivenV1(_PlacementEvent):
    """The guest or the host gave their final feedback (its words and rating stay in the internship)."""

    ce_type: ClassVar[str] = "com.owlery.mentoring.internship.feedback_given.v1"

    internship_id: str
    person_id: str
    role: Literal["guest", "host"]


class InternshipCompletedV1(_PlacementEvent):
    """Both sides gave their final feedback: the guest was hosted, and the units' reciprocity counts grow."""

    ce_type: ClassVar[str] = "com.owlery.mentoring.internship.completed.v1"

    internship_id: str
    guest_id: str
    host_id: str
    guest_unit: UnitRef
    host_unit: UnitRef


class InternshipReportPublishedV1(_PlacementEvent):
    """The guest published their internship report to the knowledge base; their host is told."""

    ce_type: ClassVar[str] = "com.owlery.mentoring.internship.report_published.v1"

    internship_id: str
    guest_id: str
    title: str
    knowledge_item_id: str
    host_id: str | None = Field(None, description="Who hosted the guest (absent from the first records of v1)")
