"""The gamification HTTP API."""

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Query
from pydantic import BaseModel, ConfigDict, Field

from gamification.bootstrap import Gamification, bootstrap
from gamification.domain.badges import BADGES
from gamification.domain.credentials import Issuer
from gamification.domain.engine import Rule
from gamification.domain.leaderboard import OwnRank, Row
from gamification.domain.levels import checked_levels, level_for
from gamification.domain.recalculation import Recalculation
from gamification.domain.rings import Ring
from gamification.domain.titles import TITLE_NAME_EN, TITLE_NAME_RU
from gamification.entrypoints.policy import GUARDRAILS
from gamification.service import badges as badge_cases
from gamification.service import handlers
from gamification.service import recalculation as recalculations
from gamification.service import rings as ring_cases
from gamification.service import standings as standing_cases
from gamification.service import titles as expert_titles
from shared.auth.http import caller
from shared.auth.tokens import Principal
from shared.http import health_router, prepare_app, privacy_router

MAX_OFFSET = 1_000_000
"""Paging skips at most this many: a bigger skip is never meant, and past 2**63 the database cannot take it."""


class LedgerEntryOut(BaseModel):
    id: str
    points: int
    rule: str
    title_ru: str | None
    title_en: str | None
    cause_event_id: str | None = Field(description="None for points from anonymous contributions")
    cause_event_type: str
    awarded_at: datetime = Field(description="For anonymous contributions only the day: no time to match against")
    corrects: str | None = Field(None, description="The entry this correction cancels")


class ConditionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    field: str
    op: Literal["eq", "ne", "in", "not_in", "gte", "lte", "exists"]
    value: Any = None


class ReversalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rule_id: str
    subject_field: str


class RuleIn(BaseModel):
    """A points rule: which event earns whom how many points, and within which limits."""

    model_config = ConfigDict(extra="forbid")

    expected_version: int = Field(description="The rule set's version you read: 409 if it changed since")
    event_type: str = Field(examples=["com.owlery.mentoring.meeting.logged.v1"])
    credits: str = Field(description="The event field naming who is credited (a list field credits each)")
    points: int = Field(1, description="1-1000; 0 for a rule that reverses another")
    conditions: list[ConditionIn] = Field(default_factory=list)
    cap_per_day: int | None = None
    cap_per_week: int | None = None
    cooldown_minutes: int | None = None
    not_own: str | None = Field(None, description="The event field naming the actor: no points for one's own content")
    subject_field: str | None = None
    reverses: ReversalIn | None = None
    title_ru: str
    title_en: str


class VersionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    expected_version: int


class RuleSetOut(BaseModel):
    version: int
    rules: list[dict[str, Any]]


class LevelOut(BaseModel):
    number: int
    name_ru: str
    name_en: str
    next_at: int | None = Field(description="The balance the next level needs; None at the top")


class AccountOut(BaseModel):
    person_id: str
    balance: int
    level: LevelOut
    rank: int | None = Field(
        None, description="All-time company rank, as if shown on the board; None until the first board is built"
    )
    ledger: list[LedgerEntryOut]


class BoardRowOut(BaseModel):
    rank: int = Field(description="Equal points share a rank")
    person_id: str
    display_name: str | None
    department: str | None
    points: int

    @classmethod
    def of(cls, row: Row) -> "BoardRowOut":
        return cls(
            rank=row.rank,
            person_id=row.person_id,
            display_name=row.display_name,
            department=row.department,
            points=row.points,
        )


class BoardOut(BaseModel):
    period: str = Field(examples=["all", "month", "week"])
    period_key: str = Field(description='Which month or ISO week: "2026-11", "2026-W48"; "all" for all time')
    scope: str = Field(examples=["company", "department", "circle"])
    scope_id: str | None
    total: int = Field(description="How many people the board lists (those who opted out never are)")
    rows: list[BoardRowOut]
    as_of: datetime = Field(description="When the board was computed (every few seconds)")


class DepartmentRowOut(BaseModel):
    rank: int
    department: str
    points: int
    active_members: int = Field(description="Members who earned points in the period")
    points_per_member: float


class DepartmentBoardOut(BaseModel):
    period: str
    period_key: str
    rows: list[DepartmentRowOut]
    as_of: datetime


class RankOut(BaseModel):
    person_id: str
    period: str
    period_key: str
    scope: str
    scope_id: str | None
    points: int = Field(description="Points on this board: anonymous contributions count from the next day")
    rank: int = Field(description="Counted as if the person appeared on the board")
    shown: bool = Field(description="False when the person opted out (or has no points here): others do not see them")
    above: list[BoardRowOut]
    below: list[BoardRowOut]
    total: int
    as_of: datetime


class VisibilityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    visible: bool = Field(description="False: appear on nobody's leaderboard (your own rank stays visible to you)")


class VisibilityOut(BaseModel):
    person_id: str
    visible: bool


class TitleOut(BaseModel):
    """One holder of "Expert of the month": a person, a scope and a count; no comment, no time of a mark."""

    title_id: str
    name_ru: str = Field(examples=[TITLE_NAME_RU])
    name_en: str = Field(examples=[TITLE_NAME_EN])
    person_id: str
    display_name: str | None
    scope: Literal["circle", "department"]
    scope_id: str
    title_month: str = Field(description="The month the title is held, YYYY-MM")
    counted_month: str = Field(description="The month whose helpful marks won it, YYYY-MM")
    helpful_marks: int = Field(description="How many of the person's comments in the scope were marked helpful")


class RingMemberOut(BaseModel):
    person_id: str
    display_name: str | None


class RingOut(BaseModel):
    """Two people of a circle who mark each other's comments helpful far above its norm (moderators only)."""

    ring_id: str
    circle_id: str
    members: list[RingMemberOut]
    episode: int = Field(description="1 for the pair's first ring; later ones count only marks after a decision")
    status: Literal["flagged", "confirmed", "reversed"]
    marks_each_way: list[int] = Field(description="Marks by the first member on the second's comments, and back")
    circle_median: float = Field(description="The circle's median marks per marking pair over the last 30 days")
    counted_from: date = Field(description="The first day whose marks counted (days only: no time of a mark)")
    flagged_on: date
    decided_by: str | None
    decided_on: date | None
    reason: str | None
    settled: bool = Field(description="The decision's points are all written to the ledger")


class RingDecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["confirmed", "reversed"] = Field(
        description="confirmed: the held points are credited again; reversed: they stay withdrawn"
    )
    reason: str = Field(min_length=1, max_length=1000, description="Kept in each member's audit log")


class BadgeOut(BaseModel):
    award_id: str
    badge_id: str
    name_ru: str
    name_en: str
    description_ru: str
    description_en: str
    scope_id: str | None = Field(description="What a per-item badge is for, e.g. the course id")
    earned_on: date
    earned_at: datetime | None = Field(
        description="None for a badge earned by anonymous contributions: only the day is kept, no time to match"
    )
    credential: str = Field(description="Where to export it as a signed Open Badges 3.0 credential")


class CredentialOut(BaseModel):
    award_id: str
    credential: str = Field(
        description="The OpenBadgeCredential as a compact JWS (Open Badges 3.0 JSON Web Token proof, EdDSA)"
    )
    media_type: str = "application/vc+jwt"
    jwks_url: str = Field(description="The issuer's public keys; the JWS header's kid names the one that signed")


class DifferenceOut(BaseModel):
    person_id: str
    current_public: int
    current_restricted: int
    replayed_public: int
    replayed_restricted: int
    change: int = Field(description="Points the application gives the person (negative: takes)")


class RecalculationOut(BaseModel):
    id: str
    ruleset_version: int = Field(description="The rule set version replayed; send it back to apply")
    status: Literal["dry_run", "applied"]
    computed_at: datetime
    as_of: datetime = Field(description="Deeds before this moment were replayed and compared with the ledger")
    applied_at: datetime | None
    people_changed: int
    points_difference: int = Field(description="Sum of the compensating entries")
    differences: list[DifferenceOut]

    @classmethod
    def of(cls, recalculation: Recalculation) -> "RecalculationOut":
        return cls(
            id=recalculation.id,
            ruleset_version=recalculation.ruleset_version,
            status=recalculation.status,
            computed_at=recalculation.computed_at,
            as_of=recalculation.as_of,
            applied_at=recalculation.applied_at,
            people_changed=recalculation.people_changed,
            points_difference=recalculation.points_difference,
            differences=[
                DifferenceOut(
                    person_id=d.person_id,
                    current_public=d.current.public,
                    current_restricted=d.current.restricted,
                    replayed_public=d.replayed.public,
                    replayed_restricted=d.replayed.restricted,
                    change=d.change,
                )
                for d in recalculation.differences
            ],
        )


class ApplicationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    expected_ruleset_version: int = Field(description="The dry run's rule set version: 409 if the rules moved since")


def create_app(service: Gamification | None = None) -> FastAPI:
    service = service or bootstrap()
    runtime = service.runtime
    levels = checked_levels(service.settings.levels)
    gatekeeper = runtime.gatekeeper(GUARDRAILS, is_blocked=service.people.is_blocked)
    app = prepare_app(FastAPI(title="Owlery gamification", version="0.1.0", lifespan=runtime.lifespan), gatekeeper)
    app.include_router(health_router({"database": runtime.database_ready, "broker": runtime.broker_ready}))

    async def export(person_id: str) -> dict[str, Any]:
        return await handlers.export_person(
            person_id, service.ledger, service.people, badges=service.badges, titles=service.titles
        )

    app.include_router(privacy_router("gamification", export, runtime.audit))

    @app.get("/people/{person_id}/points", response_model=AccountOut, tags=["points"])
    async def points(
        person_id: str,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    ) -> AccountOut:
        account = await standing_cases.account(
            person_id, service.standings, service.ledger, service.leaderboards, limit, offset
        )
        ruleset = await service.rules.in_force()

        def shown(entry: Any) -> LedgerEntryOut:
            rule = ruleset.rules.get(entry.rule)
            day = entry.awarded_at.replace(hour=0, minute=0, second=0, microsecond=0)
            return LedgerEntryOut(
                id=entry.id,
                points=entry.points,
                rule=entry.rule,
                title_ru=rule.title_ru if rule else None,
                title_en=rule.title_en if rule else None,
                # An anonymous contribution's points must not be matched to the public helpful mark by time.
                cause_event_id=None if entry.restricted else entry.cause_event_id,
                cause_event_type=entry.cause_event_type,
                awarded_at=day if entry.restricted else entry.awarded_at,
                corrects=entry.reverses,
            )

        reached, following = level_for(account.balance, levels)
        level = LevelOut(
            number=reached.number,
            name_ru=reached.name_ru,
            name_en=reached.name_en,
            next_at=following.points if following else None,
        )
        return AccountOut(
            person_id=account.person_id,
            balance=account.balance,
            level=level,
            rank=account.rank,
            ledger=[shown(e) for e in account.entries],
        )

    @app.get("/leaderboards", response_model=BoardOut, tags=["leaderboards"])
    async def leaderboard(
        period: str = "all",
        scope: str = "company",
        scope_id: str | None = None,
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
        offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    ) -> BoardOut:
        """A board, best first: all time, this month or this week; the company, a department or a circle."""
        boards = await service.leaderboards.current()
        page = boards.top(period, scope, scope_id, limit, offset)
        return BoardOut(
            period=period,
            period_key=boards.period_key(period),
            scope=scope,
            scope_id=scope_id if scope != "company" else None,
            total=page.total,
            rows=[BoardRowOut.of(row) for row in page.rows],
            as_of=boards.built_at,
        )

    @app.get("/leaderboards/departments", response_model=DepartmentBoardOut, tags=["leaderboards"])
    async def department_board(period: str = "all") -> DepartmentBoardOut:
        """Departments ranked by points per active member (members who earned points in the period)."""
        boards = await service.leaderboards.current()
        rows = boards.departments(period)
        return DepartmentBoardOut(
            period=period,
            period_key=boards.period_key(period),
            rows=[
                DepartmentRowOut(
                    rank=row.rank,
                    department=row.department,
                    points=row.points,
                    active_members=row.active_members,
                    points_per_member=round(row.points_per_member, 2),
                )
                for row in rows
            ],
            as_of=boards.built_at,
        )

    @app.get("/people/{person_id}/rank", response_model=RankOut, tags=["leaderboards"])
    async def rank(
        person_id: str,
        period: str = "all",
        scope: str = "company",
        scope_id: str | None = None,
        neighbours: int = 2,
    ) -> RankOut:
        """The person's rank with their neighbours above and below; counted even if they opted out."""
        boards = await service.leaderboards.current()
        own: OwnRank = boards.rank(person_id, period, scope, scope_id, neighbours)
        return RankOut(
            person_id=person_id,
            period=period,
            period_key=boards.period_key(period),
            scope=scope,
            scope_id=scope_id if scope != "company" else None,
            points=own.points,
            rank=own.rank,
            shown=own.shown,
            above=[BoardRowOut.of(row) for row in own.above],
            below=[BoardRowOut.of(row) for row in own.below],
            total=own.total,
            as_of=boards.built_at,
        )

    @app.put("/people/{person_id}/leaderboard-visibility", response_model=VisibilityOut, tags=["leaderboards"])
    async def leaderboard_visibility(person_id: str, body: VisibilityIn) -> VisibilityOut:
        """Appear on leaderboards or not; boards show the change within `leaderboard_refresh_seconds`."""
        await standing_cases.set_visibility(person_id, body.visible, service.leaderboards.members)
        return VisibilityOut(person_id=person_id, visible=body.visible)

    @app.get("/rules", response_model=RuleSetOut, tags=["rules"])
    async def rules() -> RuleSetOut:
        """The points rules in force (and the deactivated ones), with the set's version to edit against."""
        ruleset, _ = await service.rules.current()
        return RuleSetOut(version=ruleset.version, rules=[r.to_state() for _, r in sorted(ruleset.rules.items())])

    @app.put("/rules/{rule_id}", response_model=RuleSetOut, tags=["rules"])
    async def edit_rule(rule_id: str, body: RuleIn) -> RuleSetOut:
        """Create or change a rule (admins); every change is a RuleSetChanged event."""
        state = {**body.model_dump(exclude={"expected_version"}), "id": rule_id, "version": 1, "active": True}
        ruleset = await handlers.edit_rule(service.rules, body.expected_version, Rule.from_state(state))
        return RuleSetOut(version=ruleset.version, rules=[ruleset.rules[rule_id].to_state()])

    @app.post("/rules/{rule_id}/deactivation", response_model=RuleSetOut, tags=["rules"])
    async def deactivate_rule(rule_id: str, body: VersionIn) -> RuleSetOut:
        ruleset = await handlers.deactivate_rule(service.rules, body.expected_version, rule_id)
        return RuleSetOut(version=ruleset.version, rules=[ruleset.rules[rule_id].to_state()])

    @app.get("/titles", response_model=list[TitleOut], tags=["titles"])
    async def titles(month: str | None = None, scope: str | None = None, scope_id: str | None = None) -> list[TitleOut]:
        """Who holds "Expert of the month" in `month` (YYYY-MM, this month if left out), per circle and department."""
        found = await expert_titles.holders(month, scope, scope_id, service.clock(), service.titles, service.people)
        return [
            TitleOut(
                title_id=holder.title.title_id,
                name_ru=TITLE_NAME_RU,
                name_en=TITLE_NAME_EN,
                person_id=holder.title.person_id,
                display_name=holder.display_name,
                scope=holder.title.scope,
                scope_id=holder.title.scope_id,
                title_month=holder.title.title_month,
                counted_month=holder.title.counted_month,
                helpful_marks=holder.title.helpful_marks,
            )
            for holder in found
        ]

    issuer = Issuer(
        id=service.settings.badge_issuer_id,
        name=service.settings.badge_issuer_name,
        url=service.settings.badge_issuer_homepage,
    )

    @app.get("/badges/issuer", tags=["badges"])
    async def badge_issuer() -> dict[str, Any]:
        """The Open Badges 3.0 issuer Profile every credential names: public, for any verifier."""
        return issuer.published_profile()

    @app.get("/badges/issuer/jwks", tags=["badges"])
    async def badge_issuer_keys() -> dict[str, Any]:
        """The issuer's public signing key as a JWK set: public, so anyone can verify a credential."""
        return await service.issuer_key.jwks()

    @app.get("/people/{person_id}/badges", response_model=list[BadgeOut], tags=["badges"])
    async def person_badges(person_id: str) -> list[BadgeOut]:
        awards = await badge_cases.badges_of(person_id, service.badges)
        return [
            BadgeOut(
                award_id=award.id,
                badge_id=award.badge_id,
                name_ru=BADGES[award.badge_id].name_ru,
                name_en=BADGES[award.badge_id].name_en,
                description_ru=BADGES[award.badge_id].description_ru,
                description_en=BADGES[award.badge_id].description_en,
                scope_id=award.scope_id,
                earned_on=award.earned_on,
                earned_at=award.earned_at,
                credential=f"/people/{person_id}/badges/{award.id}/credential",
            )
            for award in awards
            if award.badge_id in BADGES
        ]

    @app.get("/people/{person_id}/badges/{award_id}/credential", response_model=CredentialOut, tags=["badges"])
    async def badge_credential(person_id: str, award_id: str, lang: Literal["en", "ru"] = "en") -> CredentialOut:
        """One of your badges as a signed Open Badges 3.0 credential, its texts in `lang`."""
        signed, _ = await badge_cases.credential(person_id, award_id, service.badges, service.issuer_key, issuer, lang)
        return CredentialOut(award_id=award_id, credential=signed, jwks_url=service.settings.badge_jwks_url)

    @app.post("/recalculations", response_model=RecalculationOut, status_code=201, tags=["recalculations"])
    async def dry_run_recalculation() -> RecalculationOut:
        """Replay every stored deed under the rules in force and show, per person, how far the ledger is from it."""
        found = await recalculations.dry_run(
            service.deeds,
            service.ledger,
            service.rules,
            service.recalculations,
            service.people,
            withheld=await service.rings.withheld_deeds(),
        )
        return RecalculationOut.of(found)

    @app.get("/recalculations/{recalculation_id}", response_model=RecalculationOut, tags=["recalculations"])
    async def recalculation(recalculation_id: str) -> RecalculationOut:
        return RecalculationOut.of(await recalculations.get(recalculation_id, service.recalculations))

    @app.post(
        "/recalculations/{recalculation_id}/application", response_model=RecalculationOut, tags=["recalculations"]
    )
    async def apply_recalculation(recalculation_id: str, body: ApplicationIn) -> RecalculationOut:
        """Write the compensating entries of a dry run (once; 409 if the rules changed since it)."""
        applied = await recalculations.apply(
            recalculation_id,
            body.expected_ruleset_version,
            service.ledger,
            service.rules,
            service.recalculations,
            service.people,
        )
        return RecalculationOut.of(applied)

    async def ring_out(ring: Ring) -> RingOut:
        members = []
        for person_id in ring.members:
            copy = await service.people.get(person_id)
            name = copy.fields.get("display_name") if copy is not None and not copy.erased else None
            members.append(RingMemberOut(person_id=person_id, display_name=name if isinstance(name, str) else None))
        return RingOut(
            ring_id=ring.ring_id,
            circle_id=ring.circle_id,
            members=members,
            episode=ring.episode,
            status=ring.status,
            marks_each_way=list(ring.marks_each_way),
            circle_median=ring.circle_median,
            counted_from=ring.since.date(),
            flagged_on=ring.flagged_at.date(),
            decided_by=ring.decided_by,
            decided_on=ring.decided_at.date() if ring.decided_at else None,
            reason=ring.reason,
            settled=ring.settled,
        )

    @app.get("/rings", response_model=list[RingOut], tags=["rings"])
    async def rings(status: str | None = None) -> list[RingOut]:
        """Reciprocal rings for moderators, newest first; `status` flagged, confirmed or reversed."""
        return [await ring_out(ring) for ring in await ring_cases.rings_to_review(status, service.rings)]

    @app.get("/rings/{ring_id}", response_model=RingOut, tags=["rings"])
    async def ring(ring_id: str) -> RingOut:
        return await ring_out(await ring_cases.ring(ring_id, service.rings))

    @app.post("/rings/{ring_id}/decision", response_model=RingOut, tags=["rings"])
    async def decide_ring(ring_id: str, body: RingDecisionIn, who: Annotated[Principal, Depends(caller)]) -> RingOut:
        """Confirm (the held points are credited again) or reverse (they stay withdrawn) a flagged ring; once."""
        decided = await ring_cases.decide(
            ring_id,
            body.decision,
            who.person_id,
            body.reason,
            service.clock(),
            service.rings,
            service.ledger,
            service.deeds,
            runtime.audit,
        )
        return await ring_out(decided)

    return app


def app() -> FastAPI:
    """Factory for `uvicorn --factory gamification.entrypoints.http:app`."""
    return create_app()
