"""Every word a page shows exists in Russian and in English (issue 13: no key shown raw)."""

import re
from pathlib import Path

from portal.domain.i18n import LANGUAGES, Catalogues, from_accept_language, language_of
from portal.domain.views import ROLE_PAGES

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
LITERAL_KEY = re.compile(r"""\bt\(\s*["']([a-z_]+(?:\.[a-z0-9_]+)+)["']""")
DYNAMIC_KEY = re.compile(r"""\bt\(\s*["']([a-z_.]+\.)["']\s*~""")
"""`t("course.status." ~ value)`: a family of keys whose last part comes from the API."""

FAMILIES = {
    "course.status.": ["open", "waitlist_only", "running", "finished"],
    "application.status.": [
        "awaiting_manager", "enrolled", "waitlisted", "offered", "withdrawn", "declined_by_manager", "lapsed",
    ],
    "level.": ["beginner", "intermediate", "advanced"],
    "attendance.": ["present", "absent", "excused"],
    "homework.state.": ["missing", "submitted", "late"],
    "homework.review.": ["awaiting", "accepted", "returned"],
    "inbox.category.": [
        "enrolment", "waitlist", "session_reminder", "homework", "mentoring", "curator_alert", "peer_learning",
        "achievements", "privacy",
    ],
    "review.outcome.": ["accepted", "returned"],
    "verdict.": ["approved", "changes_requested", "rejected", "comment"],
    "weekday.": [str(day) for day in range(7)],
    "error.status.": ["403", "404", "409", "422"],
    # mentoring, circles and moderation (services/portal/i18n/mentoring.*.json)
    "mentoring.kind.": ["classic", "reverse", "peer"],
    "mentoring.stage.": ["draft", "open", "matching", "running", "closing", "closed"],
    "mentoring.role.": ["mentor", "mentee"],
    "mentoring.pair.status.": ["preparing", "active", "ended"],
    "mentoring.risk.": ["no_recent_meeting", "goals_stalled", "low_check_in"],
    "mentoring.health.": ["healthy", "at_risk", "ended"],
    "mentoring.check_in.score.": ["1", "2", "3", "4", "5"],
    "mentoring.action.": ["talk", "note", "close_pair", "rematch"],
    "mentoring.outcome.": ["talked", "rematched", "pair_closed", "no_action"],
    "mentoring.concern.status.": ["open", "resolved"],
    "mentoring.why.": [
        "no_topics_wanted", "no_mentor_with_topics", "no_mentee_wants_topics", "no_common_language", "grade_rule",
        "only_self", "only_candidates_in_reporting_line", "only_vetoed_candidates", "all_candidates_at_capacity",
        "all_candidates_matched_elsewhere", "no_group",
    ],
    "mentoring.done.": [
        "goal", "progress", "meeting", "check_in", "concern", "matched", "rule", "approved", "action", "resolved",
        "solution", "comment", "helpful", "flagged", "requested", "decided",
    ],
    "circle.experience.": ["beginner", "practitioner", "expert"],
    "circle.role.": ["facilitator", "expert", "reviewer", "librarian", "member"],
    "circle.policy.": ["open", "request"],
    "circle.task.status.": ["open", "closed"],
    "circle.flag.reason.": ["false_information", "rudeness", "spam", "dominance"],
    "circle.library.order.": ["newest", "helpful"],
    "moderation.kind.": ["solution", "comment"],
    "moderation.outcome.": ["hidden", "edited", "restored", "dismissed"],
    # formats, achievements, preferences, course management, reports (services/portal/i18n/more.*.json)
    "language.": ["ru", "en"],
    "formats.my_status.": ["host", "registered", "waitlisted", "none"],
    "conference.status.": ["call_open", "published"],
    "conference.decision.": ["accepted", "rejected"],
    "conference.criterion.": ["relevance", "novelty", "clarity"],
    "internships.status.": ["applied", "approved", "declined", "running", "completed"],
    "achievements.period.": ["all", "month", "week"],
    "preferences.category.": [
        "enrolment", "waitlist", "session_reminder", "homework", "mentoring", "curator_alert", "peer_learning",
        "achievements", "privacy",
    ],
    "preferences.channel.": ["inapp", "email", "chat"],
    "preferences.frequency.": ["immediate", "daily", "weekly"],
    "manage.status.": ["proposed", "changes_requested", "approved", "rejected"],
    "manage.verdict.": ["comment", "changes_requested", "approved", "rejected"],
    "reports.chart.": ["participation", "feedback"],
}  # fmt: skip


def used_keys() -> set[str]:
    keys: set[str] = {key for pages in ROLE_PAGES.values() for _, key in pages}
    keys |= {"error.status.other"}
    for template in TEMPLATES.glob("*.html"):
        text = template.read_text("utf-8")
        keys |= set(LITERAL_KEY.findall(text))
        for family in DYNAMIC_KEY.findall(text):
            assert family in FAMILIES, f"{template.name}: list the values of {family}* in FAMILIES"
            keys |= {family + value for value in FAMILIES[family]}
    return keys


def test_both_catalogues_hold_the_same_keys() -> None:
    words = Catalogues.load().words
    assert set(words["ru"]) == set(words["en"])


def test_every_key_the_pages_use_is_in_both_languages() -> None:
    catalogues = Catalogues.load()
    missing = sorted(f"{lang}:{key}" for key in used_keys() for lang in LANGUAGES if not catalogues.has(lang, key))
    assert missing == []


def test_a_missing_key_shows_raw_so_the_page_walk_can_find_it() -> None:
    assert Catalogues.load().translate("en", "no.such.key") == "no.such.key"


def test_language_from_locale_and_browser() -> None:
    assert language_of("ru-RU") == "ru"
    assert language_of("de") is None
    assert from_accept_language("de-DE,de;q=0.9,en;q=0.8,ru;q=0.7") == "en"
    assert from_accept_language("ru;q=0.9, en;q=0.5") == "ru"
    assert from_accept_language("fr") is None
