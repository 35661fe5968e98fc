# ruff: noqa: RUF001, RUF002, RUF003 - Russian word lists and messages: Cyrillic letters are meant
"""Mentoring goals: the SMART check a pair's goal goes through, and the goal the pair then keeps.

A pair records one to three goals. Before a goal is saved, `check_goal` reads it against the five
SMART letters and says, in the person's language (Russian or English), which letters fail and why.
The pair may still save a flagged goal, but only after confirming (`accept_goal(..., confirmed=True)`);
the goal then remembers which letters it was confirmed despite.

The check is a set of small, explainable heuristics over word lists kept below as data: no NLP
library, no morphology beyond lower-casing, "ё" read as "е", and prefix comparison for Russian
word endings. It is a nudge, not a judge: it can be fooled, which is why the pair can overrule it.

What each letter means here (one failure at most per letter, the first reason that applies):

S (specific)    the text has an action verb with an outcome (`ACTION_VERBS_RU`, `ACTION_VERBS_EN`,
                `ACTION_PHRASES_EN`, e.g. "подготовить", "напиши", "launch", "learn to") and an
                object: at least `MIN_OBJECT_WORDS` content words besides the verbs, stop words,
                dates and filler ("лучше", "skills"). A vague verb alone ("стать", "разобраться",
                "improve", "learn" without "to") is named in the message. Empty text fails S only:
                M and R are not judged on nothing.
M (measurable)  a number once calendar dates are taken out (digits, "%", spelled small numbers in
                `NUMBER_WORDS`) or a named deliverable (`DELIVERABLES_RU`, `DELIVERABLES_EN`).
A (achievable)  about the time left only: the due date is at least `MIN_DAYS_TO_ACHIEVE` days after
                today. Not judged without a due date or with one in the past (T reports those), so
                one fault is never reported twice.
R (relevant)    one of the goal's topics is a programme topic (case-insensitive), or the text names
                a programme topic: every content word of the topic matches a word of the text, equal
                or, for words of `MIN_STEM` letters or more, sharing all but the last
                `MAX_TOPIC_ENDING` letters of the shorter (Russian endings: "инструменты" ~
                "инструментах", "автоматизация" ~ "автоматизировать"; not "автомобиль").
                A programme without topics cannot fail R.
T (time-bound)  a due date is present, not in the past, and inside the programme
                [starts, ends]. The window is T's alone: a date after the programme end fails T, not A.

Saving rules (`accept_goal`), each an `Invalid` (HTTP 422) naming the field:
- "due":     no due date at all, confirmed or not: a goal nobody can date cannot be followed up;
- "text":    blank text, confirmed or not: there is nothing to save;
- "confirm": the check failed and the pair did not confirm.
A pair holds at most `MAX_GOALS` goals (`add_goal`, field "goals"); progress is a whole percent in
0..100 (`set_progress`, field "progress"), and a goal at 100 is achieved.
"""

import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Literal, get_args

from shared.errors import Invalid

Letter = Literal["S", "M", "A", "R", "T"]
Locale = Literal["ru", "en"]
LOCALES: tuple[str, ...] = get_args(Locale)

MAX_GOALS = 3
MIN_OBJECT_WORDS = 2  # content words needed besides the verb for the goal to say *what*
MIN_DAYS_TO_ACHIEVE = 7  # less than a week to the due date is not a goal but a task
MIN_STEM = 5  # Russian words of this length or more match on a shared prefix (see `_same_word`)
MAX_ENDING = 3  # letters a word form may add to a listed deliverable stem ("бот" ~ "ботов")
MAX_TOPIC_ENDING = (
    4  # letters two forms of a topic word may differ by at the end ("автоматизация" ~ "автоматизировать")
)

# ---------------------------------------------------------------------------------------------
# Word lists (data). All lower-case, "ё" written as "е". Russian and English lists are both used
# whatever the person's locale: goals mix languages ("сделать дашборд в Power BI").
# ---------------------------------------------------------------------------------------------

# Russian action verbs as (infinitive, imperative singular); the plural imperative is derived:
# "напиши" -> "напишите", reflexive "научись" -> "научитесь".
ACTION_VERBS_RU: tuple[tuple[str, str], ...] = (
    ("подготовить", "подготовь"),
    ("написать", "напиши"),
    ("внедрить", "внедри"),
    ("провести", "проведи"),
    ("научиться", "научись"),
    ("освоить", "освой"),
    ("сделать", "сделай"),
    ("запустить", "запусти"),
    ("автоматизировать", "автоматизируй"),
    ("выступить", "выступи"),
    ("создать", "создай"),
    ("разработать", "разработай"),
    ("опубликовать", "опубликуй"),
    ("организовать", "организуй"),
    ("настроить", "настрой"),
    ("сократить", "сократи"),
    ("увеличить", "увеличь"),
    ("уменьшить", "уменьши"),
    ("снизить", "снизь"),
    ("повысить", "повысь"),
    ("обучить", "обучи"),
    ("собрать", "собери"),
    ("выпустить", "выпусти"),
    ("сдать", "сдай"),
    ("пройти", "пройди"),
    ("завершить", "заверши"),
    ("перевести", "переведи"),
    ("описать", "опиши"),
    ("показать", "покажи"),
    ("реализовать", "реализуй"),
    ("построить", "построй"),
    ("протестировать", "протестируй"),
    ("составить", "составь"),
    ("оформить", "оформи"),
    ("получить", "получи"),
    ("презентовать", "презентуй"),
    ("представить", "представь"),
    ("рассказать", "расскажи"),
    ("мигрировать", "мигрируй"),
    ("задокументировать", "задокументируй"),
    ("сформулировать", "сформулируй"),
)

# English action verbs, base form (infinitive or imperative alike).
ACTION_VERBS_EN: frozenset[str] = frozenset(
    {
        "prepare", "write", "launch", "implement", "run", "build", "present", "automate", "reduce",
        "increase", "create", "deliver", "publish", "complete", "design", "migrate", "deploy", "ship",
        "release", "organise", "organize", "conduct", "host", "give", "teach", "train", "document",
        "draft", "test", "configure", "develop", "pass", "finish", "cut", "double", "raise", "lower",
        "record", "produce", "introduce", "submit", "lead", "master", "earn", "translate", "refactor",
        "integrate", "demonstrate", "speak", "mentor", "onboard",
    }
)  # fmt: skip

# English multi-word actions; "learn" counts only as "learn to" / "learn how to".
ACTION_PHRASES_EN: tuple[tuple[str, ...], ...] = (
    ("learn", "to"),
    ("learn", "how", "to"),
    ("set", "up"),
    ("roll", "out"),
    ("get", "certified"),
)

# Verbs that name a wish, not an outcome: reported by name when no action verb is found.
VAGUE_VERBS: frozenset[str] = frozenset(
    {
        # Russian
        "стать", "разобраться", "понять", "узнать", "улучшить", "изучить", "прокачать", "развить",
        "развиваться", "улучшать", "изучать", "познакомиться", "погрузиться", "быть",
        # English
        "improve", "become", "understand", "explore", "learn", "know", "grow", "be", "study",
        "familiarize", "familiarise",
    }
)  # fmt: skip

# Words that carry no object: function words of both languages.
STOP_WORDS: frozenset[str] = frozenset(
    {
        # Russian
        "и", "в", "во", "на", "с", "со", "к", "ко", "по", "о", "об", "обо", "для", "до", "из", "от", "у",
        "за", "про", "над", "под", "при", "без", "через", "а", "но", "или", "что", "чтобы", "как", "это",
        "этот", "эта", "эти", "мой", "моя", "мои", "моих", "наш", "наша", "наши", "наших", "свой", "свою",
        "свои", "своих", "я", "мы", "он", "она", "они", "все", "весь", "вся", "уже", "еще", "более",
        "очень", "бы", "ли", "же", "не", "то", "так", "там", "тут", "себя", "себе", "что-то",
        "что-нибудь", "кое-что", "как-то", "нибудь", "чем", "также", "тоже",
        # English
        "a", "an", "the", "to", "for", "of", "in", "on", "at", "by", "with", "and", "or", "my", "our",
        "your", "me", "we", "i", "it", "its", "this", "that", "these", "those", "some", "most", "is",
        "are", "am", "get", "do", "about", "from", "into", "as", "how", "what", "so", "very", "all",
        "up", "out", "be", "also", "than", "until", "before",
    }
)  # fmt: skip

# Filler that sounds like an object but names none: "стать лучше", "improve skills".
FILLER_WORDS: frozenset[str] = frozenset(
    {
        "лучше", "больше", "хорошо", "лучшим", "навыки", "навыков", "знания", "знаний", "скилы",
        "скиллы", "опыт", "опыта", "тему", "теме", "вещи", "вещей", "better", "more", "skills",
        "skill", "knowledge", "things", "stuff", "something", "anything", "good", "well", "best",
        "experience", "topic",
    }
)  # fmt: skip

# Words about *when*, not *what*: they count neither as an object nor as a measure.
TIME_WORDS: frozenset[str] = frozenset(
    {
        "конца", "концу", "конец", "срок", "сроку", "сегодня", "завтра", "недели", "неделе", "месяца",
        "года", "году", "квартала", "end", "deadline", "today", "tomorrow", "week", "month", "year",
        "quarter",
    }
)  # fmt: skip
_MONTH_RU = r"(?:январ|феврал|март|апрел|ма[йяюе]|июн|июл|август|сентябр|октябр|ноябр|декабр)\w*"
_MONTH_EN = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?"
    r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)

# Spelled numbers and measures: any of these makes a goal measurable like a digit does.
NUMBER_WORDS: frozenset[str] = frozenset(
    {
        # Russian
        "один", "одна", "одну", "одно", "два", "две", "двух", "три", "трех", "четыре", "четырех",
        "пять", "пяти", "шесть", "шести", "семь", "семи", "восемь", "восьми", "девять", "девяти",
        "десять", "десяти", "пятнадцать", "двадцать", "двадцати", "тридцать", "пятьдесят", "сто",
        "сотню", "тысячу", "тысяча", "половину", "вдвое", "втрое", "дважды", "процент", "процента",
        "процентов",
        # English
        "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
        "twelve", "fifteen", "twenty", "thirty", "fifty", "hundred", "thousand", "dozen", "half",
        "twice", "double", "triple", "percent",
    }
)  # fmt: skip

# Named deliverables. Russian entries are stems: a word matches when it starts with the stem and
# adds at most `MAX_ENDING` letters ("презентаци" ~ "презентацию", "бот" ~ "ботов").
DELIVERABLES_RU: tuple[str, ...] = (
    "отчет", "презентаци", "прототип", "бот", "дашборд", "скрипт", "статья", "статью", "статьи",
    "статей", "курс", "шаблон", "инструкци", "гайд", "чек-лист", "чеклист", "регламент",
    "документаци", "вебинар", "доклад", "воркшоп", "мастер-класс", "пул-реквест", "пулл-реквест",
    "плагин", "библиотек", "приложени", "сервис", "макрос", "сертификат", "видео", "подкаст",
    "рассылк", "методичк", "демо",
)  # fmt: skip
# English deliverables: a word matches as written or with a plural "s"/"es"; phrases as written.
DELIVERABLES_EN: frozenset[str] = frozenset(
    {
        "report", "presentation", "prototype", "bot", "dashboard", "script", "article", "template",
        "pr", "guide", "checklist", "workshop", "talk", "demo", "webinar", "post", "course",
        "tutorial", "plugin", "library", "app", "application", "documentation", "playbook",
        "runbook", "pipeline", "certificate", "certification", "deck", "slides", "newsletter",
        "video", "podcast", "mvp", "poc", "spreadsheet", "macro", "integration", "api",
    }
)  # fmt: skip
DELIVERABLE_PHRASES_EN: tuple[tuple[str, ...], ...] = (("pull", "request"), ("merge", "request"), ("blog", "post"))

# Calendar dates are taken out before looking for numbers and objects: "до 15 марта" is a due
# date, not a measure. Durations ("за 2 недели") stay: "from 10 days to 5" may well be the measure.
# A bare year 2000-2099 counts as a date too (write "две тысячи" or "2 000" for a count).
_DATE_RE = re.compile(
    "|".join(
        (
            r"\b\d{4}-\d{1,2}-\d{1,2}\b",
            r"\b\d{1,2}[./]\d{1,2}(?:[./]\d{2,4})?\b",
            rf"\b\d{{1,2}}(?:-?го)?\s+{_MONTH_RU}",
            rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH_EN}\b",
            rf"\b{_MONTH_EN}\s+\d{{1,2}}(?:st|nd|rd|th)?\b",
            r"\bq[1-4]\b",
            r"\b[1-4]\s*(?:-?(?:й|го|м))?\s+квартал\w*",
            r"\b20\d{2}\b",
        )
    ),
    re.IGNORECASE,
)
_MONTH_WORD_RE = re.compile(rf"(?:{_MONTH_RU}|{_MONTH_EN})", re.IGNORECASE)
_TOKEN_RE = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*|\d+(?:[.,]\d+)?%?")

# ---------------------------------------------------------------------------------------------
# Messages, per locale and code. Placeholders are filled by `_failure`.
# ---------------------------------------------------------------------------------------------

MESSAGES: dict[Locale, dict[str, str]] = {
    "ru": {
        "empty": "Цель пустая: опишите, что именно вы сделаете и какой будет результат.",
        "vague_verb": (
            "«{word}» — слишком общее действие: назовите конкретный результат, например "
            "«подготовить», «написать», «запустить»."
        ),
        "no_action_verb": (
            "В цели нет действия с результатом: начните с глагола, например «подготовить», «написать», «запустить»."
        ),
        "no_object": "Не сказано, что именно будет сделано: после глагола опишите, что и для кого вы сделаете.",
        "not_measurable": (
            "Результат нельзя измерить: добавьте число (например, «3 статьи», «на 20 %») "
            "или конкретный результат — отчёт, презентацию, прототип."
        ),
        "too_soon": (
            "До срока осталось {days} дн. — меньше недели, цель вряд ли успеть: "
            "уменьшите её или перенесите срок на {earliest} или позже."
        ),
        "not_relevant": (
            "Цель не связана с темами программы ({topics}): выберите тему программы или упомяните её в тексте."
        ),
        "no_due_date": "Нет срока: укажите дату не позже окончания программы ({ends}).",
        "in_past": "Срок {due} уже прошёл: выберите дату не раньше сегодняшней.",
        "before_programme_start": "Срок {due} раньше начала программы ({starts}): выберите дату внутри программы.",
        "after_programme_end": "Срок {due} позже окончания программы ({ends}): выберите дату не позже {ends}.",
    },
    "en": {
        "empty": "The goal is empty: say what exactly you will do and what the result will be.",
        "vague_verb": ('"{word}" is too vague an action: name a concrete outcome, e.g. "prepare", "write", "launch".'),
        "no_action_verb": (
            'The goal has no action with an outcome: start with a verb such as "prepare", "write", "launch".'
        ),
        "no_object": "The goal does not say what will be done: after the verb, say what you will make and for whom.",
        "not_measurable": (
            'The result cannot be measured: add a number (e.g. "3 articles", "by 20%") '
            "or a concrete deliverable such as a report, a presentation or a prototype."
        ),
        "too_soon": (
            "Only {days} day(s) left until the due date, less than a week: make the goal smaller "
            "or move the due date to {earliest} or later."
        ),
        "not_relevant": (
            "The goal is not linked to the programme's topics ({topics}): pick a programme topic or mention it."
        ),
        "no_due_date": "There is no due date: pick a date no later than the programme end ({ends}).",
        "in_past": "The due date {due} has passed: pick today or a later date.",
        "before_programme_start": "The due date {due} is before the programme starts ({starts}): pick a later date.",
        "after_programme_end": "The due date {due} is after the programme ends ({ends}): pick {ends} or earlier.",
    },
}


# ---------------------------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GoalDraft:
    """A goal as the pair typed it: the text, the due date if any, and the topics they linked it to."""

    text: str
    due: date | None
    topics: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProgrammeFrame:
    """What a goal is checked against: the programme's dates and topics."""

    starts: date
    ends: date
    topics: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.ends < self.starts:
            raise Invalid("a programme cannot end before it starts", field="ends")


@dataclass(frozen=True)
class SmartFailure:
    letter: Letter
    code: str  # stable, for clients: "vague_verb", "not_measurable", "after_programme_end", ...
    message: str  # in the requested locale


@dataclass(frozen=True)
class SmartCheck:
    failures: tuple[SmartFailure, ...] = ()

    @property
    def passed(self) -> bool:
        return not self.failures

    @property
    def letters(self) -> tuple[Letter, ...]:
        return tuple(failure.letter for failure in self.failures)


@dataclass(frozen=True)
class Goal:
    id: str
    text: str
    due: date
    topics: tuple[str, ...]
    progress: int = 0  # whole percent, 0..100
    status: str = ""  # the pair's own note on where the goal stands
    confirmed_despite: tuple[Letter, ...] = ()  # letters the check flagged and the pair saved anyway

    @property
    def achieved(self) -> bool:
        return self.progress == 100


# ---------------------------------------------------------------------------------------------
# The check
# ---------------------------------------------------------------------------------------------


def check_goal(draft: GoalDraft, frame: ProgrammeFrame, today: date, locale: Locale) -> SmartCheck:
    """The SMART letters the draft fails, each with a reason in `locale`; see the module docstring."""
    if locale not in LOCALES:
        raise Invalid(f"locale must be one of {', '.join(LOCALES)}", field="locale")
    messages = MESSAGES[locale]
    failures: list[SmartFailure] = []

    def fail(letter: Letter, code: str, **values: str) -> None:
        failures.append(SmartFailure(letter, code, messages[code].format(**values)))

    tokens = _tokens(_DATE_RE.sub(" ", _normalise(draft.text)))
    if not draft.text.strip():
        fail("S", "empty")
    else:
        specific = _specific_failure(tokens)
        if specific is not None:
            code, word = specific
            fail("S", code, word=word)
        if not _measurable(tokens):
            fail("M", "not_measurable")

    if draft.due is not None and draft.due >= today and (draft.due - today).days < MIN_DAYS_TO_ACHIEVE:
        earliest = today + timedelta(days=MIN_DAYS_TO_ACHIEVE)
        fail("A", "too_soon", days=str((draft.due - today).days), earliest=_format_date(earliest, locale))

    if draft.text.strip() and frame.topics and not _relevant(draft, frame, tokens):
        fail("R", "not_relevant", topics=", ".join(frame.topics))

    due_code = _time_failure(draft.due, frame, today)
    if due_code is not None:
        fail(
            "T",
            due_code,
            due=_format_date(draft.due, locale) if draft.due else "",
            starts=_format_date(frame.starts, locale),
            ends=_format_date(frame.ends, locale),
        )
    return SmartCheck(tuple(failures))


def _specific_failure(tokens: list[str]) -> tuple[str, str] | None:
    """None if the goal names an action and its object, else (code, the vague verb if any)."""
    action = _action_positions(tokens)
    if not action:
        vague = next((token for token in tokens if token in VAGUE_VERBS), None)
        return ("vague_verb", vague) if vague else ("no_action_verb", "")
    content = [
        token
        for position, token in enumerate(tokens)
        if position not in action
        and token not in VAGUE_VERBS
        and token not in STOP_WORDS
        and token not in FILLER_WORDS
        and token not in TIME_WORDS
        and not _MONTH_WORD_RE.fullmatch(token)
        and (len(token) > 1 or token[0].isdigit())
    ]
    return None if len(content) >= MIN_OBJECT_WORDS else ("no_object", "")


def _action_positions(tokens: list[str]) -> set[int]:
    """Where the action verbs (and the words of action phrases) stand in the tokens."""
    positions = {position for position, token in enumerate(tokens) if token in _ACTION_WORDS}
    for phrase in ACTION_PHRASES_EN:
        for start in _phrase_starts(tokens, phrase):
            positions.update(range(start, start + len(phrase)))
    return positions


def _measurable(tokens: list[str]) -> bool:
    for token in tokens:
        if token[0].isdigit() or token in NUMBER_WORDS:
            return True
        if _is_deliverable(token):
            return True
    return any(_phrase_starts(tokens, phrase) for phrase in DELIVERABLE_PHRASES_EN)


def _is_deliverable(token: str) -> bool:
    if token in DELIVERABLES_EN or (token.endswith("s") and token[:-1] in DELIVERABLES_EN):
        return True
    if token.endswith("es") and token[:-2] in DELIVERABLES_EN:
        return True
    return any(token.startswith(stem) and len(token) - len(stem) <= MAX_ENDING for stem in DELIVERABLES_RU)


def _relevant(draft: GoalDraft, frame: ProgrammeFrame, tokens: list[str]) -> bool:
    programme_topics = {_normalise(topic).strip() for topic in frame.topics}
    if any(_normalise(topic).strip() in programme_topics for topic in draft.topics):
        return True
    for topic in frame.topics:
        words = [word for word in _tokens(_normalise(topic)) if word not in STOP_WORDS]
        if words and all(any(_same_word(word, token) for token in tokens) for word in words):
            return True
    return False


def _same_word(a: str, b: str) -> bool:
    """Equal, or both `MIN_STEM`+ letters long and differing only in the shorter's last `MAX_TOPIC_ENDING` letters."""
    if a == b:
        return True
    shorter = min(len(a), len(b))
    if shorter < MIN_STEM:
        return False
    common = 0
    for left, right in zip(a, b, strict=False):
        if left != right:
            break
        common += 1
    return common >= max(MIN_STEM, shorter - MAX_TOPIC_ENDING)


def _time_failure(due: date | None, frame: ProgrammeFrame, today: date) -> str | None:
    if due is None:
        return "no_due_date"
    if due < today:
        return "in_past"
    if due < frame.starts:
        return "before_programme_start"
    if due > frame.ends:
        return "after_programme_end"
    return None


# ---------------------------------------------------------------------------------------------
# Saving and following up
# ---------------------------------------------------------------------------------------------


def accept_goal(draft: GoalDraft, check: SmartCheck, confirmed: bool, goal_id: str | None = None) -> Goal:
    """The goal to keep, given the draft's check and whether the pair confirmed saving it as is.

    A draft with no due date or blank text is refused whatever the confirmation ("due", "text");
    a draft the check flagged is refused unless confirmed ("confirm"), and otherwise keeps the
    flagged letters in `confirmed_despite`.
    """
    if draft.due is None:
        raise Invalid("a goal needs a due date", field="due")
    if not draft.text.strip():
        raise Invalid("a goal needs a text", field="text")
    if not check.passed and not confirmed:
        raise Invalid(
            "the goal is not SMART: confirm to save it anyway",
            field="confirm",
            letters=list(check.letters),
        )
    return Goal(
        id=goal_id or secrets.token_hex(8),
        text=draft.text.strip(),
        due=draft.due,
        topics=tuple(topic.strip() for topic in draft.topics if topic.strip()),
        confirmed_despite=check.letters,
    )


def add_goal(existing: Sequence[Goal], goal: Goal) -> tuple[Goal, ...]:
    """The pair's goals with `goal` added; a pair holds at most `MAX_GOALS`."""
    if len(existing) >= MAX_GOALS:
        raise Invalid(f"a pair holds at most {MAX_GOALS} goals", field="goals", limit=MAX_GOALS)
    return (*existing, goal)


def set_progress(goal: Goal, percent: int, status: str = "") -> Goal:
    """The goal with its progress (a whole percent, 0..100) and status note; 100 means achieved."""
    if isinstance(percent, bool) or not isinstance(percent, int) or not 0 <= percent <= 100:
        raise Invalid("progress is a whole percent from 0 to 100", field="progress")
    return replace(goal, progress=percent, status=status.strip())


# ---------------------------------------------------------------------------------------------
# Text helpers
# ---------------------------------------------------------------------------------------------


def _normalise(text: str) -> str:
    return text.casefold().replace("ё", "е")


def _tokens(text: str) -> list[str]:
    return _TOKEN_RE.findall(text)


def _phrase_starts(tokens: list[str], phrase: tuple[str, ...]) -> list[int]:
    size = len(phrase)
    return [start for start in range(len(tokens) - size + 1) if tuple(tokens[start : start + size]) == phrase]


def _format_date(day: date, locale: Locale) -> str:
    return day.strftime("%d.%m.%Y") if locale == "ru" else day.isoformat()


def _russian_forms(pairs: Iterable[tuple[str, str]]) -> frozenset[str]:
    """Infinitive, imperative singular and plural ("научись" -> "научитесь", "напиши" -> "напишите")."""
    forms: set[str] = set()
    for infinitive, imperative in pairs:
        plural = imperative[:-2] + "тесь" if imperative.endswith("сь") else imperative + "те"
        forms.update((infinitive, imperative, plural))
    return frozenset(forms)


_ACTION_WORDS: frozenset[str] = _russian_forms(ACTION_VERBS_RU) | ACTION_VERBS_EN
