"""Admin command for dead letters: list what failed and why, replay one record or all of them.

    python -m shared.messaging.dead_letters list   --topic owlery.enrolment.events
    python -m shared.messaging.dead_letters replay --topic owlery.enrolment.events --offset 0:12
    python -m shared.messaging.dead_letters replay --topic owlery.enrolment.events --all

`--topic` is the original topic (its `.dlt` is read). Replay sends the original key, value and
headers back to the original topic; consumers are idempotent by event id, so replaying a record
that another consumer already handled changes nothing there.
"""

import argparse
import asyncio
import json
import os
import sys
from dataclasses import asdict, dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from shared.messaging.kafka import DEAD_LETTER_SUFFIX, partitions_of


@dataclass(frozen=True)
class DeadLetter:
    partition: int
    offset: int
    key: str | None
    reason: str
    error: str
    consumer: str
    original_topic: str
    original_partition: int
    original_offset: int
    failed_at: str
    headers: dict[str, str]
    value: bytes

    @property
    def address(self) -> str:
        return f"{self.partition}:{self.offset}"

    def original_headers(self) -> list[tuple[str, bytes]]:
        return [(name, value.encode()) for name, value in self.headers.items() if not name.startswith("dlt_")]


async def read_dead_letters(bootstrap: str, topic: str) -> list[DeadLetter]:
    """Every record currently in `<topic>.dlt`, oldest first per partition."""
    dlt = topic + DEAD_LETTER_SUFFIX
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap.split(","), enable_auto_commit=False)
    await consumer.start()
    letters: list[DeadLetter] = []
    try:
        partitions = [TopicPartition(dlt, p) for p in await partitions_of(bootstrap, dlt)]
        if not partitions:
            return []
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        while [tp for tp in partitions if await consumer.position(tp) < ends[tp]]:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for record in records:
                    headers = {name: bytes(value).decode("utf-8", "replace") for name, value in record.headers}
                    letters.append(
                        DeadLetter(
                            partition=record.partition,
                            offset=record.offset,
                            key=record.key.decode("utf-8", "replace") if record.key else None,
                            reason=headers.get("dlt_reason", ""),
                            error=headers.get("dlt_error", ""),
                            consumer=headers.get("dlt_consumer", ""),
                            original_topic=headers.get("dlt_original_topic", topic),
                            original_partition=int(headers.get("dlt_original_partition", "-1")),
                            original_offset=int(headers.get("dlt_original_offset", "-1")),
                            failed_at=headers.get("dlt_failed_at", ""),
                            headers=headers,
                            value=record.value or b"",
                        )
                    )
    finally:
        await consumer.stop()
    return letters


async def replay(bootstrap: str, topic: str, addresses: set[str] | None = None) -> list[DeadLetter]:
    """Send dead letters back to their original topic: those at `partition:offset` addresses, or all."""
    letters = [
        letter
        for letter in await read_dead_letters(bootstrap, topic)
        if addresses is None or letter.address in addresses
    ]
    if addresses is not None and len(letters) != len(addresses):
        missing = addresses - {letter.address for letter in letters}
        raise LookupError(f"no dead letter at {', '.join(sorted(missing))} in {topic}{DEAD_LETTER_SUFFIX}")
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap.split(","), acks="all", enable_idempotence=True)
    await producer.start()
    try:
        for letter in letters:
            await producer.send_and_wait(
                letter.original_topic,
                letter.value,
                key=letter.key.encode() if letter.key is not None else None,
                headers=letter.original_headers(),
            )
    finally:
        await producer.stop()
    return letters


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared.messaging.dead_letters", description=__doc__)
    parser.add_argument("command", choices=["list", "replay"])
    parser.add_argument("--topic", required=True, help="the original topic, with the deployment's prefix")
    parser.add_argument("--bootstrap", default=os.environ.get("OWLERY_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"))
    parser.add_argument("--offset", action="append", default=[], help="partition:offset in the .dlt topic")
    parser.add_argument("--all", action="store_true", help="replay every dead letter")
    args = parser.parse_args(argv)
    if args.command == "list":
        for letter in asyncio.run(read_dead_letters(args.bootstrap, args.topic)):
            row = asdict(letter)
            row["value"] = letter.value.decode("utf-8", "replace")
            print(json.dumps(row, ensure_ascii=False))
        return 0
    if not args.all and not args.offset:
        parser.error("replay needs --offset PARTITION:OFFSET (repeatable) or --all")
    try:
        replayed = asyncio.run(replay(args.bootstrap, args.topic, None if args.all else set(args.offset)))
    except LookupError as error:
        print(error, file=sys.stderr)
        return 1
    print(f"replayed {len(replayed)} dead letter(s) to {args.topic}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
