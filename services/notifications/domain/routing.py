"""Which events become notifications, for whom, in which category and how urgently: a table kept as data.

The table (`routing.toml` in the service) names, per event type, the message template, its category,
its priority, the event fields that name the recipients, and the event fields the message shows. A
`critical` message (a seat offer with a deadline, a privacy reveal) ignores quiet hours and digests.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Category(StrEnum):
    ENROLMENT = "enrolment"
    WAITLIST = "waitlist"
    SESSION_REMINDER = "session_reminder"
    HOMEWORK = "homework"
    MENTORING = "mentoring"
    CURATOR_ALERT = "curator_alert"
    PEER_LEARNING = "peer_learning"
    ACHIEVEMENTS = "achievements"
    PRIVACY = "privacy"


class Priority(StrEnum):
    NORMAL = "normal"
    CRITICAL = "critical"


class Channel(StrEnum):
    INAPP = "inapp"
    EMAIL = "email"
    CHAT = "chat"


class CalendarAction(StrEnum):
    """What a message does to the recipient's calendar entry for the cohort, if anything."""

    REQUEST = "request"
    CANCEL = "cancel"


READ_MODEL_RECIPIENTS = frozenset({"@cohort"})
ROUTE_FIELDS = frozenset({"event", "template", "category", "priority", "recipients", "params", "calendar", "when"})


class RoutingError(ValueError):
    """The routing table is not valid; the message names the route and the field."""


@dataclass(frozen=True)
class Route:
    event_type: str
    template: str
    category: Category
    priority: Priority
    recipients: tuple[str, ...]
    """Event fields naming recipients: a person id, or a list of them ("mentee_ids", "curator_ids"); or "@cohort",
    the members of the event's cohort (resolved by the service from what it has seen)."""
    params: tuple[str, ...] = ()
    """Event fields the message shows, copied as they are."""
    calendar: CalendarAction | None = None
    when: Mapping[str, Any] = field(default_factory=dict)
    """Event field values the route applies to; `has` names a field that must be set."""

    def applies_to(self, data: Mapping[str, Any]) -> bool:
        for name, value in self.when.items():
            if name == "has":
                if data.get(value) in (None, "", []):
                    return False
            elif data.get(name) != value:
                return False
        return True

    def recipients_of(self, data: Mapping[str, Any]) -> list[str]:
        """Everyone the event names in the recipient fields, once each, in order."""
        found: list[str] = []
        for name in self.recipients:
            value = data.get(name)
            for candidate in value if isinstance(value, list | tuple) else [value]:
                if isinstance(candidate, str) and candidate and candidate not in found and not name.startswith("@"):
                    found.append(candidate)
        return found

    def params_of(self, data: Mapping[str, Any]) -> dict[str, Any]:
        return {name: data[name] for name in self.params if name in data}


class RoutingTable:
    def __init__(self, routes: Iterable[Route]) -> None:
        self._routes: dict[str, list[Route]] = {}
        for route in routes:
            self._routes.setdefault(route.event_type, []).append(route)

    def routes_for(self, event_type: str) -> Sequence[Route]:
        return self._routes.get(event_type, ())

    @property
    def event_types(self) -> list[str]:
        return sorted(self._routes)

    @classmethod
    def from_data(cls, data: Mapping[str, Any], known_templates: Iterable[str]) -> "RoutingTable":
        """Read the table (the parsed `routing.toml`), refusing anything it does not understand."""
        templates = set(known_templates)
        routes = []
        for index, raw in enumerate(data.get("route", [])):
            where = f"route {index + 1} ({raw.get('event', '?')})"
            unknown = set(raw) - {
                "event",
                "template",
                "category",
                "priority",
                "recipients",
                "params",
                "calendar",
                "when",
            }
            if unknown:
                raise RoutingError(f"{where}: unknown fields {sorted(unknown)}")
            try:
                route = Route(
                    event_type=str(raw["event"]),
                    template=str(raw["template"]),
                    category=Category(raw["category"]),
                    priority=Priority(raw.get("priority", Priority.NORMAL)),
                    recipients=tuple(raw["recipients"]),
                    params=tuple(raw.get("params", ())),
                    calendar=CalendarAction(raw["calendar"]) if raw.get("calendar") else None,
                    when=dict(raw.get("when", {})),
                )
            except KeyError as missing:
                raise RoutingError(f"{where}: {missing.args[0]} is required") from missing
            except ValueError as bad:
                raise RoutingError(f"{where}: {bad}") from bad
            if route.template not in templates:
                raise RoutingError(f"{where}: template: no template {route.template!r}")
            if not route.recipients:
                raise RoutingError(f"{where}: recipients: at least one field")
            special = {name for name in route.recipients if name.startswith("@")} - READ_MODEL_RECIPIENTS
            if special:
                raise RoutingError(f"{where}: recipients: unknown {sorted(special)}")
            routes.append(route)
        return cls(routes)
