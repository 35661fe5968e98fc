"""Structured figures: what every benchmark hands the table runner (`python -m bench`), instead of its text.

Each benchmark script takes ``--json PATH`` and writes there the list of its figures (`Figure`), besides
printing its usual report. A figure with a target says whether it met it; one without says nothing (—).
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


@dataclass
class Figure:
    benchmark: str
    figure: str
    value: float | None
    unit: str = ""
    target: str = ""
    """As the reader reads it, e.g. ">= 2,000 /s" or "<= 20 ms"; empty: no target."""
    met: bool | None = None
    note: str = ""
    text: str = ""
    """Shown instead of the value when set (a check's "ok", say)."""

    def shown(self) -> str:
        if self.text:
            return self.text
        if self.value is None:
            return "n/a"
        magnitude = abs(self.value)
        digits = 0 if magnitude >= 100 else 1 if magnitude >= 10 else 2 if magnitude >= 0.1 else 3
        if not self.unit and float(self.value).is_integer():
            digits = 0  # a count
        number = f"{self.value:,.{digits}f}"
        if self.unit == "x":
            return f"x{number}"
        return f"{number} {self.unit}".rstrip()


def at_least(value: float | None, bound: float) -> bool | None:
    return None if value is None else value >= bound


def at_most(value: float | None, bound: float) -> bool | None:
    return None if value is None else value <= bound


def write(path: str | None, figures: list[Figure]) -> None:
    """Write the figures as JSON to `path` (nothing when None)."""
    if path:
        Path(path).write_text(json.dumps([asdict(figure) for figure in figures], indent=1))


def read(path: Path) -> list[Figure]:
    raw: list[dict[str, Any]] = json.loads(path.read_text())
    return [Figure(**item) for item in raw]


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "?"


def machine_facts() -> str:
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return (
        f"{os.cpu_count()} CPUs ({cpu_model()}), {platform.system()} {platform.release()} {platform.machine()}, "
        f"Python {platform.python_version()}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, load average {load}"
    )
