"""The chat channel: a message posted to a company's incoming webhook, in the JSON Slack expects.

`{"text": ..., "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": ...}}]}`: Slack
shows the block and uses `text` for notifications and clients without blocks; Mattermost and Teams
incoming webhooks read `text` and ignore the rest. The subject leads in bold, then the text.

Slack reads `&`, `<` and `>` as markup (`<!channel>` pings everyone, `<url|label>` is a link), so
they are escaped as Slack asks: a course titled `<!channel>` shows as written and pings nobody.

The webhook URL holds the company's secret token: it appears in no failure reason or log line.
A 2xx answer is delivered; 408, 429, 5xx or no answer (refused, timed out, cut off) is transient;
any other answer is permanent (the hook was removed, the payload refused), naming the status and
the start of the body, where Slack says why (`no_service`, `invalid_payload`).
"""

import json
from urllib.parse import urlsplit

import httpx

from notifications.domain.delivery import DeliveryFailed, Outgoing

SECTION_LIMIT = 3000
"""Slack refuses a section block whose text is longer."""
TEXT_LIMIT = 40000
"""Slack truncates a message's `text` beyond this."""
_BODY_START = 200
_TRANSIENT_STATUSES = {408, 429}


def slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def payload(message: Outgoing) -> dict[str, object]:
    """The JSON body for an incoming webhook: Slack blocks, and `text` for everything else."""
    subject = " ".join(message.subject.split())
    body = slack_escape(message.text.strip())
    text = f"*{slack_escape(subject)}*\n{body}" if subject else body
    return {
        "text": _shorten(text, TEXT_LIMIT),
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": _shorten(text, SECTION_LIMIT)}}],
    }


class ChatChannel:
    def __init__(self, client: httpx.AsyncClient | None = None, timeout_seconds: float = 10.0) -> None:
        """`client`: shared, closed by its owner; None: the channel opens its own, which `aclose` closes."""
        self._owns_client = client is None
        self.client = client if client is not None else httpx.AsyncClient()
        self.timeout = httpx.Timeout(timeout_seconds)

    async def aclose(self) -> None:
        if self._owns_client:
            await self.client.aclose()

    async def send(self, message: Outgoing) -> None:
        """Post the message to `message.address`; raises DeliveryFailed saying whether a retry may help."""
        url = urlsplit(message.address)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise DeliveryFailed("the chat webhook address is not an http(s) URL", permanent=True)
        try:
            response = await self.client.post(
                message.address,
                content=json.dumps(payload(message), ensure_ascii=False).encode(),
                headers={"Content-Type": "application/json; charset=utf-8"},
                timeout=self.timeout,
                follow_redirects=False,
            )
        except httpx.InvalidURL:
            raise DeliveryFailed("the chat webhook address is not a valid URL", permanent=True) from None
        except httpx.TimeoutException as error:
            raise DeliveryFailed(f"chat webhook did not answer in time: {_describe(error)}", permanent=False) from None
        except httpx.TransportError as error:  # refused, reset, DNS, TLS: the hook may be reachable later
            raise DeliveryFailed(f"chat webhook unreachable: {_describe(error)}", permanent=False) from None
        if response.is_success:
            return
        permanent = not (response.status_code in _TRANSIENT_STATUSES or response.status_code >= 500)
        start = " ".join(response.text[:_BODY_START].split())
        reason = f"chat webhook answered {response.status_code}" + (f": {start}" if start else "")
        raise DeliveryFailed(reason, permanent=permanent)


def _describe(error: httpx.HTTPError) -> str:
    """The error's kind and message (httpx puts no URL in either)."""
    return f"{type(error).__name__} {error}".strip()


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
