"""Plain view logic: what a page shows, worked out from the services' answers."""

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

ROLE_PAGES: dict[str, list[tuple[str, str]]] = {
    # role -> (path, catalogue key of the nav label); everyone signed in is an employee
    "employee": [
        ("/catalogue", "nav.catalogue"),
        ("/learning", "nav.learning"),
        ("/inbox", "nav.inbox"),
        ("/mentoring", "nav.mentoring"),
        ("/circles", "nav.circles"),
        ("/formats", "nav.formats"),
        ("/achievements", "nav.achievements"),
        ("/preferences", "nav.preferences"),
    ],
    "trainer": [("/teaching", "nav.teaching"), ("/teaching/propose", "nav.propose")],
    "curator": [
        ("/curation", "nav.curation"),
        ("/desk", "nav.desk"),
        ("/reports", "nav.reports"),
        ("/knowledge/articles", "nav.articles"),
    ],
    "moderator": [("/moderation", "nav.moderation")],
    "hr_admin": [("/reports", "nav.reports"), ("/hr", "nav.hr")],
}


def navigation(roles: Sequence[str]) -> list[tuple[str, str]]:
    """The nav links a person sees, in a stable order: employee pages first, then each role's."""
    links: list[tuple[str, str]] = []
    for role, pages in ROLE_PAGES.items():
        if role == "employee" or role in roles:
            links += [page for page in pages if page not in links]
    return links


def seats_left(cohort: Mapping[str, Any]) -> int:
    return max(0, int(cohort["capacity"]) - int(cohort["enrolled"]))


def next_session(starts: Sequence[str], now: datetime) -> str | None:
    """The first session start (ISO text, as the API gives it) not yet past."""
    upcoming = sorted(start for start in starts if datetime.fromisoformat(start) >= now)
    return upcoming[0] if upcoming else None


def course_title(course: Mapping[str, Any], lang: str) -> str:
    """The title in the reader's language when the course has one, else the other."""
    first, second = ("title_ru", "title_en") if lang == "ru" else ("title_en", "title_ru")
    return str(course.get(first) or course.get(second) or course.get("title") or course.get("id", ""))
