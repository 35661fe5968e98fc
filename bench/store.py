"""The store's own rates, without any service: what the gamification targets run into (issue 8).

    .venv/bin/python -m bench.store [--documents 10000] [--url mongodb://127.0.0.1:27017/]

Writes deed-sized documents (an enrolment event as gamification keeps it) one per document with
insert_many in batches of 500, then the same deeds 500 to a document, and reads both back. FerretDB's
cost is per byte (BSON to JSON to SQLite and back), so putting many deeds in one document buys little.
Needs the local servers: `.venv/bin/python -m deploy.local.launcher start --profile run`.
"""

import argparse
import asyncio
import time
import uuid
from typing import Any

from shared.persistence.mongo import connect

BATCH = 500


def deed(number: int) -> dict[str, Any]:
    return {
        "_id": f"event-{uuid.uuid4()}",
        "type": "com.owlery.enrolment.application.enrolled.v1",
        "data": {"person_id": f"p{number}", "course_id": "c1", "cohort_id": "k1", "application_id": f"a{number}"},
        "at": "2026-01-01T00:00:00Z",
        "restricted": False,
    }


async def measure(url: str, documents: int) -> dict[str, float]:
    client = connect(url)
    database = client[f"bench_store_{uuid.uuid4().hex[:8]}"]
    try:
        started = time.perf_counter()
        for _ in range(documents // BATCH):
            await database.single.insert_many([deed(n) for n in range(BATCH)], ordered=False)
        insert_single = documents / (time.perf_counter() - started)
        started = time.perf_counter()
        for _ in range(documents // BATCH):
            await database.pages.insert_one({"_id": str(uuid.uuid4()), "deeds": [deed(n) for n in range(BATCH)]})
        insert_paged = documents / (time.perf_counter() - started)
        started = time.perf_counter()
        read = [doc async for doc in database.single.find({}, batch_size=2000)]
        read_single = len(read) / (time.perf_counter() - started)
        started = time.perf_counter()
        paged = sum([len(doc["deeds"]) async for doc in database.pages.find({})])
        read_paged = paged / (time.perf_counter() - started)
    finally:
        await client.drop_database(database.name)
        await client.close()
    return {
        "insert_many, one deed a document (deeds/s)": insert_single,
        f"insert, {BATCH} deeds a document (deeds/s)": insert_paged,
        "read, one deed a document (deeds/s)": read_single,
        f"read, {BATCH} deeds a document (deeds/s)": read_paged,
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.store", description=__doc__)
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument("--url", default="mongodb://127.0.0.1:27017/")
    arguments = parser.parse_args()
    for name, rate in asyncio.run(measure(arguments.url, arguments.documents)).items():
        print(f"{name:48s} {rate:10,.0f}")


if __name__ == "__main__":
    main()
