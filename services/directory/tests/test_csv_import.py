"""The people CSV: a good file becomes drafts, a bad one is refused with every problem on its own line."""

import pytest

from directory.domain.csv_import import CsvPerson, CsvRejected, RowError, managers_first, parse_people_csv
from directory.domain.model import Person, ProfileDraft

HEADER = "user_name,display_name,email,department,manager_user_name,job_title,locale,time_zone,active"


def csv_text(*rows: str, header: str = HEADER) -> str:
    return "\n".join((header, *rows)) + "\n"


def rejected(text: str, known_user_names: tuple[str, ...] = ()) -> list[RowError]:
    with pytest.raises(CsvRejected) as raised:
        parse_people_csv(text, known_user_names)
    return raised.value.errors


def where(errors: list[RowError]) -> list[tuple[int, str | None]]:
    return [(error.line, error.field) for error in errors]


BOSS = "boss@example.com,Boris Smith,boss@example.com,R&D,,CTO,ru,Europe/Moscow,true"
ANN = "ann@example.com,Ann Lee,ann@example.com,R&D,boss@example.com,Engineer,en-US,Asia/Yekaterinburg,yes"


def test_a_good_file_gives_one_draft_per_row_in_file_order() -> None:
    people = parse_people_csv(csv_text(BOSS, ANN))

    assert people == [
        CsvPerson(
            2,
            ProfileDraft(
                user_name="boss@example.com",
                display_name="Boris Smith",
                email="boss@example.com",
                department="R&D",
                job_title="CTO",
                locale="ru",
                time_zone="Europe/Moscow",
                active=True,
            ),
            None,
        ),
        CsvPerson(
            3,
            ProfileDraft(
                user_name="ann@example.com",
                display_name="Ann Lee",
                email="ann@example.com",
                department="R&D",
                job_title="Engineer",
                locale="en",
                time_zone="Asia/Yekaterinburg",
                active=True,
            ),
            "boss@example.com",
        ),
    ]


def test_a_draft_with_its_manager_resolved_is_ready_to_create_a_person() -> None:
    ann = parse_people_csv(csv_text(BOSS, ANN))[1]

    person = Person.create(ann.with_manager_id("p-boss")).person

    assert person.manager_id == "p-boss"
    assert ann.draft.manager_id is None


def test_parsing_the_same_file_twice_gives_the_same_drafts() -> None:
    assert parse_people_csv(csv_text(BOSS, ANN)) == parse_people_csv(csv_text(BOSS, ANN))


def test_only_the_required_columns_are_needed_in_any_order_and_case() -> None:
    header = "Email,User_Name,LOCALE,time_zone,display_name"

    [person] = parse_people_csv(csv_text("a@x.com,a@x.com,ru,UTC,Ann", header=header))

    assert (person.draft.user_name, person.draft.email, person.draft.display_name) == ("a@x.com", "a@x.com", "Ann")
    assert (person.draft.department, person.draft.job_title, person.manager_user_name) == (None, None, None)
    assert person.draft.active is True


@pytest.mark.parametrize(
    ("cell", "active"),
    [
        *[("", True), ("true", True), ("TRUE", True), ("yes", True), ("1", True)],
        *[("false", False), ("False", False), ("no", False), ("0", False)],
    ],
)
def test_active_accepts_the_usual_spellings_and_defaults_to_true(cell: str, active: bool) -> None:
    [person] = parse_people_csv(csv_text(f"a@x.com,Ann,a@x.com,,,,en,UTC,{cell}"))

    assert person.draft.active is active


def test_values_are_trimmed_and_blank_optional_values_are_none() -> None:
    [person] = parse_people_csv(csv_text(" a@x.com , Ann  Lee ,a@x.com,  ,  , ,EN_gb, europe/moscow ,"))

    assert person.draft == ProfileDraft(
        user_name="a@x.com", display_name="Ann Lee", email="a@x.com", locale="en", time_zone="Europe/Moscow"
    )
    assert person.manager_user_name is None


def test_a_utf8_bom_from_excel_is_tolerated() -> None:
    [person] = parse_people_csv("\ufeff" + csv_text("a@x.com,Анна Ли,a@x.com,Отдел,,,ru,Europe/Moscow,"))

    assert person.draft.display_name == "Анна Ли"
    assert person.draft.department == "Отдел"


def test_windows_line_endings_are_fine() -> None:
    people = parse_people_csv(csv_text(BOSS, ANN).replace("\n", "\r\n"))

    assert [p.line for p in people] == [2, 3]


def test_semicolon_separated_files_from_a_russian_excel_are_read() -> None:
    text = csv_text(BOSS.replace(",", ";"), ANN.replace(",", ";"), header=HEADER.replace(",", ";"))

    assert [p.draft.user_name for p in parse_people_csv(text)] == ["boss@example.com", "ann@example.com"]


def test_a_header_only_file_has_nobody() -> None:
    assert parse_people_csv(HEADER + "\n") == []


def test_blank_lines_are_skipped_but_still_counted() -> None:
    people = parse_people_csv(csv_text("", BOSS, "", "", ANN))

    assert [p.line for p in people] == [3, 6]


def test_a_quoted_value_spanning_lines_moves_later_line_numbers_on() -> None:
    multiline = 'c@x.com,"Carol\nand\nfriends",c@x.com,,,,en,UTC,'
    text = csv_text(BOSS, multiline, "d@x.com,Dan,not-an-email,,,,en,UTC,")

    # header 1, boss 2, Carol 3-5, Dan 6
    assert where(rejected(text)) == [(6, "email")]


def test_a_bad_row_after_a_multiline_one_is_reported_at_its_first_line() -> None:
    text = csv_text('"bad email",Ann,nope,,,,en,UTC,', 'c@x.com,"Carol\nLee",c@x.com,,,,xx,UTC,')

    assert where(rejected(text)) == [(2, "user_name"), (2, "email"), (3, "locale")]


def test_a_good_multiline_value_is_kept() -> None:
    [person] = parse_people_csv(csv_text('c@x.com,Carol,c@x.com,"R&D\nPlatform",,,en,UTC,'))

    assert person.draft.department == "R&D\nPlatform"
    assert person.line == 2


def test_every_bad_row_is_reported_with_its_line_and_nothing_is_returned() -> None:
    text = csv_text(
        BOSS,  # 2: fine
        "bad1@x.com,,bad1@x.com,,,,en,UTC,",  # 3: no display name
        "bad2@x.com,Bad Two,bad2-at-x.com,,,,en,UTC,",  # 4: bad email
        ANN,  # 5: fine
        "bad3@x.com,Bad Three,bad3@x.com,,,,de-DE,UTC,",  # 6: German
        "bad4@x.com,Bad Four,bad4@x.com,,,,ru,Europe/Atlantis,",  # 7: no such zone
        "bad5@x.com,Bad Five,bad5@x.com,,,,ru,UTC,maybe",  # 8: active?
        ",Nobody,,,,,,,",  # 9: nearly everything missing
    )

    errors = rejected(text)

    assert where(errors) == [
        (3, "display_name"),
        (4, "email"),
        (6, "locale"),
        (7, "time_zone"),
        (8, "active"),
        (9, "user_name"),
        (9, "email"),
        (9, "locale"),
        (9, "time_zone"),
    ]
    assert errors[0].message == "a value is required"
    assert "bad2-at-x.com" in errors[1].message
    assert "de-DE" in errors[2].message
    assert "Europe/Atlantis" in errors[3].message
    assert "maybe" in errors[4].message


def test_duplicate_user_names_are_reported_on_every_line_case_insensitively() -> None:
    text = csv_text(
        "ann@example.com,Ann,ann@example.com,,,,en,UTC,",
        BOSS,
        "ANN@Example.com,Ann again,ann2@example.com,,,,en,UTC,",
        " ann@example.com ,Ann thrice,ann3@example.com,,,,en,UTC,",
    )

    errors = rejected(text)

    assert where(errors) == [(2, "user_name"), (4, "user_name"), (5, "user_name")]
    assert errors[0].message == "the same user name is also on line 4, 5"


def test_a_duplicate_is_found_even_when_the_other_row_has_its_own_problem() -> None:
    text = csv_text("a@x.com,Ann,a@x.com,,,,en,UTC,", "a@x.com,Ann,nope,,,,en,UTC,")

    assert where(rejected(text)) == [(2, "user_name"), (3, "user_name"), (3, "email")]


def test_a_manager_may_be_in_the_file_below_or_already_in_the_directory() -> None:
    text = csv_text(
        "ann@x.com,Ann,ann@x.com,,BOSS@x.com,,en,UTC,",
        "boss@x.com,Boss,boss@x.com,,ceo@x.com,,en,UTC,",
    )

    people = parse_people_csv(text, known_user_names={"CEO@x.com"})

    assert [p.manager_user_name for p in people] == ["BOSS@x.com", "ceo@x.com"]


def test_a_manager_nobody_knows_is_reported() -> None:
    text = csv_text("ann@x.com,Ann,ann@x.com,,ghost@x.com,,en,UTC,", BOSS)

    errors = rejected(text, known_user_names=("someone@x.com",))

    assert where(errors) == [(2, "manager_user_name")]
    assert "ghost@x.com" in errors[0].message


def test_a_manager_named_by_a_row_that_has_another_problem_is_not_unknown() -> None:
    text = csv_text("ann@x.com,Ann,ann@x.com,,boss@x.com,,en,UTC,", "boss@x.com,,boss@x.com,,,,en,UTC,")

    assert where(rejected(text)) == [(3, "display_name")]


def test_managing_oneself_and_manager_loops_are_reported() -> None:
    text = csv_text(
        "self@x.com,Self,self@x.com,,SELF@x.com,,en,UTC,",
        "a@x.com,A,a@x.com,,b@x.com,,en,UTC,",
        "b@x.com,B,b@x.com,,c@x.com,,en,UTC,",
        "c@x.com,C,c@x.com,,a@x.com,,en,UTC,",
        "d@x.com,D,d@x.com,,a@x.com,,en,UTC,",  # reports into the loop but is not part of it
    )

    errors = rejected(text)

    assert where(errors) == [(n, "manager_user_name") for n in (2, 3, 4, 5)]
    assert errors[0].message == "a person cannot be their own manager"
    assert "loops" in errors[1].message


def test_managers_first_orders_people_so_each_manager_is_imported_before_their_reports() -> None:
    text = csv_text(
        "dev@x.com,Dev,dev@x.com,,lead@x.com,,en,UTC,",
        "lead@x.com,Lead,lead@x.com,,cto@x.com,,en,UTC,",
        "other@x.com,Other,other@x.com,,,,en,UTC,",
        "cto@x.com,CTO,cto@x.com,,,,en,UTC,",
    )

    ordered = managers_first(parse_people_csv(text))

    assert [p.draft.user_name for p in ordered] == ["cto@x.com", "lead@x.com", "dev@x.com", "other@x.com"]


@pytest.mark.parametrize(
    ("header", "fields"),
    [
        ("user_name,display_name,email,locale", [(1, "time_zone")]),
        ("user_name,display_name,locale,time_zone", [(1, "email")]),
        ("user_name,display_name,email,locale,time_zone,shoe_size", [(1, None)]),
        ("user_name,display_name,email,locale,time_zone,email", [(1, "email")]),
        ("user_name,,display_name,email,locale,time_zone", [(1, None)]),
        (
            "login,name,mail,locale,time_zone",
            [(1, None), (1, None), (1, None), (1, "user_name"), (1, "display_name"), (1, "email")],
        ),
    ],
)
def test_a_bad_header_is_reported_on_line_1_and_no_row_is_read(
    header: str, fields: list[tuple[int, str | None]]
) -> None:
    errors = rejected(csv_text("a@x.com,Ann,a@x.com,en,UTC", header=header))

    assert where(errors) == fields


def test_a_missing_column_is_named_in_the_message() -> None:
    [error] = rejected(csv_text(header="user_name,display_name,email,locale"))

    assert error.message == "missing column 'time_zone'"


def test_an_unknown_column_message_lists_the_columns_we_know() -> None:
    [error] = rejected(csv_text(header=HEADER + ",shoe_size"))

    assert "shoe_size" in error.message
    assert "manager_user_name" in error.message


@pytest.mark.parametrize("text", ["", "\ufeff", "\n\n", " , ,\n"])
def test_an_empty_file_is_rejected_on_line_1(text: str) -> None:
    [error] = rejected(text)

    assert (error.line, error.field) == (1, None)


def test_a_row_with_too_many_or_too_few_values_is_reported() -> None:
    text = csv_text(BOSS + ",extra", "a@x.com,Ann,a@x.com", ANN)

    errors = rejected(text)

    assert where(errors) == [(2, None), (3, None)]
    assert errors[0].message == "the row has 10 values, the header has 9"


def test_an_unclosed_quote_is_reported_where_the_row_starts() -> None:
    text = csv_text(BOSS, 'a@x.com,"Ann,a@x.com,,,,en,UTC,', ANN, ANN)

    errors = rejected(text)

    assert (errors[-1].line, errors[-1].field) == (3, None)


def test_the_rejection_lists_the_problems_in_line_order() -> None:
    text = csv_text(",,,,,,,,", "x@x.com,X,x@x.com,,ghost@x.com,,en,UTC,", "a@x.com,A,bad,,,,en,UTC,")

    errors = rejected(text)

    assert [error.line for error in errors] == sorted(error.line for error in errors)
    assert str(CsvRejected(errors)) == f"the people file has {len(errors)} problem(s)"
