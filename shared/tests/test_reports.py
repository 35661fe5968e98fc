"""Report files as a person opens them: CSV in a spreadsheet, charts as images of a known size."""

import csv
import io
from datetime import date

import pytest
from PIL import Image

from shared.errors import Invalid
from shared.reports import (
    CHART_SIZE_PX,
    FILTERS,
    ReportQuery,
    Series,
    bar_chart,
    chart_format,
    line_chart,
    read_query,
    report_format,
    to_csv,
)


def test_csv_has_a_header_and_empty_cells_for_missing_values_and_keeps_cyrillic() -> None:
    text = to_csv(
        [{"cohort": "Поток 1", "enrolled": 7, "completed": 5}, {"cohort": "Поток 2", "enrolled": 6}],
        ["cohort", "enrolled", "completed"],
    )
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows == [
        {"cohort": "Поток 1", "enrolled": "7", "completed": "5"},
        {"cohort": "Поток 2", "enrolled": "6", "completed": ""},
    ]


def test_a_line_chart_is_a_png_of_the_chart_size_with_something_drawn() -> None:
    png = line_chart(
        "Участие и завершение",
        [Series("enrolled", [("2026-09", 7), ("2026-10", 12)]), Series("completed", [("2026-10", 5)])],
        y_label="people",
    )
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    assert image.size == CHART_SIZE_PX
    assert len(set(image.convert("L").get_flattened_data())) > 2  # not a blank canvas


def test_a_bar_chart_draws_as_png_and_svg() -> None:
    bars = [("cohort 2026-03", 61.0), ("cohort 2026-09", 44.5)]
    assert Image.open(io.BytesIO(bar_chart("Time to adapt", bars, y_label="days"))).size == CHART_SIZE_PX
    svg = bar_chart("Time to adapt", bars, y_label="days", fmt="svg").decode()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg


def test_a_report_query_reads_department_and_period_and_names_whatever_is_wrong() -> None:
    query = read_query([("department", " QA "), ("from", "2026-09-01"), ("to", "2026-12-31")], FILTERS)
    assert query == ReportQuery("QA", date(2026, 9, 1), date(2026, 12, 31))
    assert read_query([], FILTERS) == ReportQuery()

    wrong = {
        "colour": [("colour", "red")],
        "to": [("from", "2026-12-01"), ("to", "2026-11-30")],
        "from": [("from", "01.09.2026")],
        "department": [("department", "QA"), ("department", "HR")],
    }
    for field, items in wrong.items():
        with pytest.raises(Invalid) as refused:
            read_query(items, FILTERS)
        assert refused.value.details["field"] == field


def test_formats_of_reports_and_charts_are_checked() -> None:
    assert (report_format("csv"), chart_format("svg")) == ("csv", "svg")
    for check, value in ((report_format, "xlsx"), (chart_format, "gif")):
        with pytest.raises(Invalid) as refused:
            check(value)
        assert refused.value.details["field"] == "format"
