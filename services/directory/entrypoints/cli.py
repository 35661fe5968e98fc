"""Command line for HR without SCIM: `python -m directory.entrypoints.cli import-csv people.csv`.

Checks every row before writing any; on a bad file prints every bad row with its line number and
exits 1 having imported nothing. Re-running the same file changes nothing. The command publishes
what it changed before it exits, so every service hears of the new people at once.
"""

import argparse
import asyncio
import sys
import time
from pathlib import Path

from directory.bootstrap import bootstrap
from directory.domain.csv_import import CsvRejected
from directory.service import handlers
from shared.persistence.versioned import PENDING

PUBLISH_TIMEOUT_SECONDS = 60.0


async def import_csv(path: Path, text: str) -> int:
    service = bootstrap()
    await service.runtime.start()
    try:
        try:
            report = await handlers.import_people(text, service.people)
        except CsvRejected as rejected:
            print(f"{path}: {rejected}; nothing was imported", file=sys.stderr)
            for error in rejected.errors:
                column = f" [{error.field}]" if error.field else ""
                print(f"  line {error.line}{column}: {error.message}", file=sys.stderr)
            return 1
        await service.runtime.audit.record("people.imported", "cli", "directory", details=report.__dict__)
        commits = service.runtime.database["people_commits"]
        deadline = time.monotonic() + PUBLISH_TIMEOUT_SECONDS
        while await commits.count_documents({"outbox_state": PENDING}) and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.2)
        print(f"{path}: {report.created} created, {report.updated} updated, {report.unchanged} unchanged")
        return 0
    finally:
        await service.runtime.stop()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m directory.entrypoints.cli", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    importer = commands.add_parser("import-csv", help="import people from a CSV file")
    importer.add_argument("file", type=Path)
    arguments = parser.parse_args()
    sys.exit(asyncio.run(import_csv(arguments.file, arguments.file.read_text(encoding="utf-8-sig"))))


if __name__ == "__main__":
    main()
