"""Prometheus metrics every service exposes at /metrics: its HTTP latency, its events, its outbox, its lag.

Counters and histograms are process-wide (prometheus_client's registry) and carry the service's name as a
label, so several services in one process (tests) stay apart. The outbox and lag gauges are read from the
store and the broker when Prometheus scrapes, not kept up to date in between.
"""

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

__all__ = ["CONTENT_TYPE_LATEST", "generate_latest"]

HTTP_REQUEST_SECONDS = Histogram(
    "owlery_http_request_duration_seconds",
    "HTTP request latency by route template and status",
    ["service", "method", "route", "status"],
    buckets=(0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0),
)
EVENTS_PUBLISHED = Counter(
    "owlery_events_published_total", "Events the outbox relay published, by type", ["service", "type"]
)
EVENTS_CONSUMED = Counter(
    "owlery_events_consumed_total",
    "Records of events this service handles, by type and outcome (handled, duplicate)",
    ["service", "type", "outcome"],
)
EVENTS_RETRIED = Counter(
    "owlery_events_retried_total", "Handler attempts that failed and were tried again, by type", ["service", "type"]
)
EVENTS_DEAD_LETTERED = Counter(
    "owlery_events_dead_lettered_total",
    "Records sent to a dead-letter topic, by type (unknown for a malformed record) and reason",
    ["service", "type", "reason"],
)
OUTBOX_BACKLOG = Gauge("owlery_outbox_backlog", "Outbox entries waiting to be published", ["service"])
OUTBOX_OLDEST_AGE = Gauge(
    "owlery_outbox_oldest_age_seconds", "Age of the oldest outbox entry waiting to be published (0: none)", ["service"]
)
CONSUMER_LAG = Gauge(
    "owlery_consumer_lag",
    "Records not yet handled: log end offset minus the group's committed offset",
    ["service", "topic", "partition"],
)
