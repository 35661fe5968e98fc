"""Command line for HR without SCIM: `python -m directory.entrypoints.cli import-csv people.csv`.

Checks every row before writing any; on a bad file prints every bad row with its line number and
exits 1 having imported nothing. Re-running the same file changes nothing. The command publishes
what it changed before it exits, so every service hears of the new people at once. Every run, good or
bad, goes into the import history (GET /imports) with source "cli".
"""

import argparse
import asyncio
import sys
import time
from pathlib import Path

from directory.bootstrap import bootstrap
from directory.service import handlers
from shared.persistence.versioned import PENDING

PUBLISH_TIMEOUT_SECONDS = 60.0


async def import_csv(path: Path, text: str) -> int:
    service = bootstrap()
    await service.runtime.start()
    try:
        try:
            run = await handlers.import_and_record(text, service.people, service.import_runs, "cli", "cli")
        except handlers.ImportRejected as rejected:
            print(f"{path}: {rejected}; nothing was imported (import {rejected.run.id})", file=sys.stderr)
            for error in rejected.errors:
                column = f" [{error.field}]" if error.field else ""
                print(f"  line {error.line}{column}: {error.message}", file=sys.stderr)
            return 1
        counts = {"created": run.created, "updated": run.updated, "unchanged": run.unchanged}
        await service.runtime.audit.record(
            "people.imported", "cli", "directory", details={**counts, "import_id": run.id}
        )
        commits = service.runtime.database["people_commits"]
        deadline = time.monotonic() + PUBLISH_TIMEOUT_SECONDS
        while await commits.count_documents({"outbox_state": PENDING}) and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.2)
        print(f"{path}: {run.created} created, {run.updated} updated, {run.unchanged} unchanged (import {run.id})")
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
