"""The hand-made reference pipeline: a bare ASGI app and a bare aiokafka consumer, no framework, no Owlery code.

    python -m bench.reference app --port P --kafka K --mongodb URL --database D --topic T
    python -m bench.reference consumer --kafka K --mongodb URL --database D --topic T --group G

The app answers ``POST /applications`` (JSON with ``person_id``) by inserting one document and producing one
record; the consumer inserts one document per record into its own database and commits after the inserts.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import uvicorn
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from pymongo import AsyncMongoClient

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class ReferenceApp:
    """A plain ASGI callable: lifespan opens the clients, one POST route does the work."""

    def __init__(self, kafka: str, mongodb: str, database: str, topic: str) -> None:
        self.kafka = kafka
        self.mongodb = mongodb
        self.database = database
        self.topic = topic
        self.client: AsyncMongoClient[dict[str, Any]] | None = None
        self.producer: AIOKafkaProducer | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.lifespan(receive, send)
        elif scope["type"] == "http":
            await self.http(scope, receive, send)

    async def lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.client = AsyncMongoClient(self.mongodb)
                self.producer = AIOKafkaProducer(bootstrap_servers=self.kafka.split(","), acks="all")
                await self.producer.start()
                await self.client[self.database]["applications"].insert_one({"_id": "warmup"})
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.producer is not None:
                    await self.producer.stop()
                if self.client is not None:
                    await self.client.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] == "GET" and scope["path"] == "/health":
            await respond(send, 200, {"ok": True})
            return
        if scope["method"] != "POST" or scope["path"] != "/applications":
            await respond(send, 404, {"detail": "not found"})
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        payload = json.loads(body)
        person_id = str(payload["person_id"])
        assert self.client is not None
        assert self.producer is not None
        document = {"_id": str(uuid.uuid4()), "person_id": person_id, "locale": payload.get("locale", "en")}
        await self.client[self.database]["applications"].insert_one(document)
        record = json.dumps({"application_id": document["_id"], "person_id": person_id}).encode()
        await self.producer.send_and_wait(self.topic, record, key=person_id.encode())
        await respond(send, 201, {"application_id": document["_id"], "person_id": person_id})


async def respond(send: Send, status: int, payload: dict[str, Any]) -> None:
    body = json.dumps(payload).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def consume(kafka: str, mongodb: str, database: str, topic: str, group: str) -> None:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongodb)
    collection = client[database]["ledger"]
    await collection.create_index("person_id")
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=kafka.split(","),
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        while True:
            batches = await consumer.getmany(timeout_ms=500)
            if not batches:
                continue
            for records in batches.values():
                for record in records:
                    data = json.loads(record.value)
                    await collection.insert_one(
                        {"_id": data["application_id"], "person_id": data["person_id"], "at": time.time()}
                    )
            await consumer.commit()
    finally:
        await consumer.stop()
        await client.close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.reference")
    parser.add_argument("role", choices=["app", "consumer"])
    parser.add_argument("--kafka", required=True)
    parser.add_argument("--mongodb", required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--group", default="")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    if args.role == "app":
        app = ReferenceApp(args.kafka, args.mongodb, args.database, args.topic)
        uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False, lifespan="on")
    else:
        asyncio.run(consume(args.kafka, args.mongodb, args.database, args.topic, args.group))


if __name__ == "__main__":
    main()
