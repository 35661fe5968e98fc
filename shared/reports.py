"""Outcome reports as files a person opens: CSV for a spreadsheet, charts as PNG or SVG.

Enrolment and mentoring both report on their programmes; the figures are theirs, the rendering is shared.
matplotlib is imported only when a chart is drawn (it costs tens of MB a service would otherwise carry idle),
and through its object API on the Agg canvas: no pyplot state, so concurrent requests cannot mix figures.
"""

import csv
import io
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from shared.errors import Invalid

ChartFormat = Literal["png", "svg"]
CHART_SIZE_PX = (960, 540)
"""Every chart's size in pixels (PNG), so a page lays them out alike."""
_DPI = 100
MEDIA_TYPES: Mapping[ChartFormat, str] = {"png": "image/png", "svg": "image/svg+xml"}


REPORT_FORMATS = ("json", "csv")
FILTERS = frozenset({"department", "from", "to"})
"""The filters every report takes: a department, and a period (`from`, `to`: dates, both inclusive)."""


@dataclass(frozen=True)
class ReportQuery:
    """What a report was asked for: one department, a period (either end open)."""

    department: str | None = None
    start: date | None = None
    end: date | None = None


def read_query(items: Iterable[tuple[str, str]], allowed: Collection[str]) -> ReportQuery:
    """The filters of a report's query string (its name-value pairs, in order); any other parameter is
    refused, so a typo is never ignored.

    422 (Invalid) naming the parameter: unknown or repeated, a date that is not YYYY-MM-DD, an empty
    department, or a period whose `to` precedes its `from`.
    """
    params: dict[str, str] = {}
    for name, value in items:
        if name not in allowed:
            raise Invalid(f"unknown filter `{name}`: use {', '.join(sorted(allowed))}", field=name)
        if name in params:
            raise Invalid(f"`{name}` is given more than once", field=name)
        params[name] = value
    department = params.get("department")
    if department is not None and not department.strip():
        raise Invalid("name a department, or leave the filter out", field="department")
    start, end = _day(params.get("from"), "from"), _day(params.get("to"), "to")
    if start is not None and end is not None and end < start:
        raise Invalid("the period ends before it starts: `to` precedes `from`", field="to")
    return ReportQuery(department.strip() if department else None, start, end)


def report_format(value: str) -> Literal["json", "csv"]:
    if value == "json":
        return "json"
    if value == "csv":
        return "csv"
    raise Invalid(f"format is one of {', '.join(REPORT_FORMATS)}", field="format")


def chart_format(extension: str) -> ChartFormat:
    if extension == "png":
        return "png"
    if extension == "svg":
        return "svg"
    raise Invalid(f"a chart is .{' or .'.join(MEDIA_TYPES)}", field="format")


def _day(value: str | None, name: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Invalid(f"`{name}` is a date, YYYY-MM-DD", field=name) from None


def to_csv(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """Rows as CSV with a header line; a missing value is an empty cell. UTF-8 text (names may be Cyrillic)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({column: "" if row.get(column) is None else row.get(column) for column in columns})
    return out.getvalue()


@dataclass(frozen=True)
class Series:
    """One line of a chart over time: (label on the x axis, value) in order."""

    label: str
    points: Sequence[tuple[str, float]]


def line_chart(
    title: str, series: Sequence[Series], *, y_label: str, x_label: str = "", fmt: ChartFormat = "png"
) -> bytes:
    """Lines over time (participation and completion per month, say), one per series, with a legend."""
    figure, axes = _figure(title)
    for line in series:
        if line.points:
            axes.plot([x for x, _ in line.points], [y for _, y in line.points], marker="o", label=line.label)
    axes.set_ylabel(y_label)
    axes.set_xlabel(x_label)
    if any(line.points for line in series):
        axes.legend(loc="best")
    axes.tick_params(axis="x", labelrotation=30)
    return _render(figure, fmt)


def bar_chart(
    title: str, bars: Sequence[tuple[str, float]], *, y_label: str, x_label: str = "", fmt: ChartFormat = "png"
) -> bytes:
    """One bar per label (time to adapt by cohort, feedback scores 1-5, say), each with its value written on."""
    figure, axes = _figure(title)
    labels = [label for label, _ in bars]
    values = [value for _, value in bars]
    drawn = axes.bar(labels, values, color="#3b6ea8")
    axes.bar_label(drawn, fmt="%g")
    axes.set_ylabel(y_label)
    axes.set_xlabel(x_label)
    return _render(figure, fmt)


def _figure(title: str) -> tuple[Any, Any]:
    from matplotlib.figure import Figure  # lazily: see the module's docstring

    figure = Figure(figsize=(CHART_SIZE_PX[0] / _DPI, CHART_SIZE_PX[1] / _DPI), dpi=_DPI)
    axes = figure.add_subplot()
    axes.set_title(title)
    axes.grid(axis="y", alpha=0.3)
    return figure, axes


def _render(figure: Any, fmt: ChartFormat) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(figure)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format=fmt, dpi=_DPI)  # no bbox="tight": the size stays CHART_SIZE_PX
    return out.getvalue()
