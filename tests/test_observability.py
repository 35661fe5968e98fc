"""One trace from an HTTP request through three services, and the metrics each serves, on the real broker and
store (issue 11).

Enrolment, gamification and notifications run in this process (so one in-memory exporter sees every span),
on their own databases and consumer groups but one topic prefix, as one deployment would. A colleague applies
for a course: the request's span, the enrolment relay's publish, gamification's consumer (which prices the
enrolment and writes points), its publish, and notifications' consumer of those points all carry one trace id.
Then each service's /metrics is scraped and parsed: request latency by route and status, events published and
consumed by type, the outbox backlog and the consumer lag per topic-partition.
"""

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from prometheus_client.parser import text_string_to_metric_families

from enrolment.bootstrap import bootstrap as enrolment_bootstrap
from enrolment.config import EnrolmentSettings
from enrolment.entrypoints.http import create_app as enrolment_app
from gamification.bootstrap import bootstrap as gamification_bootstrap
from gamification.config import GamificationSettings
from gamification.entrypoints.http import create_app as gamification_app
from notifications.bootstrap import bootstrap as notifications_bootstrap
from notifications.config import NotificationsSettings
from notifications.entrypoints.http import create_app as notifications_app
from shared.auth.testing import TestIssuer
from shared.settings import ServiceSettings
from shared.tracing import export_to
from tests.support.infra import Servers, isolated, remove, unique
from tests.support.kafka import eventually

pytestmark = pytest.mark.infra

SPANS = InMemorySpanExporter()
export_to(SPANS)


@contextlib.asynccontextmanager
async def serving(app: FastAPI, name: str) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=f"http://{name}") as client,
    ):
        yield client


def samples(text: str, metric: str) -> list[tuple[dict[str, str], float]]:
    """The samples of one metric family in a Prometheus text exposition, as (labels, value)."""
    found = []
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == metric:
                found.append((dict(sample.labels), sample.value))
    return found


async def test_one_trace_spans_enrolment_gamification_and_notifications_and_each_serves_metrics(
    servers: Servers,
) -> None:
    prefix = f"{unique('obs')}."
    settings: list[ServiceSettings] = [
        isolated(EnrolmentSettings, servers, "enrolment", topic_prefix=prefix),
        isolated(GamificationSettings, servers, "gamification", topic_prefix=prefix),
        isolated(NotificationsSettings, servers, "notifications", topic_prefix=prefix),
    ]
    enrolment_settings, gamification_settings, notifications_settings = settings
    enrolment = enrolment_bootstrap(enrolment_settings)  # type: ignore[arg-type]
    gamification = gamification_bootstrap(gamification_settings)  # type: ignore[arg-type]
    notifications = notifications_bootstrap(notifications_settings)  # type: ignore[arg-type]
    issuer = TestIssuer()
    for service in (enrolment, gamification, notifications):
        issuer.trust(service.runtime)
    SPANS.clear()
    try:
        async with (
            serving(enrolment_app(enrolment), "enrolment") as courses,
            serving(gamification_app(gamification), "gamification") as points,
            serving(notifications_app(notifications), "notifications") as inbox,
        ):
            trainer, curator, anna = issuer.headers("tom", "trainer"), issuer.headers("cura", "curator"), "anna"
            body = {"title_ru": "Трассировка", "sessions": 3, "weekly_effort_hours": 2, "rules": {"capacity": 5}}
            course = (await courses.post("/courses", json=body, headers=trainer)).json()
            approved = await courses.post(
                f"/courses/{course['id']}/reviews", json={"verdict": "approved"}, headers=curator
            )
            assert approved.status_code == 200, approved.text
            start = (datetime.now(UTC) + timedelta(days=14)).date().isoformat()
            slot = {"weekday": 2, "local_time": "15:00", "time_zone": "Europe/Moscow", "start_date": start}
            opened = await courses.post(f"/courses/{course['id']}/cohorts", json=slot, headers=curator)
            assert opened.status_code == 201, opened.text

            applied = await courses.post(
                f"/courses/{course['id']}/applications",
                json={"person_id": anna, "locale": "en"},
                headers=issuer.headers(anna),
            )
            assert applied.status_code == 201, applied.text

            async def messages() -> list[dict[str, Any]]:
                answer = await inbox.get(f"/people/{anna}/inbox", headers=issuer.headers(anna))
                return list(answer.json()["messages"])

            await eventually(messages, lambda found: len(found) == 2, timeout=30)  # enrolled, and the points

            # --- one trace: the request, its publish, gamification's consumer and publish, notifications' consumer
            def spans() -> list[ReadableSpan]:
                return list(SPANS.get_finished_spans())

            request = next(
                span
                for span in spans()
                if span.kind is SpanKind.SERVER
                and span.name == "POST /courses/{course_id}/applications"
                and span.instrumentation_scope is not None
                and span.instrumentation_scope.name == "owlery.enrolment"
            )
            trace_id = request.context.trace_id if request.context else 0

            def hops(found: list[ReadableSpan]) -> set[tuple[str, str]]:
                return {
                    (span.instrumentation_scope.name if span.instrumentation_scope else "", span.name)
                    for span in found
                    if span.context is not None and span.context.trace_id == trace_id
                }

            wanted = {
                ("owlery.enrolment", "POST /courses/{course_id}/applications"),
                ("owlery.enrolment", "publish com.owlery.enrolment.application.enrolled.v1"),
                ("owlery.gamification", "process com.owlery.enrolment.application.enrolled.v1"),
                ("owlery.gamification", "publish com.owlery.gamification.points.awarded.v1"),
            }

            async def traced() -> set[tuple[str, str]]:
                return hops(spans())

            await eventually(traced, lambda found: wanted <= found, timeout=30)
            points_published = next(
                span
                for span in spans()
                if span.name == "publish com.owlery.gamification.points.awarded.v1"
                and span.context is not None
                and span.context.trace_id == trace_id
            )
            assert points_published.context is not None

            def continues_points(span: ReadableSpan) -> bool:
                # Its parent is the points' publish span, or (a batch whose first record came from elsewhere)
                # it links to it.
                scope = span.instrumentation_scope.name if span.instrumentation_scope else ""
                published = points_published.context
                assert published is not None
                parented = span.parent is not None and span.parent.span_id == published.span_id
                linked = any(link.context.span_id == published.span_id for link in span.links)
                return scope == "owlery.notifications" and span.kind is SpanKind.CONSUMER and (parented or linked)

            async def notified() -> list[ReadableSpan]:
                return [span for span in spans() if continues_points(span)]

            await eventually(notified, lambda found: len(found) == 1, timeout=30)

            # --- each service's /metrics, scraped and parsed ---------------------------------------------------
            scraped = {}
            for name, client in (("enrolment", courses), ("gamification", points), ("notifications", inbox)):
                answer = await client.get("/metrics")
                assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
                scraped[name] = answer.text
            # Counters are process-wide: other tests in this process may have added to them, never taken away.
            route = {"service": "enrolment", "method": "POST", "route": "/courses/{course_id}/applications"}
            latency = samples(scraped["enrolment"], "owlery_http_request_duration_seconds_count")
            assert any(labels == {**route, "status": "201"} and value >= 1 for labels, value in latency)
            published = samples(scraped["enrolment"], "owlery_events_published_total")
            assert any(
                labels == {"service": "enrolment", "type": "com.owlery.enrolment.application.enrolled.v1"}
                and value >= 1
                for labels, value in published
            )
            consumed = samples(scraped["gamification"], "owlery_events_consumed_total")
            assert any(
                labels["service"] == "gamification"
                and labels["type"] == "com.owlery.enrolment.application.enrolled.v1"
                and labels["outcome"] == "handled"
                for labels, _ in consumed
            )
            backlog = samples(scraped["enrolment"], "owlery_outbox_backlog")
            assert ({"service": "enrolment"}, 0.0) in backlog  # everything published
            assert ({"service": "enrolment"}, 0.0) in samples(scraped["enrolment"], "owlery_outbox_oldest_age_seconds")
            lag = [
                (labels, value)
                for labels, value in samples(scraped["notifications"], "owlery_consumer_lag")
                if labels["service"] == "notifications"
            ]
            assert lag, "the lag of every topic-partition notifications reads"
            assert {labels["topic"] for labels, _ in lag} >= {prefix + "owlery.gamification.events"}
            assert all(value >= 0 for _, value in lag)
            # A later scrape reads the lag again through the clients the first one opened.
            again = await inbox.get("/metrics")
            assert any(labels["service"] == "notifications" for labels, _ in samples(again.text, "owlery_consumer_lag"))
    finally:
        for service_settings in settings:
            await remove(servers, service_settings)
