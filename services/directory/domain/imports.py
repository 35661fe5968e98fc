"""The import history: one record per CSV import run, so HR can see what each file did.

A run is written once, when it has finished, under an id of its own: FerretDB updates are not atomic,
so a record that is never updated cannot be left half-written. The per-line errors are capped: a file
of ten thousand bad rows needs its first screens of problems, not a document too big to store.
"""

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from directory.domain.csv_import import RowError

Source = Literal["csv", "cli"]
"""How the file came: uploaded over the API (the portal's HR page) or given to the command line."""

Outcome = Literal["imported", "rejected", "failed"]
"""imported: every row written; rejected: bad rows, nothing written; failed: stopped by an error midway."""

MAX_RECORDED_ERRORS = 200


def new_import_id(now: datetime) -> str:
    """Sorts by time (newest last as text), unique however many runs start in the same microsecond."""
    return f"imp-{now.astimezone(UTC):%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class ImportRun:
    id: str
    started_at: datetime
    finished_at: datetime
    started_by: str
    """The person id of whoever uploaded the file, or "cli" for the command line."""
    source: Source
    outcome: Outcome
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: int = 0
    """Rows not imported because of a problem on them (for a rejected file, every row with an error)."""
    errors: tuple[RowError, ...] = field(default=())
    errors_total: int = 0
    """How many problems were found; more than len(errors) when the list was capped."""
    failure: str | None = None
    """For a failed run: what stopped it (the rows before it were written)."""

    @property
    def errors_truncated(self) -> bool:
        return self.errors_total > len(self.errors)


def finished_run(
    run_id: str,
    started_at: datetime,
    finished_at: datetime,
    started_by: str,
    source: Source,
    *,
    counts: dict[str, int] | None = None,
    errors: list[RowError] | None = None,
    failure: str | None = None,
) -> ImportRun:
    """The record of a run as it ended: rejected if it found bad rows (nothing written), failed if an error
    stopped it (`counts` then holds the rows written before it), else imported."""
    counts = counts or {}
    if errors:
        # Line 1 is the header: a problem there refuses the file, not a row of people.
        refused = len({error.line for error in errors if error.line > 1})
        return ImportRun(
            id=run_id,
            started_at=started_at,
            finished_at=finished_at,
            started_by=started_by,
            source=source,
            outcome="rejected",
            refused=refused,
            errors=tuple(errors[:MAX_RECORDED_ERRORS]),
            errors_total=len(errors),
        )
    return ImportRun(
        id=run_id,
        started_at=started_at,
        finished_at=finished_at,
        started_by=started_by,
        source=source,
        outcome="failed" if failure is not None else "imported",
        failure=failure[:500] if failure is not None else None,
        created=counts.get("created", 0),
        updated=counts.get("updated", 0),
        unchanged=counts.get("unchanged", 0),
    )
