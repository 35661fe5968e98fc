"""The gamification HTTP API."""

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import FastAPI, Query
from pydantic import BaseModel, ConfigDict, Field

from gamification.bootstrap import Gamification, bootstrap
from gamification.domain.engine import Rule
from gamification.domain.levels import checked_levels, level_for
from gamification.entrypoints.policy import GUARDRAILS
from gamification.service import handlers
from shared.http import health_router, prepare_app, privacy_router


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
    ledger: list[LedgerEntryOut]


def create_app(service: Gamification | None = None) -> FastAPI:
    service = service or bootstrap()
    runtime = service.runtime
    levels = checked_levels(service.settings.levels)
    gatekeeper = runtime.gatekeeper(GUARDRAILS, is_blocked=service.people.is_blocked)
    app = prepare_app(FastAPI(title="Owlery gamification", version="0.1.0", lifespan=runtime.lifespan), gatekeeper)
    app.include_router(health_router({"database": runtime.database_ready, "broker": runtime.broker_ready}))

    async def export(person_id: str) -> dict[str, Any]:
        return await handlers.export_person(person_id, service.ledger, service.people)

    app.include_router(privacy_router("gamification", export, runtime.audit))

    @app.get("/people/{person_id}/points", response_model=AccountOut, tags=["points"])
    async def points(
        person_id: str,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> AccountOut:
        account = await handlers.account(person_id, service.ledger, limit, offset)
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
            ledger=[shown(e) for e in account.entries],
        )

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

    return app


def app() -> FastAPI:
    """Factory for `uvicorn --factory gamification.entrypoints.http:app`."""
    return create_app()
