"""Chat messages as a company's incoming webhook receives them, from a real HTTP receiver on a local port.

The receiver is a small Starlette app served by uvicorn in the test's event loop: it records what a
Slack-style incoming webhook would get, or answers with the status a test asks for.
"""

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from notifications.adapters.chat import SECTION_LIMIT, ChatChannel
from notifications.domain.delivery import DeliveryFailed, Outgoing


@dataclass(frozen=True)
class Received:
    path: str
    content_type: str
    body: bytes


@dataclass
class Receiver:
    base_url: str
    received: list[Received] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    def hook(self, token: str = "XXXXXXXX") -> str:
        """An incoming-webhook URL shaped like Slack's (its token is the secret)."""
        return f"{self.base_url}/services/T0001/B0001/{token}"

    def answering(self, status: int) -> str:
        return f"{self.base_url}/answer/{status}"


def receiver_app(receiver: Receiver) -> Starlette:
    async def hook(request: Request) -> PlainTextResponse:
        body = await request.body()
        receiver.received.append(Received(request.url.path, request.headers.get("content-type", ""), body))
        return PlainTextResponse("ok")

    async def answer(request: Request) -> PlainTextResponse:
        status = int(request.path_params["status"])
        reasons = {400: "invalid_payload", 403: "action_prohibited", 404: "no_service", 410: "channel_is_archived"}
        headers = {"Retry-After": "30"} if status == 429 else {}
        return PlainTextResponse(
            reasons.get(status, "Internal Error\n  try later"), status_code=status, headers=headers
        )

    async def slow(request: Request) -> PlainTextResponse:
        await asyncio.wait_for(receiver.release.wait(), timeout=5)
        return PlainTextResponse("ok")

    return Starlette(
        routes=[
            Route("/services/{team}/{bot}/{token}", hook, methods=["POST"]),
            Route("/answer/{status:int}", answer, methods=["POST"]),
            Route("/slow", slow, methods=["POST"]),
        ]
    )


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    port = listening.getsockname()[1]
    state = Receiver(base_url=f"http://127.0.0.1:{port}")
    server = uvicorn.Server(uvicorn.Config(receiver_app(state), log_level="warning", lifespan="off"))
    serving = asyncio.create_task(server.serve(sockets=[listening]))
    while not server.started:
        assert not serving.done(), "the receiver did not start"
        await asyncio.sleep(0.01)
    yield state
    state.release.set()
    server.should_exit = True
    await serving
    listening.close()


def outgoing(address: str, subject: str = "Owlery: course enrolment", text: str = "You are enrolled.") -> Outgoing:
    return Outgoing(
        notification_id="evt-1:person-1:chat", person_id="person-1", address=address, subject=subject, text=text
    )


async def test_the_webhook_receives_the_json_a_slack_incoming_webhook_expects(receiver: Receiver) -> None:
    channel = ChatChannel()
    try:
        await channel.send(
            outgoing(receiver.hook(), "Owlery: запись на курс", "Вы зачислены на курс «Python для аналитиков».")
        )
    finally:
        await channel.aclose()

    [request] = receiver.received
    assert request.path == "/services/T0001/B0001/XXXXXXXX"
    assert request.content_type.startswith("application/json")
    text = "*Owlery: запись на курс*\nВы зачислены на курс «Python для аналитиков»."  # noqa: RUF001 (Russian)
    assert json.loads(request.body) == {
        "text": text,
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
    }


async def test_slack_markup_in_a_text_is_shown_as_written_and_pings_nobody(receiver: Receiver) -> None:
    async with httpx.AsyncClient() as client:
        await ChatChannel(client).send(outgoing(receiver.hook(), "Owlery", "Course «<!channel> & <https://x.io|R&D>»"))

    payload = json.loads(receiver.received[0].body)
    escaped = "*Owlery*\nCourse «&lt;!channel&gt; &amp; &lt;https://x.io|R&amp;D&gt;»"
    assert payload["text"] == escaped
    assert payload["blocks"][0]["text"]["text"] == escaped


async def test_a_long_text_fits_the_section_block_slack_accepts(receiver: Receiver) -> None:
    async with httpx.AsyncClient() as client:
        await ChatChannel(client).send(outgoing(receiver.hook(), text="word " * 2000))

    payload = json.loads(receiver.received[0].body)
    section = payload["blocks"][0]["text"]["text"]
    assert len(section) <= SECTION_LIMIT
    assert section.endswith("…")
    assert payload["text"].startswith(section[:-1])
    assert len(payload["text"]) > SECTION_LIMIT


@pytest.mark.parametrize("status", [500, 502, 503, 429, 408])
async def test_a_server_error_or_rate_limit_is_transient(receiver: Receiver, status: int) -> None:
    async with httpx.AsyncClient() as client:
        with pytest.raises(DeliveryFailed) as failure:
            await ChatChannel(client).send(outgoing(receiver.answering(status)))
    assert not failure.value.permanent
    assert str(status) in failure.value.reason


@pytest.mark.parametrize(
    ("status", "body"),
    [(400, "invalid_payload"), (403, "action_prohibited"), (404, "no_service"), (410, "channel_is_archived")],
)
async def test_a_refusal_is_permanent_and_names_the_status_and_the_answer(
    receiver: Receiver, status: int, body: str
) -> None:
    async with httpx.AsyncClient() as client:
        with pytest.raises(DeliveryFailed) as failure:
            await ChatChannel(client).send(outgoing(receiver.answering(status)))
    assert failure.value.permanent
    assert failure.value.reason == f"chat webhook answered {status}: {body}"


async def test_a_failure_reason_never_shows_the_secret_webhook_url(receiver: Receiver) -> None:
    async with httpx.AsyncClient() as client:
        with pytest.raises(DeliveryFailed) as failure:
            await ChatChannel(client).send(outgoing(receiver.answering(404) + "?token=s3cr3t"))
    assert "s3cr3t" not in failure.value.reason
    assert "127.0.0.1" not in failure.value.reason


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def test_an_unreachable_webhook_is_transient() -> None:
    channel = ChatChannel(timeout_seconds=2)
    try:
        with pytest.raises(DeliveryFailed) as failure:
            await channel.send(outgoing(f"http://127.0.0.1:{free_port()}/services/T/B/secret"))
    finally:
        await channel.aclose()
    assert not failure.value.permanent
    assert "unreachable" in failure.value.reason
    assert "secret" not in failure.value.reason


async def test_a_webhook_that_does_not_answer_in_time_is_transient(receiver: Receiver) -> None:
    async with httpx.AsyncClient() as client:
        with pytest.raises(DeliveryFailed) as failure:
            await ChatChannel(client, timeout_seconds=0.2).send(outgoing(f"{receiver.base_url}/slow"))
    assert not failure.value.permanent
    assert "in time" in failure.value.reason


@pytest.mark.parametrize("address", ["", "hooks.slack.com/services/T/B/x", "ftp://example.com/hook", "http://"])
async def test_an_address_that_is_no_http_url_is_permanent(address: str) -> None:
    async with httpx.AsyncClient() as client:
        with pytest.raises(DeliveryFailed) as failure:
            await ChatChannel(client).send(outgoing(address))
    assert failure.value.permanent
